#!/usr/bin/python3
"""The shipped Alertmanager template and example configuration (packaging/alertmanager/) with
the real Alertmanager 0.25 (Debian package prometheus-alertmanager) and the real daemon.

- `amtool check-config` accepts the example, with its templates path pointed at the source tree.
- One Alertmanager runs the example configuration with its Slack api_url, webhook url and
  PagerDuty url pointed at local receivers (alert_delivery/receiver.py) and a short group_wait.
  `dkimwatch run` (dnsenv scenario alerts, an alertmanager sink) sees a DKIM record removed:
  the Slack message Alertmanager renders with dkimwatch.tmpl has the domain, the deadline, the
  failing record with its verdict, and the fix; the webhook gets the annotations; the PagerDuty
  event has them in its description and details. Restoring the record gives the resolved
  notifications.

Usage: /usr/bin/python3 test_alertmanager_template.py --dkimwatch PATH/TO/dkimwatch
(or DKIMWATCH=PATH). Needs nsd, unbound, ldnsutils, prometheus-alertmanager and python3-yaml.
Loopback only.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import test_daemon_alerts as alerts  # noqa: E402
from harness import die_with_parent, free_tcp_port, stop_process  # noqa: E402
# The scenario's DNS environment, started once for the module.
from test_daemon_alerts import setUpModule, tearDownModule  # noqa: E402,F401

SOURCE = HERE.parent.parent
TEMPLATE = SOURCE / "packaging" / "alertmanager" / "dkimwatch.tmpl"
EXAMPLE = SOURCE / "packaging" / "alertmanager" / "alertmanager.yml"
REPLICA_EXAMPLE = SOURCE / "packaging" / "alertmanager" / "dkimwatch-replica.yaml"
INSTALLED_TEMPLATE = "/usr/share/dkimwatch/alertmanager/dkimwatch.tmpl"
AMTOOL = "/usr/bin/amtool"


def example_with_source_template() -> dict:
    """The example configuration with its templates path pointed at the source tree."""
    config = yaml.safe_load(EXAMPLE.read_text())
    assert config["templates"] == [INSTALLED_TEMPLATE], config["templates"]
    config["templates"] = [str(TEMPLATE)]
    return config


class ExampleConfigTest(unittest.TestCase):
    def test_amtool_check_config_passes(self) -> None:
        with tempfile.TemporaryDirectory(prefix="dkimwatch-amtool-") as tmp:
            path = Path(tmp) / "alertmanager.yml"
            path.write_text(yaml.safe_dump(example_with_source_template()))
            result = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True,
                                    text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)
        self.assertIn("1 templates", result.stdout)

    def test_the_example_routes_by_identity_and_uses_the_template(self) -> None:
        config = yaml.safe_load(EXAMPLE.read_text())
        self.assertEqual(config["route"]["group_by"], ["alertname", "account", "region", "domain"])
        receiver = config["receivers"][0]
        self.assertIn("dkimwatch.slack.text", receiver["slack_configs"][0]["text"])
        self.assertIn("dkimwatch.pagerduty.description",
                      receiver["pagerduty_configs"][0]["description"])
        for kind in ("slack_configs", "webhook_configs", "pagerduty_configs"):
            self.assertTrue(receiver[kind][0]["send_resolved"], kind)


class ValidateHaTest(unittest.TestCase):
    """`dkimwatch validate` with ha: true: a warning per slack and webhook sink (at its line and
    column) and for the missing alertmanager sink (at the `ha:` key), exit 0; none for the
    example's recommended shape. Each sink is listed on stdout before "ok"."""

    def validate(self, sinks: str) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="dkimwatch-ha-") as tmp:
            path = Path(tmp) / "dkimwatch.yaml"
            path.write_text(
                "ha: true\nstate_dir: state\nalerts:\n" + sinks +
                "identities:\n  - domain: example.com\n    account: \"111122223333\"\n"
                "    region: us-east-1\n    easy_dkim:\n      tokens: [" +
                ", ".join(c * 32 for c in "abc") + "]\n")
            return subprocess.run([alerts.DKIMWATCH, "validate", "--config", str(path)],
                                  capture_output=True, text=True, timeout=60)

    def test_per_replica_sinks_warn(self) -> None:
        result = self.validate(
            '  - {name: team, type: slack, url: "https://hooks.slack.com/services/T/B/x"}\n'
            '  - {name: hook, type: webhook, url: "http://127.0.0.1:1/h"}\n')
        self.assertEqual((result.returncode, result.stdout),
                         (0, "sink team (slack, min_severity info): https://hooks.slack.com\n"
                             "sink hook (webhook, min_severity info): http://127.0.0.1:1\nok\n"),
                         result.stderr)
        warnings = result.stderr.splitlines()
        self.assertEqual(len(warnings), 3, result.stderr)
        # Each where it is written: the sink's mapping, and the `ha:` key (line 1).
        self.assertRegex(warnings[0], r"dkimwatch\.yaml:4:5: warning: alerts\[0\] "
                                      r"\(team, slack\): with ha: true .* once per replica")
        self.assertRegex(warnings[1], r"dkimwatch\.yaml:5:5: warning: alerts\[1\] "
                                      r"\(hook, webhook\)")
        self.assertRegex(warnings[2],
                         r"dkimwatch\.yaml:1:1: warning: ha: true but no alertmanager sink")

    def test_alertmanager_cluster_is_quiet(self) -> None:
        result = self.validate('  - {name: am, type: alertmanager, url: "http://127.0.0.1:9093"}\n')
        self.assertEqual((result.returncode, result.stdout, result.stderr),
                         (0, "sink am (alertmanager, min_severity info): http://127.0.0.1:9093\n"
                             "ok\n", ""))


