#!/usr/bin/python3
"""Sharding (issue 13, `shard: "K/N"`) through the real binary and real DNS.

Starts the shard scenario of tests/integration/dnsenv (40 healthy Easy DKIM identities over four
zones, three accounts and three regions; nsd and unbound on 127.0.0.1) and checks:
- four `dkimwatch check --format json` runs with shard 1/4 .. 4/4: every identity is checked
  exactly once overall, each by the shard that the documented hash (core/shard.hpp, recomputed
  here with hashlib, independently of dkimwatch) gives; each run names its shard and how many
  identities it left to the others; a 1/1 run checks all 40 and names no shard;
- `validate` says how many of the configured identities the shard owns;
- one `dkimwatch run` with shard 2/4: /metrics has exactly the owned identities' series and
  dkimwatch_shard_info{shard="2",of="4"} 1, `status` lists only them (JSON and text), the log
  says event=shard_skipped; after SIGHUP with shard 3/4 the same holds for shard 3's identities,
  and after SIGHUP back to 2/4 shard 2's identities are watched (and shown) again; `history`
  then shows only the configured shard's identities (2/4, 3/4; all of them with 1/1), and
  --limit counts the entries shown.

Usage: /usr/bin/python3 test_shard.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH in the environment). Needs nsd, unbound and ldnsutils. Python 3.11 standard
library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, free_tcp_port  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "shard"
SHARDS = 4
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Key = tuple[str, str, str]  # (account, region, domain)


def shard_hash(key: Key) -> int:
    """The documented hash: the first 8 bytes of SHA-256(account "\\n" region "\\n" domain),
    big-endian."""
    return int.from_bytes(hashlib.sha256("\n".join(key).encode()).digest()[:8], "big")


def owner(key: Key, count: int) -> int:
    """The K (1-based) of the shard of `count` that owns `key`."""
    return shard_hash(key) % count + 1


def configured_keys(config_text: str) -> list[Key]:
    """The (account, region, domain) of every identity of the rendered scenario config."""
    found = re.findall(r'^  - domain: (\S+)\n    account: "(\d+)"\n    region: (\S+)$',
                       config_text, re.M)
    return [(account, region, domain) for domain, account, region in found]


def scrape(port: int) -> list[tuple[str, dict[str, str], str]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as response:
        text = response.read().decode("utf-8")
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise AssertionError(f"unparsable /metrics line: {line!r}")
        samples.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), m.group(3)))
    return samples


class ShardTest(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):
    env: dnsenv.DnsEnv
    keys: list[Key]

    @classmethod
    def setUpClass(cls) -> None:
        harness.require_binary(DKIMWATCH)
        cls.env = dnsenv.DnsEnv(SCENARIO).start()
        cls.keys = configured_keys(cls.env.configs["sharded"].read_text())

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-shard-")
        self.tmp = Path(self._tmp.name)
        self.daemons: list[Daemon] = []
        self.saved_logs: list[str] = []

    def tearDown(self) -> None:
        codes = [daemon.stop() for daemon in self.daemons]
        self.saved_logs = [d.log() for d in self.daemons]
        self._tmp.cleanup()
        reports = [log for log in self.saved_logs if SANITIZER_REPORT.search(log)]
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + "\n".join(reports))
        self.assertTrue(all(code == 0 for code in codes), f"exit codes on SIGTERM: {codes}")

    def write_config(self, shard: str | None, path: Path, port: int = 0) -> Path:
        lines = [f'shard: "{shard}"'] if shard else []
        lines += ["check_interval: 1s", "recheck_interval: 500ms", "confirmations: 2",
                  "revocation_window: 1h",
                  f"state_dir: {self.tmp / 'state'}", "metrics:", f"  listen: 127.0.0.1:{port}"]
        path.write_text("\n".join(lines) + "\n" + self.env.configs["sharded"].read_text())
        return path

    def run_cli(self, *args: str) -> subprocess.CompletedProcess:
        p = subprocess.run([DKIMWATCH, *args], capture_output=True, text=True, timeout=120)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        return p

    def owned(self, index: int, count: int = SHARDS) -> set[Key]:
        return {key for key in self.keys if owner(key, count) == index}

    # ---- check

    def test_scenario_spreads_over_every_shard(self) -> None:
        self.assertEqual(len(self.keys), 40)
        self.assertEqual(len(set(self.keys)), 40)
        self.assertEqual({len({k[0] for k in self.keys}), len({k[1] for k in self.keys})}, {3})
        # The documented example of core/shard.hpp, so that this hash is the contract's.
        self.assertEqual(shard_hash(("111122223333", "us-east-1", "example.com")),
                         0x20B3435A9EA3D335)
        for index in range(1, SHARDS + 1):
            self.assertTrue(self.owned(index), f"shard {index}/{SHARDS} owns nothing")

    def test_four_checks_cover_every_identity_exactly_once(self) -> None:
        seen: dict[Key, list[int]] = {}
        for index in range(1, SHARDS + 1):
            config = self.write_config(f"{index}/{SHARDS}", self.tmp / f"shard{index}.yaml")
            p = self.run_cli("check", "--config", str(config), "--format", "json")
            self.assertEqual(p.returncode, 0, f"shard {index}: {p.stderr}\n{p.stdout[:2000]}")
            doc = json.loads(p.stdout)
            self.assertEqual(doc["shard"], f"{index}/{SHARDS}")
            got = [(i["account"], i["region"], i["domain"]) for i in doc["identities"]]
            self.assertEqual(doc["shard_skipped"], len(self.keys) - len(got))
            self.assertEqual(set(got), self.owned(index), f"shard {index}/{SHARDS}")
            for ident in doc["identities"]:
                self.assertEqual(ident["status"], "ok", ident)
                self.assertEqual(len(ident["records"]), 3, ident)
            for key in got:
                seen.setdefault(key, []).append(index)
        self.assertEqual(sorted(seen), sorted(self.keys))
        self.assertEqual({key: shards for key, shards in seen.items() if len(shards) != 1}, {})

        whole = self.run_cli("check", "--config",
                             str(self.write_config(None, self.tmp / "whole.yaml")),
                             "--format", "json")
        self.assertEqual(whole.returncode, 0, whole.stderr)
        doc = json.loads(whole.stdout)
        self.assertNotIn("shard", doc)
        self.assertEqual(len(doc["identities"]), 40)

        text = self.run_cli("check", "--config", str(self.tmp / "shard2.yaml"))
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn(f"\nshard 2/{SHARDS}: {40 - len(self.owned(2))} identities of the "
                      "inventory belong to other shards and were not checked\n", text.stdout)

    def test_validate_says_what_the_shard_owns(self) -> None:
        p = self.run_cli("validate", "--config",
                         str(self.write_config("3/4", self.tmp / "v.yaml")))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, f"shard 3/4: owns {len(self.owned(3))} of 40 configured "
                         "identities\nok\n")
        p = self.run_cli("validate", "--config", str(self.write_config(None, self.tmp / "w.yaml")))
        self.assertEqual((p.returncode, p.stdout), (0, "ok\n"), p.stderr)

    # ---- run, status, reload

    def status(self, config: Path) -> dict:
        p = self.run_cli("status", "--config", str(config), "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def assert_daemon_shows(self, daemon: Daemon, port: int, config: Path, index: int) -> None:
        owned = self.owned(index)

        def verified_metrics():
            samples = scrape(port)
            states = {(s[1]["account"], s[1]["region"], s[1]["domain"]): s[1]["state"]
                      for s in samples if s[0] == "dkimwatch_identity_state"}
            if set(states) != owned or set(states.values()) != {"verified"}:
                return None
            return samples

        samples = self.wait_for(f"shard {index}/4's identities verified on /metrics",
                                verified_metrics, daemon, timeout=30)
        info = [(s[1], s[2]) for s in samples if s[0] == "dkimwatch_shard_info"]
        self.assertEqual(info, [({"shard": str(index), "of": "4"}, "1")])
        per_identity = {(s[1]["account"], s[1]["region"], s[1]["domain"])
                        for s in samples if "domain" in s[1]}
        self.assertEqual(per_identity, owned)
        counts = {s[1]["state"]: float(s[2]) for s in samples if s[0] == "dkimwatch_identities"}
        self.assertEqual(counts["verified"], len(owned))

        doc = self.status(config)
        self.assertEqual(doc["shard"], f"{index}/4")
        self.assertEqual({(i["account"], i["region"], i["domain"]) for i in doc["identities"]},
                         owned)
        text = self.run_cli("status", "--config", str(config))
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout.splitlines()[0],
                         rf"^dkimwatch status at \S+: {len(owned)} identities \(shard {index}/4\)$")
        self.assertEqual(len(re.findall(r"^\d{12} \S+ \S+$", text.stdout, re.M)), len(owned))

    def test_run_with_shard_two_of_four_then_reload_to_three(self) -> None:
        port = free_tcp_port()
        config = self.write_config("2/4", self.tmp / "run.yaml", port)
        daemon = Daemon(DKIMWATCH, config, self.tmp / "daemon.log")
        self.daemons.append(daemon)
        self.assert_daemon_shows(daemon, port, config, 2)
        since = {i["domain"]: i["since"] for i in self.status(config)["identities"]}
        self.assertEqual(len(since), len(self.owned(2)))
        self.assertIn(f"event=shard_skipped shard=2/4 identities={40 - len(self.owned(2))} "
                      f"owned={len(self.owned(2))}", daemon.log())

        # SIGHUP with another shard: shard 3's identities are watched, shard 2's are dropped
        # from /metrics and status (their rows stay in the database, inactive).
        self.write_config("3/4", config, port)
        daemon.signal(signal.SIGHUP)
        self.wait_for("the reload", lambda: "event=reloaded" in daemon.log(), daemon, 10)
        self.assert_daemon_shows(daemon, port, config, 3)
        self.assertIn(f"event=shard_skipped shard=3/4 identities={40 - len(self.owned(3))}",
                      daemon.log())

        # Back to 2/4: shard 2's identities are watched again. Like identities put back into
        # the configuration, they start a new spell (pending, then verified): the database
        # loads only active rows.
        self.write_config("2/4", config, port)
        daemon.signal(signal.SIGHUP)
        self.wait_for("the second reload", lambda: daemon.log().count("event=reloaded") == 2,
                      daemon, 10)
        self.assert_daemon_shows(daemon, port, config, 2)
        again = {i["domain"]: i["since"] for i in self.status(config)["identities"]}
        self.assertEqual(set(again), set(since))

        # `history` reads the same configuration and shows only the shard's identities, as
        # `status`: the database holds the transitions of shard 2's and shard 3's identities.
        self.assertEqual(set(self.history_keys(config)), self.owned(2))
        three = self.write_config("3/4", self.tmp / "history3.yaml")
        shard3 = self.history_keys(three)
        self.assertEqual(set(shard3), self.owned(3))
        whole = self.write_config(None, self.tmp / "history-whole.yaml")
        self.assertEqual(set(self.history_keys(whole)), self.owned(2) | self.owned(3))
        # --limit counts what is shown: the newest entries are shard 2's (the last reload), and
        # shard 3's newest three are still found.
        self.assertEqual(self.history_keys(three, "--limit", "3"), shard3[-3:])
        other = sorted({k[2] for k in self.owned(3)} - {k[2] for k in self.owned(2)})[0]
        self.assertNotEqual(self.history_keys(three, "--domain", other), [])
        self.assertEqual(self.history_keys(config, "--domain", other), [])
        text = self.run_cli("history", "--config", str(config), "--domain", other)
        self.assertEqual((text.returncode, text.stdout),
                         (0, f"no events recorded for {other}\n"), text.stderr)

    def history_keys(self, config: Path, *args: str) -> list[Key]:
        p = self.run_cli("history", "--config", str(config), "--format", "json", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [(e["account"], e["region"], e["domain"]) for e in json.loads(p.stdout)["events"]]

if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
