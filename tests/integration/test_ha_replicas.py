#!/usr/bin/python3
"""Issue 13: two dkimwatch replicas, an Alertmanager cluster, one notification.

dnsenv/scenarios/ha: ha1.test and ha2.test on two nsd instances (127.0.0.2, 127.0.0.3), polled
for their SOA serial every second (zone_poll_interval 1s), so both replicas see a change within
a second or two. Two real Alertmanagers (0.25) form a cluster (am_cluster.py: each one's
--cluster.peer is the other). Each has webhook_configs and slack_configs (send_resolved) that
deliver to ONE HTTP receiver in this test, which records every request. Two `dkimwatch run`
replicas share one configuration (own state_dir and metrics port) and send every alert to both
Alertmanagers (one alertmanager sink with `urls:`, plus a third URL per replica: a tap on the
receiver that records what that replica sends, so that the replicas' alerts can be compared); Slack messages are rendered with the shipped
packaging/alertmanager/dkimwatch.tmpl. Every count below is exact and taken after waiting QUIET seconds past the
expected notification (2 x group_interval + the peer timeout + margin), so a duplicate would
have arrived:
  a. a removed record: one firing webhook and one Slack message for the group
     (DKIMRevocationWarning, domain); the restore: one resolved webhook and one Slack message.
     The Slack text names the domain, the deadline and the failing record. Every
     DKIMRevocationWarning post of both replicas has the same labels and, but for the deadline,
     the same annotations.
  b. kill -9 one replica while the identity is in revocation_warning, then restore the record:
     the resolved notification still arrives exactly once. The killed replica is then restarted
     on its state directory, where the warning is still stored: nothing more is notified.
  c. one Alertmanager stopped (SIGTERM, kept down): a new removal still notifies, exactly once,
     and so does its restore.
  d. PagerDuty direct (no Alertmanager): both replicas with a pagerduty sink to the receiver;
     every trigger for the condition and every resolve carry one and the same dedup_key.

Usage: /usr/bin/python3 test_ha_replicas.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH). Needs nsd, unbound, ldnsutils and prometheus-alertmanager. Python 3.11
standard library only; loopback only.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import am_cluster  # noqa: E402
import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, free_tcp_port  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "ha"
HA1, HA2 = "ha1.test", "ha2.test"
H1B, H2B = "h1b._domainkey.ha1.test", "h2b._domainkey.ha2.test"
H1B_LINE, H2B_LINE = r"^h1b\._domainkey", r"^h2b\._domainkey"
ALERTNAME = "DKIMRevocationWarning"
ROUTING_KEY = "R0utingKeyHaTest5b8e44"

# (CONFIRMATIONS - 1) x RECHECK is longer than zone_poll_interval (1s) plus a check: when the
# first replica confirms a recovery and resolves the alert, the other has already seen the record
# back (both poll the serial every second), so its re-send leaves the alert out
# (firing_conditions()) instead of making it fire again.
RECHECK = 1.0
CONFIRMATIONS = 3
RESEND = 1.0  # the replicas' alertmanager resend_interval: often, to provoke that race
GROUP_WAIT = 1.0  # Alertmanager's route
GROUP_INTERVAL = 2.0
# After a notification: what Alertmanager needs to send a duplicate if it were going to (the
# second instance waits its peer timeout, then a group flushes every group_interval), plus a
# re-send cycle of the replicas and some margin for a loaded machine.
QUIET = 2 * GROUP_INTERVAL + am_cluster.PEER_TIMEOUT + RESEND + 2.5
# Detection: zone poll + confirmations x recheck + group_wait + delivery, generously.
NOTIFY_TIMEOUT = 25.0
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")
UTC_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"

# The shipped template (packaging/alertmanager/dkimwatch.tmpl), as the example
# alertmanager.yml uses it.
SHIPPED_TEMPLATE = Path(__file__).resolve().parents[2] / "packaging/alertmanager/dkimwatch.tmpl"
SLACK_TITLE = '{{ template "dkimwatch.slack.title" . }}'
SLACK_TEXT = '{{ template "dkimwatch.slack.text" . }}'


class Receiver:
    """One HTTP server thread on 127.0.0.1 recording every request (any path): /hook for the
    Alertmanagers' webhooks, /slack for their Slack messages, /pd for PagerDuty (answered 202,
    as PagerDuty does; everything else 200)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with receiver.lock:
                    receiver.records.append({"time": time.time(), "path": self.path,
                                             "json": doc, "body": body.decode(errors="replace")})
                status = 202 if self.path.startswith("/pd") else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path: str, since: float = 0.0) -> list[dict]:
        with self.lock:
            return [r for r in self.records if r["path"] == path and r["time"] >= since]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def webhooks(receiver: Receiver, domain: str, status: str, since: float = 0.0) -> list[dict]:
    """Alertmanager webhook notifications for the (DKIMRevocationWarning, domain) group with
    the given status ("firing" or "resolved")."""
    return [r for r in receiver.requests("/hook", since)
            if isinstance(r["json"], dict) and r["json"].get("status") == status and
            r["json"].get("groupLabels") == {"alertname": ALERTNAME, "domain": domain}]


