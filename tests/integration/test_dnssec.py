#!/usr/bin/python3
"""DNSSEC validation (issue 11, part 3), through the real binary's JSON, cross-checked with ldns's
own tools.

Starts dnsenv/scenarios/dnssec: dnssec.test signed at start (ldns-keygen ECDSAP256SHA256,
ldns-signzone), its DS the test trust anchor (configs: dns.trust_anchor_file), and one BYODKIM
identity (selector s1) per child zone:
  secure (ok, "secure"), insecure (unsigned, no DS: ok, "insecure"), tampered (a changed RRSIG
  byte: dnssec_bogus, the reason names the signature), expired (dnssec_bogus, "expired"),
  dsmismatch (the parent's DS is of another key: dnssec_bogus, the reason names DS/DNSKEY),
  expiring (signatures end in 36 h: dnssec_expiring, a warning, still "secure");
  configs/off: dns.dnssec off -> "dnssec" is null.
unbound validates with the same anchor: a plain query for a bogus zone gets SERVFAIL, a CD=1
query the data. The secure/insecure/bogus split of each zone is derived independently from
`drill -S` (chase from the anchor), a DS query (AD + NSEC for insecure) and ldns-verify-zone,
and must agree with dkimwatch's.

Usage: /usr/bin/python3 test_dnssec.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH). Needs nsd, unbound and ldnsutils. Python 3.11 standard library only.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "dnssec"
SANITIZER = r"Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer"
DRILL = shutil.which("drill") or "/usr/bin/drill"
VERIFY_ZONE = shutil.which("ldns-verify-zone") or "/usr/bin/ldns-verify-zone"

# zone label -> (verdict, severity, dnssec, what the reason must match (regex) or None)
PLAN = {
    "secure": ("ok", "ok", "secure", None),
    "insecure": ("ok", "ok", "insecure", None),
    "tampered": ("dnssec_bogus", "error", "bogus", r"(?i)signature"),
    "expired": ("dnssec_bogus", "error", "bogus", r"(?i)expired"),
    "dsmismatch": ("dnssec_bogus", "error", "bogus", r"(?s)(?=.*\bDS\b)(?=.*DNSKEY)"),
    "expiring": ("dnssec_expiring", "warning", "secure", None),
}
# What ldns's tools say about each zone: (drill -S chase result, its first error or None).
DRILL_PLAN = {
    "secure": ("successful", None),
    "insecure": ("failed", "No DNSSEC public key(s)"),
    "tampered": ("failed", "Bogus DNSSEC signature"),
    "expired": ("failed", "DNSSEC signature has expired"),
    "dsmismatch": ("failed", "No DNSSEC public key(s)"),
    "expiring": ("successful", None),
}

ENV: dnsenv.DnsEnv | None = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global ENV
    ENV = dnsenv.DnsEnv(SCENARIO).start()


def tearDownModule() -> None:  # noqa: N802
    if ENV is not None:
        ENV.stop()


def name_of(label: str) -> str:
    return f"s1._domainkey.{label}.dnssec.test"


def drill(*args: str) -> str:
    assert ENV is not None
    p = subprocess.run([DRILL, "-p", str(ENV.ports["unbound"]), *args],
                       capture_output=True, text=True, timeout=30)
    return p.stdout + p.stderr


def drill_at_unbound(name: str, rtype: str, *flags: str) -> str:
    return drill(*flags, "@127.0.0.1", name, rtype)


def rcode_and_flags(output: str) -> tuple[str, set[str]]:
    rcode = re.search(r"rcode: (\w+)", output)
    flags = re.search(r"^;; flags: ([a-z ]*);", output, re.M)
    if rcode is None or flags is None:
        raise AssertionError(f"no answer in drill output:\n{output}")
    return rcode.group(1), set(flags.group(1).split())


def chase(label: str) -> tuple[str, str | None]:
    """drill -S from the test anchor: ("successful" | "failed", first error or None)."""
    assert ENV is not None
    out = drill("-S", "-k", str(ENV.trust_anchor_file), "@127.0.0.1", name_of(label), "TXT")
    m = re.search(r";; Chase (successful|failed)", out)
    if m is None:
        raise AssertionError(f"drill -S printed no verdict:\n{out}")
    err = re.search(r"first error was: (.+)$", out, re.M)
    return m.group(1), err.group(1).strip() if err else None


def ldns_split(label: str) -> str:
    """secure / insecure / bogus as ldns's tools and the validating unbound see it."""
    result, _ = chase(label)
    if result == "successful":
        return "secure"
    # Insecure: the parent proves (signed NSEC, validated: AD) that there is no DS.
    ds = drill_at_unbound(f"{label}.dnssec.test", "DS", "-D")
    rcode, flags = rcode_and_flags(ds)
    nsec = re.search(rf"^{re.escape(label)}\.dnssec\.test\.\s+\d+\s+IN\s+NSEC\s+\S+\s+(.*)$",
                     ds, re.M)
    if rcode == "NOERROR" and "ad" in flags and nsec and "DS" not in nsec.group(1).split():
        return "insecure"
    return "bogus"


