#!/usr/bin/python3
"""Every dkimwatch verdict code through real DNS, via the real binary's JSON output.

Starts the verdicts scenario of tests/integration/dnsenv (nsd, unbound, ldns-testns, a dead and
a blackholed port, all on 127.0.0.1), runs `dkimwatch check --config <rendered> --format json`
and compares each record's verdict and severity, each identity's status, the JSON contract's
shape and the exit codes with the plan below. A mismatch is reported as one table of
(record, expected, got, JSON message) rather than stopping at the first.

Usage: /usr/bin/python3 test_check_verdicts.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH in the environment). Python 3.11 standard library only.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "verdicts"

SEVERITY = {
    "ok": "ok", "weak_key": "warning", "testing_mode": "warning", "dns_error": "indeterminate",
    "missing": "error", "doubled_domain": "error", "wrong_target": "error",
    "wrong_type": "error", "txt_servfail": "error", "key_malformed": "error",
    "key_mismatch": "error", "key_revoked": "error", "key_size": "error",
    "multiple_records": "error",
}
STATUS_OF_SEVERITY = {"ok": "ok", "warning": "warning", "error": "error",
                      "indeterminate": "unknown"}
SEVERITY_RANK = {"ok": 0, "warning": 1, "indeterminate": 2, "error": 3}

SHARED = "dkim.amazonses.com"
EU_SOUTH_1 = "dkim.eu-south-1.amazonses.com"


def easy(zone: str, *records: tuple[str, str]) -> dict:
    """records: (token, verdict) in config order; the expected target is <token>.<zone>."""
    return {"method": "easy_dkim", "zone": zone, "records": list(records)}


def byo(selector: str, verdict: str) -> dict:
    return {"method": "byodkim", "records": [(selector, verdict)]}


# The plan: identity domain -> expected records (every domain of configs/all.yaml.in).
PLAN: dict[str, dict] = {
    # Easy DKIM
    "healthy.test": easy(SHARED, ("hok1", "ok"), ("hok2", "ok"), ("hok3", "ok")),
    "southern.test": easy(EU_SOUTH_1, ("sok1", "ok"), ("sok2", "ok"), ("sok3", "ok")),
    "override.easy.test": easy(EU_SOUTH_1, ("ovr1", "ok"), ("ovr2", "ok"), ("ovr3", "ok")),
    "missing.easy.test": easy(SHARED, ("mis1", "ok"), ("mis2", "missing"),
                              ("mis3", "missing")),
    "doubled.easy.test": easy(SHARED, ("dbl1", "doubled_domain"), ("dbl2", "doubled_domain"),
                              ("dbl3", "doubled_domain")),
    "swapped.easy.test": easy(SHARED, ("swp1", "ok"), ("swp2", "wrong_target"),
                              ("swp3", "wrong_target")),
    "region.easy.test": easy(EU_SOUTH_1, ("rgn1", "wrong_target"), ("rgn2", "wrong_target"),
                             ("rgn3", "wrong_target")),
    "region2.easy.test": easy(SHARED, ("rgx1", "wrong_target"), ("rgx2", "ok"), ("rgx3", "ok")),
    "flattened.easy.test": easy(SHARED, ("flt1", "wrong_type"), ("flt2", "ok"), ("flt3", "ok")),
    "servfail.test": easy(SHARED, ("sf1", "txt_servfail"), ("sf2", "txt_servfail"),
                          ("sf3", "txt_servfail")),
    "broken.servfail.test": easy(SHARED, ("brk1", "dns_error"), ("brk2", "dns_error"),
                                 ("brk3", "dns_error")),
    "dead.test": easy(SHARED, ("ded1", "dns_error"), ("ded2", "dns_error"),
                      ("ded3", "dns_error")),
    "blackhole.test": easy(SHARED, ("ded1", "dns_error"), ("ded2", "dns_error"),
                           ("ded3", "dns_error")),
    # BYODKIM
    "ok2048.byo.test": byo("s2048", "ok"),
    "split.byo.test": byo("sel1", "ok"),
    "spf.byo.test": byo("mixed", "ok"),
    "weak.byo.test": byo("weak", "weak_key"),
    "testing.byo.test": byo("test", "testing_mode"),
    "revoked.byo.test": byo("gone", "key_revoked"),
    "mismatch.byo.test": byo("rot", "key_mismatch"),
    "big.byo.test": byo("big", "key_size"),
    "small.byo.test": byo("small", "key_size"),
    "multi.byo.test": byo("multi", "multiple_records"),
    "pem.byo.test": byo("pem", "key_malformed"),
    "linebreak.byo.test": byo("lb", "key_malformed"),
    "quoted.byo.test": byo("q", "key_malformed"),
    "dupe.byo.test": byo("dup", "key_malformed"),
    "v2.byo.test": byo("v2", "key_malformed"),
    "junk.byo.test": byo("junk", "key_malformed"),
    "nosemi.byo.test": byo("nosemi", "key_malformed"),
    "gap.byo.test": byo("missing", "missing"),
    "nodata.byo.test": byo("nodata", "missing"),
    "doubled.byo.test": byo("dbl", "doubled_domain"),
    "byo.servfail.test": byo("sfc", "txt_servfail"),
    "all.servfail.test": byo("sfa", "dns_error"),
    "byo.dead.test": byo("x", "dns_error"),
}

# Easy DKIM records whose observed CNAME target is known exactly.
OBSERVED = {
    "hok3._domainkey.healthy.test": "hok3.dkim.amazonses.com",  # mixed case in the zone
    "swp2._domainkey.swapped.easy.test": "swp3.dkim.amazonses.com",
    "swp3._domainkey.swapped.easy.test": "swp2.dkim.amazonses.com",
    "rgn1._domainkey.region.easy.test": "rgn1.dkim.amazonses.com",
    "rgx1._domainkey.region2.easy.test": "rgx1.dkim.eu-south-1.amazonses.com",
}

CANONICAL_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$")


def expected_status(verdicts: list[str]) -> str:
    worst = max((SEVERITY[v] for v in verdicts), key=SEVERITY_RANK.__getitem__)
    return STATUS_OF_SEVERITY[worst]


def plan_for_config(config_text: str) -> list[str]:
    """The identity domains of a rendered config, in order."""
    return re.findall(r"^  - domain: (\S+)$", config_text, re.M)


class CheckVerdicts(unittest.TestCase):
    env: dnsenv.DnsEnv
    runs: dict[str, subprocess.CompletedProcess]

    @classmethod
    def setUpClass(cls) -> None:
        harness.require_binary(DKIMWATCH)
        cls.env = dnsenv.DnsEnv(SCENARIO).start()
        cls.runs = {}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    # ---- helpers

    def check(self, config: str | Path, fmt: str = "json") -> subprocess.CompletedProcess:
        """Runs `dkimwatch check` once per (config, format) and caches the result."""
        path = self.env.configs[config] if isinstance(config, str) else config
        key = f"{path}:{fmt}"
        if key not in self.runs:
            self.runs[key] = subprocess.run(
                [DKIMWATCH, "check", "--config", str(path), "--format", fmt],
                capture_output=True, text=True, timeout=120)
        # Under ASan an error exits 1, which could pass for "only warnings": look for reports.
        self.assertNotRegex(self.runs[key].stderr,
                            r"Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer")
        return self.runs[key]

    def check_json(self, config: str) -> tuple[int, dict]:
        p = self.check(config)
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as exc:
            self.fail(f"check --config {config} --format json did not print JSON ({exc}); "
                      f"exit {p.returncode}\nstdout:\n{p.stdout[:2000]}\nstderr:\n"
                      f"{p.stderr[:2000]}")
        return p.returncode, doc

    def identities_by_domain(self, doc: dict) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for ident in doc["identities"]:
            self.assertNotIn(ident["domain"], out, "a domain appears twice")
            out[ident["domain"]] = ident
        return out

    def expected_records(self, domain: str) -> list[tuple[str, str, str | None, str]]:
        """(name, type, expected value or None when not asserted, verdict) per record."""
        plan = PLAN[domain]
        rows = []
        for label, verdict in plan["records"]:
            name = f"{label}._domainkey.{domain}"
            if plan["method"] == "easy_dkim":
                rows.append((name, "CNAME", f"{label}.{plan['zone']}", verdict))
            else:
                rows.append((name, "TXT", None, verdict))
        return rows

    def compare_with_plan(self, doc: dict, domains: list[str]) -> None:
        """Asserts every record's verdict and severity and every identity's status; reports
        all differences at once."""
        got = self.identities_by_domain(doc)
        self.assertEqual(sorted(got), sorted(domains))
        problems = []
        for domain in domains:
            ident = got[domain]
            exp_rows = self.expected_records(domain)
            self.assertEqual(ident["method"], PLAN[domain]["method"], domain)
            names = [r["name"] for r in ident["records"]]
            self.assertEqual(names, [row[0] for row in exp_rows], domain)
            for row, rec in zip(exp_rows, ident["records"]):
                name, rtype, expected, verdict = row
                if (rec["verdict"], rec["severity"]) != (verdict, SEVERITY[verdict]):
                    observed = rec["observed"]
                    if observed is not None and len(observed) > 80:
                        observed = observed[:77] + "..."
                    problems.append(f"{name}: expected {verdict}/{SEVERITY[verdict]}, got "
                                    f"{rec['verdict']}/{rec['severity']}, observed "
                                    f"{observed!r}, message {rec['message']!r}")
                self.assertEqual(rec["type"], rtype, name)
                if expected is not None:
                    self.assertEqual(rec["expected"], expected, name)
            status = expected_status([row[3] for row in exp_rows])
            if ident["status"] != status:
                problems.append(f"identity {domain}: expected status {status}, got "
                                f"{ident['status']}")
        if problems:
            self.fail("verdicts differ from the plan:\n  " + "\n  ".join(problems))

    # ---- the verdicts

    def test_every_verdict_code_is_planned(self) -> None:
        planned = {v for plan in PLAN.values() for _, v in plan["records"]}
        self.assertEqual(planned, set(SEVERITY))
        self.assertEqual(plan_for_config(self.env.configs["all"].read_text()), list(PLAN))

    def test_all_verdicts(self) -> None:
        code, doc = self.check_json("all")
        self.compare_with_plan(doc, list(PLAN))
        self.assertEqual(code, 2, "any error -> exit 2")

    def test_observed_values(self) -> None:
        _, doc = self.check_json("all")
        records = {r["name"]: r for i in doc["identities"] for r in i["records"]}
        for name, value in OBSERVED.items():
            self.assertEqual(records[name]["observed"], value, name)
        for name, rec in records.items():
            if rec["verdict"] == "ok" and rec["type"] == "CNAME":
                self.assertEqual(rec["observed"], rec["expected"], name)
            if rec["verdict"] == "missing":
                self.assertIsNone(rec["observed"], name)

    # ---- the JSON contract

    def test_json_shape(self) -> None:
        _, doc = self.check_json("all")
        self.assertLessEqual({"checked_at", "identities"}, set(doc))
        self.assertRegex(doc["checked_at"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        checked = datetime.datetime.strptime(doc["checked_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        age = datetime.datetime.now(datetime.timezone.utc) - checked
        self.assertLess(abs(age.total_seconds()), 300, doc["checked_at"])
        for ident in doc["identities"]:
            self.assertLessEqual({"domain", "account", "region", "method", "status", "records"},
                                 set(ident))
            self.assertEqual(ident["account"], "111122223333")
            self.assertIn(ident["method"], ("easy_dkim", "byodkim"))
            self.assertIn(ident["status"], ("ok", "warning", "error", "unknown"))
            self.assertEqual(len(ident["records"]), 3 if ident["method"] == "easy_dkim" else 1)
            for rec in ident["records"]:
                self.assertLessEqual({"name", "type", "expected", "observed", "verdict",
                                      "severity", "message"}, set(rec), rec)
                self.assertRegex(rec["name"], CANONICAL_NAME)
                self.assertIn(rec["type"], ("CNAME", "TXT"))
                self.assertIsInstance(rec["expected"], str)
                self.assertTrue(rec["expected"], rec["name"])
                self.assertTrue(rec["observed"] is None or isinstance(rec["observed"], str))
                if rec["type"] == "CNAME":
                    self.assertRegex(rec["expected"], CANONICAL_NAME)
                self.assertIn(rec["verdict"], SEVERITY)
                self.assertIsInstance(rec["message"], str)
                self.assertTrue(rec["message"].strip(), rec["name"])
        regions = {i["domain"]: i["region"] for i in doc["identities"]}
        self.assertEqual(regions["southern.test"], "eu-south-1")
        self.assertEqual(regions["ok2048.byo.test"], "eu-west-1")

    # ---- exit codes

    def test_all_ok_exits_0(self) -> None:
        code, doc = self.check_json("ok")
        self.compare_with_plan(doc, plan_for_config(self.env.configs["ok"].read_text()))
        self.assertEqual(code, 0)

    def test_only_warnings_exits_1(self) -> None:
        code, doc = self.check_json("warnings")
        self.compare_with_plan(doc, plan_for_config(self.env.configs["warnings"].read_text()))
        self.assertEqual(code, 1)

    def test_only_dns_errors_exits_3(self) -> None:
        code, doc = self.check_json("unknown")
        self.compare_with_plan(doc, plan_for_config(self.env.configs["unknown"].read_text()))
        self.assertEqual(code, 3)

    def assert_resolver_unusable(self, config: str) -> None:
        code, doc = self.check_json(config)
        self.assertEqual(code, 3)
        self.assertEqual([i["status"] for i in doc["identities"]], ["unknown", "unknown"])
        for rec in (r for i in doc["identities"] for r in i["records"]):
            self.assertEqual((rec["verdict"], rec["severity"]), ("dns_error", "indeterminate"),
                             rec)

    def test_dead_resolver_exits_3(self) -> None:
        self.assert_resolver_unusable("dead-resolver")

    def test_blackholed_resolver_exits_3(self) -> None:
        self.assert_resolver_unusable("blackhole-resolver")

    def test_bad_config_exits_3(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.yaml"
            bad.write_text(self.env.configs["ok"].read_text().replace(
                "    region: us-east-1\n", "    region: us-east-1\n    colour: blue\n", 1))
            p = self.check(bad)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            self.assertIn("bad.yaml", p.stderr)
            self.assertIn("colour", p.stderr)
            p = self.check(Path(tmp) / "does-not-exist.yaml")
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            self.assertIn("does-not-exist.yaml", p.stderr)

    # ---- text output

    def test_text_format_shows_problems_first(self) -> None:
        p = self.check("all", "text")
        self.assertEqual(p.returncode, 2, p.stderr)
        out = p.stdout
        self.assertTrue(out.strip(), p.stderr)
        first_ok = min((out.index(d) for d in ("healthy.test", "southern.test",
                                               "ok2048.byo.test") if d in out), default=len(out))
        for domain in ("missing.easy.test", "doubled.byo.test", "weak.byo.test",
                       "dead.test", "servfail.test"):
            self.assertIn(domain, out)
            self.assertLess(out.index(domain), first_ok, f"{domain} shown after a healthy one")
        p = self.check("ok", "text")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("healthy.test", p.stdout)



if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
