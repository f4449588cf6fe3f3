#!/usr/bin/python3
"""The operator assets in packaging/, checked without a network or root:

- RulesTest: packaging/prometheus/dkimwatch-rules.yml passes `promtool check rules`, its unit
  tests (dkimwatch-rules.test.yml) pass `promtool test rules`, every rule is tested both firing
  and not firing, and every rule carries a severity, a summary, a description and a runbook.
- DashboardTest: packaging/grafana/dkimwatch-dashboard.json is valid JSON for Grafana (schema
  version, a datasource variable used by every panel and query, unique ids, no overlapping
  panels), has the panels operators need, and every query parses (`promtool check rules` on the
  queries turned into recording rules).
- ManPageTest: packaging/man/dkimwatch.8 renders without a single warning (`groff -ww` and
  `man --warnings`), names the project version, and documents every command and option that
  the built binary's --help lists.
- ExampleConfigTest: config/dkimwatch.yaml (installed as /etc/dkimwatch/dkimwatch.yaml) is valid,
  and so is the file with its commented-out daemon and alert keys switched on.
- CompletionTest: packaging/completion/dkimwatch, sourced in bash, completes exactly the
  binary's commands and each command's options, and the values of --format, --log-level, --sink
  and history --domain.

Usage: test_assets.py --source-dir DIR --dkimwatch BINARY --project-version X.Y.Z [unittest args]
Needs promtool (Debian package prometheus), groff-base and man-db. Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ARGS: argparse.Namespace

# The rules the project promises (issue "First run and packaging").
REQUIRED_ALERTS = {
    "DKIMRevocationWarning", "DKIMRevocationDeadlineNear", "DKIMRevoked", "DKIMPendingOverdue",
    "DkimwatchDown", "DkimwatchNotSweeping", "DkimwatchDNSErrorsRising",
    "DkimwatchAlertDeliveryFailing",
    "DkimwatchStateNotSaved",  # issue 12: the state database cannot be written
    # issue 10: SES as a source of truth
    "DkimwatchSesSigningDisabled", "DkimwatchSesDnsDisagree", "DkimwatchSesFailed",
    "DkimwatchSesSyncStale", "DkimwatchEmailIdentityUnsigned", "DkimwatchNotInSes",
    # issue 11: the authoritative servers and DNSSEC
    "DkimwatchNsSplit", "DkimwatchLameServer", "DkimwatchDnssecBogus",
    "DkimwatchDnssecSignatureExpiring", "DkimwatchAuthoritativeUnreachable",
}


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kwargs)


def source(relative: str) -> Path:
    return Path(ARGS.source_dir).resolve() / relative


def binary_help(*command: str) -> str:
    result = run([ARGS.dkimwatch, *command, "--help"])
    if result.returncode != 0:
        raise AssertionError(f"dkimwatch {' '.join(command)} --help exited "
                             f"{result.returncode}: {result.stderr}")
    return result.stdout


def binary_commands() -> list[str]:
    """The subcommands listed by `dkimwatch --help`."""
    text = binary_help()
    section = text.split("Subcommands:", 1)[1].split("\n\n", 1)[0]
    commands = [line.split()[0] for line in section.strip().splitlines()]
    if len(commands) < 7:
        raise AssertionError(f"too few subcommands parsed from --help: {commands}")
    return commands


def binary_options(*command: str) -> set[str]:
    """The long options of `dkimwatch [command] --help`, without --help."""
    text = binary_help(*command)
    section = text.split("Options:", 1)[1].split("\n\n", 1)[0]
    options = set(re.findall(r"^\s+(?:-\w,)?(--[a-z][a-z0-9-]*)", section, re.M))
    options.discard("--help")
    return options


# ----------------------------------------------------------------------------------------------
class RulesTest(unittest.TestCase):
    RULES = "packaging/prometheus/dkimwatch-rules.yml"
    TESTS = "packaging/prometheus/dkimwatch-rules.test.yml"

    def test_promtool_check_rules(self):
        result = run(["promtool", "check", "rules", str(source(self.RULES))])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        alerts = self.alerts()
        self.assertIn(f"SUCCESS: {len(alerts)} rules found", result.stdout)

    def test_promtool_test_rules(self):
        # promtool resolves rule_files relative to the test file.
        result = run(["promtool", "test", "rules", str(source(self.TESTS))])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)

    def alerts(self) -> dict[str, str]:
        """alert name -> its block of text."""
        text = source(self.RULES).read_text()
        blocks = re.split(r"^(?=[ \t]*- alert: )", text, flags=re.M)[1:]
        result = {}
        for block in blocks:
            # A block ends where the next group starts.
            block = re.split(r"^[ \t]*- name: ", block, flags=re.M)[0]
            name = re.match(r"[ \t]*- alert: (\S+)", block).group(1)
            self.assertNotIn(name, result, f"rule {name} defined twice")
            result[name] = block
        return result

    def test_required_rules_exist(self):
        self.assertLessEqual(REQUIRED_ALERTS, set(self.alerts()))

    def test_every_rule_has_severity_and_annotations(self):
        for name, block in self.alerts().items():
            with self.subTest(alert=name):
                self.assertRegex(block, r"\n\s+severity: (critical|warning)\n")
                for key in ("summary", "description", "runbook"):
                    self.assertRegex(block, rf"\n\s+{key}: ")
                # Descriptions name the subject of the alert.
                self.assertRegex(block, r"description: >-[\s\S]*\{\{ (with )?\$labels\.\w+ \}\}")

    def test_every_rule_is_tested_firing_and_not_firing(self):
        text = source(self.TESTS).read_text()
        firing: set[str] = set()
        quiet: set[str] = set()
        for match in re.finditer(r"alertname: (\S+)\n\s+exp_alerts:( \[\])?\n", text):
            (quiet if match.group(2) else firing).add(match.group(1))
        alerts = set(self.alerts())
        self.assertEqual(alerts - firing, set(), "rules never tested firing")
        self.assertEqual(alerts - quiet, set(), "rules never tested not firing")
        self.assertEqual((firing | quiet) - alerts, set(), "tests of rules that do not exist")


# ----------------------------------------------------------------------------------------------
def dashboard_panels(dashboard: dict) -> list[dict]:
    """Every panel, including those nested in collapsed rows."""
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    """(where, expr) of every query target of every panel."""
    return [(f"panel {p['id']} {p['title']!r} {t['refId']}", t["expr"])
            for p in dashboard_panels(dashboard) for t in p.get("targets", [])]


def concrete_promql(expr: str) -> str:
    """A dashboard query with Grafana's variables replaced by values Prometheus accepts."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