class EnvironmentTests(unittest.TestCase):
    """The DNSSEC facts of each zone, without dkimwatch."""

    def test_validating_resolver_servfails_bogus_zones_unless_cd(self) -> None:
        for label, (_, _, dnssec, _) in PLAN.items():
            rcode, flags = rcode_and_flags(drill_at_unbound(name_of(label), "TXT", "-D"))
            self.assertEqual(rcode, "SERVFAIL" if dnssec == "bogus" else "NOERROR", label)
            self.assertEqual("ad" in flags, dnssec == "secure", label)
            out = drill_at_unbound(name_of(label), "TXT", "-D", "-o", "CD")
            rcode, flags = rcode_and_flags(out)
            self.assertEqual(rcode, "NOERROR", label)
            self.assertRegex(out, r"IN\s+TXT\s+\"v=DKIM1", label)

    def test_drill_chase(self) -> None:
        for label, expected in DRILL_PLAN.items():
            self.assertEqual(chase(label), expected, label)

    def test_ldns_split_matches_the_plan(self) -> None:
        self.assertEqual({label: ldns_split(label) for label in PLAN},
                         {label: plan[2] for label, plan in PLAN.items()})

    def test_ldns_verify_zone(self) -> None:
        assert ENV is not None
        expected = {"secure": None, "dsmismatch": None, "expiring": None,
                    "tampered": "Bogus DNSSEC signature", "expired": "signature has expired",
                    "insecure": "No DNSKEY records"}
        for label, error in expected.items():
            path = ENV.state_dir / "zones" / f"{label}.dnssec.test.zone"
            p = subprocess.run([VERIFY_ZONE, str(path)], capture_output=True, text=True,
                               timeout=30)
            out = p.stdout + p.stderr
            if error is None:
                self.assertIn("Zone is verified and complete", out, label)
            else:
                self.assertIn(error, out, label)
                self.assertNotIn("Zone is verified", out, label)

    def test_signature_times(self) -> None:
        now = time.time()
        bounds = {"secure": (20 * 86400, 31 * 86400), "expiring": (0, 2 * 86400),
                  "expired": (-2 * 86400, 0)}
        for label, (low, high) in bounds.items():
            out = drill_at_unbound(name_of(label), "TXT", "-D", "-o", "CD")
            m = re.search(r"IN\s+RRSIG\s+TXT\s+\d+\s+\d+\s+\d+\s+(\d{14})\s+(\d{14})", out)
            self.assertIsNotNone(m, out)
            assert m is not None
            expiry = calendar.timegm(time.strptime(m.group(1), "%Y%m%d%H%M%S"))
            self.assertTrue(low < expiry - now < high, f"{label}: expires {m.group(1)}")


class DnssecCheckTests(unittest.TestCase):
    runs: dict[str, subprocess.CompletedProcess] = {}

    def check(self, config: str, fmt: str = "json") -> subprocess.CompletedProcess:
        assert ENV is not None
        key = f"{config}:{fmt}"
        if key not in self.runs:
            p = subprocess.run([DKIMWATCH, "check", "--config", str(ENV.configs[config]),
                                "--format", fmt], capture_output=True, text=True, timeout=120)
            self.assertNotRegex(p.stderr, SANITIZER)
            self.runs[key] = p
        return self.runs[key]

    def records(self, config: str) -> tuple[int, dict[str, dict]]:
        p = self.check(config)
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as exc:
            self.fail(f"check did not print JSON ({exc}); exit {p.returncode}\n"
                      f"stdout:\n{p.stdout[:2000]}\nstderr:\n{p.stderr[:2000]}")
        return p.returncode, {r["name"]: r for i in doc["identities"] for r in i["records"]}

    def test_every_zone(self) -> None:
        code, recs = self.records("all")
        problems = []
        for label, (verdict, severity, dnssec, reason) in PLAN.items():
            rec = recs[name_of(label)]
            got = (rec["verdict"], rec["severity"], rec["dnssec"])
            if got != (verdict, severity, dnssec):
                problems.append(f"{label}: expected {(verdict, severity, dnssec)}, got {got}, "
                                f"reason {rec.get('dnssec_reason')!r}, message "
                                f"{rec['message']!r}")
            elif reason is not None and not re.search(reason, rec["dnssec_reason"] or ""):
                problems.append(f"{label}: reason {rec['dnssec_reason']!r} does not match "
                                f"{reason!r}")
        if problems:
            self.fail("DNSSEC verdicts differ from the plan:\n  " + "\n  ".join(problems))
        self.assertEqual(code, 2, "dnssec_bogus is an error")

    def test_bogus_messages_say_why(self) -> None:
        _, recs = self.records("all")
        for label in ("tampered", "expired", "dsmismatch"):
            rec = recs[name_of(label)]
            self.assertIsInstance(rec["dnssec_reason"], str, label)
            self.assertTrue(rec["dnssec_reason"].strip(), label)
            self.assertRegex(rec["message"], r"(?i)dnssec", label)

    def test_agrees_with_ldns_tools(self) -> None:
        _, recs = self.records("all")
        ours = {label: recs[name_of(label)]["dnssec"] for label in PLAN}
        theirs = {label: ldns_split(label) for label in PLAN}
        self.assertEqual(ours, theirs)

    def test_off_is_null(self) -> None:
        code, recs = self.records("off")
        self.assertEqual(len(recs), len(PLAN))
        for label, (verdict, _, dnssec, _) in PLAN.items():
            rec = recs[name_of(label)]
            self.assertIsNone(rec["dnssec"], label)
            self.assertNotIn(rec["verdict"], ("dnssec_bogus", "dnssec_expiring"), label)
            if dnssec != "bogus":
                self.assertEqual(rec["verdict"], "ok", f"{label}: {rec['message']}")
        self.assertNotEqual(code, 0, "the validating resolver SERVFAILs the bogus zones")


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main(verbosity=2)
