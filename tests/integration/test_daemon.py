#!/usr/bin/python3
"""The dkimwatch daemon (`dkimwatch run`) end to end: the real binary, real DNS servers on
loopback (tests/integration/dnsenv: nsd + unbound, scenario `daemon`), the real state database,
the real /metrics endpoint, real signals and a real sd_notify socket.

Each test writes its own configuration (daemon settings in front of one of the scenario's
config templates: `three`, `reloaded`, `stuck`), with its own state_dir and a metrics port picked
here, starts the daemon with `--log-level info`, changes DNS (env.remove_lines / restore_zone,
stopping nsd) and polls `dkimwatch status --format json`, `dkimwatch history --format json`,
/metrics and the daemon's stderr with deadlines (no fixed sleeps for outcomes). Every daemon is
stopped by PID; its stderr is printed when a test fails. A sanitizer report or a non-zero exit
after SIGTERM fails the test.

What is checked (test_NN_*): a healthy identity becomes verified (status JSON, metrics, log);
a removed record raises revocation_warning with the deadline (metric == first failing check +
revocation_window, == status and history, the record_problem series, the log line); restoring
it recovers (the deadline series gone, history in order); a short window revokes, and the
identity stays revoked when the record returns; kill -9 during a warning and a restart keep
state and deadline exactly; /metrics right after start; SIGHUP with a broken, a fixed and a
changed configuration; a DNS outage keeps everything verified (dns_error is indeterminate,
monitoring_blind); promtool; sd_notify (READY, STATUS, RELOADING, STOPPING, WATCHDOG, also while
DNS hangs); SIGTERM while DNS hangs; startup failures (metrics port in use, state_dir not
creatable, database not openable, state_dir used by another daemon); a transition raised while
the database is locked.

Usage: /usr/bin/python3 test_daemon.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH in the environment). Needs the Debian packages nsd, unbound, ldnsutils and
prometheus (promtool). Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, epoch_to_utc, free_tcp_port, utc_to_epoch  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "daemon"

ACCOUNT = "111122223333"
# domain -> (account, region) of the scenario's identities.
IDENTITIES = {
    "alpha.test": (ACCOUNT, "us-east-1"),
    "beta.test": (ACCOUNT, "us-east-1"),
    "gamma.test": (ACCOUNT, "us-east-1"),
    "byo.test": (ACCOUNT, "eu-west-1"),
}
THREE = ["alpha.test", "beta.test", "byo.test"]  # configs/three.yaml.in and stuck.yaml.in
RELOADED = ["alpha.test", "byo.test", "gamma.test"]  # configs/reloaded.yaml.in
AL2 = "al2._domainkey.alpha.test"
AL2_LINE = r"^al2\._domainkey"

STATES = ("pending", "verified", "revocation_warning", "revoked")
# The schedule of every test (seconds): check_interval 1s, recheck_interval 500ms.
CHECK_INTERVAL = 1.0
RECHECK_INTERVAL = 0.5
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")

# --------------------------------------------------------------------------------------------
# /metrics

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """One scrape of /metrics, parsed: samples as (name, labels, value text)."""

    def __init__(self, text: str):
        self.text = text
        self.samples: list[tuple[str, dict[str, str], str]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if m is None:
                raise AssertionError(f"unparsable /metrics line: {line!r}")
            labels = dict(LABEL.findall(m.group(2) or ""))
            self.samples.append((m.group(1), labels, m.group(3)))

    def find(self, name: str, **labels: str) -> list[tuple[dict[str, str], str]]:
        """Samples of `name` whose labels include `labels`."""
        return [(lab, value) for n, lab, value in self.samples
                if n == name and all(lab.get(k) == v for k, v in labels.items())]

    def text_value(self, name: str, **labels: str) -> str | None:
        """The value text of the one sample of `name` with exactly `labels`, or None."""
        found = [value for n, lab, value in self.samples if n == name and lab == labels]
        if len(found) > 1:
            raise AssertionError(f"{name}{labels} appears {len(found)} times")
        return found[0] if found else None

    def value(self, name: str, **labels: str) -> float | None:
        text = self.text_value(name, **labels)
        return None if text is None else float(text)

    def of_domain(self, domain: str) -> list[tuple[str, dict[str, str], str]]:
        return [s for s in self.samples if s[1].get("domain") == domain]


def identity_labels(domain: str) -> dict[str, str]:
    account, region = IDENTITIES[domain]
    return {"account": account, "region": region, "domain": domain}


# --------------------------------------------------------------------------------------------
# The daemon process


class NotifyListener:
    """A NOTIFY_SOCKET: a unix datagram socket in `directory`, read by a thread."""

    def __init__(self, directory: Path):
        self.path = directory / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []  # (monotonic time, datagram)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.messages.append((time.monotonic(), data.decode("utf-8", "replace")))

    def snapshot(self) -> list[str]:
        with self._lock:
            return [m for _, m in self.messages]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


# --------------------------------------------------------------------------------------------
# nsd outage (dnsenv has no stop/start of one server: done here, on dnsenv's own records)

def stop_nsd(env: dnsenv.DnsEnv) -> None:
    """Stops the environment's nsd by PID (SIGTERM; its whole process group) and forgets it,
    so that nothing signals that PID again."""
    dnsenv.stop_pid(env.pids["nsd"], env._popens.get("nsd"))  # noqa: SLF001
    env.pids.pop("nsd")
    env._popens.pop("nsd", None)  # noqa: SLF001


def start_nsd(env: dnsenv.DnsEnv, timeout: float = 10.0) -> None:
    """Starts nsd again on the same port with the same configuration, exactly as dnsenv does,
    records it in the environment (so that env.stop() stops it by PID) and waits until it
    answers."""
    env._start("nsd", [dnsenv.find_binary("nsd"), "-d", "-c",  # noqa: SLF001
                       str(env.state_dir / "nsd.conf")])
    env._wait_ready("nsd", lambda: dnsenv.dns_query(  # noqa: SLF001
        "alpha.test", "SOA", env.ports["nsd"], timeout=0.2).rcode == "NOERROR", timeout)
    env._save_state()  # noqa: SLF001


# --------------------------------------------------------------------------------------------

class DaemonTestCase(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):
    env: dnsenv.DnsEnv

    @classmethod
    def setUpClass(cls) -> None:
        harness.require_binary(DKIMWATCH)
        cls.env = dnsenv.DnsEnv(SCENARIO).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-daemon-")
        self.tmp = Path(self._tmp.name)
        self.state_dir = self.tmp / "state"
        self.port = free_tcp_port()
        self.config = self.tmp / "dkimwatch.yaml"
        self.daemons: list[Daemon] = []
        self.changed_zones: set[str] = set()
        self.saved_logs: list[str] = []
        self.stop_codes: list[tuple[int, int | None]] = []

    def tearDown(self) -> None:
        for daemon in self.daemons:
            if daemon.alive():
                self.stop_codes.append((daemon.pid, daemon.stop()))
        for zone in sorted(self.changed_zones):
            self.env.restore_zone(zone)
        if "nsd" not in self.env.pids:
            start_nsd(self.env)
        self.saved_logs = [f"--- dkimwatch pid {d.pid} ({d.log_path.name}), exit "
                           f"{d.popen.returncode}:\n{d.log()}" for d in self.daemons]
        self._tmp.cleanup()
        reports = [log for log in self.saved_logs if SANITIZER_REPORT.search(log)]
        bad_stops = [(pid, code) for pid, code in self.stop_codes if code != 0]
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + "\n".join(reports))
        if bad_stops:
            self.fail(f"daemons did not exit 0 on SIGTERM (pid, status): {bad_stops}")

    # ---- configuration and process

    def write_config(self, template: str = "three", path: Path | None = None,
                     **settings: str) -> Path:
        """Writes the daemon settings (defaults below, overridden by `settings`; a value None
        drops the key) in front of the rendered scenario config `template`."""
        values: dict[str, str | None] = {
            "check_interval": "1s", "recheck_interval": "500ms", "confirmations": "2",
            "revocation_window": "1h", "state_dir": str(self.state_dir)}
        values.update(settings)
        lines = [f"{k}: {v}" for k, v in values.items() if v is not None]
        lines += ["metrics:", f"  listen: 127.0.0.1:{self.port}"]
        path = path or self.config
        path.write_text("\n".join(lines) + "\n" + self.env.configs[template].read_text())
        return path

    def start_daemon(self, config: Path | None = None, extra_env: dict[str, str] | None = None,
                     wait: bool = True) -> Daemon:
        daemon = Daemon(DKIMWATCH, config or self.config,
                        self.tmp / f"daemon-{len(self.daemons) + 1}.log", extra_env)
        self.daemons.append(daemon)
        if wait:
            self.wait_for("the daemon logs event=started",
                          lambda: "event=started" in daemon.log(), daemon, timeout=10)
        return daemon

    def remove_lines(self, zone: str, pattern: str) -> tuple[float, float]:
        """Removes the zone lines; returns the wall times just before and just after nsd serves
        the change."""
        before = time.time()
        self.changed_zones.add(zone)
        self.env.remove_lines(zone, pattern)
        return before, time.time()

    def restore_zone(self, zone: str) -> None:
        self.env.restore_zone(zone)
        self.changed_zones.discard(zone)

    # ---- polling


    # ---- the daemon's outputs

    def scrape(self, port: int | None = None) -> Metrics:
        url = f"http://127.0.0.1:{port or self.port}/metrics"
        with urllib.request.urlopen(url, timeout=3) as response:
            self.assertEqual(response.status, 200)
            return Metrics(response.read().decode("utf-8"))

    def cli_json(self, *args: str, config: Path | None = None) -> dict:
        p = subprocess.run([DKIMWATCH, *args, "--config", str(config or self.config),
                            "--format", "json"], capture_output=True, text=True, timeout=30)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        self.assertEqual(p.returncode, 0, f"dkimwatch {' '.join(args)} failed: {p.stderr}")
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as exc:
            self.fail(f"dkimwatch {' '.join(args)} printed no JSON ({exc}):\n{p.stdout}")

    def status(self, config: Path | None = None) -> dict[str, dict]:
        """`dkimwatch status --format json`, identities by domain."""
        doc = self.cli_json("status", config=config)
        self.assertEqual(set(doc), {"generated_at", "identities"})
        out: dict[str, dict] = {}
        for ident in doc["identities"]:
            self.assertEqual(set(ident), {"account", "region", "domain", "state", "since",
                                          "deadline", "seconds_left", "last_check",
                                          "last_result", "failing_records", "ses"}, ident)
            self.assertNotIn(ident["domain"], out)
            out[ident["domain"]] = ident
        return out

    def history(self, domain: str | None = None) -> list[dict]:
        args = ["history"] + (["--domain", domain] if domain else [])
        doc = self.cli_json(*args)
        self.assertEqual(list(doc), ["events"])
        for event in doc["events"]:
            self.assertEqual(set(event), {"at", "account", "region", "domain", "event", "from",
                                          "to", "reason", "deadline"}, event)
        return doc["events"]

    def state_of(self, metrics: Metrics, domain: str) -> str | None:
        """The state that dkimwatch_identity_state reports for `domain` (exactly one series)."""
        series = metrics.find("dkimwatch_identity_state", **identity_labels(domain))
        if len(series) != 1:
            return None if not series else f"{len(series)} series"
        labels, value = series[0]
        return labels["state"] if float(value) == 1 else f"value {value}"

    def wait_states(self, daemon: Daemon, expected: dict[str, str], timeout: float = 10.0,
                    ) -> tuple[dict[str, dict], Metrics]:
        """Waits until both `status` and the dkimwatch_identity_state metric show `expected`
        (domain -> state) for every domain listed; returns both."""
        def probe():
            status = self.status()
            if any(status.get(d, {}).get("state") != s for d, s in expected.items()):
                return None
            metrics = self.scrape()
            if any(self.state_of(metrics, d) != s for d, s in expected.items()):
                return None
            return status, metrics
        return self.wait_for(f"states {expected}", probe, daemon, timeout)

    def wait_checked_after(self, daemon: Daemon, domains: list[str], after: float,
                           timeout: float = 10.0) -> Metrics:
        """Waits until every domain's dkimwatch_identity_last_check_timestamp_seconds is after
        the wall time `after`."""
        def probe():
            metrics = self.scrape()
            for d in domains:
                last = metrics.value("dkimwatch_identity_last_check_timestamp_seconds",
                                     **identity_labels(d))
                if last is None or last <= after:
                    return None
            return metrics
        return self.wait_for(f"a check of {domains} after {after:.3f}", probe, daemon, timeout)

    def wait_event(self, daemon: Daemon, domain: str, event: str, timeout: float = 10.0,
                   ) -> dict:
        def probe():
            found = [e for e in self.history(domain) if e["event"] == event]
            return found[-1] if found else None
        return self.wait_for(f"a {event} event of {domain} in history", probe, daemon, timeout)

    def log_lines(self, daemon: Daemon, pattern: str) -> list[str]:
        return [line for line in daemon.log().splitlines() if re.search(pattern, line)]

    def assert_chain(self, events: list[dict], kinds: list[str]) -> None:
        """`events` are exactly `kinds`, in order, each from == the previous to, times not
        decreasing."""
        self.assertEqual([e["event"] for e in events], kinds, events)
        for before, after in zip(events, events[1:]):
            self.assertEqual(after["from"], before["to"], (before, after))
            self.assertLessEqual(before["at"], after["at"], (before, after))

    def warn_on_al2(self, daemon: Daemon, window: float) -> dict:
        """Removes al2 (alpha.test) and waits for the revocation warning. Returns what was seen:
        removal times, the metric deadline (text and value), status and the history event."""
        self.wait_states(daemon, {d: "verified" for d in THREE})
        removed_from, removed_to = self.remove_lines("alpha.test", AL2_LINE)
        status, _ = self.wait_states(daemon, {"alpha.test": "revocation_warning"}, timeout=10)
        metrics = self.wait_for(
            "the deadline series of alpha.test",
            lambda: (lambda m: m if m.text_value(
                "dkimwatch_revocation_deadline_timestamp_seconds",
                **identity_labels("alpha.test")) else None)(self.scrape()), daemon, 5)
        text = metrics.text_value("dkimwatch_revocation_deadline_timestamp_seconds",
                                  **identity_labels("alpha.test"))
        events = [e for e in self.history("alpha.test") if e["event"] == "revocation_warning"]
        self.assertEqual(len(events), 1, events)
        return {"removed_from": removed_from, "removed_to": removed_to, "deadline_text": text,
                "deadline": float(text), "status": status["alpha.test"], "event": events[0],
                "window": window, "metrics": metrics}


# --------------------------------------------------------------------------------------------

class DaemonTests(DaemonTestCase):

    def test_01_healthy_identities_become_verified(self) -> None:
        self.write_config()
        daemon = self.start_daemon()
        status, metrics = self.wait_states(daemon, {d: "verified" for d in THREE})
        self.assertEqual(sorted(status), sorted(THREE))
        for domain in THREE:
            entry = status[domain]
            self.assertEqual((entry["account"], entry["region"]), IDENTITIES[domain])
            self.assertIsNone(entry["deadline"])
            self.assertIsNone(entry["seconds_left"])
            self.assertEqual(entry["last_result"], "ok")
            self.assertEqual(entry["failing_records"], [])
            self.assertRegex(entry["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertIsNotNone(entry["last_check"])
            self.assertGreaterEqual(utc_to_epoch(entry["since"]), int(daemon.started_at) - 1)
            series = metrics.find("dkimwatch_identity_state", **identity_labels(domain))
            self.assertEqual(series, [({**identity_labels(domain), "state": "verified"}, "1")])
            self.assertEqual(metrics.find("dkimwatch_record_problem", domain=domain), [])
            self.assertEqual(
                [(e["event"], e["from"], e["to"]) for e in self.history(domain)],
                [("verified", "pending", "verified")])
        for state in STATES:
            self.assertEqual(metrics.value("dkimwatch_identities", state=state),
                             3 if state == "verified" else 0, state)
        self.assertEqual(metrics.find("dkimwatch_revocation_deadline_timestamp_seconds"), [])
        self.assertEqual(metrics.value("dkimwatch_config_last_reload_successful"), 1)
        self.assertGreater(metrics.value("dkimwatch_checks_total", result="ok"), 0)
        for domain in THREE:
            self.assertEqual(len(self.log_lines(
                daemon, rf"level=info event=verified account={ACCOUNT} "
                        rf"region={IDENTITIES[domain][1]} domain={re.escape(domain)} "
                        r"from=pending to=verified ")), 1, domain)

    def test_02_removed_record_raises_revocation_warning_with_deadline(self) -> None:
        window = 3600.0
        self.write_config(revocation_window="1h")
        daemon = self.start_daemon()
        seen = self.warn_on_al2(daemon, window)
        deadline, metrics, status = seen["deadline"], seen["metrics"], seen["status"]
        first_failure = deadline - window

        # The deadline is the first failing check + revocation_window: that check came after
        # the record was gone, at most one check interval (+5% jitter) after, and before the
        # confirming check that raised the warning.
        slack = 0.5
        self.assertGreaterEqual(first_failure, seen["removed_from"] - 0.01, seen)
        self.assertLessEqual(first_failure,
                             seen["removed_to"] + CHECK_INTERVAL * 1.05 + slack, seen)
        event = seen["event"]
        self.assertEqual((event["from"], event["to"]), ("verified", "revocation_warning"))
        self.assertEqual(event["deadline"], epoch_to_utc(deadline))
        self.assertGreaterEqual(utc_to_epoch(event["at"]), int(first_failure))
        since = re.search(r"failing since (\S+) \((\d+) checks\)", event["reason"])
        self.assertIsNotNone(since, event["reason"])
        self.assertEqual(since.group(1), epoch_to_utc(first_failure), event["reason"])
        self.assertEqual(since.group(2), "2", "confirmations: 2")

        # status agrees with the metric (status prints whole seconds).
        self.assertEqual(status["deadline"], epoch_to_utc(deadline))
        self.assertEqual(status["since"], event["at"])
        self.assertEqual(status["last_result"], "error")
        left = status["seconds_left"]
        self.assertIsInstance(left, int)
        self.assertTrue(deadline - time.time() - 5 <= left <= deadline - seen["removed_from"],
                        (left, deadline))
        [failing] = status["failing_records"]
        self.assertEqual({k: failing[k] for k in ("name", "type", "verdict", "severity",
                                                  "expected", "observed")},
                         {"name": AL2, "type": "CNAME", "verdict": "missing",
                          "severity": "error", "expected": "al2.dkim.amazonses.com",
                          "observed": None})

        # The metrics.
        labels = identity_labels("alpha.test")
        self.assertEqual(metrics.find("dkimwatch_record_problem"),
                         [({**labels, "record": AL2, "verdict": "missing"}, "1")])
        self.assertEqual(metrics.find("dkimwatch_identity_state", domain="alpha.test"),
                         [({**labels, "state": "revocation_warning"}, "1")])
        self.assertEqual(len(metrics.find("dkimwatch_revocation_deadline_timestamp_seconds")),
                         1)
        self.assertEqual(metrics.value("dkimwatch_identities", state="revocation_warning"), 1)
        self.assertEqual(metrics.value("dkimwatch_identities", state="verified"), 2)
        self.assertGreater(metrics.value("dkimwatch_checks_total", result="error"), 0)
        self.assertGreater(metrics.value("dkimwatch_dns_queries_total", rcode="nxdomain"), 0)
        for domain in ("beta.test", "byo.test"):
            self.assertEqual(self.state_of(metrics, domain), "verified")

        # The log line.
        lines = self.log_lines(daemon, r"event=revocation_warning ")
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rf"level=error event=revocation_warning account={ACCOUNT} "
                                   r"region=us-east-1 domain=alpha\.test from=verified "
                                   r"to=revocation_warning deadline=" +
                         re.escape(epoch_to_utc(deadline)) + r' reason="DKIM records failing')

    def test_03_restored_record_recovers_and_history_is_in_order(self) -> None:
        self.write_config()
        daemon = self.start_daemon()
        seen = self.warn_on_al2(daemon, 3600.0)
        deadline_utc = epoch_to_utc(seen["deadline"])

        # 12: status (text) works while the daemon runs.
        p = subprocess.run([DKIMWATCH, "status", "--config", str(self.config)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("alpha.test", p.stdout)
        self.assertIn("state:      revocation_warning since", p.stdout)
        self.assertIn(f"deadline:   {deadline_utc}", p.stdout)
        self.assertIn(f"missing CNAME {AL2}", p.stdout)

        restored_at = time.time()
        self.restore_zone("alpha.test")
        status, metrics = self.wait_states(daemon, {"alpha.test": "verified"}, timeout=10)
        # confirmations: 2 -> two ok checks after the restore.
        self.assertGreaterEqual(utc_to_epoch(status["alpha.test"]["since"]),
                                int(restored_at))
        self.assertIsNone(status["alpha.test"]["deadline"])
        self.assertIsNone(status["alpha.test"]["seconds_left"])
        self.assertEqual(status["alpha.test"]["failing_records"], [])
        self.assertEqual(status["alpha.test"]["last_result"], "ok")
        self.assertEqual(metrics.find("dkimwatch_revocation_deadline_timestamp_seconds"), [])
        self.assertEqual(metrics.find("dkimwatch_record_problem"), [])
        self.assertEqual(metrics.value("dkimwatch_identities", state="verified"), 3)
        self.assertEqual(metrics.value("dkimwatch_identities", state="revocation_warning"), 0)

        # 12: history --domain shows the transitions in order, only for that domain.
        events = self.history("alpha.test")
        self.assert_chain(events, ["verified", "revocation_warning", "recovered"])
        self.assertEqual({e["domain"] for e in events}, {"alpha.test"})
        self.assertEqual([(e["from"], e["to"]) for e in events],
                         [("pending", "verified"), ("verified", "revocation_warning"),
                          ("revocation_warning", "verified")])
        self.assertEqual([e["deadline"] for e in events], [None, deadline_utc, deadline_utc])
        self.assertEqual(events[2]["at"], status["alpha.test"]["since"])
        self.assertIn("before the revocation deadline", events[2]["reason"])
        # A domain given in another case and with a trailing dot is the same domain.
        self.assertEqual(self.history("ALPHA.Test."), events)
        # Without --domain: every identity's events, oldest first.
        everything = self.history()
        self.assertEqual([e for e in everything if e["domain"] == "alpha.test"], events)
        self.assertEqual(sorted({e["domain"] for e in everything}), sorted(THREE))
        self.assertEqual([e["at"] for e in everything], sorted(e["at"] for e in everything))
        # Text format, in the same order.
        p = subprocess.run([DKIMWATCH, "history", "--config", str(self.config), "--domain",
                            "alpha.test"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        kinds = re.findall(r"alpha\.test  (\w+) \(", p.stdout)
        self.assertEqual(kinds, ["verified", "revocation_warning", "recovered"], p.stdout)
        lines = self.log_lines(daemon, r"event=recovered ")
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"level=info event=recovered .* domain=alpha\.test "
                                   r"from=revocation_warning to=verified deadline=" +
                         re.escape(deadline_utc))

    def test_04_revoked_after_the_window_and_stays_revoked(self) -> None:
        self.write_config(revocation_window="5s", reminders="[3s]")
        daemon = self.start_daemon()
        seen = self.warn_on_al2(daemon, 5.0)
        deadline = seen["deadline"]
        self.assertLessEqual(deadline - seen["removed_from"], 5.0 + CHECK_INTERVAL * 1.05 + 0.5)

        status, metrics = self.wait_states(daemon, {"alpha.test": "revoked"},
                                           timeout=deadline - time.time() + 5)
        revoked = self.wait_event(daemon, "alpha.test", "revoked", 2)
        # Revoked by an error check at or after the deadline, not before.
        self.assertGreaterEqual(utc_to_epoch(revoked["at"]), int(deadline), revoked)
        self.assertEqual(revoked["deadline"], epoch_to_utc(deadline))
        self.assertEqual(status["alpha.test"]["since"], revoked["at"])
        self.assertIsNone(status["alpha.test"]["deadline"])
        self.assertEqual(metrics.find("dkimwatch_revocation_deadline_timestamp_seconds"), [])
        self.assertEqual(metrics.value("dkimwatch_identities", state="revoked"), 1)
        self.assertEqual(
            metrics.find("dkimwatch_record_problem", domain="alpha.test"),
            [({**identity_labels("alpha.test"), "record": AL2, "verdict": "missing"}, "1")])
        self.assertEqual(len(self.log_lines(daemon, r"level=error event=revoked .*"
                                                    r"domain=alpha\.test from=revocation_warning "
                                                    r"to=revoked ")), 1)

        # The record comes back: still revoked (SES needs the setup redone).
        back_at = time.time()
        self.restore_zone("alpha.test")
        self.wait_event(daemon, "alpha.test", "still_revoked_records_back", 10)
        metrics = self.wait_checked_after(daemon, ["alpha.test"], time.time() + 2 * CHECK_INTERVAL,
                                          timeout=10)
        status = self.status()
        self.assertEqual(status["alpha.test"]["state"], "revoked")
        self.assertEqual(status["alpha.test"]["since"], revoked["at"])
        self.assertEqual(status["alpha.test"]["last_result"], "ok")
        self.assertEqual(status["alpha.test"]["failing_records"], [])
        self.assertEqual(self.state_of(metrics, "alpha.test"), "revoked")
        self.assertEqual(metrics.find("dkimwatch_record_problem"), [])
        events = self.history("alpha.test")
        self.assert_chain(events, ["verified", "revocation_warning", "reminder", "revoked",
                                   "still_revoked_records_back"])
        reminder, back = events[2], events[4]
        self.assertEqual((reminder["from"], reminder["to"]),
                         ("revocation_warning", "revocation_warning"))
        self.assertEqual(reminder["deadline"], epoch_to_utc(deadline))
        self.assertGreaterEqual(utc_to_epoch(reminder["at"]), int(deadline - 3) - 1)
        self.assertEqual((back["from"], back["to"]), ("revoked", "revoked"))
        self.assertGreaterEqual(utc_to_epoch(back["at"]), int(back_at))
        for domain in ("beta.test", "byo.test"):
            self.assertEqual(status[domain]["state"], "verified")

    def test_05_kill_9_during_warning_then_restart_keeps_state_and_deadline(self) -> None:
        self.write_config()
        daemon = self.start_daemon()
        seen = self.warn_on_al2(daemon, 3600.0)
        before = self.status()
        self.assertEqual(daemon.kill(), -signal.SIGKILL)

        restarted_at = time.time()
        daemon2 = self.start_daemon(wait=False)
        labels = identity_labels("alpha.test")
        self.wait_for("the daemon logs event=started", lambda: "event=started" in daemon2.log(),
                      daemon2, 10)
        # From the first scrape that shows the identity, the deadline is the same.
        first = self.wait_for(
            "alpha.test in the restarted daemon's metrics",
            lambda: (lambda m: m if m.find("dkimwatch_identity_state", **labels) else None)(
                self.scrape()), daemon2, 10, interval=0.02)
        self.assertEqual(self.state_of(first, "alpha.test"), "revocation_warning")
        self.assertEqual(first.text_value("dkimwatch_revocation_deadline_timestamp_seconds",
                                          **labels), seen["deadline_text"])
        # After the restarted daemon has checked alpha.test (record still missing) twice.
        metrics = self.wait_checked_after(daemon2, ["alpha.test"],
                                          restarted_at + CHECK_INTERVAL, timeout=10)
        self.assertEqual(metrics.text_value("dkimwatch_revocation_deadline_timestamp_seconds",
                                            **labels), seen["deadline_text"])
        self.assertEqual(metrics.find("dkimwatch_record_problem", domain="alpha.test"),
                         [({**labels, "record": AL2, "verdict": "missing"}, "1")])
        after = self.status()
        for domain in THREE:
            for key in ("state", "since", "deadline"):
                self.assertEqual(after[domain][key], before[domain][key], (domain, key))
        self.assertEqual(after["alpha.test"]["deadline"], epoch_to_utc(seen["deadline"]))
        # No second warning: the restart resumed the first one.
        self.assertEqual([e["event"] for e in self.history("alpha.test")],
                         ["verified", "revocation_warning"])
        self.assertEqual(self.log_lines(daemon2, r"event=revocation_warning "), [])

    def test_05b_metrics_at_startup_show_the_configured_identities(self) -> None:
        # /metrics must not be served before the identities are loaded: a scrape then shows
        # dkimwatch_identities 0 for every state and no per-identity series, so after a
        # restart a revocation warning's alert (on the deadline series) resolves and fires
        # again. 3,000 more identities (never checked here: check_interval 1h) make the window
        # wide enough to hit on every run.
        self.write_config(check_interval="1h", recheck_interval="1h")
        bulk = 3000
        self.config.write_text(self.config.read_text() + "".join(
            f"  - domain: bulk{i}.invalid\n    account: \"{ACCOUNT}\"\n    region: us-east-1\n"
            f"    easy_dkim:\n      tokens: [a{i}, b{i}, c{i}]\n" for i in range(bulk)))
        total = bulk + len(THREE)

        def first_scrape(daemon: Daemon) -> Metrics:
            return self.wait_for("the daemon's /metrics", self.scrape, daemon, 30, interval=0)

        def identities(metrics: Metrics) -> dict[str, float | None]:
            return {s: metrics.value("dkimwatch_identities", state=s) for s in STATES}

        daemon = self.start_daemon(wait=False)
        first = first_scrape(daemon)
        with self.subTest("first start"):
            # Every identity is counted from the first scrape. The three reachable ones may
            # already have been checked (verified) on a slow machine; the bulk ones cannot be.
            counts = identities(first)
            self.assertEqual(sum(v or 0 for v in counts.values()), total, counts)
            self.assertGreaterEqual(counts["pending"] or 0, bulk, counts)
            self.assertEqual((counts["revocation_warning"], counts["revoked"]), (0, 0), counts)
            self.assertEqual(len(first.find("dkimwatch_identity_state")), total)
            self.assertEqual(first.value("dkimwatch_config_last_reload_successful"), 1)
        self.wait_for("the daemon logs event=started", lambda: "event=started" in daemon.log(),
                      daemon, 30)
        daemon.kill()
        daemon = self.start_daemon(wait=False)
        first = first_scrape(daemon)
        with self.subTest("restart"):
            self.assertEqual(sum(v or 0 for v in identities(first).values()), total,
                             identities(first))
            self.assertEqual(len(first.find("dkimwatch_identity_state")), total)
        self.wait_for("the daemon logs event=started", lambda: "event=started" in daemon.log(),
                      daemon, 30)

    def test_06_sighup_reload_broken_fixed_and_changed_identities(self) -> None:
        self.write_config()
        good_text = self.config.read_text()
        daemon = self.start_daemon()
        status, metrics = self.wait_states(daemon, {d: "verified" for d in THREE})
        loaded_at = metrics.value("dkimwatch_config_last_reload_success_timestamp_seconds")
        self.assertIsNotNone(loaded_at)

        # A syntax error: the old configuration keeps running.
        self.config.write_text(good_text + "  - domain: [unclosed\n")
        hup_at = time.time()
        daemon.signal(signal.SIGHUP)
        errors = self.wait_for("event=reload_failed in the log",
                               lambda: self.log_lines(daemon, r"event=reload_failed"), daemon, 5)
        self.assertRegex(errors[0], r"level=error event=reload_failed error=\"" +
                         re.escape(str(self.config)) + r":\d+:\d+: YAML syntax error")
        metrics = self.wait_for(
            "dkimwatch_config_last_reload_successful 0",
            lambda: (lambda m: m if m.value("dkimwatch_config_last_reload_successful") == 0
                     else None)(self.scrape()), daemon, 5)
        self.assertEqual(
            metrics.value("dkimwatch_config_last_reload_success_timestamp_seconds"), loaded_at)
        self.assertTrue(daemon.alive())
        metrics = self.wait_checked_after(daemon, THREE, hup_at + 0.1)
        for domain in THREE:
            self.assertEqual(self.state_of(metrics, domain), "verified")
        self.assertEqual(metrics.value("dkimwatch_config_last_reload_successful"), 0)

        # Fixed: 1 again.
        self.config.write_text(good_text)
        fixed_at = time.time()
        daemon.signal(signal.SIGHUP)
        metrics = self.wait_for(
            "dkimwatch_config_last_reload_successful 1",
            lambda: (lambda m: m if m.value("dkimwatch_config_last_reload_successful") == 1
                     else None)(self.scrape()), daemon, 5)
        self.assertGreaterEqual(
            metrics.value("dkimwatch_config_last_reload_success_timestamp_seconds"),
            int(fixed_at))
        self.assertEqual(len(self.log_lines(daemon, r"level=info event=reloaded identities=3")),
                         1)

        # beta.test removed, gamma.test added; alpha.test (in revocation_warning) and byo.test
        # (verified) unchanged: they keep state, since and deadline.
        seen = self.warn_on_al2(daemon, 3600.0)
        before = self.status()
        self.write_config("reloaded")
        daemon.signal(signal.SIGHUP)
        status, metrics = self.wait_states(daemon, {"alpha.test": "revocation_warning",
                                                    "byo.test": "verified",
                                                    "gamma.test": "verified"})
        self.assertEqual(sorted(status), sorted(RELOADED))
        for domain in ("alpha.test", "byo.test"):
            for key in ("state", "since", "deadline"):
                self.assertEqual(status[domain][key], before[domain][key], (domain, key))
        self.assertEqual(metrics.text_value("dkimwatch_revocation_deadline_timestamp_seconds",
                                            **identity_labels("alpha.test")),
                         seen["deadline_text"])
        self.assertEqual(metrics.of_domain("beta.test"), [])
        self.assertEqual(metrics.value("dkimwatch_identities", state="verified"), 2)
        self.assertEqual(metrics.value("dkimwatch_identities", state="revocation_warning"), 1)
        self.assertEqual(sum(metrics.value("dkimwatch_identities", state=s) for s in STATES), 3)
        self.assertEqual(len(metrics.find("dkimwatch_identity_state")), 3)
        self.assertEqual(metrics.value("dkimwatch_config_last_reload_successful"), 1)
        self.assertEqual(
            [(e["event"], e["from"], e["to"]) for e in self.history("gamma.test")],
            [("verified", "pending", "verified")])
        # The removed identity keeps its history; the kept ones got no new event.
        self.assertEqual([e["event"] for e in self.history("beta.test")], ["verified"])
        self.assertEqual([e["event"] for e in self.history("alpha.test")],
                         ["verified", "revocation_warning"])
        self.assertEqual([e["event"] for e in self.history("byo.test")], ["verified"])
        self.assertEqual(len(self.log_lines(
            daemon, r"event=identity_removed identity=.*beta\.test")), 1)
        # A later scrape still has no trace of beta.test.
        metrics = self.wait_checked_after(daemon, RELOADED, time.time())
        self.assertEqual(metrics.of_domain("beta.test"), [])

    def test_07_dns_outage_keeps_identities_verified(self) -> None:
        self.write_config(blind_after="3s")
        daemon = self.start_daemon()
        verified, metrics = self.wait_states(daemon, {d: "verified" for d in THREE})
        indeterminate_before = metrics.value("dkimwatch_checks_total", result="indeterminate")

        stop_nsd(self.env)
        outage_start = time.time()
        seen_indeterminate: set[str] = set()
        seen_dns_error: set[str] = set()
        try:
            # At least 5 check intervals (and past blind_after).
            while time.time() < outage_start + 6 * CHECK_INTERVAL:
                status = self.status()
                metrics = self.scrape()
                for domain in THREE:
                    self.assertEqual(status[domain]["state"], "verified", (domain, status))
                    self.assertEqual(status[domain]["since"], verified[domain]["since"])
                    self.assertEqual(self.state_of(metrics, domain), "verified", domain)
                    if status[domain]["last_result"] == "indeterminate":
                        seen_indeterminate.add(domain)
                        verdicts = {r["verdict"] for r in status[domain]["failing_records"]}
                        self.assertEqual(verdicts, {"dns_error"}, status[domain])
                        self.assertEqual({r["severity"] for r in
                                          status[domain]["failing_records"]},
                                         {"indeterminate"})
                    if {lab["verdict"] for lab, _ in metrics.find(
                            "dkimwatch_record_problem", domain=domain)} == {"dns_error"}:
                        seen_dns_error.add(domain)
                self.assertTrue(daemon.alive())
                time.sleep(0.2)
            metrics = self.scrape()
        finally:
            start_nsd(self.env)
        self.assertEqual(seen_indeterminate, set(THREE))
        self.assertEqual(seen_dns_error, set(THREE))
        self.assertEqual(metrics.value("dkimwatch_identities", state="verified"), 3)
        # Each check now waits for its DNS timeouts (500 ms x 2; unbound does not answer while
        # it retries nsd), then a recheck comes 500 ms later: about 4 checks per identity, more
        # than `confirmations`, each of which would have counted towards a warning if
        # dns_error were not indeterminate.
        self.assertGreaterEqual(
            metrics.value("dkimwatch_checks_total", result="indeterminate") -
            indeterminate_before, 3 * len(THREE))
        self.assertGreater(metrics.value("dkimwatch_dns_queries_total", rcode="servfail") +
                           metrics.value("dkimwatch_dns_queries_total", rcode="timeout"), 0)

        # DNS back: all ok again, still verified, nothing but monitoring_blind happened.
        recovered_at = time.time()
        metrics = self.wait_checked_after(daemon, THREE, recovered_at + RECHECK_INTERVAL)

        def all_ok():
            status = self.status()
            return status if all(status[d]["last_result"] == "ok" for d in THREE) else None
        status = self.wait_for("every identity checked ok after the outage", all_ok, daemon)
        metrics = self.scrape()
        self.assertEqual(metrics.find("dkimwatch_record_problem"), [])
        for domain in THREE:
            self.assertEqual(status[domain]["state"], "verified")
            self.assertEqual(self.state_of(metrics, domain), "verified")
            events = self.history(domain)
            self.assertEqual([e["event"] for e in events], ["verified", "monitoring_blind"],
                             domain)
            self.assertEqual((events[1]["from"], events[1]["to"]), ("verified", "verified"))
            self.assertGreaterEqual(utc_to_epoch(events[1]["at"]), int(outage_start + 3))

    def test_08_metrics_pass_promtool(self) -> None:
        promtool = "/usr/bin/promtool"
        self.assertTrue(os.access(promtool, os.X_OK),
                        "promtool is missing: install the Debian package prometheus")
        self.write_config()
        daemon = self.start_daemon()
        # Every family present: a warning (deadline, record problem), a reload result.
        self.warn_on_al2(daemon, 3600.0)
        text = self.scrape().text
        for family in ("dkimwatch_identity_state", "dkimwatch_identities",
                       "dkimwatch_revocation_deadline_timestamp_seconds",
                       "dkimwatch_record_problem",
                       "dkimwatch_identity_last_check_timestamp_seconds",
                       "dkimwatch_checks_total", "dkimwatch_dns_queries_total",
                       "dkimwatch_dns_query_duration_seconds", "dkimwatch_sweep_duration_seconds",
                       "dkimwatch_config_last_reload_successful",
                       "dkimwatch_config_last_reload_success_timestamp_seconds",
                       "dkimwatch_build_info"):
            self.assertIn(f"# TYPE {family} ", text, family)
        p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), text)
        # No series twice.
        series = [(n, tuple(sorted(lab.items()))) for n, lab, _ in Metrics(text).samples]
        self.assertEqual(len(series), len(set(series)))

    def test_09_sd_notify_ready_reloading_stopping_watchdog(self) -> None:
        self.write_config()
        listener = NotifyListener(self.tmp)
        self.addCleanup(listener.close)
        daemon = self.start_daemon(extra_env={"NOTIFY_SOCKET": str(listener.path),
                                              "WATCHDOG_USEC": "2000000"})
        messages = self.wait_for("READY=1", lambda: listener.snapshot(), daemon, 10)
        self.assertRegex(messages[0], r"^READY=1\nSTATUS=3 identities: 3 pending$")
        self.wait_states(daemon, {d: "verified" for d in THREE})
        self.wait_for("STATUS=3 identities: 3 verified",
                      lambda: "STATUS=3 identities: 3 verified" in listener.snapshot(), daemon, 5)
        # WATCHDOG_USEC=2 s: a ping every second.
        start = time.monotonic()
        self.wait_for("three WATCHDOG=1 pings",
                      lambda: [t for t, m in list(listener.messages)
                               if m == "WATCHDOG=1" and t >= start][2:], daemon, 4)

        count = len(listener.snapshot())
        daemon.signal(signal.SIGHUP)
        after = self.wait_for(
            "RELOADING=1 then READY=1",
            lambda: (lambda new: new if "RELOADING=1" in new and any(
                m.startswith("READY=1\nSTATUS=") for m in new[new.index("RELOADING=1"):])
                else None)(listener.snapshot()[count:]), daemon, 5)
        following = [m for m in after[after.index("RELOADING=1") + 1:] if m != "WATCHDOG=1"]
        self.assertEqual(following[0], "READY=1\nSTATUS=3 identities: 3 verified", after)

        # A failed reload ends with READY=1 too (systemd would otherwise wait in "reloading").
        good_text = self.config.read_text()
        self.config.write_text(good_text + "  - domain: [unclosed\n")
        count = len(listener.snapshot())
        daemon.signal(signal.SIGHUP)
        after = self.wait_for(
            "RELOADING=1 then READY=1 after a failed reload",
            lambda: (lambda new: new if "RELOADING=1" in new and any(
                m.startswith("READY=1\nSTATUS=") for m in new[new.index("RELOADING=1"):])
                else None)(listener.snapshot()[count:]), daemon, 5)
        self.assertTrue(self.log_lines(daemon, r"event=reload_failed"))
        self.config.write_text(good_text)

        count = len(listener.snapshot())
        code, elapsed = daemon.terminate()
        self.assertEqual(code, 0)
        self.wait_for("STOPPING=1", lambda: "STOPPING=1" in listener.snapshot()[count:],
                      None, 2)
        for message in listener.snapshot():
            self.assertRegex(message, r"^(READY=1\nSTATUS=.+|STATUS=.+|RELOADING=1|STOPPING=1|"
                                      r"WATCHDOG=1)$")

    def test_09b_watchdog_pings_continue_while_dns_hangs(self) -> None:
        # systemd kills a service whose pings stop for WATCHDOG_USEC (the unit's WatchdogSec)
        # and restarts it: a daemon waiting for DNS answers is healthy and must keep pinging.
        self.write_config("stuck")
        listener = NotifyListener(self.tmp)
        self.addCleanup(listener.close)
        daemon = self.start_daemon(extra_env={"NOTIFY_SOCKET": str(listener.path),
                                              "WATCHDOG_USEC": "2000000"})
        start = time.monotonic()
        # The first sweep starts within one check interval and hangs 2 s x 3 attempts.
        self.wait_for("5 s of running", lambda: time.monotonic() - start >= 5.0, daemon, 10)
        metrics = self.scrape()
        self.assertEqual(sum(metrics.value("dkimwatch_checks_total", result=r)
                             for r in ("ok", "warning", "error", "indeterminate")), 0,
                         "a check completed: the resolver is not blackholed")
        self.wait_for("7 s of running", lambda: time.monotonic() - start >= 7.0, daemon, 10)
        now = time.monotonic()
        pings = [t for t, m in list(listener.messages) if m == "WATCHDOG=1"]
        self.assertTrue(pings, listener.snapshot())
        marks = [start] + pings + [now]
        gaps = [round(b - a, 2) for a, b in zip(marks, marks[1:])]
        self.assertLess(max(gaps), 2.0,
                        f"longest time without WATCHDOG=1 while the first sweep waited for DNS "
                        f"(WATCHDOG_USEC=2 s; systemd would have killed the daemon); pings at "
                        f"{[round(t - start, 2) for t in pings]} s after start")

    def test_10_sigterm_exits_promptly_while_queries_hang(self) -> None:
        self.write_config("stuck")
        daemon = self.start_daemon()
        # The first checks start within one check interval; each query then hangs 2 s x 3.
        time.sleep(CHECK_INTERVAL * 1.05 + 0.4)
        metrics = self.scrape()  # served even while the loop waits for DNS
        self.assertEqual(sum(metrics.value("dkimwatch_checks_total", result=r)
                             for r in ("ok", "warning", "error", "indeterminate")), 0,
                         "a check completed: the resolver is not blackholed")
        code, elapsed = daemon.terminate(timeout=10)
        self.assertEqual(code, 0, f"exit status after SIGTERM (after {elapsed:.1f}s)")
        self.assertLess(elapsed, 5.0, "seconds from SIGTERM to exit")
        self.assertTrue(self.log_lines(daemon, r"level=info event=stopping"))
        # Nothing was concluded from the hanging queries.
        status = self.status()
        for domain in THREE:
            self.assertEqual(status[domain]["state"], "pending")
            self.assertIsNone(status[domain]["last_check"])
            self.assertIsNone(status[domain]["last_result"])

    def test_11_startup_failures_are_clear(self) -> None:
        self.write_config()
        first = self.start_daemon()
        self.wait_for("the first daemon's metrics", self.scrape, first, 5)

        # A second daemon on the same metrics port (its own state_dir).
        other = self.write_config(path=self.tmp / "second.yaml",
                                  state_dir=str(self.tmp / "state2"))
        start = time.monotonic()
        p = subprocess.run([DKIMWATCH, "--log-level", "info", "run", "--config", str(other)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn(f"metrics.listen 127.0.0.1:{self.port}: cannot listen", p.stderr)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        self.assertTrue(first.alive())
        self.scrape()

        # A state_dir that cannot be created (a regular file is in the way).
        (self.tmp / "a-file").write_text("not a directory\n")
        bad_dir = self.tmp / "a-file" / "state"
        self.port = free_tcp_port()
        bad = self.write_config(path=self.tmp / "third.yaml", state_dir=str(bad_dir))
        p = subprocess.run([DKIMWATCH, "run", "--config", str(bad)], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"state_dir " + re.escape(str(bad_dir)) +
                         r".*cannot create.*Not a directory")
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)

        # A state database that cannot be opened (a directory in its place).
        (self.tmp / "state4" / "dkimwatch.db").mkdir(parents=True)
        self.port = free_tcp_port()
        bad = self.write_config(path=self.tmp / "fourth.yaml",
                                state_dir=str(self.tmp / "state4"))
        p = subprocess.run([DKIMWATCH, "run", "--config", str(bad)], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("dkimwatch.db", p.stderr)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)

    def test_11b_second_daemon_on_the_same_state_dir_fails(self) -> None:
        # Two daemons writing one state database each raise every transition: history shows
        # each revocation_warning twice (and each would be alerted twice).
        self.write_config()
        first = self.start_daemon()
        self.wait_states(first, {d: "verified" for d in THREE})
        self.port = free_tcp_port()  # its own metrics port: only the state_dir is shared
        other = self.write_config(path=self.tmp / "second.yaml")
        second = self.start_daemon(config=other, wait=False)
        self.wait_for("the second daemon (same state_dir) to exit",
                      lambda: not second.alive(), None, 5)
        self.assertEqual(second.popen.returncode, 1, second.log())
        self.assertIn(str(self.state_dir), second.log())
        self.assertTrue(first.alive())

    def test_12_transition_raised_while_the_database_is_locked_reaches_history(self) -> None:
        # When a save fails (here: another process holds the write lock longer than the store's
        # 5 s busy timeout; equally a full disk or an I/O error), the transition is applied in
        # memory at once (metrics, log) and must not be lost: it has to reach history (and the
        # alert outbox, saved in the same transaction) once the database is writable again,
        # exactly once, with the deadline it was raised with.
        self.write_config()
        daemon = self.start_daemon()
        self.wait_states(daemon, {d: "verified" for d in THREE})
        labels = identity_labels("alpha.test")
        self.remove_lines("alpha.test", AL2_LINE)
        # The first failing check is saved (its record problem is published after the save);
        # take the write lock before the confirming recheck 500 ms later.
        self.wait_for("the first failing check of alpha.test",
                      lambda: self.scrape().find("dkimwatch_record_problem", **labels), daemon,
                      10, interval=0.02)
        db = sqlite3.connect(self.state_dir / "dkimwatch.db", timeout=5, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            self.assertEqual([e["event"] for e in self.history("alpha.test")], ["verified"],
                             "setup: the write lock came after the warning was saved")
            # The confirming check cannot be saved: the daemon says so, and acts on the
            # transition in memory (the warning on /metrics), keeping it to save later.
            self.wait_for("event=state_save_failed while the database is locked",
                          lambda: "event=state_save_failed" in daemon.log(), daemon, 15)
            metrics = self.wait_for(
                "the warning on /metrics while the database is locked",
                lambda: (lambda m: m if self.state_of(m, "alpha.test") == "revocation_warning"
                         else None)(self.scrape()), daemon, 10)
            live_deadline = metrics.text_value(
                "dkimwatch_revocation_deadline_timestamp_seconds", **labels)
            self.assertIsNotNone(live_deadline)
            self.assertGreaterEqual(metrics.value("dkimwatch_state_unsaved_identities"), 1)
            self.assertGreaterEqual(metrics.value("dkimwatch_state_save_failures_total"), 1)
            self.assertEqual(self.status()["alpha.test"]["state"], "verified",
                             "status shows the database, written by nobody during the lock")
        finally:
            db.rollback()
            db.close()
        self.wait_for("the warning saved after the lock",
                      lambda: self.status()["alpha.test"]["state"] == "revocation_warning",
                      daemon, 15)
        status = self.status()["alpha.test"]
        self.assertEqual(utc_to_epoch(status["deadline"]), int(float(live_deadline)))
        events = self.history("alpha.test")
        self.assertEqual([e["event"] for e in events], ["verified", "revocation_warning"],
                         "history after a failed save")
        self.assertEqual(events[1]["deadline"], status["deadline"])
        self.wait_for("nothing unsaved after the lock",
                      lambda: self.scrape().value("dkimwatch_state_unsaved_identities") == 0,
                      daemon, 10)


    def test_13_an_empty_database_file_is_refused_with_how_to_start_afresh(self) -> None:
        # Issue 12, item 6: a 0-byte dkimwatch.db (a failed restore, a truncation) was taken as
        # a new database: history and deadlines silently gone, identities back to pending.
        self.write_config()
        self.state_dir.mkdir()
        db_path = self.state_dir / "dkimwatch.db"
        db_path.write_bytes(b"")
        try:
            p = subprocess.run([DKIMWATCH, "run", "--config", str(self.config)],
                               capture_output=True, text=True, timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("dkimwatch run started on a 0-byte state database")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        self.assertIn(f"state database {db_path} holds no dkimwatch state", p.stderr)
        self.assertIn(f"mv {db_path} {db_path}.bad", p.stderr)
        self.assertEqual(db_path.stat().st_size, 0, "the file was written to")
        for command in ("status", "history"):
            p = subprocess.run([DKIMWATCH, command, "--config", str(self.config)],
                               capture_output=True, text=True, timeout=15)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("holds no dkimwatch state", p.stderr)
        # Moved aside as told, the daemon starts afresh.
        db_path.rename(db_path.with_name("dkimwatch.db.bad"))
        daemon = self.start_daemon()
        self.wait_states(daemon, {d: "verified" for d in THREE})

    def test_14_a_warning_without_deadline_is_reported_and_repaired(self) -> None:
        # Issue 12, item 6: a revocation_warning row with a NULL deadline was dereferenced by
        # the state machine (undefined behaviour; a 2009 deadline was printed). `status` and
        # `history` must report it, and the daemon must repair it conservatively: the deadline
        # from the first failing check of the run (never earlier than the real one), logged.
        self.write_config()
        daemon = self.start_daemon()
        seen = self.warn_on_al2(daemon, 3600)
        deadline = seen["status"]["deadline"]
        self.assertEqual(daemon.terminate()[0], 0)
        db = sqlite3.connect(self.state_dir / "dkimwatch.db", isolation_level=None)
        try:
            db.execute("UPDATE identities SET deadline_ms = NULL WHERE domain = 'alpha.test'")
        finally:
            db.close()
        for command in ("status", "history"):
            p = subprocess.run([DKIMWATCH, command, "--config", str(self.config)],
                               capture_output=True, text=True, timeout=15)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotRegex(p.stderr, SANITIZER_REPORT)
            self.assertIn(f"identity {ACCOUNT}/us-east-1/alpha.test is in revocation_warning "
                          "without a deadline", p.stderr)
        self.assertIsNone(self.status()["alpha.test"]["deadline"])

        second = self.start_daemon()
        self.wait_for("the repair in the log",
                      lambda: "event=state_repaired identity=" + ACCOUNT +
                      "/us-east-1/alpha.test" in second.log(), second, 5)
        # Still failing: the warning stays, with the deadline it had (the run's first failure
        # plus the window), on /metrics and in the database; never revoked by the repair.
        status, metrics = self.wait_states(second, {"alpha.test": "revocation_warning"})
        self.wait_checked_after(second, ["alpha.test"], time.time())
        status, metrics = self.wait_states(second, {"alpha.test": "revocation_warning"})
        self.assertEqual(status["alpha.test"]["deadline"], deadline)
        self.assertEqual(int(metrics.value("dkimwatch_revocation_deadline_timestamp_seconds",
                                           **identity_labels("alpha.test"))),
                         utc_to_epoch(deadline))
        p = subprocess.run([DKIMWATCH, "status", "--config", str(self.config)],
                           capture_output=True, text=True, timeout=15)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("warning:", p.stderr, "the repair was not saved")
        self.assertNotIn("revoked", [e["event"] for e in self.history("alpha.test")])


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
