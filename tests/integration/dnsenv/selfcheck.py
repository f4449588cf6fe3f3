#!/usr/bin/python3
"""Selfcheck of the DNS test environment: the raw answers every scenario record gives through
unbound, exactly as the verdict tests plan them, plus dnsenv.py's own mechanics (zone changes,
the CLI's up/down/run, stopping by PID on a signal). It protects the scenarios from drifting:
when a verdict test fails, this tells whether DNS or dkimwatch changed.

Needs nsd, unbound and ldnsutils (ldns-testns, ldns-keygen, ldns-signzone, ldns-verify-zone).
Python 3.11 standard library only.
Run: /usr/bin/python3 tests/integration/dnsenv/selfcheck.py [-v]
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dnsenv  # noqa: E402

KEYS = HERE / "keys"
DNSENV = [sys.executable, str(HERE / "dnsenv.py")]


def key(name: str) -> str:
    return (KEYS / f"{name}.pub.b64").read_text().strip()


def pem_lines(b64: str) -> str:
    return "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))


class ScenarioDnsCase(unittest.TestCase):
    """Helpers shared by the scenario checks."""

    env: dnsenv.DnsEnv

    def q(self, name: str, rtype: str, timeout: float = 3.0) -> dnsenv.Response:
        return self.env.query(name, rtype, timeout=timeout)

    def assert_cname(self, name: str, target: str) -> None:
        r = self.q(name, "CNAME")
        self.assertEqual((r.rcode, r.cname_targets()), ("NOERROR", [target]), name)

    def assert_rcode_empty(self, name: str, rtype: str, rcode: str) -> None:
        """NXDOMAIN, or NODATA (rcode NOERROR and an empty answer)."""
        r = self.q(name, rtype)
        self.assertEqual((r.rcode, r.answer), (rcode, []), f"{name} {rtype}")

    def assert_txt(self, name: str, joined: list[str], chain: list[str] | None = None,
                   string_lengths: list[list[int]] | None = None) -> None:
        r = self.q(name, "TXT")
        self.assertEqual(r.rcode, "NOERROR", name)
        self.assertEqual(r.cname_targets(), chain or [], name)
        self.assertEqual(r.txt_joined(), joined, name)
        if string_lengths is not None:
            self.assertEqual([[len(s) for s in rec] for rec in r.txt_records()], string_lengths,
                             name)

    def assert_servfail(self, name: str, rtype: str) -> None:
        self.assertEqual(self.q(name, rtype).rcode, "SERVFAIL", f"{name} {rtype}")

    def assert_unanswerable(self, name: str, rtype: str) -> None:
        """A dead or blackholed name server: unbound answers SERVFAIL or not at all in 2 s."""
        try:
            rcode = self.q(name, rtype, timeout=2.0).rcode
        except dnsenv.DnsTimeout:
            rcode = "timeout"
        self.assertIn(rcode, ("SERVFAIL", "timeout"), f"{name} {rtype}")


class VerdictsScenario(ScenarioDnsCase):
    """tests/integration/dnsenv/scenarios/verdicts, record by record."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.env = dnsenv.DnsEnv(HERE / "scenarios" / "verdicts").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def test_configs_are_rendered(self) -> None:
        self.assertEqual(sorted(self.env.configs), ["all", "blackhole-resolver", "dead-resolver",
                                                     "ok", "unknown", "warnings"])
        for name, path in self.env.configs.items():
            text = path.read_text()
            self.assertNotIn("{{", text, name)
            self.assertIn("timeout: 1s", text, name)
        self.assertIn(f'resolvers: ["{self.env.resolver}"]', self.env.configs["all"].read_text())
        self.assertIn(f'resolvers: ["127.0.0.1:{self.env.ports["dead"]}"]',
                      self.env.configs["dead-resolver"].read_text())
        self.assertIn(f'public_key: "{key("rsa2048")}"', self.env.configs["all"].read_text())
        self.assertIn(f'private_key_file: "{KEYS}/rsa2048.pem"',
                      self.env.configs["all"].read_text())

    def test_nothing_leaves_loopback(self) -> None:
        # Names outside every stub end at the local root zone served by nsd.
        r = self.q("www.example.com", "A")
        self.assertEqual(r.rcode, "NXDOMAIN")
        self.assertEqual([(x.name, x.type) for x in r.authority], [("", "SOA")])
        r = self.q("www.amazonses.com", "A")
        self.assertEqual(r.rcode, "NXDOMAIN")
        self.assertEqual([(x.name, x.type) for x in r.authority], [("", "SOA")])

    def test_ses_targets(self) -> None:
        self.assert_txt("hok1.dkim.amazonses.com", [f"p={key('rsa1024')}"])
        self.assert_txt("hok3.dkim.amazonses.com", [""], string_lengths=[[0]])
        self.assert_txt("sok2.dkim.eu-south-1.amazonses.com", [""])
        self.assert_txt("sok3.dkim.eu-south-1.amazonses.com", [f"p={key('rsa2048')}"],
                        string_lengths=[[255, 139]])

    def test_easy_ok(self) -> None:
        for tok in ("hok1", "hok2"):
            self.assert_cname(f"{tok}._domainkey.healthy.test", f"{tok}.dkim.amazonses.com")
        # Written in mixed case in the zone: the client lowercases, so check the raw case here.
        r = self.q("hok3._domainkey.healthy.test", "CNAME")
        self.assertEqual(r.cname_targets(), ["hok3.dkim.amazonses.com"])
        self.assert_txt("hok1._domainkey.healthy.test", [f"p={key('rsa1024')}"],
                        chain=["hok1.dkim.amazonses.com"])
        self.assert_txt("hok2._domainkey.healthy.test",
                        [f"v=DKIM1; k=rsa; p={key('rsa2048')}"],
                        chain=["hok2.dkim.amazonses.com"], string_lengths=[[255, 155]])
        self.assert_txt("hok3._domainkey.healthy.test", [""], chain=["hok3.dkim.amazonses.com"])
        for tok in ("sok1", "sok2", "sok3"):
            self.assert_cname(f"{tok}._domainkey.southern.test",
                              f"{tok}.dkim.eu-south-1.amazonses.com")
        for tok in ("ovr1", "ovr2", "ovr3"):
            self.assert_cname(f"{tok}._domainkey.override.easy.test",
                              f"{tok}.dkim.eu-south-1.amazonses.com")

    def test_easy_missing(self) -> None:
        self.assert_cname("mis1._domainkey.missing.easy.test", "mis1.dkim.amazonses.com")
        self.assert_rcode_empty("mis2._domainkey.missing.easy.test", "CNAME", "NXDOMAIN")
        self.assert_rcode_empty("mis2._domainkey.missing.easy.test", "TXT", "NXDOMAIN")
        self.assert_rcode_empty("mis3._domainkey.missing.easy.test", "CNAME", "NOERROR")
        self.assert_rcode_empty("mis3._domainkey.missing.easy.test", "TXT", "NOERROR")
        for tok in ("mis2", "mis3"):
            self.assert_rcode_empty(
                f"{tok}._domainkey.missing.easy.test.missing.easy.test", "CNAME", "NXDOMAIN")

    def test_easy_doubled(self) -> None:
        for tok in ("dbl1", "dbl2", "dbl3"):
            self.assert_rcode_empty(f"{tok}._domainkey.doubled.easy.test", "CNAME", "NXDOMAIN")
            self.assert_rcode_empty(f"{tok}._domainkey.doubled.easy.test", "TXT", "NXDOMAIN")
            self.assert_cname(f"{tok}._domainkey.doubled.easy.test.doubled.easy.test",
                              f"{tok}.dkim.amazonses.com")

    def test_easy_wrong_target(self) -> None:
        self.assert_cname("swp1._domainkey.swapped.easy.test", "swp1.dkim.amazonses.com")
        self.assert_cname("swp2._domainkey.swapped.easy.test", "swp3.dkim.amazonses.com")
        self.assert_cname("swp3._domainkey.swapped.easy.test", "swp2.dkim.amazonses.com")
        for tok in ("rgn1", "rgn2", "rgn3"):
            self.assert_cname(f"{tok}._domainkey.region.easy.test", f"{tok}.dkim.amazonses.com")
        self.assert_cname("rgx1._domainkey.region2.easy.test",
                          "rgx1.dkim.eu-south-1.amazonses.com")
        self.assert_txt("rgx1._domainkey.region2.easy.test", [f"p={key('rsa1024')}"],
                        chain=["rgx1.dkim.eu-south-1.amazonses.com"])
        for tok in ("rgx2", "rgx3"):
            self.assert_cname(f"{tok}._domainkey.region2.easy.test", f"{tok}.dkim.amazonses.com")

    def test_easy_wrong_type(self) -> None:
        self.assert_rcode_empty("flt1._domainkey.flattened.easy.test", "CNAME", "NOERROR")
        self.assert_txt("flt1._domainkey.flattened.easy.test", [f"p={key('rsa1024')}"])
        for tok in ("flt2", "flt3"):
            self.assert_cname(f"{tok}._domainkey.flattened.easy.test",
                              f"{tok}.dkim.amazonses.com")

    def test_txt_servfail(self) -> None:
        # Twice in a row: a CNAME answer must not be cached and followed for the TXT query.
        for _ in range(2):
            for tok in ("sf1", "sf2", "sf3"):
                self.assert_cname(f"{tok}._domainkey.servfail.test", f"{tok}.dkim.amazonses.com")
                self.assert_servfail(f"{tok}._domainkey.servfail.test", "TXT")
            self.assert_cname("sfc._domainkey.byo.servfail.test", "sfc.keyhost.test")
            self.assert_servfail("sfc._domainkey.byo.servfail.test", "TXT")
        self.assert_txt("sfc.keyhost.test", [f"v=DKIM1; k=rsa; p={key('rsa2048')}"])

    def test_dns_errors(self) -> None:
        self.assert_servfail("sfa._domainkey.all.servfail.test", "TXT")
        self.assert_servfail("sfa._domainkey.all.servfail.test", "CNAME")
        for tok in ("brk1", "brk2", "brk3"):
            self.assert_servfail(f"{tok}._domainkey.broken.servfail.test", "CNAME")
            self.assert_servfail(f"{tok}._domainkey.broken.servfail.test", "TXT")
        self.assert_unanswerable("ded1._domainkey.dead.test", "CNAME")
        self.assert_unanswerable("x._domainkey.byo.dead.test", "TXT")
        self.assert_unanswerable("ded1._domainkey.blackhole.test", "CNAME")
        # The ports dkimwatch uses as dead resolvers: nothing listens / nothing answers.
        with self.assertRaises(ConnectionRefusedError):
            dnsenv.dns_query("healthy.test", "SOA", self.env.ports["dead"], timeout=1.0)
        with self.assertRaises(dnsenv.DnsTimeout):
            dnsenv.dns_query("healthy.test", "SOA", self.env.ports["blackhole"], timeout=0.5)

    def test_byodkim_ok(self) -> None:
        k2048 = key("rsa2048")
        self.assert_txt("s2048._domainkey.ok2048.byo.test", [f"v=DKIM1; k=rsa; p={k2048}"],
                        string_lengths=[[255, 155]])
        self.assert_txt("sel1._domainkey.split.byo.test", [f"p={k2048}"],
                        string_lengths=[[100, 100, 100, 94]])
        r = self.q("mixed._domainkey.spf.byo.test", "TXT")
        self.assertEqual(sorted(r.txt_joined()), sorted(["v=spf1 -all",
                                                         f"v=DKIM1; k=rsa; p={k2048}"]))

    def test_byodkim_key_problems(self) -> None:
        k1024, k2048 = key("rsa1024"), key("rsa2048")
        self.assert_txt("weak._domainkey.weak.byo.test", [f"v=DKIM1; k=rsa; p={k1024}"],
                        string_lengths=[[234]])
        self.assert_txt("test._domainkey.testing.byo.test", [f"v=DKIM1; k=rsa; t=y; p={k2048}"])
        self.assert_txt("gone._domainkey.revoked.byo.test", ["v=DKIM1; k=rsa; p="])
        self.assert_txt("rot._domainkey.mismatch.byo.test",
                        [f"v=DKIM1; k=rsa; p={key('rsa2048-old')}"])
        self.assert_txt("big._domainkey.big.byo.test", [f"v=DKIM1; k=rsa; p={key('rsa4096')}"],
                        string_lengths=[[255, 255, 244]])
        self.assert_txt("small._domainkey.small.byo.test", [f"v=DKIM1; k=rsa; p={key('rsa512')}"])
        r = self.q("multi._domainkey.multi.byo.test", "TXT")
        self.assertEqual(sorted(r.txt_joined()), sorted([
            f"v=DKIM1; k=rsa; p={key('rsa2048-old')}", f"v=DKIM1; k=rsa; p={k2048}"]))

    def test_byodkim_malformed(self) -> None:
        k1024 = key("rsa1024")
        self.assert_txt("pem._domainkey.pem.byo.test", [
            f"v=DKIM1; k=rsa; p=-----BEGIN PUBLIC KEY-----{k1024}-----END PUBLIC KEY-----"])
        self.assert_txt("lb._domainkey.linebreak.byo.test",
                        [f"v=DKIM1; k=rsa; p={pem_lines(k1024)}"])
        self.assertEqual(pem_lines(k1024).count("\n"), 3)
        self.assert_txt("q._domainkey.quoted.byo.test", [f'v=DKIM1; k=rsa; p="{k1024}"'])
        self.assert_txt("dup._domainkey.dupe.byo.test", [f"v=DKIM1; k=rsa; p={k1024}; p={k1024}"])
        self.assert_txt("v2._domainkey.v2.byo.test", [f"v=DKIM2; k=rsa; p={k1024}"])
        self.assert_txt("junk._domainkey.junk.byo.test", ["v=DKIM1; k=rsa; p=SGVsbG8gd29ybGQh"])
        self.assert_txt("nosemi._domainkey.nosemi.byo.test", [f"v=DKIM1; k=rsa p={k1024}"])

    def test_byodkim_missing_and_doubled(self) -> None:
        self.assert_rcode_empty("missing._domainkey.gap.byo.test", "TXT", "NXDOMAIN")
        self.assert_rcode_empty("missing._domainkey.gap.byo.test.gap.byo.test", "TXT",
                                "NXDOMAIN")
        self.assert_rcode_empty("nodata._domainkey.nodata.byo.test", "TXT", "NOERROR")
        self.assert_rcode_empty("nodata._domainkey.nodata.byo.test.nodata.byo.test", "TXT",
                                "NXDOMAIN")
        self.assert_rcode_empty("dbl._domainkey.doubled.byo.test", "TXT", "NXDOMAIN")
        self.assert_txt("dbl._domainkey.doubled.byo.test.doubled.byo.test",
                        [f"v=DKIM1; k=rsa; p={key('rsa2048')}"])

    def test_zone_change_is_visible_at_once(self) -> None:
        name = "hok2._domainkey.healthy.test"
        try:
            self.assertEqual(self.env.remove_lines("healthy.test", r"^hok2\._domainkey"), 1)
            self.assert_rcode_empty(name, "CNAME", "NXDOMAIN")
            self.assertEqual(self.env.query("healthy.test", "SOA", "nsd").soa_serial(), 2)
        finally:
            self.env.restore_zone("healthy.test")
        self.assert_cname(name, "hok2.dkim.amazonses.com")
        self.assertEqual(self.env.query("healthy.test", "SOA", "nsd").soa_serial(), 3)
        with self.assertRaises(dnsenv.DnsEnvError):
            self.env.remove_lines("healthy.test", "no such line")


