#!/usr/bin/python3
"""Every metric and label that the shipped Prometheus rules and Grafana dashboard use exists in
the real /metrics output of `dkimwatch run`.

The scene: the demo scenario of tests/integration/dnsenv (nsd + unbound + ldns-testns on
loopback) with six of its identities (metric-names.yaml.in: healthy ones, a missing record, TXT
SERVFAIL, an unanswering zone, a weak key), a daemon with check_interval 1s and confirmations 1,
and a webhook alert sink pointing at a dead loopback port (so every alert family exists and
messages stay queued), and the demo's SES account (dnsenv/scenarios/demo/ses.json) on the loopback
SES server aws/fake_aws.py, which makes every dkimwatch_ses_* family appear. Once every
identity has been checked, a record of the healthy example.com (us-east-1) is removed, which
makes it revocation_warning with a deadline series. Then /metrics is scraped and compared with
the names extracted from the rules' expressions and annotation queries and from the dashboard's
queries and variables.

A name passes when samples of that exact name are exposed (histogram series are exposed as
<family>_bucket, _sum and _count, so a bare histogram family name fails with a hint). A label in
a selector ({label=...}) must exist on that metric; a label in by/on/without/$labels must exist
on some dkimwatch metric (job and instance are added by Prometheus, le by histograms).

Usage: test_metric_names.py --dkimwatch PATH --source-dir DIR [unittest args]
Needs the Debian packages nsd, unbound and ldnsutils. Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dnsenv"))

import dnsenv  # noqa: E402

ARGS: argparse.Namespace
SCENARIO = HERE.parent / "dnsenv" / "scenarios" / "demo"
# example.com, us-east-1: healthy in the demo; one of its CNAMEs is removed during the test.
WARNED = {"account": "111122223333", "region": "us-east-1", "domain": "example.com"}
WARNED_LINE = r"^5hexa5rdmo2s66ozq7o2tfyh5uiupicy\._domainkey"
# Labels that Prometheus attaches at scrape time, and the histogram bucket label.
SCRAPE_LABELS = {"job", "instance"}
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
METRIC_NAME = re.compile(r"\bdkimwatch_[a-z0-9_]+\b")
SELECTOR = re.compile(r"\b(dkimwatch_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?:"|%q)')
GROUPING = re.compile(r"\b(?:by|on|without|ignoring|group_left|group_right)\s*\(([^)]*)\)")
TEMPLATE_LABEL = re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)")


class Exposition:
    """One scrape: sample names, each sample's label names, and the # TYPE of each family."""

    def __init__(self, text: str):
        self.text = text
        self.labels: dict[str, set[str]] = {}  # sample name -> label names seen
        self.types: dict[str, str] = {}  # family -> counter|gauge|histogram|...
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, family, kind = line.split(" ", 3)
                self.types[family] = kind
            if not line or line.startswith("#"):
                continue
            match = SAMPLE.match(line)
            if match is None:
                raise AssertionError(f"unparsable /metrics line: {line!r}")
            names = {name for name, _ in LABEL.findall(match.group(2) or "")}
            self.labels.setdefault(match.group(1), set()).update(names)

    def has(self, name: str, **labels: str) -> bool:
        pattern = re.compile(rf"^{re.escape(name)}\{{(.*)\}} ", re.M)
        for match in pattern.finditer(self.text):
            found = dict(LABEL.findall(match.group(1)))
            if all(found.get(k) == v for k, v in labels.items()):
                return True
        return False

    def problem_with(self, name: str) -> str | None:
        """Why `name` cannot be queried, or None when samples of that name are exposed."""
        if name in self.labels:
            return None
        if self.types.get(name) in ("histogram", "summary"):
            return (f"{name} is a {self.types[name]}: query {name}_bucket, {name}_sum or "
                    f"{name}_count")
        return f"{name}: no such metric in /metrics"


def strip_yaml_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def rules_queries() -> list[tuple[str, str]]:
    """(where, text) for the rules file: everything but comment lines (expressions, and the
    annotations with their query templates and $labels)."""
    path = Path(ARGS.source_dir) / "packaging/prometheus/dkimwatch-rules.yml"
    return [(str(path), strip_yaml_comments(path.read_text()))]


def dashboard_queries() -> list[tuple[str, str]]:
    path = Path(ARGS.source_dir) / "packaging/grafana/dkimwatch-dashboard.json"
    dashboard = json.loads(path.read_text())
    found = []
    panels = list(dashboard["panels"])
    for panel in list(panels):
        panels.extend(panel.get("panels", []))
    for panel in panels:
        for target in panel.get("targets", []):
            found.append((f"{path.name}: panel {panel['title']!r}", target["expr"]))
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        if variable.get("type") == "query":
            found.append((f"{path.name}: variable {variable['name']}", query))
    return found


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the daemon's child: SIGKILL when this test process dies, so no daemon outlives it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


