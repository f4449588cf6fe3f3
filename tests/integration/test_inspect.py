#!/usr/bin/python3
"""`dkimwatch inspect` (issue 14) against real signers and real DNS.

Keys are generated in the run (openssl, opendkim-genkey) and published by the dnsenv scenario
`inspect` (nsd behind unbound on 127.0.0.1: example.test, a third party esp.test and a zone
standing in for amazonses.com). Messages are signed in the run by dkimpy (Debian's python3-dkim)
and by OpenDKIM's own signer (the `opendkim` milter in its test mode, `-t FILE`), written to a
temp dir, then given to `dkimwatch inspect FILE|- --format json|text --resolver <unbound>`. For
every fixture the test asserts each signature's d, s, result, failure, alignment, the key
record's verdict, the diagnosis codes (exactly) and the exit code, and checks every signature
with dkimpy too (its DNS lookups go to the same unbound): pass/not-pass must agree. Then
`--config` (covering identity, key_mismatch, an unwatched domain, a state database written by a
short `dkimwatch run`) and hostile input (64 MiB + 1, no colon, NUL, 100,000 header lines, empty
file, directory, missing file). About 15 s. The keys, messages, signers and the plan are in
inspect_fixtures.py.

Usage: /usr/bin/python3 test_inspect.py --dkimwatch PATH/TO/dkimwatch [unittest args]
       /usr/bin/python3 test_inspect.py --plan-only   (fixtures, DNS and dkimpy only: no binary)
Python 3.11 standard library and python3-dkim; needs nsd, unbound, ldnsutils, opendkim,
opendkim-tools, openssl.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dkim  # noqa: E402  (python3-dkim)
import dnsenv  # noqa: E402
import harness  # noqa: E402
from inspect_fixtures import (  # noqa: E402
    OPENDKIM, SES_DOMAIN, SES_SELECTOR, Fixture, build_fixtures, make_keys, message)

DKIMWATCH = harness.take_binary_argument(os.environ.get("DKIMWATCH", ""))
PLAN_ONLY = "--plan-only" in sys.argv
if PLAN_ONLY:
    sys.argv.remove("--plan-only")
SCENARIO = HERE / "dnsenv" / "scenarios" / "inspect"

MIB64 = 64 * 1024 * 1024
SANITIZER = r"Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer"
RUN_TIMEOUT = 60  # seconds per dkimwatch run (ASan included); a hang fails the test


class Inspect(unittest.TestCase):
    env: dnsenv.DnsEnv
    tmp: Path
    fixtures: list[Fixture]

    @classmethod
    def setUpClass(cls) -> None:
        if not PLAN_ONLY:
            harness.require_binary(DKIMWATCH)
        for tool, package in ((OPENDKIM, "opendkim"), ("opendkim-genkey", "opendkim-tools"),
                              ("openssl", "openssl")):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} is missing: install Debian's {package}")
        cls.tmp = Path(tempfile.mkdtemp(prefix="dkimwatch-inspect-"))
        scenario = cls.tmp / "scenario"
        shutil.copytree(SCENARIO, scenario)
        make_keys(scenario / "keys")
        cls.env = dnsenv.DnsEnv(scenario).start()
        work = cls.tmp / "messages"
        work.mkdir()
        cls.fixtures = build_fixtures(scenario / "keys", work)
        cls.runs: dict[tuple, subprocess.CompletedProcess] = {}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers

    def needs_binary(self) -> None:
        if PLAN_ONLY:
            self.skipTest("--plan-only: no dkimwatch binary")

    def dkimpy_dns(self, name: bytes, timeout: int = 5) -> bytes | None:
        """dkimpy's dnsfunc: TXT through the test's unbound (the one dkimwatch is given)."""
        resp = dnsenv.dns_query(name.decode().rstrip("."), "TXT", self.env.ports["unbound"])
        txt = resp.txt_records()
        return b"".join(txt[0]) if txt else None

    def dkimpy_results(self, data: bytes) -> list[bool]:
        """dkimpy's verdict per DKIM-Signature, in header order."""
        d = dkim.DKIM(data)
        count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
        out = []
        for i in range(count):
            try:
                out.append(bool(dkim.DKIM(data).verify(idx=i, dnsfunc=self.dkimpy_dns)))
            except dkim.DKIMException:
                out.append(False)
        return out

    def inspect(self, *args: str, stdin: bytes | None = None,
                timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        # The input first, --resolver last: a repeatable option must not swallow the input.
        argv = [DKIMWATCH, "inspect", *args]
        if "--config" not in args:
            argv += ["--resolver", self.env.resolver]
        p = subprocess.run(argv, input=stdin if stdin is not None else b"",
                           capture_output=True, timeout=timeout)
        err = p.stderr.decode(errors="replace")
        self.assertNotRegex(err, SANITIZER, f"{argv}: a sanitizer report")
        self.assertGreaterEqual(p.returncode, 0, f"{argv}: killed by signal\n{err[-2000:]}")
        return p

    def inspect_json(self, *args: str, stdin: bytes | None = None) -> tuple[int, dict]:
        key = (*args, stdin)
        if key not in self.runs:
            self.runs[key] = self.inspect(*args, "--format", "json", stdin=stdin)
        p = self.runs[key]
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as exc:
            self.fail(f"inspect {args} --format json: no JSON ({exc}); exit {p.returncode}\n"
                      f"stdout:\n{p.stdout[:2000]!r}\nstderr:\n{p.stderr[:2000]!r}")
        return p.returncode, doc

    def compare(self, f: Fixture, code: int, doc: dict) -> list[str]:
        """Differences between the plan of `f` and dkimwatch's JSON, as lines."""
        probs: list[str] = []

        def want(what: str, expected, got) -> None:
            ok = got in expected if isinstance(expected, tuple) else got == expected
            if not ok:
                probs.append(f"{f.name}: {what}: expected {expected!r}, got {got!r}")

        want("exit code", f.exit, code)
        want("JSON exit_code", f.exit, doc.get("exit_code"))
        want("from_domain", f.from_domain, doc.get("from_domain"))
        sigs = doc.get("signatures", [])
        want("number of signatures", len(f.sigs), len(sigs))
        for i, (exp, got) in enumerate(zip(f.sigs, sigs)):
            p = f"signature {i}"
            want(f"{p} d", exp.d, got.get("d"))
            want(f"{p} s", exp.s, got.get("s"))
            want(f"{p} result", exp.result, got.get("result"))
            want(f"{p} failure", exp.failure, got.get("failure"))
            want(f"{p} aligned", exp.aligned, got.get("aligned"))
            if exp.aligned_strict is not None:
                want(f"{p} aligned_strict", exp.aligned_strict, got.get("aligned_strict"))
            want(f"{p} a", "rsa-sha256", got.get("a"))
            if exp.c is not None:
                want(f"{p} c", exp.c, got.get("c"))
            want(f"{p} expired", exp.expired, got.get("expired"))
            want(f"{p} partial_body", exp.partial_body, got.get("partial_body"))
            want(f"{p} testing_key", exp.testing_key, got.get("testing_key"))
            if exp.partial_body:
                want(f"{p} l is an int", True, isinstance(got.get("l"), int))
            if exp.expired:
                want(f"{p} x is a time", True, isinstance(got.get("x"), str))
            if exp.result != "pass":
                want(f"{p} reason given", True, bool(got.get("reason")))
            if exp.verdict is not None:
                record = got.get("record") or {}
                want(f"{p} record verdict", exp.verdict, record.get("verdict"))
        codes = {d.get("code") for d in doc.get("diagnosis", [])}
        if codes != f.codes:
            probs.append(f"{f.name}: diagnosis codes: expected {sorted(f.codes)}, "
                         f"got {sorted(codes)}")
        for d in doc.get("diagnosis", []):
            if not d.get("message") or d.get("severity") not in (
                    "ok", "warning", "error", "indeterminate"):
                probs.append(f"{f.name}: diagnosis entry without message or severity: {d}")
        if f.auth_results is not None:
            got_ar = doc.get("authentication_results", [])
            want("number of authentication_results", len(f.auth_results), len(got_ar))
            for exp_ar, g in zip(f.auth_results, got_ar):
                for k, v in exp_ar.items():
                    want(f"authentication_results {k}", v, g.get(k))
        return probs

    # ---- the tests

    def test_01_dns_facts(self) -> None:
        """The records the plan rests on, as unbound answers them."""
        port = self.env.ports["unbound"]

        def txt(name: str) -> list[str]:
            return dnsenv.dns_query(name, "TXT", port).txt_joined()

        keys = self.env.scenario.keys_dir
        ex = (keys / "ex.pub.b64").read_text().strip()
        self.assertEqual(txt("s2048._domainkey.example.test"), [f"v=DKIM1; k=rsa; p={ex}"])
        self.assertIn((keys / "od.pub.b64").read_text().strip(),
                      txt("od._domainkey.example.test")[0])
        self.assertNotIn(ex, txt("rotated._domainkey.example.test")[0])
        self.assertEqual(txt("gone._domainkey.example.test"), ["v=DKIM1; k=rsa; p="])
        self.assertIn("t=y;", txt("testy._domainkey.example.test")[0])
        self.assertEqual(txt("nokey._domainkey.example.test"), [])
        self.assertEqual(dnsenv.dns_query("nokey._domainkey.example.test", "TXT", port).rcode,
                         "NXDOMAIN")
        self.assertEqual(len(txt(f"{SES_SELECTOR}._domainkey.{SES_DOMAIN}")), 1)

    def test_02_dkimpy_agrees_with_plan(self) -> None:
        """dkimpy, with the same DNS, gives every signature the plan's pass / not pass (this
        checks the fixtures themselves, without dkimwatch)."""
        probs = []
        for f in self.fixtures:
            got = self.dkimpy_results(f.data)
            want = [s.result == "pass" for s in f.sigs]
            if got != want:
                probs.append(f"{f.name}: dkimpy {got}, plan {want}")
        self.assertEqual(probs, [], "\n".join(probs))

    def test_03_every_fixture(self) -> None:
        """The plan and dkimpy against dkimwatch's JSON, all differences at once."""
        self.needs_binary()
        probs = []
        for f in self.fixtures:
            code, doc = self.inspect_json(str(f.path))
            probs += self.compare(f, code, doc)
            mine = [s.get("result") == "pass" for s in doc.get("signatures", [])]
            theirs = self.dkimpy_results(f.data)
            if mine != theirs:
                probs.append(f"{f.name}: dkimwatch pass per signature {mine}, dkimpy {theirs}")
        self.assertEqual(probs, [], "\n" + "\n".join(probs))

    def test_04_text_format(self) -> None:
        """--format text runs for every fixture, exits as JSON does, and names each result."""
        self.needs_binary()
        probs = []
        for f in self.fixtures:
            p = self.inspect(str(f.path), "--format", "text")
            out = p.stdout.decode(errors="replace")
            if p.returncode != f.exit:
                probs.append(f"{f.name}: text exit {p.returncode}, expected {f.exit}")
            for s in f.sigs:
                for word in (s.result, s.d):
                    if word not in out:
                        probs.append(f"{f.name}: the text does not mention {word!r}")
            if not f.sigs and "no_signature" not in out and "signature" not in out.lower():
                probs.append(f"{f.name}: the text does not say there is no signature")
        self.assertEqual(probs, [], "\n" + "\n".join(probs))

    def test_05_stdin(self) -> None:
        """`-` reads the message from standard input: the same answer as from the file."""
        self.needs_binary()
        for name in ("dkimpy_relaxed_simple_crlf", "body_modified", "ses_and_domain"):
            f = next(x for x in self.fixtures if x.name == name)
            code, doc = self.inspect_json("-", stdin=f.data)
            probs = self.compare(f, code, doc)
            self.assertEqual(probs, [], "\n".join(probs))

    def test_06_config_covering_identity(self) -> None:
        """--config: the identity covering the From: domain (and its parent) is named, with no
        state (no database in state_dir)."""
        self.needs_binary()
        config = str(self.env.configs["inspect"])
        for name, from_domain in (("dkimpy_relaxed_simple_crlf", "example.test"),
                                  ("from_subdomain", "mail.example.test")):
            f = next(x for x in self.fixtures if x.name == name)
            code, doc = self.inspect_json(str(f.path), "--config", config)
            self.assertEqual(code, 0, doc)
            self.assertEqual(doc["from_domain"], from_domain)
            idents = doc.get("identities")
            self.assertEqual([(i["account"], i["region"], i["domain"]) for i in idents],
                             [("111122223333", "eu-west-1", "example.test")], doc)
            self.assertIsNone(idents[0]["state"])
            codes = {d["code"] for d in doc["diagnosis"]}
            self.assertNotIn("no_identity_for_domain", codes)
            self.assertIn("domain_signed", codes)
            self.assertEqual(doc["signatures"][0]["result"], "pass")

    def test_07_config_unwatched_domain(self) -> None:
        """--config and a From: domain no identity covers: no_identity_for_domain."""
        self.needs_binary()
        path = self.tmp / "unwatched.eml"
        path.write_bytes(message(from_addr="someone@unwatched.test"))
        code, doc = self.inspect_json(str(path), "--config", str(self.env.configs["inspect"]))
        codes = {d["code"] for d in doc["diagnosis"]}
        self.assertEqual(codes, {"no_signature", "no_identity_for_domain"}, doc)
        self.assertEqual(doc["identities"], [])
        self.assertEqual(doc["from_domain"], "unwatched.test")
        self.assertEqual(code, 2)

    def test_08_config_key_mismatch(self) -> None:
        """--config whose BYODKIM identity expects the signing key at the selector where DNS
        publishes another: the record's verdict is key_mismatch, which explains the failure."""
        self.needs_binary()
        f = next(x for x in self.fixtures if x.name == "wrong_key")
        code, doc = self.inspect_json(str(f.path), "--config", str(self.env.configs["rotated"]))
        self.assertEqual(code, 2)
        sig = doc["signatures"][0]
        self.assertEqual((sig["result"], sig["failure"]), ("fail", "signature"))
        self.assertEqual(sig["record"]["verdict"], "key_mismatch", sig["record"])
        self.assertEqual({d["code"] for d in doc["diagnosis"]},
                         {"signature_mismatch", "record_key_mismatch"}, doc["diagnosis"])
        self.assertEqual([(i["account"], i["region"]) for i in doc["identities"]],
                         [("444455556666", "us-east-1")])

    def test_13_config_with_state(self) -> None:
        """--config with a state database: a `dkimwatch run` checks example.test until it is
        verified, stops; inspect then gives the covering identity's state and since."""
        self.needs_binary()
        state_dir = self.tmp / "daemon-state"
        rendered = self.env.configs["inspect"].read_text()
        rendered = re.sub(r"^state_dir:.*$", "", rendered, flags=re.M)
        config = self.tmp / "with-state.yaml"
        config.write_text(
            f"check_interval: 1s\nrecheck_interval: 500ms\nconfirmations: 2\n"
            f"revocation_window: 1h\nstate_dir: {state_dir}\n"
            f"metrics:\n  listen: 127.0.0.1:{harness.free_tcp_port()}\n" + rendered)
        daemon = harness.Daemon(DKIMWATCH, config, self.tmp / "daemon.log")
        try:
            deadline = time.monotonic() + 30
            state = None
            while time.monotonic() < deadline and daemon.alive():
                p = subprocess.run([DKIMWATCH, "status", "--config", str(config), "--format",
                                    "json"], capture_output=True, text=True, timeout=30)
                if p.returncode == 0:
                    states = {i["domain"]: i["state"] for i in json.loads(p.stdout)["identities"]}
                    state = states.get("example.test")
                    if state == "verified":
                        break
                time.sleep(0.3)
            self.assertEqual(state, "verified", daemon.log()[-3000:])
        finally:
            stopped = daemon.stop()
        self.assertEqual(stopped, 0, daemon.log()[-3000:])
        self.assertNotRegex(daemon.log(), SANITIZER)
        f = next(x for x in self.fixtures if x.name == "dkimpy_relaxed_simple_crlf")
        code, doc = self.inspect_json(str(f.path), "--config", str(config))
        self.assertEqual(code, 0, doc)
        idents = doc["identities"]
        self.assertEqual(len(idents), 1, idents)
        self.assertEqual(idents[0]["state"], "verified")
        since = harness.utc_to_epoch(idents[0]["since"])
        self.assertLessEqual(abs(since - time.time()), 120, idents[0])
        self.assertIsNone(idents[0]["deadline"])
        self.assertEqual({d["code"] for d in doc["diagnosis"]}, {"domain_signed"})

    # ---- hostile input

    def assert_error(self, p: subprocess.CompletedProcess, pattern: str, what: str) -> None:
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 3, f"{what}: exit {p.returncode}\n{err[-1000:]}")
        self.assertTrue(err.strip(), f"{what}: nothing on stderr")
        self.assertRegex(err, pattern, what)

    def test_09_size_limit(self) -> None:
        """64 MiB + 1 byte is refused naming the limit; exactly 64 MiB is answered."""
        self.needs_binary()
        head = message(from_addr="big@unwatched.test", body="")
        line = b"x" * 998 + b"\r\n"
        path = self.tmp / "exactly-64mib.eml"
        fill = MIB64 - len(head)
        body = line * (fill // len(line))
        body += b"y" * (fill - len(body) - 2) + b"\r\n"
        path.write_bytes(head + body)
        self.assertEqual(path.stat().st_size, MIB64)
        code, doc = self.inspect_json(str(path))
        self.assertEqual(code, 2, "exactly 64 MiB: an answer (no signature)")
        self.assertEqual({d["code"] for d in doc["diagnosis"]}, {"no_signature"})
        with open(path, "ab") as fh:
            fh.write(b"z")
        self.assertEqual(path.stat().st_size, MIB64 + 1)
        p = self.inspect(str(path))
        self.assert_error(p, r"64 ?MiB|67108864", "64 MiB + 1 byte")
        # The same through standard input.
        p = self.inspect("-", stdin=path.read_bytes())
        self.assert_error(p, r"64 ?MiB|67108864", "64 MiB + 1 byte on stdin")
        path.unlink()

    def test_10_malformed_headers(self) -> None:
        """A header line without a colon: an error naming its line; a NUL in the header: an
        error; a NUL in the body: an answer (nul_and_8bit_body in the plan)."""
        self.needs_binary()
        path = self.tmp / "no-colon.eml"
        path.write_bytes(b"From: a@example.test\r\nTo: b@receiver.test\r\n"
                         b"this line has no colon\r\nSubject: x\r\n\r\nbody\r\n")
        self.assert_error(self.inspect(str(path)), r"line 3\b", "a header line without a colon")
        path = self.tmp / "nul-header.eml"
        path.write_bytes(b"From: a@example.test\r\nSubject: a\0b\r\n\r\nbody\r\n")
        self.assert_error(self.inspect(str(path)), r".", "a NUL in the header")

    def test_10b_selector_that_is_no_dns_name(self) -> None:
        """s= that cannot be a DNS name (a 300-byte label, an empty label): a permanent error
        for the signature (permerror, key), nothing looked up (record null), exit 2, not the
        indeterminate 3 of a DNS failure."""
        self.needs_binary()
        for name, selector in (("long-label", "a" * 300), ("empty-label", "x..y")):
            path = self.tmp / f"selector-{name}.eml"
            path.write_bytes(
                b"From: a@example.test\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=" +
                selector.encode() + b"; h=from; bh=AAAA; b=AAAA\r\n\r\nbody\r\n")
            code, doc = self.inspect_json(str(path))
            self.assertEqual(code, 2, (name, doc))
            signature = doc["signatures"][0]
            self.assertEqual((signature["result"], signature["failure"], signature["record"]),
                             ("permerror", "key", None), (name, signature))
            self.assertIn("not a DNS name", signature["reason"], name)

    def test_10c_many_distinct_keys(self) -> None:
        """20 signatures with distinct selectors (none published): the first 16 keys are looked
        up (permerror, record missing), the rest are not (temperror "not looked up", record
        null), so a crafted message cannot make inspect fetch thousands of keys."""
        self.needs_binary()
        fields = b"".join(
            b"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=many%d; h=from; bh=AAAA; "
            b"b=%s\r\n" % (i, base64.b64encode(bytes([i]) * 3)) for i in range(20))
        path = self.tmp / "many-keys.eml"
        path.write_bytes(b"From: a@example.test\r\n" + fields + b"\r\nbody\r\n")
        code, doc = self.inspect_json(str(path))
        results = [(s["s"], s["result"], (s["record"] or {}).get("verdict"))
                   for s in doc["signatures"]]
        self.assertEqual(results[:16], [(f"many{i}", "permerror", "missing") for i in range(16)])
        self.assertEqual(results[16:], [(f"many{i}", "temperror", None) for i in range(16, 20)])
        self.assertIn("not looked up", doc["signatures"][19]["reason"])
        # No aligned signature passes and aligned keys were not fetched: indeterminate.
        self.assertEqual(code, 3, [d["code"] for d in doc["diagnosis"]])

    def test_11_huge_header_block(self) -> None:
        """100,000 header lines: an answer within the timeout."""
        self.needs_binary()
        lines = [f"X-Filler-{i}: value {i}" for i in range(100_000)]
        path = self.tmp / "huge-header.eml"
        path.write_bytes(message(from_addr="a@unwatched.test", extra=lines))
        start = time.monotonic()
        code, doc = self.inspect_json(str(path))
        self.assertEqual(code, 2)
        self.assertEqual({d["code"] for d in doc["diagnosis"]}, {"no_signature"})
        self.assertLess(time.monotonic() - start, RUN_TIMEOUT)

    def test_12_not_a_message(self) -> None:
        """An empty file (an error, or an answer), a directory, a missing file: exit 3 and the
        path on stderr, never a crash."""
        self.needs_binary()
        empty = self.tmp / "empty.eml"
        empty.write_bytes(b"")
        p = self.inspect(str(empty), "--format", "json")
        if p.returncode == 3:
            self.assertTrue(p.stderr.strip(), "empty file: exit 3 without a reason")
        else:
            doc = json.loads(p.stdout)
            self.assertEqual(p.returncode, 2)
            self.assertIn("no_signature", {d["code"] for d in doc["diagnosis"]})
        directory = self.tmp / "a-directory"
        directory.mkdir()
        self.assert_error(self.inspect(str(directory)), re.escape(str(directory)),
                          "a directory")
        missing = self.tmp / "no-such-file.eml"
        self.assert_error(self.inspect(str(missing)), re.escape(str(missing)), "a missing file")


if __name__ == "__main__":
    unittest.main(verbosity=2)