class DemoScenario(ScenarioDnsCase):
    """tests/integration/dnsenv/scenarios/demo: the README demo's zones answer as described."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.env = dnsenv.DnsEnv(HERE / "scenarios" / "demo").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def test_demo(self) -> None:
        self.assertEqual(list(self.env.configs), ["dkimwatch"])
        self.assertEqual(self.env.environment()["DNSENV_CONFIG"],
                         str(self.env.state_dir / "dkimwatch.yaml"))
        tok = "5hexa5rdmo2s66ozq7o2tfyh5uiupicy"
        self.assert_cname(f"{tok}._domainkey.example.com", f"{tok}.dkim.amazonses.com")
        tok = "z7moztexweifjcvmuvgttfknpmymt5oh"
        self.assert_cname(f"{tok}._domainkey.example.com", f"{tok}.dkim.eu-south-1.amazonses.com")
        self.assert_txt("pvvgz3m6nxqze56nkm2gre2jf6j6455z._domainkey.example.com", [""],
                        chain=["pvvgz3m6nxqze56nkm2gre2jf6j6455z.dkim.amazonses.com"])
        self.assert_txt("ses2024._domainkey.example.org",
                        [f"v=DKIM1; k=rsa; p={key('rsa2048')}"], string_lengths=[[255, 155]])
        self.assert_rcode_empty("npo4exzruoag2b54evn6o6lxfspejgre._domainkey.shop.example.com",
                                "CNAME", "NXDOMAIN")
        tok = "lu6wn35g76ycgccm64lzaawrqcrey7g5"
        self.assert_cname(f"{tok}._domainkey.alerts.example.net", f"{tok}.dkim.amazonses.com")
        self.assert_servfail(f"{tok}._domainkey.alerts.example.net", "TXT")
        self.assert_unanswerable("5nkx5325nihw6b47lsa2u2pd6c5n2ydk._domainkey.lab.example.net",
                                 "CNAME")
        r = self.q("crm._domainkey.crm.example.org", "TXT")
        self.assertEqual(len(r.txt_records()), 2)
        # ns_split scene: ns3 (127.0.0.4) lags one serial behind without the third CNAME.
        tok = "a2hipgad57lm4mi2yhz2nartbnlzgcjn._domainkey.travel.example.com"
        self.assert_cname(tok, "a2hipgad57lm4mi2yhz2nartbnlzgcjn.dkim.amazonses.com")
        at4 = self.env.query(tok, "CNAME", "nsd", address="127.0.0.4")
        self.assertEqual((at4.rcode, at4.soa_serial()), ("NXDOMAIN", 2026120100))
        self.assertEqual(self.env.query("travel.example.com", "SOA", "nsd",
                                        address="127.0.0.2").soa_serial(), 2026120101)
        # dnssec_bogus scene: the validating unbound answers SERVFAIL (the DS is another key's).
        self.assert_servfail("ses2025._domainkey.payroll.example", "TXT")
        self.assertIn("example.\tIN\tDS", self.env.trust_anchor_file.read_text())


class AuthoritativeScenario(unittest.TestCase):
    """scenarios/authoritative: nsd instances on 127.0.0.2-4 sharing one port, a lagging copy, a
    REFUSED zone, per-zone stub addresses, zone changes on every copy or one."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.env = dnsenv.DnsEnv(HERE / "scenarios" / "authoritative").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def at(self, address: str, name: str, rtype: str) -> dnsenv.Response:
        return self.env.query(name, rtype, "nsd", address=address, timeout=1.0)

    def test_1_instances(self) -> None:
        self.assertEqual(self.env.addresses("split.test"), ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        self.assertEqual(self.env.environment()["DNSENV_NSD_ADDRESSES"],
                         "127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4")
        serials = {a: self.at(a, "split.test", "SOA").soa_serial()
                   for a in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
        self.assertEqual(serials, {"127.0.0.2": 2026120302, "127.0.0.3": 2026120302,
                                   "127.0.0.4": 2026120301})
        self.assertEqual(self.at("127.0.0.4", "sp2._domainkey.split.test", "CNAME").rcode,
                         "NXDOMAIN")
        r = self.at("127.0.0.4", "lame.test", "SOA")
        self.assertEqual((r.rcode, r.aa), ("REFUSED", False))
        self.assertTrue(self.at("127.0.0.2", "lame.test", "SOA").aa)
        conf = (self.env.state_dir / "unbound.conf").read_text()
        split = conf[conf.index('name: "split.test"'):].split("stub-zone:")[0]
        self.assertIn("127.0.0.2@", split)
        self.assertNotIn("127.0.0.4@", split)
        with self.assertRaises(OSError):
            self.at("127.0.0.9", "unreach.test", "SOA")

    def test_2_changes_on_every_copy_or_one(self) -> None:
        n = self.env.remove_lines("split.test", r"^sp1\.")
        self.assertEqual(n, 3)
        try:
            serials = [self.at(a, "split.test", "SOA").soa_serial()
                       for a in ("127.0.0.2", "127.0.0.3", "127.0.0.4")]
            self.assertEqual(serials, [2026120303, 2026120303, 2026120302])
            for a in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
                self.assertEqual(self.at(a, "sp1._domainkey.split.test", "CNAME").rcode,
                                 "NXDOMAIN", a)
            self.env.restore_zone("split.test", "127.0.0.4")
            self.assertEqual(self.at("127.0.0.4", "sp1._domainkey.split.test", "CNAME").rcode,
                             "NOERROR")
            self.assertEqual(self.at("127.0.0.2", "sp1._domainkey.split.test", "CNAME").rcode,
                             "NXDOMAIN")
        finally:
            self.env.restore_zone("split.test")
        self.assertEqual(self.at("127.0.0.2", "sp1._domainkey.split.test", "CNAME").rcode,
                         "NOERROR")
        self.assertEqual(self.at("127.0.0.4", "sp2._domainkey.split.test", "CNAME").rcode,
                         "NXDOMAIN")
        self.assertEqual(self.env.serial("split.test", "127.0.0.4") + 1,
                         self.env.serial("split.test", "127.0.0.2"))


class DnssecScenario(unittest.TestCase):
    """scenarios/dnssec: keys, DS at the parent, the variants, a validating unbound, re-signing
    on a change. (test_dnssec.py cross-checks every zone with drill -S and ldns-verify-zone.)"""

    @classmethod
    def setUpClass(cls) -> None:
        cls.env = dnsenv.DnsEnv(HERE / "scenarios" / "dnssec").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def test_anchor_and_validation(self) -> None:
        anchor = self.env.trust_anchor_file.read_text()
        self.assertRegex(anchor, r"^dnssec\.test\.\s+IN\s+DS\s+\d+ 13 2 [0-9a-f]{64}\n$")
        self.assertEqual(self.env.render("{{trust_anchor_file}}"), str(self.env.trust_anchor_file))
        for label, rcode in (("secure", "NOERROR"), ("insecure", "NOERROR"),
                             ("expiring", "NOERROR"), ("tampered", "SERVFAIL"),
                             ("expired", "SERVFAIL"), ("dsmismatch", "SERVFAIL")):
            r = self.env.query(f"s1._domainkey.{label}.dnssec.test", "TXT")
            self.assertEqual(r.rcode, rcode, label)
        parent = (self.env.state_dir / "zones" / "dnssec.test.zone").read_text()
        ds_owners = {line.split()[0] for line in parent.splitlines()
                     if len(line.split()) > 3 and line.split()[3] == "DS"}
        self.assertEqual(ds_owners, {f"{z}.dnssec.test." for z in
                                     ("secure", "tampered", "expired", "dsmismatch", "expiring")})

    def test_change_is_signed_again(self) -> None:
        zone = "secure.dnssec.test"
        before = self.env.serial(zone)
        self.env.remove_lines(zone, r"^s1\._domainkey")
        try:
            self.assertEqual(self.env.query(zone, "SOA", "nsd").soa_serial(), before + 1)
            r = self.env.query(f"s1._domainkey.{zone}", "TXT")
            self.assertEqual(r.rcode, "NXDOMAIN")  # validated: a signed NSEC proves it
            path = self.env.state_dir / "zones" / f"{zone}.zone"
            p = subprocess.run(["ldns-verify-zone", str(path)], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            self.env.restore_zone(zone)
        self.assertEqual(self.env.query(f"s1._domainkey.{zone}", "TXT").rcode, "NOERROR")

    def test_tamper_rrsigs(self) -> None:
        line = ("a.test.\t60\tIN\tRRSIG\tTXT 13 2 60 20270101000000 20261101000000 1 a.test. "
                "QUJDRA==\n")
        out = dnsenv.tamper_rrsigs(line + "a.test.\t60\tIN\tTXT\t\"x\"\n", "TXT")
        self.assertNotEqual(out.splitlines()[0].split()[-1], "QUJDRA==")
        self.assertEqual(len(out.splitlines()[0].split()[-1]), 8)
        self.assertEqual(out.splitlines()[1], 'a.test.\t60\tIN\tTXT\t"x"')


class ZoneWatchScenario(unittest.TestCase):
    """scenarios/zonewatch: a caching unbound keeps answering what the servers removed."""

    def test_cache_outlives_the_removal(self) -> None:
        with dnsenv.DnsEnv(HERE / "scenarios" / "zonewatch") as env:
            name = "wt2._domainkey.watch.test"
            self.assertEqual(env.query(name, "CNAME").cname_targets(), ["wt2.dkim.amazonses.com"])
            env.remove_lines("watch.test", r"^wt2\.")
            for a in ("127.0.0.2", "127.0.0.3"):
                r = env.query(name, "CNAME", "nsd", address=a)
                self.assertEqual((r.rcode, r.soa_serial()), ("NXDOMAIN", 2), a)
            r = env.query(name, "CNAME")
            self.assertEqual(r.cname_targets(), ["wt2.dkim.amazonses.com"])
            self.assertGreater(r.of_type("CNAME")[0].ttl, 3000)


class Cli(unittest.TestCase):
    """dnsenv.py as shell scripts use it."""

    def run_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run(DNSENV + list(args), capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_up_zone_down(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state"
            out = json.loads(self.run_cli("up", str(HERE / "scenarios" / "demo"), "--state-dir",
                                          str(state), "--format", "json").stdout)
            pids = out["pids"]
            # A failing assertion must not leave detached servers behind (stopped by PID).
            self.addCleanup(lambda: [dnsenv.stop_pid(p) for p in pids.values()
                                     if str(state) in dnsenv._proc_cmdline(p)])
            self.assertEqual(sorted(pids), ["blackhole", "nsd", "nsd-127.0.0.2", "nsd-127.0.0.3",
                                            "nsd-127.0.0.4", "testns", "unbound"])
            self.assertTrue(all(dnsenv._alive(p) for p in pids.values()))
            self.assertEqual(out["env"]["DNSENV_CONFIG"], str(state / "dkimwatch.yaml"))
            # A second 'up' on a running state dir is refused.
            again = self.run_cli("up", str(HERE / "scenarios" / "demo"), "--state-dir",
                                 str(state), check=False)
            self.assertEqual(again.returncode, 2)
            self.assertIn("already running", again.stderr)
            shell = self.run_cli("env", "--state-dir", str(state)).stdout
            self.assertIn(f"DNSENV_RESOLVER=127.0.0.1:{out['ports']['unbound']}\n", shell)
            name = "ses2024._domainkey.example.org"
            self.run_cli("zone", "--state-dir", str(state), "example.org", "--remove-lines",
                         r"^ses2024\._domainkey\s")
            q = json.loads(self.run_cli("query", "--state-dir", str(state), name, "TXT").stdout)
            self.assertEqual(q["rcode"], "NXDOMAIN")
            self.run_cli("zone", "--state-dir", str(state), "example.org", "--restore")
            q = json.loads(self.run_cli("query", "--state-dir", str(state), name, "TXT").stdout)
            self.assertEqual((q["rcode"], len(q["answer"])), ("NOERROR", 1))
            self.run_cli("down", "--state-dir", str(state))
            self.assertFalse([n for n, p in pids.items() if dnsenv._alive(p)])
            self.assertTrue((state / "nsd.log").exists())  # a given --state-dir is kept

    def test_run_passes_exit_code_and_variables(self) -> None:
        p = self.run_cli("run", str(HERE / "scenarios" / "demo"), "--", "sh", "-c",
                         'test -s "$DNSENV_CONFIG" && echo "$DNSENV_RESOLVER" && exit 7',
                         check=False)
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertRegex(p.stdout, r"^127\.0\.0\.1:\d+\n$")

    def start_run_and_wait(self, state: Path) -> tuple[subprocess.Popen, dict[str, int]]:
        """Starts `dnsenv.py run demo -- sleep 60` and returns it and the servers' PIDs once
        the command runs. The command's PID is added as "cmd" (it is not a server)."""
        proc = subprocess.Popen(
            DNSENV + ["run", str(HERE / "scenarios" / "demo"), "--state-dir", str(state), "--",
                      "sh", "-c", 'echo $$ > "$DNSENV_STATE_DIR/cmd.pid"; exec sleep 60'],
            stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        pids: dict[str, int] = {}
        while time.monotonic() < deadline and "cmd" not in pids:
            try:
                pids = json.loads((state / "state.json").read_text())["pids"]
                pids["cmd"] = int((state / "cmd.pid").read_text())
            except (FileNotFoundError, json.JSONDecodeError, KeyError, ValueError):
                pass
            time.sleep(0.05)
        self.addCleanup(self.kill_command, pids)
        return proc, pids

    @staticmethod
    def kill_command(pids: dict[str, int]) -> None:
        if "cmd" in pids and dnsenv._alive(pids["cmd"]) and "sleep" in dnsenv._proc_cmdline(
                pids["cmd"]):
            os.kill(pids["cmd"], signal.SIGKILL)

    def wait_all_gone(self, pids: dict[str, int], seconds: float) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any(dnsenv._alive(p) for p in pids.values()):
            time.sleep(0.05)
        return [n for n, p in pids.items() if dnsenv._alive(p)]

    def test_sigterm_stops_everything(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            proc, pids = self.start_run_and_wait(Path(tmp) / "state")
            try:
                self.assertEqual(len(pids), 8)  # the command and 7 servers (3 nsd instances)
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=20), 128 + signal.SIGTERM)
            finally:
                if proc.poll() is None:
                    dnsenv.stop_pid(proc.pid, proc)
            # run stops its command too, then the servers.
            self.assertEqual(self.wait_all_gone(pids, 0), [])

    def test_sigkill_of_the_owner_stops_everything(self) -> None:
        # The servers get SIGTERM from the kernel when their parent dies (PR_SET_PDEATHSIG).
        with tempfile.TemporaryDirectory() as tmp:
            proc, pids = self.start_run_and_wait(Path(tmp) / "state")
            try:
                self.assertEqual(len(pids), 8)  # the command and 7 servers (3 nsd instances)
                proc.kill()
                proc.wait(timeout=10)
            finally:
                if proc.poll() is None:
                    dnsenv.stop_pid(proc.pid, proc)
            servers = {k: v for k, v in pids.items() if k != "cmd"}
            self.assertEqual(self.wait_all_gone(servers, 5), [])

    def test_missing_binary_names_the_package(self) -> None:
        saved = dict(dnsenv.BINARIES)
        try:
            dnsenv.BINARIES["ldns-testns"] = ("ldns-testns-not-installed", "ldnsutils")
            with self.assertRaisesRegex(dnsenv.DnsEnvError,
                                        r"ldns-testns-not-installed not found: install the "
                                        r"Debian package 'ldnsutils'"):
                dnsenv.find_binary("ldns-testns")
        finally:
            dnsenv.BINARIES.clear()
            dnsenv.BINARIES.update(saved)

    def test_templates(self) -> None:
        self.assertEqual(dnsenv.txt_strings(""), '""')
        self.assertEqual(dnsenv.txt_strings('a"b\\c\nd'), '"a\\"b\\\\c\\010d"')
        self.assertEqual(dnsenv.txt_strings("abcde", 2), '"ab" "cd" "e"')


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    unittest.main(verbosity=2)