def slack_title(request: dict) -> str:
    return "".join(a.get("title", "") for a in request["json"].get("attachments", []))


def slacks(receiver: Receiver, domain: str, status: str, since: float = 0.0) -> list[dict]:
    """Alertmanager Slack messages about `domain` with the given status, as the shipped
    template titles them: "[FIRING:1] <summary>" or "[RESOLVED] <summary>", the summary naming
    "<domain> (<account>, <region>)"."""
    return [r for r in receiver.requests("/slack", since)
            if isinstance(r["json"], dict) and
            slack_title(r).startswith(f"[{status.upper()}") and
            f"{domain} (" in slack_title(r) + slack_text(r)]


def slack_text(request: dict) -> str:
    return "".join(a.get("text", "") for a in request["json"].get("attachments", []))


ENV: dnsenv.DnsEnv | None = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global ENV
    harness.require_binary(DKIMWATCH)
    if not os.access(am_cluster.ALERTMANAGER, os.X_OK):
        raise RuntimeError(f"{am_cluster.ALERTMANAGER} is missing: install the Debian package "
                           "prometheus-alertmanager")
    ENV = dnsenv.DnsEnv(SCENARIO).start()


def tearDownModule() -> None:  # noqa: N802
    if ENV is not None:
        ENV.stop()