class ReplicaExampleTest(unittest.TestCase):
    """The shipped HA replica example (packaging/alertmanager/dkimwatch-replica.yaml) is valid
    and gives no warning; with its alertmanager sink replaced by a direct webhook, the same file
    warns (so the quiet result means something)."""

    def validate(self, text: str) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="dkimwatch-replica-") as tmp:
            path = Path(tmp) / "dkimwatch-replica.yaml"
            path.write_text(text)
            return subprocess.run([alerts.DKIMWATCH, "validate", "--config", str(path)],
                                  capture_output=True, text=True, timeout=60)

    def test_the_replica_example_is_valid_and_quiet(self) -> None:
        text = REPLICA_EXAMPLE.read_text()
        self.assertIn("ha: true", text)
        result = self.validate(text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertTrue(result.stdout.endswith("ok\n"), result.stdout)
        direct = text.replace("type: alertmanager", "type: webhook").replace(
            "urls: [http://am1.internal:9093, http://am2.internal:9093]",
            "url: http://hooks.internal/dkim")
        self.assertNotEqual(direct, text)
        warned = self.validate(direct)
        self.assertEqual(warned.returncode, 0, warned.stderr)
        self.assertIn("once per replica", warned.stderr)
        self.assertIn("no alertmanager sink", warned.stderr)


class TemplatedAlertmanager:
    """A real Alertmanager on 127.0.0.1 (no cluster) with the given configuration."""

    def __init__(self, directory: Path, config: dict):
        path = directory / "am.yml"
        path.write_text(yaml.safe_dump(config))
        storage = directory / "am-data"
        storage.mkdir(exist_ok=True)
        self.log_path = directory / "am.log"
        for _attempt in range(3):  # a port found free may be taken before Alertmanager binds it
            self.port = free_tcp_port()
            with open(self.log_path, "ab") as log:
                self.popen = subprocess.Popen(
                    [alerts.ALERTMANAGER, f"--config.file={path}", f"--storage.path={storage}",
                     f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
                     "--log.level=warn"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                    start_new_session=True, preexec_fn=die_with_parent)
            ready = alerts.poll(lambda: self.popen.poll() is not None or
                                alerts.http_get(self.url("/-/ready"), 1)[0] == 200, 15, 0.05)
            if ready and self.popen.poll() is None:
                return
            stop_process(self.popen)
        raise RuntimeError(f"Alertmanager did not become ready: {self.log_path.read_text()}")

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        stop_process(self.popen)


class RenderingTest(alerts.AlertTestCase):
    def test_alertmanager_renders_dkimwatch_alerts_with_the_template(self) -> None:
        slack = self.receiver("slack")
        hook = self.receiver("hook")
        pd = self.receiver("pagerduty", "202")
        config = example_with_source_template()
        config["route"].update(group_wait="1s", group_interval="1s")
        receiver = config["receivers"][0]
        receiver["slack_configs"][0]["api_url"] = slack.url("/services/T/B/amtemplate")
        receiver["webhook_configs"][0]["url"] = hook.url("/am")
        receiver["pagerduty_configs"][0]["url"] = pd.url("/v2/enqueue")
        am = TemplatedAlertmanager(self.tmp, config)
        self.processes.append(am)
        self.write_config([{"name": "am", "type": "alertmanager", "url": am.url()}])
        daemon = self.start_daemon()
        self.wait_states(daemon, {alerts.ALPHA: "verified", alerts.BETA: "verified"})
        self.remove_lines(alerts.ALPHA, alerts.AL2_LINE)
        status = self.wait_states(daemon, {alerts.ALPHA: "revocation_warning"}, timeout=15)
        deadline = status[alerts.ALPHA]["deadline"]
        self.assertRegex(deadline, alerts.UTC_RE)

        def firing(receiver_: alerts.Receiver) -> list[dict]:
            """Slack messages titled [FIRING...], webhook documents with status firing,
            PagerDuty triggers."""
            out = []
            for request in receiver_.requests():
                doc = request["json"]
                if not isinstance(doc, dict):
                    continue
                title = (doc.get("attachments") or [{}])[0].get("title", "")
                if title.startswith("[FIRING") or doc.get("status") == "firing" or \
                        doc.get("event_action") == "trigger":
                    out.append(doc)
            return out

        # ---- Slack: the message rendered by dkimwatch.slack.title / dkimwatch.slack.text
        slack_messages = self.wait_for("the Slack message from Alertmanager",
                                       lambda: firing(slack), daemon, 20)
        attachment = slack_messages[0]["attachments"][0]
        title, text = attachment["title"], attachment["text"]
        self.assertEqual(title, "[FIRING:1] DKIM revocation warning: alpha.test (111122223333, "
                                "us-east-1): 1 record missing")
        self.assertEqual(attachment["color"], "danger")
        self.assertIn("*DKIM revocation warning: alpha.test (111122223333, us-east-1): 1 record "
                      "missing*", text)
        self.assertIn("SES may already have stopped DKIM-signing mail for alpha.test.", text)
        self.assertIn(f"*Deadline:* {deadline} (UTC)", text)
        self.assertIn(f"missing CNAME {alerts.AL2}: expected al2.dkim.amazonses.com; observed "
                      "nothing", text)
        self.assertIn("*Fix:*\n" + alerts.AL2 + ": ", text)
        self.assertIn("*State:* revocation_warning", text)

        # ---- the webhook: Alertmanager's document with dkimwatch's labels and annotations
        hooks = self.wait_for("the webhook from Alertmanager", lambda: firing(hook), daemon, 10)
        alert = hooks[0]["alerts"][0]
        self.assertEqual(alert["labels"], {"alertname": "DKIMRevocationWarning",
                                           "account": alerts.ACCOUNT, "region": alerts.REGION,
                                           "domain": alerts.ALPHA, "severity": "critical"})
        annotations = alert["annotations"]
        self.assertEqual(set(annotations), {"title", "summary", "description", "identity", "state",
                                            "deadline", "records", "fix"})
        self.assertEqual(annotations["deadline"], deadline)
        self.assertTrue(annotations["records"].startswith(f"missing CNAME {alerts.AL2}"))
        self.assertIn(alerts.AL2, annotations["fix"])

        # ---- PagerDuty: the Events API v2 trigger with the description and details
        events = self.wait_for("the PagerDuty event from Alertmanager", lambda: firing(pd),
                               daemon, 10)
        payload = events[0]["payload"]
        self.assertEqual(payload["summary"], title)
        self.assertEqual(payload["severity"], "critical")
        self.assertEqual(payload["component"], alerts.ALPHA)
        self.assertEqual(payload["class"], "DKIMRevocationWarning")
        details = payload["custom_details"]
        self.assertEqual(details["deadline"], deadline)
        self.assertEqual(details["records"], annotations["records"])
        self.assertEqual(details["fix"], annotations["fix"])
        self.assertIn(f"Deadline: {deadline} (UTC)", details["alerts"])
        self.assertIn(annotations["fix"], details["alerts"])

        # ---- the record back: every receiver gets the resolved notification
        self.restore_zone(alerts.ALPHA)

        def resolved(receiver_: alerts.Receiver) -> list[dict]:
            out = []
            for request in receiver_.requests():
                doc = request["json"]
                if not isinstance(doc, dict):
                    continue
                title = (doc.get("attachments") or [{}])[0].get("title", "")
                if title.startswith("[RESOLVED]") or doc.get("status") == "resolved" or \
                        doc.get("event_action") == "resolve":
                    out.append(doc)
            return out

        slack_resolved = self.wait_for("the resolved Slack message", lambda: resolved(slack),
                                       daemon, 20)
        # The resolve carries the recovery's annotations (Alertmanager keeps the last ones).
        self.assertEqual(slack_resolved[0]["attachments"][0]["title"],
                         "[RESOLVED] DKIM recovered: alpha.test (111122223333, us-east-1): all "
                         "records correct again")
        self.assertEqual(slack_resolved[0]["attachments"][0]["color"], "good")
        self.wait_for("the resolved webhook", lambda: resolved(hook), daemon, 10)
        self.wait_for("the PagerDuty resolve", lambda: resolved(pd), daemon, 10)


if __name__ == "__main__":
    alerts.DKIMWATCH = harness.take_binary_argument(alerts.DKIMWATCH)
    unittest.main(verbosity=2)
