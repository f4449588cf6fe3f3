#!/usr/bin/python3
"""The daemon section of the dkimwatch benchmark (see bench/README.md): `dkimwatch run` with N
identities against the bench's nsd. Run on its own through bench/daemon.sh, or as part of
bench/sweep.sh.

Timeline (interval = check_interval of the first start, default 60 s):
  exec ............ READY=1                      start-up with an empty state_dir
  SIGHUP .......... READY=1                      reload to check_interval = recheck_interval = 1h:
                                                 the first checks keep their slots, spread over
                                                 `interval`; every identity's next check is 1h
                                                 after its first, so after one interval the
                                                 daemon is really idle
  N identities have a last-check time            first full sweep done: VmRSS, VmHWM
  +5 s, then 30 s ........                       idle CPU (utime+stime), checks must not move
  3 scrapes of /metrics (+1 gzip)                time and size, RSS after
  SIGTERM                                        time to exit
  exec again on the same state_dir ... READY=1   start-up with 100k identities in the state
  exec with the other identity format (csv/yaml), empty state_dir ... READY=1
  dkimwatch validate on both files               parsing + validation alone
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

IDLE_WINDOW_S = 30.0


class Notifications:
    """A NOTIFY_SOCKET: a unix datagram socket whose messages are kept with their arrival
    time (time.monotonic())."""

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stopped:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode(errors="replace")))

    def wait_for(self, field: str, after: float, timeout: float) -> float:
        """The arrival time of the first message after `after` that has the line `field`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for at, text in self.messages:
                    if at >= after and field in text.splitlines():
                        return at
            time.sleep(0.005)
        raise RuntimeError(f"no {field} from the daemon within {timeout} s")

    def last_status(self) -> str:
        with self.lock:
            for _, text in reversed(self.messages):
                for line in text.splitlines():
                    if line.startswith("STATUS="):
                        return line[len("STATUS="):]
        return ""

    def close(self) -> None:
        self.stopped = True
        self.thread.join()
        self.sock.close()
        self.path.unlink(missing_ok=True)


class Sampler:
    """Samples a process's VmRSS and CPU seconds every `period` seconds."""

    def __init__(self, pid: int, period: float = 0.5) -> None:
        self.pid = pid
        self.period = period
        self.samples: list[tuple[float, int, float]] = []  # (monotonic, rss_kb, cpu_s)
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped:
            try:
                rss = bl.proc_status_kb(self.pid, "VmRSS") or 0
                self.samples.append((time.monotonic(), rss, bl.proc_cpu_seconds(self.pid)))
            except (OSError, IndexError, ValueError):
                return
            time.sleep(self.period)

    def stop(self) -> None:
        self.stopped = True
        self.thread.join()

    def max_rss_kb(self) -> int:
        return max((s[1] for s in self.samples), default=0)


def scrape(port: int, gzip: bool = False) -> tuple[float, int, int, str]:
    """(seconds, bytes, http status, body) of one GET /metrics, timed by curl."""
    argv = ["curl", "-s", "-o", "-", "-w", "\n%{time_total} %{size_download} %{http_code}",
            f"http://{bl.LOOPBACK}:{port}/metrics"]
    if gzip:
        argv[1:1] = ["-H", "Accept-Encoding: gzip"]
        argv[argv.index("-o") + 1] = os.devnull
    run = subprocess.run(argv, capture_output=True, timeout=60)
    body, _, tail = run.stdout.rpartition(b"\n")
    seconds, size, code = tail.decode().split()
    return float(seconds), int(size), int(code), body.decode(errors="replace")


def identities_checked(body: str) -> int:
    """Identities with a last-check time: checked at least once."""
    return sum(1 for line in body.splitlines()
               if line.startswith("dkimwatch_identity_last_check_timestamp_seconds{"))


def checks_total(body: str) -> int:
    return int(sum(float(m[1]) for m in
                   re.finditer(r'^dkimwatch_checks_total\{[^}]*\} ([0-9.e+]+)$', body, re.M)))


def write_config(bin_work: Path, port: int, metrics_port: int, state: Path, interval: str,
                 max_inflight: int, identities: str, name: str = "daemon") -> Path:
    extra = (f"check_interval: {interval}\nrecheck_interval: {interval}\n"
             f"state_dir: \"{state}\"\nmetrics:\n  listen: \"{bl.LOOPBACK}:{metrics_port}\"\n")
    return bl.dkimwatch_config(bin_work, name, port, max_inflight=max_inflight, max_qps=0,
                               extra=extra, identities=identities)


def validate(bin_path: str, config: Path, work: Path) -> tuple[dict[str, float], str]:
    """`dkimwatch validate` under /usr/bin/time -v: (figures, its output)."""
    time_out = work / "validate-time.txt"
    run = subprocess.run([bl.time_binary(), "-v", "-o", str(time_out), bin_path, "validate",
                          "--config", str(config)], capture_output=True, text=True)
    return bl.parse_time_v(time_out.read_text()), (run.stdout.strip() or
                                                    run.stderr.strip()[:200])