class MetricNamesTest(unittest.TestCase):
    exposition: Exposition

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-metric-names-")
        tmp = Path(cls.tmp.name)
        cls.env = dnsenv.DnsEnv(SCENARIO)
        cls.env.__enter__()
        cls.daemon = None
        cls.log = tmp / "dkimwatch.log"
        try:
            cls.exposition = cls.scene(tmp)
        except BaseException:
            cls.stop()
            raise

    @classmethod
    def stop(cls) -> list[str]:
        """Stops the daemon and the DNS servers; returns what went wrong with the daemon."""
        problems = []
        if cls.daemon is not None and cls.daemon.poll() is None:
            cls.daemon.send_signal(signal.SIGTERM)
            try:
                status = cls.daemon.wait(timeout=10)
                if status != 0:
                    problems.append(f"dkimwatch exited {status} after SIGTERM")
            except subprocess.TimeoutExpired:
                cls.daemon.kill()
                cls.daemon.wait()
                problems.append("dkimwatch did not stop within 10 s of SIGTERM")
        cls.daemon = None
        if getattr(cls, "ses", None) is not None:
            cls.ses.terminate()
            cls.ses.wait(timeout=10)
            cls.ses.stdout.close()
        cls.env.__exit__(None, None, None)
        if cls.log.exists():
            log = cls.log.read_text()
            if SANITIZER_REPORT.search(log):
                problems.append("a sanitizer report or crash in dkimwatch's stderr")
            tail = log.splitlines()[-30:]
            print("--- dkimwatch stderr (last 30 lines) ---", *tail, sep="\n", file=sys.stderr)
        cls.tmp.cleanup()
        return problems

    @classmethod
    def tearDownClass(cls):
        problems = cls.stop()
        if problems:
            raise AssertionError("; ".join(problems))

    @classmethod
    def scrape(cls, port: int) -> Exposition:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return Exposition(response.read().decode())

    @classmethod
    def wait_for(cls, port: int, what: str, condition, timeout: float = 60.0) -> Exposition:
        deadline = time.monotonic() + timeout
        while True:
            if cls.daemon.poll() is not None:
                raise AssertionError(f"dkimwatch exited with {cls.daemon.returncode} while "
                                     f"waiting for {what}")
            try:
                exposition = cls.scrape(port)
                if condition(exposition):
                    return exposition
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.2)

    @classmethod
    def scene(cls, tmp: Path) -> Exposition:
        port = free_tcp_port()
        dead_port = free_tcp_port()  # nothing listens there: connection refused
        rendered = cls.env.render((HERE / "metric-names.yaml.in").read_text())
        rendered = rendered.replace("@METRICS_PORT@", str(port))
        rendered = rendered.replace("@DEAD_PORT@", str(dead_port))
        # The loopback SES v2 server (signatures verified with botocore), for dkimwatch_ses_*.
        cls.ses = subprocess.Popen(
            [sys.executable, str(HERE.parent / "aws" / "fake_aws.py"), "--scenario",
             str(SCENARIO / "ses.json"), "--port", "0"], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=_die_with_parent)
        rendered = rendered.replace("@SES_URL@",
                                    f"http://127.0.0.1:{int(cls.ses.stdout.readline())}")
        ses_scenario = json.loads((SCENARIO / "ses.json").read_text())["credentials"][0]
        environment = {**os.environ, "AWS_ACCESS_KEY_ID": ses_scenario["access_key_id"],
                       "AWS_SECRET_ACCESS_KEY": ses_scenario["secret_access_key"],
                       "AWS_EC2_METADATA_DISABLED": "true"}
        identities = len(re.findall(r"^\s*- domain: ", rendered, re.M))
        config = tmp / "dkimwatch.yaml"
        config.write_text(rendered)
        validate = subprocess.run([ARGS.dkimwatch, "validate", "--config", str(config)],
                                  capture_output=True, text=True, timeout=30)
        if validate.returncode != 0:
            raise AssertionError(f"the test configuration is invalid:\n{validate.stderr}")
        with cls.log.open("w") as log:
            cls.daemon = subprocess.Popen(
                [ARGS.dkimwatch, "--log-level", "info", "run", "--config", str(config)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                env=environment, preexec_fn=_die_with_parent)

        def all_checked(e: Exposition) -> bool:
            # The configured identities and at least mail.example.com, which only SES lists.
            return (len(re.findall(r"^dkimwatch_identity_last_check_timestamp_seconds\{",
                                   e.text, re.M)) >= identities + 1
                    and e.has("dkimwatch_identity_state", state="verified", **WARNED)
                    and e.has("dkimwatch_ses_finding", finding="signing_disabled"))

        cls.wait_for(port, "every identity checked and example.com verified", all_checked)
        cls.env.remove_lines("example.com", WARNED_LINE)
        return cls.wait_for(
            port, "example.com in revocation_warning, with an alert queued",
            lambda e: e.has("dkimwatch_revocation_deadline_timestamp_seconds", **WARNED)
            and e.has("dkimwatch_alert_oldest_queued_timestamp_seconds", sink="deadhook"))

    # ------------------------------------------------------------------------------------------
    def check_queries(self, queries: list[tuple[str, str]]) -> set[str]:
        exposition = self.exposition
        all_labels = set().union(*exposition.labels.values()) | SCRAPE_LABELS
        names: set[str] = set()
        for where, text in queries:
            for name in sorted(set(METRIC_NAME.findall(text))):
                names.add(name)
                with self.subTest(where=where, metric=name):
                    self.assertIsNone(exposition.problem_with(name))
            for name, matchers in SELECTOR.findall(text):
                for label in MATCHER.findall(matchers):
                    with self.subTest(where=where, metric=name, label=label):
                        if label not in SCRAPE_LABELS:
                            self.assertIn(label, exposition.labels.get(name, set()))
            grouped = [label.strip() for group in GROUPING.findall(text)
                       for label in group.split(",") if label.strip()]
            for label in grouped + TEMPLATE_LABEL.findall(text):
                with self.subTest(where=where, label=label):
                    self.assertIn(label, all_labels)
        return names

    def test_rules_use_only_exposed_metrics(self):
        names = self.check_queries(rules_queries())
        # The extraction found what the rules are about (the test must not pass vacuously).
        self.assertLessEqual({
            "dkimwatch_identity_state", "dkimwatch_revocation_deadline_timestamp_seconds",
            "dkimwatch_identity_last_check_timestamp_seconds", "dkimwatch_dns_queries_total",
            "dkimwatch_build_info", "dkimwatch_alert_failures_total",
            "dkimwatch_alerts_sent_total", "dkimwatch_alerts_dropped_total",
            "dkimwatch_alert_queue_depth", "dkimwatch_alert_oldest_queued_timestamp_seconds",
            "dkimwatch_record_problem", "dkimwatch_zone_serial",
            "dkimwatch_dnssec_signature_expiry_timestamp_seconds",
            "dkimwatch_authoritative_unreachable_total",
        }, names)

    def test_dashboard_uses_only_exposed_metrics(self):
        names = self.check_queries(dashboard_queries())
        self.assertLessEqual({
            "dkimwatch_identities", "dkimwatch_revocation_deadline_timestamp_seconds",
            "dkimwatch_record_problem", "dkimwatch_dns_query_duration_seconds_bucket",
            "dkimwatch_dns_queries_total", "dkimwatch_alerts_sent_total",
            "dkimwatch_alert_failures_total", "dkimwatch_alerts_dropped_total",
            "dkimwatch_alert_queue_depth", "dkimwatch_build_info", "dkimwatch_zone_serial",
            "dkimwatch_dnssec_signature_expiry_timestamp_seconds",
            "dkimwatch_authoritative_unreachable_total",
        }, names)

    def test_label_values_the_rules_match_on(self):
        # The literal label values the rules select by are values dkimwatch exports.
        e = self.exposition
        for state in ("pending", "verified", "revocation_warning", "revoked"):
            with self.subTest(state=state):
                self.assertTrue(e.has("dkimwatch_identities", state=state))
        for rcode in ("timeout", "servfail", "refused"):
            with self.subTest(rcode=rcode):
                self.assertTrue(e.has("dkimwatch_dns_queries_total", rcode=rcode))

    def test_bare_histogram_name_is_rejected(self):
        # The checker itself: a query on a histogram's family name would return nothing.
        self.assertIn("is a histogram",
                      self.exposition.problem_with("dkimwatch_dns_query_duration_seconds"))
        self.assertIsNone(
            self.exposition.problem_with("dkimwatch_dns_query_duration_seconds_count"))
        self.assertIn("no such metric", self.exposition.problem_with("dkimwatch_no_such_thing"))


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dkimwatch", required=True)
    parser.add_argument("--source-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