class DashboardTest(unittest.TestCase):
    PATH = "packaging/grafana/dkimwatch-dashboard.json"

    @classmethod
    def setUpClass(cls):
        cls.dashboard = json.loads(source(cls.PATH).read_text())

    def test_dashboard_fields(self):
        d = self.dashboard
        self.assertEqual(d["uid"], "dkimwatch")
        self.assertEqual(d["title"], "dkimwatch")
        self.assertGreaterEqual(d["schemaVersion"], 36)
        self.assertLessEqual(d["schemaVersion"], 39)
        self.assertNotIn("id", d)  # an import must not overwrite another dashboard by id

    def test_datasource_variable_is_used_everywhere(self):
        variables = {v["name"]: v for v in self.dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        expected = {"type": "prometheus", "uid": "${datasource}"}
        self.assertEqual(variables["instance"]["datasource"], expected)
        for panel in dashboard_panels(self.dashboard):
            if panel["type"] == "row":
                continue
            with self.subTest(panel=panel["title"]):
                self.assertEqual(panel["datasource"], expected)
                self.assertTrue(panel["targets"])
                for target in panel["targets"]:
                    self.assertEqual(target["datasource"], expected)
                    self.assertIn('instance=~"$instance"', target["expr"])

    def test_ids_unique_and_layout_without_overlap(self):
        panels = dashboard_panels(self.dashboard)
        ids = [p["id"] for p in panels]
        self.assertEqual(len(ids), len(set(ids)))
        cells: dict[tuple[int, int], str] = {}
        for p in panels:
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{p['title']} overlaps {cells.get((x, y))}")
                    cells[(x, y)] = p["title"]

    def test_required_panels(self):
        exprs = "\n".join(expr for _, expr in dashboard_exprs(self.dashboard))
        required = [
            r"dkimwatch_identities\{",                                        # by state
            r"dkimwatch_revocation_deadline_timestamp_seconds\{[^}]*\} - time\(\)",  # deadlines
            r"sum by \(verdict\) \(dkimwatch_record_problem",                 # failing records
            r"histogram_quantile\(0\.99, sum by \(le\) \(rate\(dkimwatch_dns_query_duration_seconds_bucket",
            r'dkimwatch_dns_queries_total\{[^}]*rcode=~"timeout\|servfail\|refused"',
            r"dkimwatch_alerts_sent_total", r"dkimwatch_alert_failures_total",
            r"dkimwatch_alerts_dropped_total", r"dkimwatch_alert_queue_depth",
            r"dkimwatch_zone_serial\{",                                       # serials per server
            r"dkimwatch_dnssec_signature_expiry_timestamp_seconds\{[^}]*\} - time\(\)",
            r"rate\(dkimwatch_authoritative_unreachable_total",
            r'dkimwatch_record_problem\{[^}]*verdict=~"ns_split\|lame_server\|dnssec_bogus',
        ]
        for pattern in required:
            self.assertRegex(exprs, pattern)

    def test_every_query_parses(self):
        lines = ["groups:", "  - name: dashboard", "    rules:"]
        for index, (where, expr) in enumerate(dashboard_exprs(self.dashboard)):
            lines += [f"      # {where}", f"      - record: dashboard:query_{index}",
                      f"        expr: {json.dumps(concrete_promql(expr))}"]
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as rules:
            rules.write("\n".join(lines) + "\n")
            rules.flush()
            result = run(["promtool", "check", "rules", rules.name])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


# ----------------------------------------------------------------------------------------------
class ManPageTest(unittest.TestCase):
    PATH = "packaging/man/dkimwatch.8"

    def test_groff_renders_without_warnings(self):
        result = run(["groff", "-ww", "-man", "-Tutf8", "-z", str(source(self.PATH))])
        self.assertEqual((result.returncode, result.stderr), (0, ""))

    def test_man_renders_without_warnings(self):
        for width in ("60", "80", "120"):
            env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH=width, MAN_KEEP_FORMATTING="")
            result = run(["man", "--warnings", "-E", "UTF-8", "-l", str(source(self.PATH))],
                         env=env)
            with self.subTest(width=width):
                self.assertEqual((result.returncode, result.stderr), (0, ""))
                self.assertIn("dkimwatch - watch the DKIM DNS records", result.stdout)

    def test_version_and_sections(self):
        text = source(self.PATH).read_text()
        self.assertRegex(text, rf'\n\.TH DKIMWATCH 8 \S+ "dkimwatch {re.escape(ARGS.project_version)}"')
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
                        "CONFIGURATION", "SIGNALS", "FILES", "EXIT STATUS", "EXAMPLES"):
            self.assertRegex(text, rf"\n\.SH {section}\n")
        for path in (r"/etc/dkimwatch/dkimwatch\.yaml", r"/var/lib/dkimwatch/dkimwatch\.db"):
            self.assertRegex(text, rf"\n\.I {path}\n")

    def test_documents_every_command_and_option(self):
        text = source(self.PATH).read_text()
        commands_section = "\n" + text.split("\n.SH COMMANDS\n", 1)[1].split("\n.SH ", 1)[0]
        synopsis = "\n" + text.split("\n.SH SYNOPSIS\n", 1)[1].split("\n.SH ", 1)[0]
        for command in binary_commands():
            roff = command.replace("-", r"\-")
            with self.subTest(command=command):
                self.assertIn(f"\n.TP\n.B {roff}\n", commands_section)
                self.assertIn(f"\n.B {roff}\n", synopsis)
                for option in binary_options(command):
                    self.assertIn(option.replace("-", r"\-"), text, f"{command} {option}")
        for option in binary_options():
            self.assertIn(option.replace("-", r"\-"), text)


