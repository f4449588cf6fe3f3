#!/usr/bin/python3
"""Every authoritative server of a zone (issue 11, part 2), through the real binary's JSON.

Starts dnsenv/scenarios/authoritative: nsd instances on 127.0.0.2, .3 and .4 share the main
nsd's port, which the configs give as dns.authoritative_port.
  - split.test: 127.0.0.4 (ns3) serves an older copy (serial 2026120301) without the sp2 CNAME;
    unbound's stub lists only .2 and .3, so the resolver alone says ok -> ns_split for sp2;
  - lame.test: ns3 (127.0.0.4) does not serve it and answers REFUSED -> lame_server;
  - good.test: all three servers agree -> ok, three entries with aa and one serial;
  - unreach.test: the resolver answers (stub: the main nsd) but no server listens on the NS
    addresses 127.0.0.9/.10 -> authoritative_indeterminate and the resolver's verdict;
  - configs/off: dns.authoritative off -> empty lists, the resolver decides.
The DNS facts each expectation rests on are asserted first (EnvironmentTests), straight from the
servers, so that a broken environment cannot pass for a dkimwatch bug or the reverse.

Usage: /usr/bin/python3 test_authoritative.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH). Needs nsd, unbound and ldnsutils. Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "authoritative"
SANITIZER = r"Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer"

CURRENT = 2026120302  # the scenario's initial_serial
LAGGING = 2026120301  # split.test at 127.0.0.4 ({{serial:-1}})
NS = {"127.0.0.2": "ns1", "127.0.0.3": "ns2", "127.0.0.4": "ns3"}
ENTRY_FIELDS = {"server", "address", "verdict", "observed", "aa", "serial", "latency_ms", "lame",
                "detail"}

ENV: dnsenv.DnsEnv | None = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global ENV
    ENV = dnsenv.DnsEnv(SCENARIO).start()


def tearDownModule() -> None:  # noqa: N802
    if ENV is not None:
        ENV.stop()


class EnvironmentTests(unittest.TestCase):
    """The DNS facts behind each expectation, asked of each server directly."""

    def q(self, name: str, rtype: str, address: str) -> dnsenv.Response:
        assert ENV is not None
        return ENV.query(name, rtype, "nsd", address=address, timeout=1.0)

    def test_split_servers_disagree(self) -> None:
        for address in ("127.0.0.2", "127.0.0.3"):
            r = self.q("sp2._domainkey.split.test", "CNAME", address)
            self.assertEqual((r.rcode, r.aa, r.cname_targets()),
                             ("NOERROR", True, ["sp2.dkim.amazonses.com"]), address)
            self.assertEqual(self.q("split.test", "SOA", address).soa_serial(), CURRENT)
        r = self.q("sp2._domainkey.split.test", "CNAME", "127.0.0.4")
        self.assertEqual((r.rcode, r.aa, r.cname_targets()), ("NXDOMAIN", True, []))
        self.assertEqual(self.q("split.test", "SOA", "127.0.0.4").soa_serial(), LAGGING)
        # The resolver only asks the good ones.
        assert ENV is not None
        for _ in range(5):
            self.assertEqual(ENV.query("sp2._domainkey.split.test", "CNAME").cname_targets(),
                             ["sp2.dkim.amazonses.com"])

    def test_lame_server_refuses(self) -> None:
        r = self.q("lame.test", "SOA", "127.0.0.4")
        self.assertEqual((r.rcode, r.aa), ("REFUSED", False))
        for address in ("127.0.0.2", "127.0.0.3"):
            r = self.q("lm1._domainkey.lame.test", "CNAME", address)
            self.assertEqual((r.rcode, r.aa), ("NOERROR", True), address)

    def test_unreachable_addresses(self) -> None:
        assert ENV is not None
        for address in ("127.0.0.9", "127.0.0.10"):
            with self.assertRaises((dnsenv.DnsTimeout, OSError)):
                self.q("unreach.test", "SOA", address)
        self.assertEqual(ENV.query("un1._domainkey.unreach.test", "CNAME").cname_targets(),
                         ["un1.dkim.amazonses.com"])


class CheckRunner(unittest.TestCase):
    """`dkimwatch check` on a rendered config, once per config and format (cached per class)."""

    runs: dict[str, subprocess.CompletedProcess] = {}

    def check(self, config: str, fmt: str = "json",
              path: Path | None = None) -> subprocess.CompletedProcess:
        assert ENV is not None
        key = f"{config}:{fmt}"
        if path is not None or key not in self.runs:
            p = subprocess.run([DKIMWATCH, "check", "--config",
                                str(path or ENV.configs[config]), "--format", fmt],
                               capture_output=True, text=True, timeout=120)
            self.assertNotRegex(p.stderr, SANITIZER)
            if path is not None:
                return p
            self.runs[key] = p
        return self.runs[key]

    def records(self, config: str, path: Path | None = None) -> tuple[int, dict[str, dict]]:
        p = self.check(config, path=path)
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as exc:
            self.fail(f"check did not print JSON ({exc}); exit {p.returncode}\n"
                      f"stdout:\n{p.stdout[:2000]}\nstderr:\n{p.stderr[:2000]}")
        return p.returncode, {r["name"]: r for i in doc["identities"] for r in i["records"]}

    def by_address(self, rec: dict) -> dict[str, dict]:
        entries = rec["authoritative"]
        self.assertIsInstance(entries, list, rec["name"])
        out = {}
        for e in entries:
            self.assertLessEqual(ENTRY_FIELDS, set(e), e)
            self.assertNotIn(e["address"], out, f"{rec['name']}: an address twice")
            out[e["address"]] = e
        return out



class AuthoritativeCheckTests(CheckRunner):
    runs: dict[str, subprocess.CompletedProcess] = {}

    def test_split_names_the_lagging_server_and_its_serial(self) -> None:
        code, recs = self.records("all")
        rec = recs["sp2._domainkey.split.test"]
        self.assertEqual((rec["verdict"], rec["severity"]), ("ns_split", "error"), rec["message"])
        entries = self.by_address(rec)
        self.assertEqual(sorted(entries), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        for address, e in entries.items():
            self.assertEqual(e["server"], f"{NS[address]}.split.test", e)
            self.assertIs(e["aa"], True, e)
            self.assertIs(e["lame"], False, e)
        lagging = entries["127.0.0.4"]
        self.assertEqual((lagging["verdict"], lagging["observed"], lagging["serial"]),
                         ("missing", None, LAGGING), lagging)
        for address in ("127.0.0.2", "127.0.0.3"):
            e = entries[address]
            self.assertEqual((e["verdict"], e["observed"], e["serial"]),
                             ("ok", "sp2.dkim.amazonses.com", CURRENT), e)
        self.assertIn("ns3.split.test", rec["message"])
        self.assertIn(str(LAGGING), rec["message"])
        self.assertIs(rec["authoritative_indeterminate"], False)
        self.assertEqual(rec["zone"], "split.test")
        # sp1 and sp3 are on every server: ok, even at the lagging one.
        for name in ("sp1._domainkey.split.test", "sp3._domainkey.split.test"):
            self.assertEqual(recs[name]["verdict"], "ok", recs[name]["message"])
            self.assertEqual({e["verdict"] for e in recs[name]["authoritative"]}, {"ok"})
        self.assertEqual(code, 2, "ns_split is an error")

    def test_text_report_shows_the_split(self) -> None:
        p = self.check("all", "text")
        self.assertEqual(p.returncode, 2, p.stderr)
        block = p.stdout[p.stdout.index("sp2._domainkey.split.test"):][:2000]
        self.assertIn("127.0.0.4", block)
        self.assertIn(str(LAGGING), block)

    def test_lame_server(self) -> None:
        _, recs = self.records("all")
        for token in ("lm1", "lm2", "lm3"):
            rec = recs[f"{token}._domainkey.lame.test"]
            self.assertEqual((rec["verdict"], rec["severity"]), ("lame_server", "warning"),
                             rec["message"])
            entries = self.by_address(rec)
            self.assertEqual(sorted(entries), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
            lame = entries["127.0.0.4"]
            self.assertEqual((lame["server"], lame["lame"], lame["aa"]),
                             ("ns3.lame.test", True, False), lame)
            self.assertIsInstance(lame["detail"], str)
            self.assertIn("REFUSED", lame["detail"].upper())
            for address in ("127.0.0.2", "127.0.0.3"):
                e = entries[address]
                self.assertEqual((e["verdict"], e["aa"], e["lame"], e["serial"], e["observed"]),
                                 ("ok", True, False, CURRENT, f"{token}.dkim.amazonses.com"), e)
            self.assertIn("ns3.lame.test", rec["message"])

    def test_all_good_zone(self) -> None:
        _, recs = self.records("all")
        for token in ("gd1", "gd2", "gd3"):
            rec = recs[f"{token}._domainkey.good.test"]
            self.assertEqual((rec["verdict"], rec["severity"]), ("ok", "ok"), rec["message"])
            entries = self.by_address(rec)
            self.assertEqual(sorted(entries), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
            self.assertEqual({e["server"] for e in entries.values()},
                             {"ns1.good.test", "ns2.good.test", "ns3.good.test"})
            for e in entries.values():
                self.assertEqual((e["verdict"], e["aa"], e["lame"], e["serial"], e["observed"]),
                                 ("ok", True, False, CURRENT, f"{token}.dkim.amazonses.com"), e)
                self.assertIsInstance(e["latency_ms"], (int, float))
                self.assertGreaterEqual(e["latency_ms"], 0)
                self.assertLess(e["latency_ms"], 1000)
            self.assertIs(rec["authoritative_indeterminate"], False)
            self.assertEqual(rec["zone"], "good.test")

    def test_unreachable_servers_leave_the_resolver_verdict(self) -> None:
        _, recs = self.records("all")
        for token in ("un1", "un2", "un3"):
            rec = recs[f"{token}._domainkey.unreach.test"]
            self.assertEqual((rec["verdict"], rec["severity"]), ("ok", "ok"), rec["message"])
            self.assertEqual(rec["observed"], f"{token}.dkim.amazonses.com")
            self.assertIs(rec["authoritative_indeterminate"], True, rec)
            for e in rec["authoritative"]:
                self.assertIn(e["address"], ("127.0.0.9", "127.0.0.10"), e)
                self.assertIsNot(e["aa"], True, e)
                self.assertIsNone(e["serial"], e)

    def test_off_means_empty_lists_and_the_resolver_decides(self) -> None:
        code, recs = self.records("off")
        self.assertEqual(len(recs), 12)
        for name, rec in recs.items():
            self.assertEqual(rec["authoritative"], [], name)
            self.assertIs(rec["authoritative_indeterminate"], False, name)
            # The resolver asks only the good servers of split.test and lame.test.
            self.assertEqual(rec["verdict"], "ok", f"{name}: {rec['message']}")
        self.assertEqual(code, 0)



class ZoneChangeTests(CheckRunner):
    """Changes the zones: runs last (unittest orders the classes by name)."""

    runs: dict[str, subprocess.CompletedProcess] = {}

    def test_fixing_the_lagging_server_ends_the_split(self) -> None:
        assert ENV is not None
        current = ENV.scenario.zone_template("split.test").read_text()
        ENV.set_zone("split.test", current, address="127.0.0.4")
        try:
            fixed_serial = ENV.serial("split.test", "127.0.0.4")
            self.assertGreater(fixed_serial, CURRENT)
            _, recs = self.records("all", path=ENV.configs["all"])
            rec = recs["sp2._domainkey.split.test"]
            self.assertEqual(rec["verdict"], "ok", rec["message"])
            serials = {e["address"]: e["serial"] for e in rec["authoritative"]}
            self.assertEqual(serials, {"127.0.0.2": CURRENT, "127.0.0.3": CURRENT,
                                       "127.0.0.4": fixed_serial})
        finally:
            ENV.restore_zone("split.test", "127.0.0.4")
        self.assertEqual(ENV.query("split.test", "SOA", "nsd", address="127.0.0.4").soa_serial(),
                         ENV.serial("split.test", "127.0.0.4"))
        self.assertEqual(ENV.query("sp2._domainkey.split.test", "CNAME", "nsd",
                                   address="127.0.0.4").rcode, "NXDOMAIN")


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main(verbosity=2)
