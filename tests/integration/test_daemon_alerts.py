#!/usr/bin/python3
"""dkimwatch's alerting end to end: the real daemon (`dkimwatch run`), real DNS (dnsenv: nsd +
unbound, scenario dnsenv/scenarios/alerts), real HTTP receivers (alert_delivery/receiver.py, one
process per sink, every request recorded as a JSON line) and a real Alertmanager (the Debian
package prometheus-alertmanager, 0.25).

A record removed from a zone (env.remove_lines) must reach every sink: a signed webhook document,
a Slack Block Kit message, a PagerDuty trigger, an Alertmanager alert; restoring it must resolve
each. Delivery must survive a receiver that is down (also across a kill -9 of the daemon), honour
429 Retry-After and retry 5xx; fifty identities broken by one zone change must make one grouped
Slack message while Alertmanager gets fifty alerts; `dkimwatch test-alert` must report each sink;
no secret (Slack URL path, webhook URL path, routing key, HMAC key) may appear in the daemon's
stderr, /metrics, `status`/`history` or test-alert output.

Every test polls with deadlines (no fixed sleeps for outcomes, only short "nothing more arrives"
holds) and stops every process it started by PID. The daemon's stderr is printed when a test
fails; a sanitizer report in it fails the test.

Usage: /usr/bin/python3 test_daemon_alerts.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH). Needs the Debian packages nsd, unbound, ldnsutils and
prometheus-alertmanager. Python 3.11 standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, die_with_parent, free_tcp_port, stop_process, utc_to_epoch  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "alerts"
RECEIVER = HERE / "alert_delivery" / "receiver.py"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

ACCOUNT = "111122223333"
REGION = "us-east-1"
ALPHA = "alpha.test"
BETA = "beta.test"
AL2 = "al2._domainkey.alpha.test"
AL2_LINE = r"^al2\._domainkey"
STORM = [f"d{i:02d}.storm.test" for i in range(1, 51)]
STORM_LINES = r"_domainkey"

# The schedule of every test: check_interval 1s, recheck_interval 500ms, confirmations 2.
CHECK_INTERVAL = 1.0
RECHECK_INTERVAL = 0.5
CONFIRMATIONS = 2
WINDOW = 3600.0  # revocation_window 1h
# Time from a record's removal until the warning is raised: the next check (check_interval,
# +5% jitter), then confirmations - 1 rechecks. Alerts must arrive within this plus a few seconds.
WARNING_LATENCY = CHECK_INTERVAL * 1.05 + (CONFIRMATIONS - 1) * RECHECK_INTERVAL * 1.05
DELIVERY_SLACK = 3.0

# Secrets: none of these may appear in any output of dkimwatch.
SLACK_PATH = "/services/T0E2ESECRET/B0E2ESECRET/slackPathS3cret4c1d"
HOOK_PATH = "/hooks/webhookPathS3cret77ab"
ROUTING_KEY = "R0utingKeyS3cret0e2e5b8e44"
HMAC_SECRET = "whsec_hmacS3cret9f3a7c21"
SECRETS = ("T0E2ESECRET", "slackPathS3cret4c1d", "webhookPathS3cret77ab", ROUTING_KEY,
           HMAC_SECRET)

SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")
UTC_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
EVENT_FIELDS = {"version", "type", "event", "severity", "summary", "test", "identity", "state",
                "state_since", "deadline", "seconds_to_deadline", "reason", "records", "at",
                "sent_at"}
RECORD_FIELDS = {"name", "type", "verdict", "expected", "observed", "message"}



def am_time(text: str) -> float:
    """Alertmanager's '2026-01-02T03:04:05.678Z' (fraction optional) -> Unix seconds."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", text)
    if m is None:
        raise ValueError(f"not an Alertmanager time: {text!r}")
    return utc_to_epoch(m.group(1) + "Z") + float(m.group(2) or 0)