# ----------------------------------------------------------------------------------------------
class ExampleConfigTest(unittest.TestCase):
    PATH = "config/dkimwatch.yaml"

    def validate(self, path: Path) -> subprocess.CompletedProcess:
        return run([ARGS.dkimwatch, "validate", "--config", str(path)])

    def test_example_is_valid(self):
        result = self.validate(source(self.PATH))
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "ok\n", ""))

    def test_commented_out_keys_are_valid(self):
        # "# key: value" at the top level and "#   ..." (nested) below it are switched on;
        # the secret files under /etc/dkimwatch are replaced by temporary ones.
        text = source(self.PATH).read_text()
        switched = re.sub(r"^# ([a-z_]+:)", r"\1", text, flags=re.M)
        switched = re.sub(r"^# (?=  )", "", switched, flags=re.M)
        self.assertIn("\nalerts:\n", switched)
        self.assertIn("\ncheck_interval: ", switched)
        with tempfile.TemporaryDirectory() as tmp:
            files = re.findall(r"/etc/dkimwatch/([\w.-]+)", switched)
            for name in set(files):
                Path(tmp, name).write_text("https://hooks.example.com/x\n")
            switched = switched.replace("/etc/dkimwatch/", tmp + "/")
            path = Path(tmp, "dkimwatch.yaml")
            path.write_text(switched)
            result = self.validate(path)
        # validate lists each sink (display forms of its URLs only), then "ok".
        self.assertEqual((result.returncode, result.stdout, result.stderr),
                         (0, "sink ops-slack (slack, min_severity warning): "
                             "https://hooks.example.com\n"
                             "sink hooks (webhook, min_severity info): https://hooks.example.com\n"
                             "sink am (alertmanager, min_severity info): http://127.0.0.1:9093\n"
                             "sink pd (pagerduty, min_severity info): "
                             "https://events.pagerduty.com\n"
                             "ok\n", ""),
                         switched)