class HaTestCase(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):

    def setUp(self) -> None:
        assert ENV is not None
        self.env = ENV
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-ha-")
        self.tmp = Path(self._tmp.name)
        self.receiver = Receiver()
        self.peers: list[am_cluster.Peer] = []
        self.daemons: list[Daemon] = []
        self.saved_logs: list[str] = []
        self.changed_zones: set[str] = set()
        (self.tmp / "routing-key").write_text(ROUTING_KEY + "\n")

    def tearDown(self) -> None:
        bad_stops = []
        for daemon in self.daemons:
            if daemon.alive():
                code = daemon.stop()
                if code != 0:
                    bad_stops.append((daemon.pid, code))
        for peer in self.peers:
            peer.stop()
        self.receiver.stop()
        for zone in sorted(self.changed_zones):
            self.env.restore_zone(zone)
        self.saved_logs = [f"--- dkimwatch pid {d.pid} ({d.log_path.name}), exit "
                           f"{d.popen.returncode}:\n{d.log()}" for d in self.daemons]
        self.saved_logs += [f"--- {p.name}:\n{p.log()[-4000:]}" for p in self.peers]
        self._tmp.cleanup()
        reports = [log for log in self.saved_logs if SANITIZER_REPORT.search(log)]
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + "\n".join(reports))
        if bad_stops:
            self.fail(f"daemons did not exit 0 on SIGTERM (pid, status): {bad_stops}")

    # ---- processes

    def start_cluster(self) -> list[am_cluster.Peer]:
        config = f"""\
global:
  resolve_timeout: 5m
templates: [{json.dumps(str(SHIPPED_TEMPLATE))}]
route:
  receiver: team
  group_by: [alertname, domain]
  group_wait: {GROUP_WAIT:g}s
  group_interval: {GROUP_INTERVAL:g}s
  repeat_interval: 1h
receivers:
  - name: team
    webhook_configs:
      - url: {json.dumps(self.receiver.url('/hook'))}
        send_resolved: true
    slack_configs:
      - api_url: {json.dumps(self.receiver.url('/slack'))}
        channel: "#dkim"
        send_resolved: true
        title: '{SLACK_TITLE}'
        text: '{SLACK_TEXT}'
"""
        self.peers = am_cluster.start_cluster(self.tmp, config, 2)
        return self.peers

    def write_config(self, replica: int, sinks: list[dict[str, str]]) -> Path:
        """Replica `replica`'s configuration: the same settings and sinks for every replica,
        its own state_dir and metrics port."""
        lines = [
            "check_interval: 2s", f"recheck_interval: {int(RECHECK * 1000)}ms",
            f"confirmations: {CONFIRMATIONS}", "revocation_window: 2h", "reminders: []",
            "group_wait: 0s", f"state_dir: {json.dumps(str(self.tmp / f'state{replica}'))}",
            "metrics:", f"  listen: 127.0.0.1:{free_tcp_port()}", "alerts:"]
        for sink in sinks:
            first = True
            for key, value in sink.items():
                lines.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
                first = False
        path = self.tmp / f"replica{replica}.yaml"
        path.write_text("\n".join(lines) + "\n" + self.env.configs["ha"].read_text())
        return path

    def start_daemon(self, config: Path) -> Daemon:
        daemon = Daemon(DKIMWATCH, config, self.tmp / f"daemon-{len(self.daemons) + 1}.log")
        self.daemons.append(daemon)
        self.wait_for("the daemon logs event=started", lambda: "event=started" in daemon.log(),
                      daemon, timeout=10)
        return daemon

    def status(self, config: Path) -> dict[str, dict]:
        p = subprocess.run([DKIMWATCH, "status", "--config", str(config), "--format", "json"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        if p.returncode != 0:
            return {}
        return {i["domain"]: i for i in json.loads(p.stdout)["identities"]}

    def wait_state(self, config: Path, daemon: Daemon, domain: str, state: str,
                   timeout: float = NOTIFY_TIMEOUT) -> dict:
        return self.wait_for(f"{domain} {state} ({config.name})",
                             lambda: (s := self.status(config).get(domain)) and
                             s["state"] == state and s, daemon, timeout)

    def remove(self, zone: str, pattern: str) -> float:
        before = time.time()
        self.changed_zones.add(zone)
        self.env.remove_lines(zone, pattern)  # at both servers, serial bumped
        return before

    def restore(self, zone: str) -> float:
        before = time.time()
        self.env.restore_zone(zone)
        self.changed_zones.discard(zone)
        return before

    def quiet(self) -> None:
        """Waits long enough for any duplicate to arrive."""
        time.sleep(QUIET)

    def assert_once(self, domain: str, status: str, since: float, daemon: Daemon) -> dict:
        """Waits for the group's `status` notification (webhook and Slack) after `since`, then
        QUIET seconds, and asserts that each arrived exactly once. Returns the Slack request."""
        self.wait_for(f"the {status} webhook for {domain}",
                      lambda: webhooks(self.receiver, domain, status, since), daemon,
                      NOTIFY_TIMEOUT)
        self.wait_for(f"the {status} Slack message for {domain}",
                      lambda: slacks(self.receiver, domain, status, since), daemon, 10)
        self.quiet()
        hooks = webhooks(self.receiver, domain, status, since)
        self.assertEqual(len(hooks), 1, f"{status} webhooks for {domain}: "
                                        f"{[h['json'] for h in hooks]}")
        messages = slacks(self.receiver, domain, status, since)
        self.assertEqual(len(messages), 1, f"{status} Slack messages for {domain}: "
                                           f"{[slack_text(m) for m in messages]}")
        alerts = hooks[0]["json"]["alerts"]
        self.assertEqual(len(alerts), 1, alerts)
        self.assertEqual(alerts[0]["status"], status)
        self.assertEqual(alerts[0]["labels"], {"alertname": ALERTNAME, "domain": domain,
                                               "account": "111122223333",
                                               "region": "us-east-1", "severity": "critical"})
        return messages[0]

    def assert_nothing_else(self, since: float, expected: int) -> None:
        """Every webhook and Slack request since `since` is one of `expected` of each."""
        self.assertEqual(len(self.receiver.requests("/hook", since)), expected,
                         [r["json"] for r in self.receiver.requests("/hook", since)])
        self.assertEqual(len(self.receiver.requests("/slack", since)), expected,
                         [slack_text(r) for r in self.receiver.requests("/slack", since)])


class AlertmanagerClusterTests(HaTestCase):
    """Scenarios a, b and c on one cluster and one pair of replicas, in order."""

    def tapped(self, replica: int) -> list[dict]:
        """Every alert replica `replica` posted to its tap (a third URL of its alertmanager sink
        that records what an Alertmanager would receive), in order."""
        return [alert for r in self.receiver.requests(f"/tap{replica}/api/v2/alerts")
                if isinstance(r["json"], list) for alert in r["json"]]

    def test_one_notification_through_the_cluster(self) -> None:
        am1, am2 = self.start_cluster()
        # Every alert to both Alertmanagers: one sink listing every instance of the cluster. The
        # replicas' sinks differ only in a third URL, each its own tap on the receiver, so that
        # what each replica sends can be compared.
        def sinks(replica: int) -> list[dict]:
            return [{"name": "am", "type": "alertmanager",
                     "urls": [am1.url(), am2.url(), self.receiver.url(f"/tap{replica}")],
                     "resend_interval": f"{RESEND:g}s"}]
        configs = [self.write_config(1, sinks(1)), self.write_config(2, sinks(2))]
        replicas = [self.start_daemon(c) for c in configs]
        for config, daemon in zip(configs, replicas):
            for domain in (HA1, HA2):
                self.wait_state(config, daemon, domain, "verified")
        start = time.time()

        # ---- a. a removed record: one firing notification, one resolved notification
        removed = self.remove(HA1, H1B_LINE)
        message = self.assert_once(HA1, "firing", removed, replicas[0])
        statuses = [self.wait_state(c, d, HA1, "revocation_warning")
                    for c, d in zip(configs, replicas)]
        text = slack_text(message)
        self.assertIn(HA1, text)
        self.assertIn(H1B, text)
        self.assertIn("missing", text)
        deadlines = {s["deadline"] for s in statuses}
        for deadline in deadlines:
            self.assertRegex(deadline, UTC_RE)
        self.assertTrue(any(f"*Deadline:* {d} (UTC)" in text for d in deadlines),
                        f"no replica's deadline {deadlines} in the Slack text:\n{text}")
        self.assertEqual(slacks(self.receiver, HA2, "firing"), [])
        # What the two replicas sent: the same labels and, but for the deadline, the same
        # annotations, in every post (first sends and re-sends alike).
        sent = {}
        for replica in (1, 2):
            posts = [a for a in self.tapped(replica)
                     if a["labels"].get("alertname") == ALERTNAME and
                     a["labels"].get("domain") == HA1 and "endsAt" not in a]
            self.assertTrue(posts, f"replica {replica} sent no {ALERTNAME} for {HA1}")
            sent[replica] = {json.dumps({"labels": a["labels"],
                                         "annotations": {k: v for k, v in
                                                         a["annotations"].items()
                                                         if k != "deadline"}},
                                        sort_keys=True) for a in posts}
        self.assertEqual(len(sent[1]), 1, sent[1])
        self.assertEqual(sent[1], sent[2])
        annotations = json.loads(next(iter(sent[1])))["annotations"]
        self.assertEqual(annotations["title"], "DKIM revocation warning")
        self.assertIn(f"missing CNAME {H1B}", annotations["records"])
        self.assertIn(H1B, annotations["fix"])
        restored = self.restore(HA1)
        self.assert_once(HA1, "resolved", restored, replicas[0])
        for config, daemon in zip(configs, replicas):
            self.wait_state(config, daemon, HA1, "verified")
        self.assert_nothing_else(start, 2)

        # ---- b. kill -9 a replica during the revocation warning: the recovery arrives once
        mark = time.time()
        removed = self.remove(HA2, H2B_LINE)
        self.assert_once(HA2, "firing", removed, replicas[0])
        for config, daemon in zip(configs, replicas):
            self.wait_state(config, daemon, HA2, "revocation_warning")
        self.assertEqual(replicas[1].kill(), -9)
        restored = self.restore(HA2)
        self.assert_once(HA2, "resolved", restored, replicas[0])
        self.wait_state(configs[0], replicas[0], HA2, "verified")
        self.assert_nothing_else(mark, 2)
        # The killed replica comes back on its state database, where ha2.test is still in
        # revocation_warning: it checks that identity first and re-sends nothing for it before
        # that check, so Alertmanager hears no stale warning and nobody is notified again.
        mark = time.time()
        replicas[1] = self.start_daemon(configs[1])
        self.wait_state(configs[1], replicas[1], HA2, "verified")
        self.quiet()
        self.assertEqual(webhooks(self.receiver, HA2, "firing", mark), [])
        self.assertEqual(webhooks(self.receiver, HA2, "resolved", mark), [])

        # ---- c. one Alertmanager down: a new removal still notifies, once
        mark = time.time()
        self.assertEqual(am2.stop(), 0)
        removed = self.remove(HA1, H1B_LINE)
        self.assert_once(HA1, "firing", removed, replicas[0])
        for config, daemon in zip(configs, replicas):
            self.wait_state(config, daemon, HA1, "revocation_warning")
        restored = self.restore(HA1)
        self.assert_once(HA1, "resolved", restored, replicas[0])
        self.assert_nothing_else(mark, 2)
        self.assertTrue(am1.alive())
        print(f"\n  scenarios a-c took {time.time() - start:.1f}s", file=sys.stderr)


class PagerDutyDirectTests(HaTestCase):
    """Scenario d: PagerDuty direct from both replicas shares one dedup_key."""

    def test_both_replicas_trigger_and_resolve_one_dedup_key(self) -> None:
        sinks = [{"name": "pd", "type": "pagerduty", "url": self.receiver.url("/pd/v2/enqueue"),
                  "routing_key_file": str(self.tmp / "routing-key"),
                  "min_severity": "warning"}]
        configs = [self.write_config(1, sinks), self.write_config(2, sinks)]
        replicas = [self.start_daemon(c) for c in configs]
        for config, daemon in zip(configs, replicas):
            for domain in (HA1, HA2):
                self.wait_state(config, daemon, domain, "verified")
        start = time.time()
        self.remove(HA1, H1B_LINE)
        for config, daemon in zip(configs, replicas):
            self.wait_state(config, daemon, HA1, "revocation_warning")

        def of(action: str) -> list[dict]:
            return [r["json"] for r in self.receiver.requests("/pd/v2/enqueue", start)
                    if isinstance(r["json"], dict) and r["json"].get("event_action") == action]

        # One trigger per replica (each sends its own; PagerDuty merges them by dedup_key).
        self.wait_for("a trigger from each replica", lambda: len(of("trigger")) >= 2,
                      replicas[0], NOTIFY_TIMEOUT)
        self.restore(HA1)
        for config, daemon in zip(configs, replicas):
            self.wait_state(config, daemon, HA1, "verified")
        self.wait_for("a resolve from each replica", lambda: len(of("resolve")) >= 2,
                      replicas[0], NOTIFY_TIMEOUT)
        self.quiet()
        triggers, resolves = of("trigger"), of("resolve")
        self.assertEqual(len(triggers), 2, triggers)
        self.assertEqual(len(resolves), 2, resolves)
        keys = {d.get("dedup_key") for d in triggers + resolves}
        self.assertEqual(len(keys), 1, f"dedup_keys: {keys}")
        self.assertTrue(next(iter(keys)))
        for doc in triggers:
            self.assertEqual(doc["routing_key"], ROUTING_KEY)
            self.assertIn(HA1, json.dumps(doc["payload"]))
        # Nothing else went to PagerDuty (ha2.test stayed healthy).
        self.assertEqual(len(self.receiver.requests("/pd/v2/enqueue", start)), 4)


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main(verbosity=2)