def verify_signature(secret: bytes, header: str, body: bytes, now: float,
                     tolerance: float = 300) -> bool:
    """docs/alerts.md's verifier: header "t=...,v1=..." signs body with secret, t within
    tolerance seconds of now."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    t, v1 = fields.get("t", ""), fields.get("v1", "")
    if not t.isdigit() or abs(now - int(t)) > tolerance:
        return False
    expected = hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def poll(probe: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Calls `probe` until it returns something truthy (returned) or `timeout` passes (returns
    the last value). Network and parse errors count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
        except harness.NOT_READY:
            last = None
        if last:
            return last
        if time.monotonic() >= deadline:
            return last
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Processes: the daemon, receivers, Alertmanager


class Receiver:
    """alert_delivery/receiver.py on 127.0.0.1: answers with its script, records requests."""

    def __init__(self, directory: Path, name: str, script: str = "200", port: int = 0,
                 echo: bool = False):
        self.name = name
        self.log_path = directory / f"{name}.jsonl"
        port_file = directory / f"{name}.port"
        port_file.unlink(missing_ok=True)
        with open(directory / f"{name}.stderr", "ab") as stderr:
            self.popen = subprocess.Popen(
                [sys.executable, str(RECEIVER), "--port", str(port), "--port-file",
                 str(port_file), "--script", script, "--log", str(self.log_path)] +
                (["--echo"] if echo else []),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True, preexec_fn=die_with_parent)
        if not poll(lambda: port_file.exists() or self.popen.poll() is not None, 10, 0.02) or \
                self.popen.poll() is not None:
            raise RuntimeError(f"receiver {name} did not start (port {port}): "
                               f"{(directory / f'{name}.stderr').read_text()}")
        self.port = int(port_file.read_text())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self) -> list[dict]:
        """Every request so far, oldest first, with "json" = the parsed body (None if not
        JSON)."""
        try:
            lines = self.log_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            record = json.loads(line)
            try:
                record["json"] = json.loads(record["body"])
            except ValueError:
                record["json"] = None
            out.append(record)
        return out

    def stop(self) -> None:
        stop_process(self.popen)


class Alertmanager:
    """A real Alertmanager on 127.0.0.1 (no cluster), optionally notifying a webhook receiver
    (send_resolved) with group_wait 0s and group_interval 1s."""

    def __init__(self, directory: Path, name: str, resolve_timeout: str = "5m",
                 notify_url: str | None = None, port: int = 0):
        config = directory / f"{name}.yml"
        receiver = "hook" if notify_url else "none"
        text = (f"global:\n  resolve_timeout: {resolve_timeout}\n"
                f"route:\n  receiver: {receiver}\n  group_by: [alertname, domain]\n"
                "  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n"
                "receivers:\n  - name: none\n")
        if notify_url:
            text += (f"  - name: hook\n    webhook_configs:\n"
                     f"      - url: {json.dumps(notify_url)}\n        send_resolved: true\n")
        config.write_text(text)
        storage = directory / f"{name}-data"
        storage.mkdir(exist_ok=True)
        for attempt in range(3):  # a port found free may be taken before Alertmanager binds it
            self.port = port or free_tcp_port()
            with open(directory / f"{name}.log", "ab") as log:
                self.popen = subprocess.Popen(
                    [ALERTMANAGER, f"--config.file={config}", f"--storage.path={storage}",
                     f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
                     "--log.level=warn"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                    start_new_session=True, preexec_fn=die_with_parent)
            ready = poll(lambda: self.popen.poll() is not None or
                         http_get(self.url("/-/ready"), 1)[0] == 200, 15, 0.05)
            if ready and self.popen.poll() is None:
                return
            stop_process(self.popen)
        raise RuntimeError(f"Alertmanager {name} did not become ready: "
                           f"{(directory / f'{name}.log').read_text()}")

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def alerts(self, alertname: str | None = None, domain: str | None = None) -> list[dict]:
        """GET /api/v2/alerts (Alertmanager 0.25 lists only alerts whose endsAt has not passed),
        filtered here by label."""
        status, body = http_get(self.url("/api/v2/alerts"))
        if status != 200:
            raise OSError(f"GET /api/v2/alerts: HTTP {status}: {body}")
        return [a for a in json.loads(body)
                if (alertname is None or a["labels"].get("alertname") == alertname) and
                (domain is None or a["labels"].get("domain") == domain)]

    def stop(self) -> None:
        stop_process(self.popen)


# --------------------------------------------------------------------------------------------
# Documents

def webhook_docs(receiver: Receiver) -> list[dict]:
    """The event documents a webhook receiver got (groups flattened), each with "_time" (arrival)
    and "_request" (the raw request)."""
    out = []
    for request in receiver.requests():
        doc = request["json"]
        if not isinstance(doc, dict):
            continue
        for event in doc.get("events", [doc]) if doc.get("type") == "group" else [doc]:
            out.append({**event, "_time": request["time"], "_request": request})
    return out


def docs_of(docs: list[dict], event: str | None = None, domain: str | None = None) -> list[dict]:
    return [d for d in docs if (event is None or d.get("event") == event) and
            (domain is None or d.get("identity", {}).get("domain") == domain)]


def event_domains(docs: list[dict]) -> list[tuple[str, str]]:
    return [(d.get("event"), d.get("identity", {}).get("domain")) for d in docs]


# --------------------------------------------------------------------------------------------

ENV: dnsenv.DnsEnv | None = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global ENV
    harness.require_binary(DKIMWATCH)
    if not os.access(ALERTMANAGER, os.X_OK):
        raise RuntimeError(f"{ALERTMANAGER} is missing: install the Debian package "
                           "prometheus-alertmanager (scripts/install-deps.sh)")
    ENV = dnsenv.DnsEnv(SCENARIO).start()


def tearDownModule() -> None:  # noqa: N802
    if ENV is not None:
        ENV.stop()


class AlertTestCase(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):
    """Per test: a temp dir, a state_dir, a metrics port; the daemons, receivers and
    Alertmanagers started are stopped by PID, changed zones restored."""

    def setUp(self) -> None:
        assert ENV is not None
        self.env = ENV
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-alerts-")
        self.tmp = Path(self._tmp.name)
        self.state_dir = self.tmp / "state"
        self.port = free_tcp_port()
        self.config = self.tmp / "dkimwatch.yaml"
        self.daemons: list[Daemon] = []
        self.processes: list[Receiver | Alertmanager] = []
        self.changed_zones: set[str] = set()
        self.saved_logs: list[str] = []
        self.stop_codes: list[tuple[int, int | None]] = []
        (self.tmp / "hmac-secret").write_text(HMAC_SECRET + "\n")
        (self.tmp / "routing-key").write_text(ROUTING_KEY + "\n")

    def tearDown(self) -> None:
        for daemon in self.daemons:
            if daemon.alive():
                self.stop_codes.append((daemon.pid, daemon.stop()))
        for process in self.processes:
            process.stop()
        for zone in sorted(self.changed_zones):
            self.env.restore_zone(zone)
        self.saved_logs = [f"--- dkimwatch pid {d.pid} ({d.log_path.name}), exit "
                           f"{d.popen.returncode}:\n{d.log()}" for d in self.daemons]
        self._tmp.cleanup()
        reports = [log for log in self.saved_logs if SANITIZER_REPORT.search(log)]
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + "\n".join(reports))
        leaks = [(secret, log.split("\n", 1)[0]) for log in self.saved_logs for secret in SECRETS
                 if secret in log]
        if leaks:
            self.fail(f"secrets in the daemon's stderr (secret, daemon): {leaks}")
        bad_stops = [(pid, code) for pid, code in self.stop_codes if code != 0]
        if bad_stops:
            self.fail(f"daemons did not exit 0 on SIGTERM (pid, status): {bad_stops}")

    # ---- processes

    def receiver(self, name: str, script: str = "200", port: int = 0,
                 echo: bool = False) -> Receiver:
        receiver = Receiver(self.tmp, name, script, port, echo)
        self.processes.append(receiver)
        return receiver

    def alertmanager(self, name: str, resolve_timeout: str = "5m",
                     notify_url: str | None = None, port: int = 0) -> Alertmanager:
        am = Alertmanager(self.tmp, name, resolve_timeout, notify_url, port)
        self.processes.append(am)
        return am

    def write_config(self, sinks: list[dict[str, str]], template: str = "two",
                     path: Path | None = None, **settings: str) -> Path:
        """The daemon settings, `alerts:` (each sink a flat dict of keys; values are written as
        JSON strings, which YAML reads as they are) and the rendered scenario config `template`.
        group_wait is 0s unless a test sets it: the tests time prompt delivery."""
        values: dict[str, str] = {
            "check_interval": "1s", "recheck_interval": "500ms",
            "confirmations": str(CONFIRMATIONS), "revocation_window": "1h",
            "state_dir": str(self.state_dir), "group_wait": "0s"}
        values.update(settings)
        lines = [f"{k}: {v}" for k, v in values.items()]
        lines += ["metrics:", f"  listen: 127.0.0.1:{self.port}"]
        if sinks:
            lines.append("alerts:")
            for sink in sinks:
                first = True
                for key, value in sink.items():
                    lines.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
                    first = False
        path = path or self.config
        path.write_text("\n".join(lines) + "\n" + self.env.configs[template].read_text())
        return path

    def write_secret(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.write_text(text + "\n")
        path.chmod(0o600)
        return path

    def start_daemon(self, config: Path | None = None) -> Daemon:
        daemon = Daemon(DKIMWATCH, config or self.config,
                        self.tmp / f"daemon-{len(self.daemons) + 1}.log")
        self.daemons.append(daemon)
        self.wait_for("the daemon logs event=started", lambda: "event=started" in daemon.log(),
                      daemon, timeout=10)
        return daemon

    def remove_lines(self, zone: str, pattern: str) -> tuple[float, float]:
        """Removes the zone lines; returns the wall times just before and after nsd serves
        the change."""
        before = time.time()
        self.changed_zones.add(zone)
        self.env.remove_lines(zone, pattern)
        return before, time.time()

    def restore_zone(self, zone: str) -> float:
        self.env.restore_zone(zone)
        self.changed_zones.discard(zone)
        return time.time()

    # ---- polling and the daemon's outputs


    def cli(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
        p = subprocess.run([DKIMWATCH, *args, "--config", str(config or self.config)],
                           capture_output=True, text=True, timeout=60)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        return p

    def status(self) -> dict[str, dict]:
        p = self.cli("status", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return {i["domain"]: i for i in json.loads(p.stdout)["identities"]}

    def history(self, domain: str) -> list[dict]:
        p = self.cli("history", "--domain", domain, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["events"]

    def wait_states(self, daemon: Daemon, expected: dict[str, str],
                    timeout: float = 10.0) -> dict[str, dict]:
        def probe():
            status = self.status()
            return status if all(status.get(d, {}).get("state") == s
                                  for d, s in expected.items()) else None
        return self.wait_for(f"states {expected}", probe, daemon, timeout)

    def metrics(self) -> str:
        code, text = http_get(f"http://127.0.0.1:{self.port}/metrics")
        self.assertEqual(code, 200, text)
        return text

    def metric(self, name: str, sink: str, url: str | None = None) -> float | None:
        """The sample of `sink` (of its lane at `url`, or its first lane when None)."""
        url_re = '[^"]*' if url is None else re.escape(url)
        m = re.search(rf'^{name}\{{sink="{re.escape(sink)}",url="{url_re}"\}} (\S+)$',
                      self.metrics(), re.M)
        return None if m is None else float(m.group(1))

    def outbox(self) -> list[dict]:
        """The outbox table of the state database (read-only), oldest first."""
        db = sqlite3.connect(f"file:{self.state_dir / 'dkimwatch.db'}?mode=ro", uri=True,
                             timeout=5)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(
                "SELECT id, sink, domain, message_json, status, attempts FROM outbox ORDER BY id")]
        finally:
            db.close()

    # ---- checks shared by the tests

    def assert_json_request(self, request: dict, path: str) -> None:
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["path"], path)
        headers = {k.lower(): v for k, v in request["headers"].items()}
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertRegex(headers.get("user-agent", ""), r"^dkimwatch/\d")

    def assert_signed(self, request: dict) -> None:
        """X-Dkimwatch-Signature verifies with HMAC_SECRET at the request's arrival time, and
        not with a wrong secret (nor for a changed body)."""
        headers = {k.lower(): v for k, v in request["headers"].items()}
        header = headers.get("x-dkimwatch-signature", "")
        self.assertRegex(header, r"^t=\d+,v1=[0-9a-f]{64}$")
        body = request["body"].encode("utf-8")
        self.assertTrue(verify_signature(HMAC_SECRET.encode(), header, body, request["time"]),
                        f"the signature does not verify with the right secret: {header}")
        self.assertLessEqual(abs(int(header[2:header.index(",")]) - request["time"]), 2)
        self.assertFalse(verify_signature(b"whsec_wrong", header, body, request["time"]))
        self.assertFalse(verify_signature(HMAC_SECRET.encode(), header, body + b" ",
                                          request["time"]))

    def assert_slack_message(self, request: dict) -> dict:
        """Block Kit with a text fallback; header <= 150, every section and context < 3000
        characters. Returns the message."""
        self.assert_json_request(request, SLACK_PATH)
        message = request["json"]
        self.assertEqual(set(message), {"text", "blocks"}, message)
        self.assertIsInstance(message["text"], str)
        self.assertTrue(message["text"])
        blocks = message["blocks"]
        self.assertEqual(blocks[0]["type"], "header")
        self.assertEqual(blocks[0]["text"]["type"], "plain_text")
        self.assertLessEqual(len(blocks[0]["text"]["text"]), 150)
        self.assertEqual(blocks[-1]["type"], "context")
        self.assertEqual({b["type"] for b in blocks[1:-1]}, {"section"}, blocks)
        for block in blocks[1:-1]:
            self.assertEqual(block["text"]["type"], "mrkdwn")
            self.assertLess(len(block["text"]["text"]), 3000)
        for element in blocks[-1]["elements"]:
            self.assertLess(len(element["text"]), 3000)
        return message


# --------------------------------------------------------------------------------------------

class AllSinksTests(AlertTestCase):
    """One daemon run with all four sink types; a record removed, then restored."""

    def test_01_to_03_all_sinks_warn_and_resolve(self) -> None:
        hook = self.receiver("hook")
        slack = self.receiver("slack")
        pd = self.receiver("pagerduty", "202")
        am_notify = self.receiver("am-notify")
        # am: default resolve_timeout (5m), default resend_interval (1m): an alert that leaves
        # the API within seconds of the recovery was resolved by dkimwatch, not by timeout.
        am = self.alertmanager("am", notify_url=am_notify.url("/am"))
        # am-fast: resolve_timeout 5s, resend_interval 2s: the alert must outlive the timeout.
        am_fast = self.alertmanager("am-fast", resolve_timeout="5s")
        slack_url = self.write_secret("slack-url", slack.url(SLACK_PATH))
        self.write_config([
            {"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
             "secret_file": str(self.tmp / "hmac-secret")},
            {"name": "ops-slack", "type": "slack", "url_file": str(slack_url),
             "min_severity": "warning"},
            {"name": "pd", "type": "pagerduty", "url": pd.url("/v2/enqueue"),
             "routing_key_file": str(self.tmp / "routing-key"), "min_severity": "warning"},
            {"name": "am", "type": "alertmanager", "url": am.url("/")},
            {"name": "am-fast", "type": "alertmanager", "url": am_fast.url(),
             "resend_interval": "2s"},
        ])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        removed_from, removed_to = self.remove_lines(ALPHA, AL2_LINE)

        # ---- 1. the signed webhook, within the warning latency plus a few seconds
        latest = removed_to + WARNING_LATENCY + DELIVERY_SLACK
        warnings = self.wait_for(
            "the revocation_warning webhook",
            lambda: docs_of(webhook_docs(hook), "revocation_warning", ALPHA), daemon,
            timeout=latest - time.time() + 5)
        warning = warnings[0]
        self.assertLessEqual(warning["_time"], latest,
                             f"the webhook arrived {warning['_time'] - removed_to:.2f}s after the "
                             f"record was removed; expected within "
                             f"{WARNING_LATENCY + DELIVERY_SLACK:.2f}s")
        status = self.wait_states(daemon, {ALPHA: "revocation_warning"})[ALPHA]
        self.assert_json_request(warning["_request"], HOOK_PATH)
        self.assert_signed(warning["_request"])
        self.assertEqual(set(warning) - {"_time", "_request"}, EVENT_FIELDS)
        self.assertEqual((warning["version"], warning["type"], warning["event"],
                          warning["severity"], warning["test"], warning["state"]),
                         (1, "event", "revocation_warning", "critical", False,
                          "revocation_warning"))
        self.assertEqual(warning["identity"],
                         {"account": ACCOUNT, "region": REGION, "domain": ALPHA})
        self.assertRegex(warning["deadline"], UTC_RE)
        self.assertEqual(warning["deadline"], status["deadline"])
        deadline = utc_to_epoch(warning["deadline"])
        # The deadline is the first failing check + revocation_window.
        self.assertGreaterEqual(deadline, int(removed_from + WINDOW) - 1)
        self.assertLessEqual(deadline, removed_to + CHECK_INTERVAL * 1.05 + WINDOW + 1)
        self.assertAlmostEqual(warning["seconds_to_deadline"], deadline - warning["_time"],
                               delta=2)
        self.assertEqual(warning["state_since"], status["since"])
        for field in ("state_since", "at", "sent_at"):
            self.assertRegex(warning[field], UTC_RE, field)
        self.assertEqual(len(warning["records"]), 1, warning["records"])
        record = warning["records"][0]
        self.assertEqual(set(record), RECORD_FIELDS)
        self.assertEqual((record["name"], record["type"], record["verdict"], record["expected"],
                          record["observed"]),
                         (AL2, "CNAME", "missing", "al2.dkim.amazonses.com", None))
        self.assertIn(AL2, record["message"])
        self.assertRegex(warning["summary"],
                         r"^DKIM revocation warning: alpha\.test \(111122223333, us-east-1\): "
                         r"1 record missing; SES revokes DKIM in 59m\d\ds$")
        self.assertIn("failing", warning["reason"])
        history = [e for e in self.history(ALPHA) if e["event"] == "revocation_warning"]
        self.assertEqual(len(history), 1)
        self.assertEqual((history[0]["at"], history[0]["deadline"]),
                         (warning["at"], warning["deadline"]))

        # ---- 3. Alertmanager: the warning with its labels and annotations
        alerts = self.wait_for("DKIMRevocationWarning in Alertmanager",
                               lambda: am.alerts("DKIMRevocationWarning"), daemon, 10)
        self.assertEqual(len(alerts), 1, alerts)
        alert = alerts[0]
        self.assertEqual(alert["labels"], {"alertname": "DKIMRevocationWarning",
                                           "account": ACCOUNT, "region": REGION,
                                           "domain": ALPHA, "severity": "critical"})
        # The annotations say nothing that depends on when or by which replica they were
        # rendered, except the deadline (alert/alertmanager_payload.hpp).
        annotations = alert["annotations"]
        self.assertEqual(set(annotations), {"title", "summary", "description", "identity",
                                            "state", "deadline", "records", "fix"})
        self.assertEqual(annotations["summary"], "DKIM revocation warning: alpha.test "
                                                 "(111122223333, us-east-1): 1 record missing")
        self.assertEqual(annotations["identity"], "alpha.test (111122223333, us-east-1)")
        self.assertEqual(annotations["state"], "revocation_warning")
        self.assertEqual(annotations["deadline"], warning["deadline"])
        self.assertIn("Revocation is expected at the deadline", annotations["description"])
        self.assertEqual(annotations["records"], f"missing CNAME {AL2}: expected "
                                                 "al2.dkim.amazonses.com; observed nothing")
        self.assertEqual(annotations["fix"], f"{AL2}: {record['message']}")
        self.assertEqual(alert["status"]["state"], "active")
        self.assertEqual(am_time(alert["startsAt"]), utc_to_epoch(warning["at"]))
        # Sent without endsAt: Alertmanager sets it to now + resolve_timeout (5m).
        self.assertGreater(am_time(alert["endsAt"]), time.time() + 240)
        self.assertEqual(am.alerts(domain=BETA), [])

        # ---- 3b. re-sent every 2s, the alert outlives am-fast's resolve_timeout (5s)
        first = self.wait_for("DKIMRevocationWarning in am-fast",
                              lambda: am_fast.alerts("DKIMRevocationWarning", ALPHA), daemon, 10)
        first_seen = time.monotonic()
        updates: set[str] = {first[0]["updatedAt"]}
        gaps = []
        while time.monotonic() - first_seen < 12.0:  # more than 2 x resolve_timeout
            found = am_fast.alerts("DKIMRevocationWarning", ALPHA)
            if len(found) != 1 or found[0]["status"]["state"] != "active" or \
                    am_time(found[0]["endsAt"]) <= time.time():
                gaps.append((round(time.monotonic() - first_seen, 1), found))
            else:
                updates.add(found[0]["updatedAt"])
            time.sleep(0.5)
        self.assertEqual(gaps, [], "DKIMRevocationWarning left am-fast (resolve_timeout 5s) "
                                   "while the record was still missing: not re-sent every 2s")
        self.assertGreaterEqual(len(updates), 4, f"updatedAt values seen in 12s: {updates}")

        # ---- 2. Slack and PagerDuty got the warning too
        slack_warning = self.wait_for("the Slack warning", lambda: slack.requests(), daemon, 5)
        pd_trigger = self.wait_for("the PagerDuty trigger", lambda: pd.requests(), daemon, 5)

        # ---- the record comes back: recovered everywhere
        restored = self.restore_zone(ALPHA)
        recovered = self.wait_for(
            "the recovered webhook", lambda: docs_of(webhook_docs(hook), "recovered", ALPHA),
            daemon, WARNING_LATENCY + DELIVERY_SLACK + 5)
        self.wait_for("the Slack recovery", lambda: len(slack.requests()) >= 2, daemon, 5)
        self.wait_for("the PagerDuty resolve", lambda: len(pd.requests()) >= 2, daemon, 5)
        # Alertmanager 0.25 drops resolved alerts (endsAt passed) from GET /api/v2/alerts. With
        # resolve_timeout 5m, leaving within seconds means dkimwatch resolved it.
        self.wait_for("DKIMRevocationWarning resolved in Alertmanager",
                      lambda: am.alerts("DKIMRevocationWarning") == [], daemon, 5)
        self.assertLess(time.time() - restored, 60)
        notices = self.wait_for(
            "Alertmanager's resolved notification",
            lambda: [r["json"] for r in am_notify.requests()
                     if r["json"] and r["json"]["status"] == "resolved" and
                     r["json"]["commonLabels"].get("alertname") == "DKIMRevocationWarning"],
            daemon, 10)
        resolved_alert = notices[0]["alerts"][0]
        self.assertEqual(resolved_alert["status"], "resolved")
        self.assertEqual(resolved_alert["labels"]["domain"], ALPHA)
        self.assertLessEqual(am_time(resolved_alert["endsAt"]), time.time())
        self.assertGreaterEqual(am_time(resolved_alert["endsAt"]), restored - 1)
        firing_notices = [r["json"] for r in am_notify.requests()
                          if r["json"] and r["json"]["status"] == "firing" and
                          r["json"]["commonLabels"].get("alertname") == "DKIMRevocationWarning"]
        self.assertTrue(firing_notices, "Alertmanager never notified the firing warning")
        self.wait_for("am-fast resolved", lambda: am_fast.alerts("DKIMRevocationWarning") == [],
                      daemon, 5)

        # Nothing more arrives: every sink got exactly what the two events make.
        time.sleep(1.5)
        docs = webhook_docs(hook)
        self.assertEqual(sorted(event_domains(docs)),
                         sorted([("verified", ALPHA), ("verified", BETA),
                                 ("revocation_warning", ALPHA), ("recovered", ALPHA)]))
        self.assertEqual([d["event"] for d in docs_of(docs, domain=ALPHA)],
                         ["verified", "revocation_warning", "recovered"])
        for doc in docs:
            self.assert_json_request(doc["_request"], HOOK_PATH)
            self.assert_signed(doc["_request"])
            self.assertEqual(set(doc) - {"_time", "_request"}, EVENT_FIELDS)
        done = recovered[0]
        self.assertEqual((done["event"], done["severity"], done["state"], done["records"]),
                         ("recovered", "resolved", "verified", []))
        # A recovery names the deadline that was avoided (state_machine.hpp, StateEvent).
        self.assertEqual(done["deadline"], warning["deadline"])
        self.assertAlmostEqual(done["seconds_to_deadline"], deadline - done["_time"], delta=2)
        self.assertEqual(done["summary"],
                         "DKIM recovered: alpha.test (111122223333, us-east-1): all records "
                         "correct again")

        # ---- 2. Slack: Block Kit, the warning then the recovery, at most one per second
        slack_requests = slack.requests()
        self.assertEqual(len(slack_requests), 2, [r["json"] for r in slack_requests])
        warn_msg = self.assert_slack_message(slack_warning[0])
        # The summary (relative times computed at delivery) is the notification text.
        self.assertRegex(warn_msg["text"],
                         r"^DKIM revocation warning: alpha\.test \(111122223333, us-east-1\): "
                         r"1 record missing; SES revokes DKIM in 59m\d\ds$")
        self.assertEqual(warn_msg["blocks"][0]["text"]["text"],
                         "DKIM revocation warning: alpha.test")
        sections = "\n".join(b["text"]["text"] for b in warn_msg["blocks"][1:-1])
        self.assertIn(f"`{AL2}` CNAME *missing*", sections)
        self.assertIn(f"*Deadline:* {warning['deadline']}", sections)
        self.assertIn("*Account:* 111122223333", sections)
        rec_msg = self.assert_slack_message(slack_requests[1])
        self.assertEqual(rec_msg["text"], done["summary"])
        self.assertGreaterEqual(slack_requests[1]["time"] - slack_requests[0]["time"], 0.9)

        # ---- 2. PagerDuty: trigger then resolve with the same dedup_key
        pd_requests = pd.requests()
        self.assertEqual(len(pd_requests), 2, [r["json"] for r in pd_requests])
        trigger, resolve = pd_trigger[0]["json"], pd_requests[1]["json"]
        for request in pd_requests:
            self.assert_json_request(request, "/v2/enqueue")
        dedup_key = f"dkimwatch:{ACCOUNT}:{REGION}:{ALPHA}:revocation"
        self.assertEqual((trigger["routing_key"], trigger["event_action"],
                          trigger["dedup_key"]), (ROUTING_KEY, "trigger", dedup_key))
        payload = trigger["payload"]
        self.assertEqual((payload["severity"], payload["source"], payload["component"],
                          payload["group"], payload["class"]),
                         ("critical", "dkimwatch", ALPHA, f"{ACCOUNT}/{REGION}",
                          "revocation_warning"))
        self.assertEqual(payload["timestamp"], warning["at"])
        self.assertRegex(payload["summary"], r"^DKIM revocation warning: alpha\.test ")
        self.assertEqual([(r["name"], r["verdict"]) for r in payload["custom_details"]["records"]],
                         [(AL2, "missing")])
        self.assertIs(payload["custom_details"]["test"], False)
        self.assertEqual(resolve, {"routing_key": ROUTING_KEY, "event_action": "resolve",
                                   "dedup_key": dedup_key})

        # ---- metrics: every row delivered once, nothing failed, nothing waits
        text = self.metrics()
        for sink, sent in (("hook", 4), ("ops-slack", 2), ("pd", 2), ("am", 4), ("am-fast", 4)):
            self.assertEqual(self.metric("dkimwatch_alerts_sent_total", sink), sent, sink)
            self.assertEqual(self.metric("dkimwatch_alert_failures_total", sink), 0, sink)
            self.assertEqual(self.metric("dkimwatch_alerts_dropped_total", sink), 0, sink)
            self.assertEqual(self.metric("dkimwatch_alert_queue_depth", sink), 0, sink)
        for secret in SECRETS:
            self.assertNotIn(secret, text)


class DeliveryTests(AlertTestCase):

    def test_04_receiver_down_then_up_loses_nothing(self) -> None:
        port = free_tcp_port()  # nothing listens here until the receiver starts
        self.write_config([{"name": "hook", "type": "webhook",
                            "url": f"http://127.0.0.1:{port}{HOOK_PATH}",
                            "secret_file": str(self.tmp / "hmac-secret"),
                            "min_severity": "warning"}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("a failed delivery to the dead port",
                      lambda: (self.metric("dkimwatch_alert_failures_total", "hook") or 0) >= 1,
                      daemon, 5)
        # The recovery is queued behind the warning while the receiver is still down.
        self.restore_zone(ALPHA)
        self.wait_states(daemon, {ALPHA: "verified"}, timeout=WARNING_LATENCY + 5)
        self.wait_for("both alerts queued",
                      lambda: self.metric("dkimwatch_alert_queue_depth", "hook") == 2, daemon, 5)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "hook"), 0)
        retries = [line for line in daemon.log().splitlines()
                   if "event=alert_retry sink=hook" in line]
        self.assertTrue(retries)
        self.assertIn(f"to=http://127.0.0.1:{port} ", retries[0])

        hook = self.receiver("hook", "200", port=port)
        self.wait_for("both alerts delivered", lambda: len(hook.requests()) >= 2, daemon, 20)
        self.wait_for("the outbox drained",
                      lambda: self.metric("dkimwatch_alert_queue_depth", "hook") == 0, daemon, 5)
        time.sleep(1.0)
        docs = webhook_docs(hook)
        self.assertEqual(event_domains(docs),
                         [("revocation_warning", ALPHA), ("recovered", ALPHA)])
        for doc in docs:
            self.assert_signed(doc["_request"])
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "hook"), 2)
        self.assertEqual(self.metric("dkimwatch_alerts_dropped_total", "hook"), 0)
        self.assertEqual([r["status"] for r in self.outbox()], ["sent", "sent"])

    def test_05_queued_alerts_survive_kill_9(self) -> None:
        port = free_tcp_port()
        self.write_config([{"name": "hook", "type": "webhook",
                            "url": f"http://127.0.0.1:{port}{HOOK_PATH}",
                            "secret_file": str(self.tmp / "hmac-secret")}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("failed deliveries to the dead port",
                      lambda: (self.metric("dkimwatch_alert_failures_total", "hook") or 0) >= 1,
                      daemon, 5)
        self.assertEqual(daemon.kill(), -signal.SIGKILL)
        queued = [(r["sink"], r["domain"], json.loads(r["message_json"])["event"]["kind"])
                  for r in self.outbox() if r["status"] == "queued"]
        self.assertEqual(sorted(queued), sorted([("hook", ALPHA, "verified"),
                                                 ("hook", BETA, "verified"),
                                                 ("hook", ALPHA, "revocation_warning")]))

        hook = self.receiver("hook", "200", port=port)
        second = self.start_daemon()
        self.wait_for("every queued alert delivered after the restart",
                      lambda: len(hook.requests()) >= 3, second, 25)
        time.sleep(1.0)
        docs = webhook_docs(hook)
        self.assertEqual(sorted(event_domains(docs)),
                         sorted([("verified", ALPHA), ("verified", BETA),
                                 ("revocation_warning", ALPHA)]))
        self.assertEqual([d["event"] for d in docs_of(docs, domain=ALPHA)],
                         ["verified", "revocation_warning"])
        for doc in docs:
            self.assert_signed(doc["_request"])
        self.assertEqual({r["status"] for r in self.outbox()}, {"sent"})
        # The restarted daemon resumed the warning: no second warning.
        self.assertEqual([e["event"] for e in self.history(ALPHA)],
                         ["verified", "revocation_warning"])
        self.restore_zone(ALPHA)
        self.wait_for("the recovered webhook",
                      lambda: docs_of(webhook_docs(hook), "recovered", ALPHA), second,
                      WARNING_LATENCY + DELIVERY_SLACK + 3)
        time.sleep(1.0)
        self.assertEqual(len(hook.requests()), 4)

    def test_05b_storage_outage_keeps_the_first_failure_and_the_alert(self) -> None:
        # Issue 12, item 5: while the state database cannot be written (here another process
        # holds its write lock, longer than the store's 5 s busy timeout, so every write of the
        # daemon fails, as on a full disk), the failing checks must not be discarded. The
        # warning is raised in memory (metrics), its deadline counts from the first failing
        # check observed during the outage (not from the first one after it), and once writes
        # work the transition reaches history and its alert the outbox and the sink, once.
        # An Alertmanager sink re-sends what is firing from memory every resend_interval, so it
        # is alerted during the outage; the outbox sinks (the webhook) get it after the outage.
        hook = self.receiver("hook", "200")
        am = self.alertmanager("am-outage")
        self.write_config([{"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
                            "secret_file": str(self.tmp / "hmac-secret"),
                            "min_severity": "warning"},
                           {"name": "am", "type": "alertmanager", "url": am.url(),
                            "resend_interval": "2s"}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        # Each failed save waits 5 s (busy timeout), and each check is followed by one: room for
        # four checks, so that a check lost to a slow answer on a loaded ASan run (CI runs two
        # tests at once) still leaves the two failing checks that raise the warning.
        outage = 32.0

        def live(pattern: str) -> re.Match | None:
            return re.search(pattern, self.metrics(), re.M)

        warning_series = (r'^dkimwatch_identity_state\{[^}]*domain="alpha\.test"[^}]*'
                          r'state="revocation_warning"[^}]*\} 1$')
        deadline_series = (r'^dkimwatch_revocation_deadline_timestamp_seconds\{[^}]*'
                           r'domain="alpha\.test"[^}]*\} (\S+)$')
        db = sqlite3.connect(self.state_dir / "dkimwatch.db", timeout=5, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            removed_from, removed_to = self.remove_lines(ALPHA, AL2_LINE)
            # Applied in memory although nothing can be saved.
            self.wait_for("the revocation warning of alpha.test on /metrics",
                          lambda: live(warning_series), daemon, outage - 3)
            self.assertIn("event=state_save_failed", daemon.log())
            unsaved = live(r"^dkimwatch_state_unsaved_identities (\S+)$")
            self.assertIsNotNone(unsaved)
            self.assertGreaterEqual(float(unsaved.group(1)), 1)
            failures = live(r"^dkimwatch_state_save_failures_total (\S+)$")
            self.assertGreaterEqual(float(failures.group(1)), 1)
            live_deadline = float(live(deadline_series).group(1))
            # Nothing of it is in the database yet, and the sink has nothing.
            self.assertEqual(self.status()[ALPHA]["state"], "verified")
            self.assertFalse(docs_of(webhook_docs(hook), "revocation_warning", ALPHA))
            # Alertmanager has it already, from the in-memory state.
            self.wait_for("the revocation warning in Alertmanager during the outage",
                          lambda: am.alerts("DKIMRevocationWarning", ALPHA), daemon,
                          max(1.0, removed_to + outage - 2 - time.time()))
            time.sleep(max(0.0, removed_to + outage - time.time()))
            # `status` reads the database: it says that it may be out of date (the newest saved
            # check is older than 2 x check_interval + 10 s).
            p = self.cli("status")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("cannot write the state database", p.stderr)
        finally:
            db.rollback()
            db.close()
        released_at = time.time()

        # The first failing check was made during the outage: its deadline is not moved by it.
        first_failure = live_deadline - WINDOW
        self.assertGreaterEqual(first_failure, int(removed_from) - 1)
        self.assertLess(first_failure, released_at - outage / 2,
                        "the deadline counts from a check after the outage")
        self.assertLessEqual(first_failure, removed_to + CHECK_INTERVAL * 1.05 + 5 + 1)

        warning = self.wait_for(
            "the revocation_warning webhook after the outage",
            lambda: docs_of(webhook_docs(hook), "revocation_warning", ALPHA), daemon, 15)
        status = self.wait_states(daemon, {ALPHA: "revocation_warning"}, 10)[ALPHA]
        self.assertEqual(utc_to_epoch(status["deadline"]), int(live_deadline))
        self.assertEqual(utc_to_epoch(warning[0]["deadline"]), int(live_deadline))
        events = self.history(ALPHA)
        self.assertEqual([e["event"] for e in events], ["verified", "revocation_warning"])
        self.assertEqual(events[1]["deadline"], status["deadline"])
        self.assertLess(utc_to_epoch(events[1]["at"]), released_at - 1,
                        "the warning's time is when it was raised, during the outage")
        self.wait_for("nothing unsaved", lambda: live(
            r"^dkimwatch_state_unsaved_identities 0$"), daemon, 5)
        self.assertIn("event=state_saved ", daemon.log())
        time.sleep(1.5)
        # Exactly once: one outbox row per sink, one delivery.
        warnings = [r["sink"] for r in self.outbox() if r["domain"] == ALPHA and
                    json.loads(r["message_json"])["event"]["kind"] == "revocation_warning"]
        self.assertEqual(sorted(warnings), ["am", "hook"])
        self.assertEqual(len(docs_of(webhook_docs(hook), "revocation_warning", ALPHA)), 1)

    def test_06_retry_after_then_5xx_then_delivered_once(self) -> None:
        hook = self.receiver("hook", "429:2,500,200")
        self.write_config([{"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
                            "secret_file": str(self.tmp / "hmac-secret"),
                            "min_severity": "warning"}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_for("three attempts", lambda: len(hook.requests()) >= 3, daemon, 20)
        time.sleep(1.5)
        requests = hook.requests()
        self.assertEqual([r["status"] for r in requests], [429, 500, 200])
        docs = [r["json"] for r in requests]
        self.assertEqual({(d["event"], d["identity"]["domain"], d["at"]) for d in docs},
                         {("revocation_warning", ALPHA, docs[0]["at"])})
        for request in requests:
            self.assert_signed(request)  # each attempt is signed anew
        waits = [b["time"] - a["time"] for a, b in zip(requests, requests[1:])]
        # Retry-After: 2 -> 2 s; then the backoff after the second failure: 2 to 4 s.
        self.assertGreaterEqual(waits[0], 1.95, waits)
        self.assertLessEqual(waits[0], 3.0, waits)
        self.assertGreaterEqual(waits[1], 1.95, waits)
        self.assertLessEqual(waits[1], 5.0, waits)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "hook"), 1)
        self.assertEqual(self.metric("dkimwatch_alert_failures_total", "hook"), 2)
        self.assertEqual(self.metric("dkimwatch_alerts_dropped_total", "hook"), 0)
        retries = re.findall(r"event=alert_retry sink=hook .* retry_in_ms=(\d+)", daemon.log())
        self.assertEqual(len(retries), 2, daemon.log())
        self.assertEqual(int(retries[0]), 2000)


class StormTests(AlertTestCase):

    # The checks are spread over check_interval (1s), so the 50 warnings are confirmed in many
    # small batches within about 1.6s of the zone change: the sinks group them at delivery.
    # group_wait 2s holds the first warning until all have come (the storm window is one
    # check_interval on each side of it), so Slack and the webhook each get one group.
    def test_07_fifty_identities_broken_at_once_make_one_grouped_message(self) -> None:
        slack = self.receiver("slack")
        hook = self.receiver("hook")
        am = self.alertmanager("am")
        self.write_config([
            {"name": "ops-slack", "type": "slack", "url": slack.url(SLACK_PATH),
             "min_severity": "warning"},
            {"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
             "secret_file": str(self.tmp / "hmac-secret"), "min_severity": "warning"},
            {"name": "am", "type": "alertmanager", "url": am.url(), "min_severity": "warning"},
        ], template="storm", group_threshold="10", group_wait="2s")
        daemon = self.start_daemon()
        self.wait_states(daemon, {d: "verified" for d in STORM}, timeout=15)
        self.assertEqual((slack.requests(), hook.requests()), ([], []))
        self.remove_lines("storm.test", STORM_LINES)  # one zone change breaks all 50
        self.wait_states(daemon, {d: "revocation_warning" for d in STORM},
                         timeout=WARNING_LATENCY + 10)
        # Alertmanager groups by itself: it gets every alert.
        alerts = self.wait_for("50 DKIMRevocationWarning alerts in Alertmanager",
                               lambda: (lambda a: a if len(a) >= 50 else None)(
                                   am.alerts("DKIMRevocationWarning")), daemon, 10)
        self.assertEqual(sorted(a["labels"]["domain"] for a in alerts), STORM)
        # Give Slack (one message per second) and the webhook time for what they will get: the
        # group goes 2s (group_wait) after the first warning, which came before the last one.
        time.sleep(3.0)
        messages = [r["json"] for r in slack.requests()]
        documents = [r["json"] for r in hook.requests()]
        self.assertEqual(
            (len(messages), len(documents)), (1, 1),
            f"{len(messages)} Slack messages and {len(documents)} webhook documents within 3s "
            f"of all 50 warnings (Slack still sending at one per second) for 50 identities "
            f"broken by one zone change; expected one grouped message each (group_threshold "
            f"10). First Slack texts: {[m['text'] for m in messages[:3]]}; webhook types: "
            f"{sorted({(d['type'], d.get('total')) for d in documents})}")

        message = self.assert_slack_message(slack.requests()[0])
        self.assertRegex(message["text"],
                         r"^50 DKIM alerts, most severe critical: d\d\d\.storm\.test, "
                         r"d\d\d\.storm\.test, d\d\d\.storm\.test and 47 more$")
        self.assertEqual(message["blocks"][0]["text"]["text"], "50 DKIM alerts")
        listing = message["blocks"][1]["text"]["text"]
        lines = [line for line in listing.splitlines() if line.startswith("• ")]
        self.assertLessEqual(len(lines), 20)
        self.assertTrue(all(re.match(r"^• DKIM revocation warning: d\d\d\.storm\.test ", line)
                            for line in lines), lines)
        self.assertIn(f"and {50 - len(lines)} more", listing)

        group = documents[0]
        self.assert_signed(hook.requests()[0])
        self.assertEqual((group["version"], group["type"], group["total"], group["severity"]),
                         (1, "group", 50, "critical"))
        self.assertEqual(len(group["events"]), 20)
        self.assertEqual({e["event"] for e in group["events"]}, {"revocation_warning"})
        self.assertEqual(len({e["identity"]["domain"] for e in group["events"]}), 20)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "hook"), 1)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am"), 50)
        self.assertEqual(self.metric("dkimwatch_alert_queue_depth", "hook"), 0)
        self.assertEqual({(r["sink"], r["status"]) for r in self.outbox()},
                         {("ops-slack", "sent"), ("hook", "sent"), ("am", "sent")})

    def test_07b_a_storm_longer_than_group_interval_makes_a_second_group(self) -> None:
        """group_wait 500ms sends the first group while warnings still come; the rest wait for
        group_interval (2s) after it and make a second group: no identity twice, none alone."""
        hook = self.receiver("hook")
        self.write_config([
            {"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
             "secret_file": str(self.tmp / "hmac-secret"), "min_severity": "warning"},
        ], template="storm", group_threshold="5", group_wait="500ms", group_interval="2s")
        daemon = self.start_daemon()
        self.wait_states(daemon, {d: "verified" for d in STORM}, timeout=15)
        self.remove_lines("storm.test", STORM_LINES)
        self.wait_states(daemon, {d: "revocation_warning" for d in STORM},
                         timeout=WARNING_LATENCY + 10)
        groups = self.wait_for(
            "two webhook groups covering the 50 warnings",
            lambda: (lambda r: r if sum(x["json"]["total"] for x in r) >= 50 else None)(
                hook.requests()), daemon, 10)
        time.sleep(2.5)  # more than group_interval: nothing else arrives
        requests = hook.requests()
        documents = [r["json"] for r in requests]
        self.assertEqual([d["type"] for d in documents], ["group", "group"],
                         [(d["type"], d.get("total")) for d in documents])
        self.assertEqual(sum(d["total"] for d in documents), 50)
        self.assertEqual(groups[:2], requests)
        # The second group waited for group_interval (2s) after the first. The interval counts
        # from the start of the first send, and the receiver stamps arrivals: under ASan on a
        # loaded 2-core machine the first request arrived 0.5 s after it started (seen once:
        # 1.6 s between arrivals). Without the interval the second group would follow the first
        # after group_wait (0.5 s), so 1.4 s still tells the two apart.
        self.assertGreaterEqual(requests[1]["time"] - requests[0]["time"], 1.4)
        for request in requests:
            self.assert_signed(request)
        # The later identities are in the second group: every warning the second lists came
        # no earlier than every one the first lists, and none is in both.
        first, second = ([(e["identity"]["domain"], e["at"]) for e in d["events"]]
                         for d in documents)
        self.assertEqual({d for d, _ in first} & {d for d, _ in second}, set())
        self.assertLessEqual(max(utc_to_epoch(at) for _, at in first),
                             min(utc_to_epoch(at) for _, at in second))
        self.assertEqual({e["event"] for d in documents for e in d["events"]},
                         {"revocation_warning"})
        # Each warning's outbox row went out in one of the two: none alone (a batch of more than
        # group_threshold identities is queued as one grouped row, merged into a group here).
        self.assertEqual(len(re.findall(r"event=alert_group_sent sink=hook ", daemon.log())), 2,
                         daemon.log())
        self.assertNotIn("event=alert_sent sink=hook", daemon.log())
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "hook"), 2)
        self.assertEqual({r["status"] for r in self.outbox() if r["sink"] == "hook"}, {"sent"})


class TestAlertCommandTests(AlertTestCase):

    def test_08_test_alert_reports_each_sink_and_no_secret_leaks(self) -> None:
        hook = self.receiver("hook")
        slack = self.receiver("slack")
        pd = self.receiver("pagerduty", "202")
        am = self.alertmanager("am")
        broken = self.receiver("broken", "500")
        dead_port = free_tcp_port()
        slack_url = self.write_secret("slack-url", slack.url(SLACK_PATH))
        good = [
            {"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
             "secret_file": str(self.tmp / "hmac-secret")},
            {"name": "ops-slack", "type": "slack", "url_file": str(slack_url)},
            {"name": "pd", "type": "pagerduty", "url": pd.url("/v2/enqueue"),
             "routing_key_file": str(self.tmp / "routing-key")},
            {"name": "am", "type": "alertmanager", "url": am.url()},
        ]
        self.write_config(good)
        outputs: list[str] = []

        def test_alert(*args: str, config: Path | None = None) -> subprocess.CompletedProcess:
            p = self.cli("test-alert", *args, config=config)
            outputs.append(p.stdout + p.stderr)
            return p

        p = test_alert()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            f"hook (webhook, http://127.0.0.1:{hook.port}): HTTP 200 delivered",
            f"ops-slack (slack, http://127.0.0.1:{slack.port}): HTTP 200 delivered",
            f"pd (pagerduty, http://127.0.0.1:{pd.port}): HTTP 202 delivered",
            f"am (alertmanager, http://127.0.0.1:{am.port}): HTTP 200 delivered"])
        doc = hook.requests()[0]
        self.assert_signed(doc)
        self.assertEqual((doc["json"]["event"], doc["json"]["test"]), ("test", True))
        slack_msg = self.assert_slack_message(slack.requests()[0])
        self.assertIn("TEST", slack_msg["blocks"][0]["text"]["text"])
        trigger = pd.requests()[0]["json"]
        self.assertEqual((trigger["routing_key"], trigger["event_action"], trigger["dedup_key"]),
                         (ROUTING_KEY, "trigger", f"dkimwatch:{ACCOUNT}:{REGION}:{ALPHA}:test"))
        self.assertIs(trigger["payload"]["custom_details"]["test"], True)
        test_alerts = self.wait_for("DKIMTest in Alertmanager",
                                    lambda: am.alerts("DKIMTest", ALPHA), None, 5)
        # A test alert resolves itself 5 minutes later.
        self.assertAlmostEqual(am_time(test_alerts[0]["endsAt"]), time.time() + 300, delta=30)

        # --sink: only that sink
        p = test_alert("--sink", "pd")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.splitlines(),
                         [f"pd (pagerduty, http://127.0.0.1:{pd.port}): HTTP 202 delivered"])
        self.assertEqual([len(r.requests()) for r in (hook, slack, pd)], [1, 1, 2])
        p = test_alert("--sink", "nosuch")
        self.assertEqual(p.returncode, 3)
        self.assertIn('no alert sink named "nosuch"', p.stderr)

        # A sink that is down, and one that answers 500: non-zero, each one named.
        mixed = self.write_config(good + [
            {"name": "down", "type": "webhook", "url": f"http://127.0.0.1:{dead_port}{HOOK_PATH}",
             "secret_file": str(self.tmp / "hmac-secret")},
            {"name": "broken", "type": "slack", "url": broken.url(SLACK_PATH)},
        ], path=self.tmp / "mixed.yaml")
        p = test_alert(config=mixed)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 6, p.stdout)
        self.assertRegex(lines[4], rf"^down \(webhook, http://127\.0\.0\.1:{dead_port}\): "
                                   r"failed: .+$")
        self.assertEqual(lines[5], f"broken (slack, http://127.0.0.1:{broken.port}): "
                                   "HTTP 500 rejected: error 500")
        for sink, code in (("down", 1), ("broken", 1), ("hook", 0)):
            p = test_alert("--sink", sink, config=mixed)
            self.assertEqual((p.returncode, len(p.stdout.splitlines())), (code, 1),
                             p.stdout + p.stderr)

        # The daemon with every sink, the failing ones included: a warning is delivered,
        # retried and logged; then /metrics, status and history.
        daemon = self.start_daemon(mixed)
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("retries of the failing sinks",
                      lambda: all((self.metric("dkimwatch_alert_failures_total", s) or 0) >= 1
                                  for s in ("down", "broken")), daemon, 10)
        self.wait_for("the warning delivered to the webhook",
                      lambda: docs_of(webhook_docs(hook), "revocation_warning", ALPHA), daemon,
                      5)
        outputs.append(self.metrics())
        for args in (("status",), ("status", "--format", "json"), ("history",),
                     ("history", "--format", "json"), ("validate",)):
            p = self.cli(*args, config=mixed)
            self.assertEqual(p.returncode, 0, p.stderr)
            outputs.append(p.stdout + p.stderr)
        self.assertIn(f"event=alert_retry sink=down to=http://127.0.0.1:{dead_port} ",
                      daemon.log())
        self.assertIn(f"event=alert_retry sink=broken to=http://127.0.0.1:{broken.port} ",
                      daemon.log())
        outputs.append(daemon.log())
        # A URL file holding something that is not a URL: the error must not quote it.
        bad_url = self.write_secret("bad-url", "hooks.example" + SLACK_PATH)
        bad = self.write_config([{"name": "s", "type": "slack", "url_file": str(bad_url)}],
                                path=self.tmp / "bad.yaml")
        for command in ("validate", "test-alert"):
            p = self.cli(command, config=bad)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("alerts[0].url_file", p.stdout + p.stderr)
            outputs.append(p.stdout + p.stderr)

        leaks = [(secret, i) for i, text in enumerate(outputs) for secret in SECRETS
                 if secret in text]
        self.assertEqual(leaks, [], "secrets in dkimwatch's outputs (secret, output index)")


class AlertmanagerUrlsTests(AlertTestCase):
    """Issue 13: an alertmanager sink with `urls: [AM1, AM2]` sends every alert to each
    Alertmanager (a cluster gossips silences, not alerts), with delivery, retries and metrics per
    URL: AM2 down does not hold AM1 back, and gets the queued alert once it is up."""

    def test_10_every_alert_reaches_every_url_and_a_dead_url_retries(self) -> None:
        am1 = self.alertmanager("am1")
        port2 = free_tcp_port()  # nothing listens here until the second Alertmanager starts
        url1, url2 = am1.url("/"), f"http://127.0.0.1:{port2}/"
        display1, display2 = f"http://127.0.0.1:{am1.port}", f"http://127.0.0.1:{port2}"
        # resend_interval 1h: what reaches AM2 below is the queued outbox row, not a re-send.
        self.write_config([{"name": "am", "type": "alertmanager", "urls": [url1, url2],
                            "min_severity": "warning", "resend_interval": "1h"}])
        p = self.cli("validate")
        self.assertEqual(p.returncode, 0, p.stderr)
        # test-alert: one line per URL, exit 1 as one of them failed.
        p = self.cli("test-alert")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 2, p.stdout)
        self.assertEqual(lines[0], f"am (alertmanager, {display1}): HTTP 200 delivered")
        self.assertRegex(lines[1], rf"^am \(alertmanager, {re.escape(display2)}\): failed: .+$")
        self.wait_for("DKIMTest in AM1", lambda: am1.alerts("DKIMTest"), None, 5)
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        for display in (display1, display2):
            self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am", display), 0)
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("DKIMRevocationWarning in AM1",
                      lambda: am1.alerts("DKIMRevocationWarning", ALPHA), daemon, 10)
        self.wait_for("failed deliveries to AM2",
                      lambda: (self.metric("dkimwatch_alert_failures_total", "am", display2)
                               or 0) >= 2, daemon, 10)
        self.assertEqual(self.metric("dkimwatch_alert_queue_depth", "am", display1), 0)
        self.assertEqual(self.metric("dkimwatch_alert_queue_depth", "am", display2), 1)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am", display1), 1)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am", display2), 0)
        self.assertEqual(self.metric("dkimwatch_alert_failures_total", "am", display1), 0)
        rows = {r["sink"]: r["status"] for r in self.outbox()}
        self.assertEqual(rows, {f"am@{display1}": "sent", f"am@{display2}": "queued"})
        retries = [line for line in daemon.log().splitlines()
                   if "event=alert_retry sink=am " in line]
        self.assertTrue(retries)
        self.assertTrue(all(f"to={display2} " in line for line in retries), retries)

        am2 = self.alertmanager("am2", port=port2)
        alerts = self.wait_for("the queued DKIMRevocationWarning in AM2",
                               lambda: am2.alerts("DKIMRevocationWarning", ALPHA), daemon, 25)
        self.assertEqual(len(alerts), 1)
        self.wait_for("AM2's lane drained",
                      lambda: self.metric("dkimwatch_alert_queue_depth", "am", display2) == 0,
                      daemon, 5)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am", display2), 1)
        self.assertEqual(self.metric("dkimwatch_alerts_sent_total", "am", display1), 1)
        self.assertEqual({r["sink"]: r["status"] for r in self.outbox()},
                         {f"am@{display1}": "sent", f"am@{display2}": "sent"})

    def test_10b_a_reload_between_one_url_and_several_loses_no_queued_alert(self) -> None:
        """The outbox key of an alertmanager sink is its name with one URL and NAME@URL with
        several: on reload, the rows queued under the old key move to the new lanes, and a
        removed URL's rows stay queued (logged)."""
        port1, port2 = free_tcp_port(), free_tcp_port()
        self.assertNotEqual(port1, port2)
        url1, url2 = f"http://127.0.0.1:{port1}/", f"http://127.0.0.1:{port2}/"
        display1, display2 = f"http://127.0.0.1:{port1}", f"http://127.0.0.1:{port2}"
        key1, key2 = f"am@{display1}", f"am@{display2}"
        # resend_interval 1h: what reaches an Alertmanager below is the queued outbox row.
        sink = {"name": "am", "type": "alertmanager", "min_severity": "warning",
                "resend_interval": "1h"}
        self.write_config([{**sink, "url": url1}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("a failed delivery to the dead URL",
                      lambda: (self.metric("dkimwatch_alert_failures_total", "am") or 0) >= 1,
                      daemon, 5)
        self.assertEqual([(r["sink"], r["status"]) for r in self.outbox()], [("am", "queued")])

        # One URL -> two, both still down: the queued warning goes to both lanes.
        self.write_config([{**sink, "urls": [url1, url2]}])
        daemon.signal(signal.SIGHUP)
        self.wait_for("the first reload", lambda: daemon.log().count("event=reloaded") == 1,
                      daemon, 10)
        for key in (key1, key2):
            self.assertIn(f"level=info event=outbox_rekeyed sink=am from=am to={key} rows=1\n",
                          daemon.log())
        self.wait_for("one queued alert per lane",
                      lambda: all(self.metric("dkimwatch_alert_queue_depth", "am", display) == 1
                                  for display in (display1, display2)), daemon, 5)
        am1 = self.alertmanager("am1", port=port1)
        am2 = self.alertmanager("am2", port=port2)
        for am in (am1, am2):
            self.wait_for(f"the queued DKIMRevocationWarning at port {am.port}",
                          lambda: am.alerts("DKIMRevocationWarning", ALPHA), daemon, 25)
        self.wait_for("both lanes drained",
                      lambda: sorted((r["sink"], r["status"]) for r in self.outbox()) ==
                      sorted([(key1, "sent"), (key2, "sent")]), daemon, 5)

        # Two URLs -> one: a warning queued for both while they are down goes, for the kept
        # URL, under the sink's name; the removed URL's row stays queued.
        am1.stop()
        am2.stop()
        self.remove_lines(BETA, r"^be2\._domainkey")
        self.wait_states(daemon, {BETA: "revocation_warning"})
        self.wait_for("beta's warning queued in both lanes",
                      lambda: all(self.metric("dkimwatch_alert_queue_depth", "am", display) == 1
                                  for display in (display1, display2)), daemon, 10)
        self.write_config([{**sink, "url": url1}])
        daemon.signal(signal.SIGHUP)
        self.wait_for("the second reload", lambda: daemon.log().count("event=reloaded") == 2,
                      daemon, 10)
        self.assertIn(f"level=info event=outbox_rekeyed sink=am from={key1} to=am rows=1\n",
                      daemon.log())
        self.assertRegex(daemon.log(), rf"level=warning event=outbox_stranded sink=am "
                                       rf"key={re.escape(key2)} rows=1 note=")
        am1_again = self.alertmanager("am1-again", port=port1)
        self.wait_for("beta's queued DKIMRevocationWarning at the kept URL",
                      lambda: am1_again.alerts("DKIMRevocationWarning", BETA), daemon, 25)
        self.wait_for("the kept URL's lane drained",
                      lambda: [(r["sink"], r["domain"], r["status"]) for r in self.outbox()
                               if r["domain"] == BETA] ==
                      [("am", BETA, "sent"), (key2, BETA, "queued")], daemon, 5)
        self.assertEqual(self.metric("dkimwatch_alert_queue_depth", "am"), 0)


class EchoingReceiverTests(AlertTestCase):
    """Receivers that echo the request in their error answers ("Cannot POST /services/T…/B…",
    the routing key), as many frameworks do: no secret may reach the daemon's log, any byte of
    the state database (its -wal included) or test-alert's output (issue 12, item 3)."""

    def test_09_echoed_secrets_are_redacted_from_log_database_and_test_alert(self) -> None:
        slack = self.receiver("slack-echo", "400", echo=True)
        pd = self.receiver("pd-echo", "400", echo=True)
        hook = self.receiver("hook-echo", "500", echo=True)
        slack_url = self.write_secret("slack-url", slack.url(SLACK_PATH))
        self.write_config([
            {"name": "ops-slack", "type": "slack", "url_file": str(slack_url)},
            {"name": "pd", "type": "pagerduty", "url": pd.url("/v2/enqueue"),
             "routing_key_file": str(self.tmp / "routing-key")},
            {"name": "hook", "type": "webhook", "url": hook.url(HOOK_PATH),
             "secret_file": str(self.tmp / "hmac-secret")},
        ])
        secrets = SECRETS + (SLACK_PATH.lstrip("/"), HOOK_PATH.lstrip("/"))

        # test-alert prints 4xx and 5xx bodies: redacted, but still useful.
        p = self.cli("test-alert")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 3, p.stdout)
        self.assertTrue(lines[0].startswith(
            f"ops-slack (slack, http://127.0.0.1:{slack.port}): HTTP 400 rejected: "
            "Cannot POST /[redacted] {"), lines[0])
        self.assertTrue(lines[1].startswith(
            f"pd (pagerduty, http://127.0.0.1:{pd.port}): HTTP 400 rejected: "
            "Cannot POST /[redacted] (routing_key [redacted] is invalid) {"), lines[1])
        self.assertTrue(lines[2].startswith(
            f"hook (webhook, http://127.0.0.1:{hook.port}): HTTP 500 rejected: "
            "Cannot POST /[redacted] {"), lines[2])
        # The receivers did echo the secrets: the redaction above is what kept them out.
        self.assertIn(SLACK_PATH, slack.requests()[0]["path"])
        self.assertIn(ROUTING_KEY, pd.requests()[0]["body"])
        outputs = [p.stdout + p.stderr]

        # The daemon, started under umask 022: its database is still 0600.
        old_umask = os.umask(0o022)
        try:
            daemon = self.start_daemon()
        finally:
            os.umask(old_umask)
        db = self.state_dir / "dkimwatch.db"
        self.wait_states(daemon, {ALPHA: "verified", BETA: "verified"})
        self.remove_lines(ALPHA, AL2_LINE)
        self.wait_states(daemon, {ALPHA: "revocation_warning"})
        self.wait_for("the echoing sinks' rejections logged",
                      lambda: all(f"event=alert_rejected sink={sink} " in daemon.log()
                                  for sink in ("ops-slack", "pd")), daemon, 10)
        self.wait_for("a retry of the 5xx sink",
                      lambda: "event=alert_retry sink=hook " in daemon.log(), daemon, 10)
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(db) + suffix)
            self.assertEqual(oct(path.stat().st_mode & 0o777), oct(0o600), path)
        log = daemon.log()
        self.assertIn("Cannot POST /[redacted]", log)
        self.assertIn("routing_key [redacted] is invalid", log)
        outputs.append(log)

        # Every row of every table, and the raw bytes of the database and its -wal.
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            dump = "\n".join(con.iterdump())
            errors = [r[0] for r in con.execute(
                "SELECT last_error FROM outbox WHERE status = 'dropped' AND sink IN "
                "('ops-slack', 'pd')")]
        finally:
            con.close()
        self.assertTrue(errors)
        for error in errors:
            self.assertIn("[redacted]", error)
        outputs.append(dump)
        for suffix in ("", "-wal"):
            outputs.append(Path(str(db) + suffix).read_bytes().decode("latin-1"))
        for args in (("status",), ("history",), ("history", "--format", "json")):
            outputs.append(self.cli(*args).stdout)

        leaks = [(secret, i) for i, text in enumerate(outputs) for secret in secrets
                 if secret in text]
        self.assertEqual(leaks, [], "secrets in dkimwatch's outputs (secret, output index: "
                         "0 test-alert, 1 log, 2 database rows, 3 database file, 4 -wal, "
                         "5.. status/history)")


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