def start_daemon(bin_path: str, config: Path, notify: Notifications, log: Path,
                 procs: bl.Processes) -> tuple[subprocess.Popen, float, float]:
    """Starts `dkimwatch run`; returns (process, seconds from exec to READY=1, READY time)."""
    env = dict(os.environ, NOTIFY_SOCKET=str(notify.path))
    env.pop("WATCHDOG_USEC", None)
    env.pop("JOURNAL_STREAM", None)
    started = time.monotonic()
    proc = procs.start("dkimwatch run", [bin_path, "run", "--config", str(config)], env=env,
                       stdin=subprocess.DEVNULL, stdout=open(log, "ab"),
                       stderr=subprocess.STDOUT)
    ready = notify.wait_for("READY=1", started, timeout=600)
    return proc, ready - started, ready


def run_section(bin_path: str, work: Path, nsd: bl.Nsd, gen: dict, procs: bl.Processes, *,
                max_inflight: int = 1024, interval_s: int = 60, wait_quiet: float = 0,
                identities: str = "csv") -> dict:
    n = gen["identities"]
    state = work / "daemon-state"
    if state.exists():
        shutil.rmtree(state)
    log = work / "daemon.log"
    log.unlink(missing_ok=True)
    metrics_port = bl.free_port()
    notify = Notifications(work / "notify.sock")
    figures: list[tuple[str, object, str]] = []

    def add(name, value, unit=""):
        figures.append((name, value, unit))

    try:
        config = write_config(work, nsd.port, metrics_port, state, f"{interval_s}s",
                              max_inflight, identities)
        bl.wait_quiet(wait_quiet)
        add("daemon_load_average_before", bl.load_average(), "")
        bl.note(f"daemon: starting with {n} identities, check_interval {interval_s}s, empty "
                f"state_dir")
        proc, ready_fresh, ready_at = start_daemon(bin_path, config, notify, log, procs)
        sampler = Sampler(proc.pid)
        ready_rss = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        bl.note(f"daemon: READY after {ready_fresh:.2f} s; reloading with check_interval 1h")

        write_config(work, nsd.port, metrics_port, state, "1h", max_inflight, identities)
        hup_at = time.monotonic()
        os.kill(proc.pid, signal.SIGHUP)
        reloaded_at = notify.wait_for("READY=1", hup_at, timeout=600)
        cpu_after_reload = bl.proc_cpu_seconds(proc.pid)

        # The first checks are spread over interval_s from the start.
        time.sleep(max(0.0, ready_at + interval_s - time.monotonic()))
        deadline = time.monotonic() + interval_s * 2 + 60
        checked = 0
        while time.monotonic() < deadline:
            _, _, _, body = scrape(metrics_port)
            checked = identities_checked(body)
            if checked >= n:
                break
            time.sleep(2)
        swept_at = time.monotonic()
        if checked < n:
            raise RuntimeError(f"the first sweep did not complete: {checked} of {n} identities")
        time.sleep(3)  # the last batch is saved and published
        rss_after_sweep = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        hwm_after_sweep = bl.proc_status_kb(proc.pid, "VmHWM") or 0
        cpu_after_sweep = bl.proc_cpu_seconds(proc.pid)
        first_sweep_s = swept_at - reloaded_at
        sweep_queries = _dns_queries(body)

        checks_before_idle = checks_total(scrape(metrics_port)[3])
        time.sleep(2)
        cpu0, t0 = bl.proc_cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_WINDOW_S)
        cpu1, t1 = bl.proc_cpu_seconds(proc.pid), time.monotonic()
        idle_percent = 100.0 * (cpu1 - cpu0) / (t1 - t0)
        rss_idle = bl.proc_status_kb(proc.pid, "VmRSS") or 0

        scrapes = [scrape(metrics_port) for _ in range(3)]
        checks_after_idle = checks_total(scrapes[0][3])
        gz_seconds, gz_size, _, _ = scrape(metrics_port, gzip=True)
        series = sum(1 for line in scrapes[0][3].splitlines()
                     if line and not line.startswith("#"))
        rss_after_scrapes = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        hwm_end = bl.proc_status_kb(proc.pid, "VmHWM") or 0
        status_line = notify.last_status()

        stop_at = time.monotonic()
        code = procs.stop(proc, timeout=30)
        stop_s = time.monotonic() - stop_at
        sampler.stop()

        bl.note("daemon: restarting on the same state_dir")
        proc, ready_restart, _ = start_daemon(bin_path, config, notify, log, procs)
        time.sleep(1)
        rss_restart = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        procs.stop(proc, timeout=30)

        # The other identity format: start-up on an empty state_dir, RSS at READY.
        other = "yaml" if identities == "csv" else "csv"
        other_state = work / "daemon-state-other"
        if other_state.exists():
            shutil.rmtree(other_state)
        other_config = write_config(work, nsd.port, metrics_port, other_state, "1h",
                                    max_inflight, other, name="daemon-other")
        bl.wait_quiet(wait_quiet)
        proc, ready_other, _ = start_daemon(bin_path, other_config, notify, log, procs)
        rss_other = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        procs.stop(proc, timeout=30)
        shutil.rmtree(other_state, ignore_errors=True)

        validations = {fmt: validate(bin_path, cfg, work)
                       for fmt, cfg in ((identities, config), (other, other_config))}

        add("daemon_identities", n, "")
        add("daemon_identities_format", identities, "")
        add("daemon_first_interval", interval_s, "s")
        add("daemon_ready_empty_state", ready_fresh, "s")
        add("daemon_ready_restart", ready_restart, "s")
        add("daemon_reload_time", reloaded_at - hup_at, "s")
        add(f"daemon_ready_empty_state_{other}", ready_other, "s")
        add(f"daemon_rss_at_ready_{other}", rss_other / 1024.0, "MB")
        for fmt, (vt, text) in validations.items():
            add(f"validate_time_{fmt}", vt.get("wall_s", 0.0), "s")
            add(f"validate_cpu_{fmt}", vt.get("user_s", 0.0) + vt.get("sys_s", 0.0), "s")
            add(f"validate_peak_rss_{fmt}", vt.get("max_rss_kb", 0) / 1024.0, "MB")
            add(f"validate_result_{fmt}", text, "")
        add("daemon_rss_at_ready", ready_rss / 1024.0, "MB")
        add("daemon_first_sweep_time", first_sweep_s, "s")
        add("daemon_first_sweep_dns_queries", sweep_queries, "")
        add("daemon_first_sweep_cpu", cpu_after_sweep - cpu_after_reload, "s")
        add("daemon_rss_after_first_sweep", rss_after_sweep / 1024.0, "MB")
        add("daemon_rss_peak_during_sweep", hwm_after_sweep / 1024.0, "MB")
        add("daemon_idle_cpu", idle_percent, "% of a core")
        add("daemon_idle_checks", checks_after_idle - checks_before_idle, "(checks during the idle window)")
        add("daemon_rss_idle", rss_idle / 1024.0, "MB")
        for i, (seconds, size, code_http, _) in enumerate(scrapes, 1):
            add(f"daemon_scrape_{i}", seconds, f"s ({size / 1e6:.1f} MB, HTTP {code_http})")
        add("daemon_scrape_series", series, "")
        add("daemon_scrape_gzip", gz_seconds, f"s ({gz_size / 1e6:.2f} MB)")
        add("daemon_rss_after_scrapes", rss_after_scrapes / 1024.0, "MB")
        add("daemon_rss_peak", max(hwm_end, sampler.max_rss_kb()) / 1024.0, "MB")
        add("daemon_rss_after_restart", rss_restart / 1024.0, "MB")
        add("daemon_stop_time", stop_s, f"s (exit {code})")
        add("daemon_status", f'"{status_line}"', "")
        with open(work / "daemon-samples.tsv", "w") as f:
            f.write("seconds\trss_kb\tcpu_s\n")
            base = sampler.samples[0][0] if sampler.samples else 0
            for at, rss, cpu in sampler.samples:
                f.write(f"{at - base:.1f}\t{rss}\t{cpu:.2f}\n")
    finally:
        notify.close()
    for name, value, unit in figures:
        bl.figure(name, value, unit)
    return {name: value for name, value, _ in figures}