# ----------------------------------------------------------------------------------------------
class CompletionTest(unittest.TestCase):
    PATH = "packaging/completion/dkimwatch"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = Path(cls.tmp.name)
        (tmp / "a.yaml").touch()
        (tmp / "b.yml").touch()
        (tmp / "c.txt").touch()
        (tmp / "conf.yaml").write_text(
            "identities:\n  - domain: example.com\n    account: \"1\"\n"
            "  - domain: \"shop.example.com\"\nalerts:\n  - name: ops-slack\n    type: slack\n"
            "  - name: 'hook'   # a comment\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def complete(self, *words: str) -> list[str]:
        """COMPREPLY for the command line `words` (the last word is being completed)."""
        script = (f"source {json.dumps(str(source(self.PATH)))} || exit 9\n"
                  "COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()\n"
                  "_dkimwatch || exit 8\n"
                  "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", *words],
                                capture_output=True, text=True, timeout=10, cwd=self.tmp.name)
        self.assertEqual((result.returncode, result.stderr), (0, ""), words)
        return [line for line in result.stdout.splitlines() if line]

    def test_registers_the_function(self):
        result = subprocess.run(["bash", "--norc", "-c", f"source {source(self.PATH)}; complete -p dkimwatch"],
                                capture_output=True, text=True, timeout=10)
        self.assertEqual(result.stdout.strip(), "complete -F _dkimwatch dkimwatch")

    def test_commands(self):
        self.assertEqual(sorted(self.complete("dkimwatch", "")), sorted(binary_commands()))
        self.assertEqual(self.complete("dkimwatch", "sta"), ["status", "state"])
        self.assertEqual(self.complete("dkimwatch", "state", ""), ["export", "import"])
        self.assertEqual(self.complete("dkimwatch", "state", "import", "--"),
                         ["--config", "--replace", "--help"])
        self.assertEqual(self.complete("dkimwatch", "state", "export", "--"),
                         ["--config", "--output", "--help"])
        self.assertEqual(self.complete("dkimwatch", "--log-level", "info", "te"), ["test-alert"])
        self.assertEqual(sorted(self.complete("dkimwatch", "--")),
                         sorted(binary_options() | {"--help"}))

    def test_options_of_every_command(self):
        for command in binary_commands():
            with self.subTest(command=command):
                self.assertEqual(set(self.complete("dkimwatch", command, "--")),
                                 binary_options(command) | {"--help"})
        self.assertEqual(self.complete("dkimwatch", "history", "--config", "x.yaml", "--l"),
                         ["--limit"])

    def test_values(self):
        self.assertEqual(self.complete("dkimwatch", "check", "--format", ""), ["text", "json"])
        self.assertEqual(self.complete("dkimwatch", "status", "-f", "j"), ["json"])
        self.assertEqual(self.complete("dkimwatch", "--log-level", "w"), ["warn"])
        self.assertEqual(self.complete("dkimwatch", "--log-level", "=", ""),
                         ["trace", "debug", "info", "warn", "error", "critical", "off"])
        self.assertEqual(sorted(self.complete("dkimwatch", "check", "--config", "")),
                         ["a.yaml", "b.yml", "conf.yaml"])
        self.assertEqual(self.complete("dkimwatch", "test-alert", "--config", "conf.yaml",
                                       "--sink", ""), ["ops-slack", "hook"])
        self.assertEqual(self.complete("dkimwatch", "history", "-c", "conf.yaml", "--domain",
                                       "s"), ["shop.example.com"])
        self.assertEqual(self.complete("dkimwatch", "history", "--config", "=", "conf.yaml",
                                       "-d", ""), ["example.com", "shop.example.com"])
        # Free text: nothing is offered.
        self.assertEqual(self.complete("dkimwatch", "keycheck", "--selector", ""), [])
        self.assertEqual(self.complete("dkimwatch", "keycheck", "--domain", ""), [])


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--dkimwatch", required=True)
    parser.add_argument("--project-version", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
