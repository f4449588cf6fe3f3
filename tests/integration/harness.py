"""What the daemon integration tests share (test_daemon.py, test_daemon_alerts.py,
test_check_verdicts.py): the binary argument, loopback ports, dkimwatch's time text, child
processes that die with the test, the daemon process and polling. Python standard library only.
"""

from __future__ import annotations

import calendar
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from pathlib import Path
from typing import Any, Callable

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# What a probe may raise while the thing it looks at is not ready yet.
NOT_READY = (OSError, urllib.error.URLError, http.client.HTTPException, ValueError, KeyError)


def take_binary_argument(default: str) -> str:
    """Removes `--dkimwatch PATH` from sys.argv (so that unittest does not see it) and returns
    PATH, or `default` (the DKIMWATCH environment variable) without it."""
    args = sys.argv[1:]
    if "--dkimwatch" in args:
        i = args.index("--dkimwatch")
        default = args[i + 1]
        del args[i:i + 2]
    sys.argv[1:] = args
    return default


def require_binary(path: str) -> None:
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"the dkimwatch binary is not executable: {path!r} "
                           "(pass --dkimwatch PATH or set DKIMWATCH)")


def utc_to_epoch(text: str) -> int:
    """'2026-01-02T03:04:05Z' -> Unix seconds."""
    return calendar.timegm(time.strptime(text, UTC_FORMAT))


def epoch_to_utc(seconds: float) -> str:
    """Unix seconds -> 'YYYY-MM-DDTHH:MM:SSZ', truncated to the second (as dkimwatch prints)."""
    return time.strftime(UTC_FORMAT, time.gmtime(int(seconds // 1)))


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In a child before exec: SIGKILL when this test process dies (even by SIGKILL, e.g. a
    ctest timeout), so that no child outlives its test."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def stop_process(popen: subprocess.Popen, timeout: float = 5.0) -> int | None:
    """SIGTERM by PID, SIGKILL after `timeout`. Returns the SIGTERM exit status (None if it had
    to be killed)."""
    if popen.poll() is not None:
        return popen.returncode
    os.kill(popen.pid, signal.SIGTERM)
    try:
        return popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(popen.pid, signal.SIGKILL)
        popen.wait()
        return None


class Daemon:
    """One `dkimwatch --log-level LEVEL run --config CONFIG`, stderr in a file, in its own
    session, without the systemd variables of the environment it runs in."""

    def __init__(self, binary: str, config: Path, log_path: Path,
                 extra_env: dict[str, str] | None = None, log_level: str = "info"):
        self.config = config
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                            "LISTEN_FDS", "LISTEN_PID")}
        env.update(extra_env or {})
        self.started_at = time.time()
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                [binary, "--log-level", log_level, "run", "--config", str(config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                start_new_session=True, preexec_fn=die_with_parent)
        self.pid = self.popen.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def terminate(self, timeout: float = 5.0) -> tuple[int | None, float]:
        """SIGTERM; returns (exit status or None if still running after `timeout`, seconds)."""
        start = time.monotonic()
        self.signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        return code, time.monotonic() - start

    def kill(self) -> int:
        """SIGKILL, by PID; returns the exit status (-9)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        return self.popen.wait()

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 5 s. Returns the SIGTERM exit status (None if killed)."""
        if not self.alive():
            return self.popen.returncode
        code, _ = self.terminate(5.0)
        if code is None:
            self.kill()
        return code


class Polling:
    """A unittest.TestCase mixin: wait_for()."""

    def wait_for(self, what: str, probe: Callable[[], Any], daemon: Daemon | None = None,
                 timeout: float = 10.0, interval: float = 0.1) -> Any:
        """Polls `probe` until it returns something truthy (returned) or `timeout` passes
        (fails, naming `what`). Fails at once if `daemon` exits."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = probe()
            except NOT_READY as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if last:
                    return last
            if daemon is not None and not daemon.alive():
                self.fail(f"waiting for {what}: the daemon exited with status "  # type: ignore[attr-defined]
                          f"{daemon.popen.returncode}")
            if time.monotonic() >= deadline:
                self.fail(f"waiting for {what}: not within {timeout}s "  # type: ignore[attr-defined]
                          f"(last probe: {last!r})")
            time.sleep(interval)


class ShowsDaemonLogs:
    """A unittest.TestCase mixin: when a test failed, prints the stderr of its daemons, which
    the test case's tearDown collects in `self.saved_logs` (the daemons are stopped by then)."""

    saved_logs: list[str]

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()  # type: ignore[attr-defined]
        before = len(result.failures) + len(result.errors)
        out = super().run(result)  # type: ignore[misc]
        if len(result.failures) + len(result.errors) > before and self.saved_logs:
            sys.stderr.write(f"\n===== daemon stderr of {self.id()} =====\n")  # type: ignore[attr-defined]
            for log in self.saved_logs:
                sys.stderr.write(log if log.endswith("\n") else log + "\n")
            sys.stderr.write("===== end of daemon stderr =====\n")
        return out