def _dns_queries(body: str) -> int:
    return int(sum(float(m[1]) for m in
                   re.finditer(r'^dkimwatch_dns_queries_total\{[^}]*\} ([0-9.e+]+)$', body,
                               re.M)))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=100_000)
    p.add_argument("--bin", default=os.environ.get("DKIMWATCH_BIN",
                                                   str(bl.REPO / "build" / "dkimwatch")))
    p.add_argument("--workdir", default=os.environ.get("BENCH_WORKDIR", ""))
    p.add_argument("--inflight", type=int, default=int(os.environ.get("BENCH_INFLIGHT", "1024")))
    p.add_argument("--wait-quiet", type=float,
                   default=float(os.environ.get("BENCH_WAIT_QUIET", "0")),
                   help="wait (up to 15 min) for a 1-minute load average below this first")
    p.add_argument("--identities", choices=bl.IDENTITY_FORMATS,
                   default=os.environ.get("BENCH_IDENTITIES", "csv"))
    p.add_argument("--interval", type=int, default=60,
                   help="check_interval of the first start, seconds (default 60)")
    args = p.parse_args(argv)
    if not os.access(args.bin, os.X_OK):
        raise SystemExit(f"no dkimwatch binary at {args.bin} (build it, or set DKIMWATCH_BIN)")
    work = Path(args.workdir or f"/tmp/dkimwatch-bench/N{args.n}")
    work.mkdir(parents=True, exist_ok=True)
    procs = bl.Processes()
    gen = bl.generate(args.n, work)
    nsd = bl.Nsd(procs, work, work / "nsd", gen["customer_zones"] + gen["ses_zones"])
    nsd.start()
    bl.note(f"nsd on {bl.LOOPBACK}:{nsd.port}, loaded in {nsd.load_seconds:.1f} s")
    run_section(args.bin, work, nsd, gen, procs, max_inflight=args.inflight,
                interval_s=args.interval, wait_quiet=args.wait_quiet,
                identities=args.identities)
    nsd.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        bl.note("interrupted; stopping what was started")
        sys.exit(130)
