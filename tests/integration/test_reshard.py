#!/usr/bin/python3
"""Changing the number of shards from 4 to 5 with `dkimwatch state export` / `state import`
(issue 13): the real binary, real DNS on loopback (dnsenv/scenarios/reshard: 20 Easy DKIM
identities), real state databases.

Four `dkimwatch run` shards 1/4..4/4 (own state_dirs, each configured with the identities it
owns, so that their databases hold exactly those), a removed record per five identities (they go
to revocation_warning, the other fifteen stay verified); the shards are stopped and exported;
five new shards 1/5..5/5, each configured with all 20 identities, import all four files; then
(before they start, and again after they ran and checked everything) every identity's state,
since and deadline is on exactly the shard that owns it and equal to what it was, and no event
is raised for the carried identities (their new history is empty). The ownership is computed
here independently of dkimwatch: the first 8 bytes of sha256("account\\nregion\\ndomain"),
big-endian, mod N. Also: an import into a state_dir a running daemon holds is refused, and a bad
export file is an error that names the file and the position.

Usage: /usr/bin/python3 test_reshard.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH in the environment). Needs nsd, unbound and ldnsutils. About 20 s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, free_tcp_port  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "reshard"
ACCOUNT = "111122223333"
REGION = "us-east-1"
DOMAINS = [f"id{n:02d}.reshard.test" for n in range(1, 21)]
# One CNAME of each of these is removed: they go to revocation_warning. They move between shards
# (4 -> 5) and come from four different old shards.
WARNED = ["id03.reshard.test", "id06.reshard.test", "id07.reshard.test", "id13.reshard.test",
          "id17.reshard.test"]
WARNED_LINES = r"^id(03|06|07|13|17)a\._domainkey"
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")


def owner(domain: str, count: int) -> int:
    """The shard K (1-based) of `count` that owns the identity: the documented hash."""
    digest = hashlib.sha256(f"{ACCOUNT}\n{REGION}\n{domain}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


class ReshardTest(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):
    env: dnsenv.DnsEnv

    @classmethod
    def setUpClass(cls) -> None:
        harness.require_binary(DKIMWATCH)
        cls.env = dnsenv.DnsEnv(SCENARIO).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-reshard-")
        self.tmp = Path(self._tmp.name)
        self.daemons: list[Daemon] = []
        self.saved_logs: list[str] = []
        self.zone_changed = False

    def tearDown(self) -> None:
        for daemon in self.daemons:
            daemon.stop()
        if self.zone_changed:
            self.env.restore_zone("reshard.test")
        self.saved_logs = [f"--- dkimwatch pid {d.pid} ({d.log_path.name}), exit "
                           f"{d.popen.returncode}:\n{d.log()}" for d in self.daemons]
        self._tmp.cleanup()
        reports = [log for log in self.saved_logs if SANITIZER_REPORT.search(log)]
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + "\n".join(reports))

    # ---- helpers

    def write_config(self, name: str, shard: str, domains: list[str]) -> Path:
        """The scenario's identities among `domains`, behind the daemon settings of shard
        `shard` with its own state_dir and metrics port."""
        text = self.env.configs["all"].read_text()
        head, _, body = text.partition("identities:\n")
        blocks = ["  - domain:" + block for block in body.split("  - domain:")[1:]]
        kept = [b for b in blocks if b.split()[2] in domains]
        self.assertEqual(len(kept), len(domains))
        settings = [f'shard: "{shard}"', f"state_dir: {self.tmp / name}", "check_interval: 1s",
                    "recheck_interval: 500ms", "confirmations: 2", "revocation_window: 1h",
                    "metrics:", f"  listen: 127.0.0.1:{free_tcp_port()}"]
        path = self.tmp / f"{name}.yaml"
        path.write_text("\n".join(settings) + "\n" + head + "identities:\n" + "".join(kept))
        return path

    def start(self, config: Path) -> Daemon:
        daemon = Daemon(DKIMWATCH, config, self.tmp / f"{config.stem}.log")
        self.daemons.append(daemon)
        self.wait_for(f"{config.stem} logs event=started", lambda: "event=started" in daemon.log(),
                      daemon, timeout=10)
        return daemon

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        p = subprocess.run([DKIMWATCH, *args], capture_output=True, text=True, timeout=30)
        self.assertNotRegex(p.stderr, SANITIZER_REPORT)
        return p

    def cli_json(self, *args: str) -> dict:
        p = self.cli(*args, "--format", "json")
        self.assertEqual(p.returncode, 0, f"dkimwatch {' '.join(args)}: {p.stderr}")
        return json.loads(p.stdout)

    def status(self, config: Path) -> dict[str, dict]:
        return {i["domain"]: i for i in self.cli_json("status", "--config", str(config))["identities"]}

    def history(self, config: Path) -> list[dict]:
        return self.cli_json("history", "--config", str(config))["events"]

    @staticmethod
    def carried(ident: dict) -> tuple:
        return (ident["state"], ident["since"], ident["deadline"])

    # ---- the test

    def test_four_to_five_shards_keeps_every_state(self) -> None:
        # Four shards, each watching what it owns.
        old = {k: self.write_config(f"old-{k}-of-4", f"{k}/4",
                                    [d for d in DOMAINS if owner(d, 4) == k]) for k in range(1, 5)}
        old_daemons = {k: self.start(config) for k, config in old.items()}

        def states() -> dict[str, dict]:
            merged: dict[str, dict] = {}
            for k, config in old.items():
                for domain, ident in self.status(config).items():
                    if owner(domain, 4) == k:
                        merged[domain] = ident
            return merged

        self.wait_for("every identity verified on its old shard",
                      lambda: (lambda s: len(s) == 20 and all(
                          i["state"] == "verified" for i in s.values()))(states()), timeout=20)
        self.zone_changed = True
        self.env.remove_lines("reshard.test", WARNED_LINES)
        expected = {d: ("revocation_warning" if d in WARNED else "verified") for d in DOMAINS}
        before = self.wait_for("the five warned identities in revocation_warning",
                               lambda: (lambda s: s if {d: i["state"] for d, i in s.items()}
                                        == expected else None)(states()), timeout=20)
        for daemon in old_daemons.values():
            self.assertEqual(daemon.stop(), 0)
        # The final state (after the stop) is what moves.
        before = states()
        self.assertEqual({d: i["state"] for d, i in before.items()}, expected)
        for domain in WARNED:
            self.assertIsNotNone(before[domain]["deadline"])

        exports = []
        for k, config in old.items():
            path = self.tmp / f"export-{k}.json"
            p = self.cli("state", "export", "--config", str(config), "--output", str(path))
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.loads(path.read_text())
            self.assertEqual(doc["shard"], f"{k}/4")
            self.assertEqual(sorted(i["domain"] for i in doc["identities"]),
                             sorted(d for d in DOMAINS if owner(d, 4) == k))
            exports.append(str(path))

        # Five new shards, each configured with every identity, import all four files.
        new = {k: self.write_config(f"new-{k}-of-5", f"{k}/5", DOMAINS) for k in range(1, 6)}
        for k, config in new.items():
            owned = [d for d in DOMAINS if owner(d, 5) == k]
            p = self.cli("state", "import", "--config", str(config), *exports)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(f"imported {len(owned)} identities", p.stdout)
            self.assertIn(f"skipped: {20 - len(owned)} owned by another shard", p.stdout)
            # Before the daemon runs: exactly what the shard owns, as it was.
            p = self.cli("state", "export", "--config", str(config))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(sorted(i["domain"] for i in json.loads(p.stdout)["identities"]),
                             sorted(owned))
            now = self.status(config)
            for domain in owned:
                self.assertEqual(self.carried(now[domain]), self.carried(before[domain]), domain)

        # Importing again is refused while the daemon holds the state_dir.
        started = time.time()
        new_daemons = {k: self.start(config) for k, config in new.items()}
        p = self.cli("state", "import", "--config", str(new[1]), *exports)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is in use by a running dkimwatch", p.stderr)
        self.assertIn("stop it before importing", p.stderr)

        # After a restart and new checks, the state is unchanged and nothing was re-raised.
        def checked_since_start(k: int) -> dict[str, dict] | None:
            now = self.status(new[k])
            owned = [d for d in DOMAINS if owner(d, 5) == k]
            if all(now[d]["last_check"] and
                   harness.utc_to_epoch(now[d]["last_check"]) >= int(started) for d in owned):
                return now
            return None

        for k in new:
            now = self.wait_for(f"shard {k}/5 checked its identities", lambda: checked_since_start(k),
                                new_daemons[k], timeout=20)
            for domain in [d for d in DOMAINS if owner(d, 5) == k]:
                self.assertEqual(self.carried(now[domain]), self.carried(before[domain]), domain)
                self.assertEqual(now[domain]["state"], expected[domain])
            events = [e for e in self.history(new[k]) if owner(e["domain"], 5) == k]
            self.assertEqual(events, [], f"shard {k}/5 raised events for carried identities")
        for daemon in new_daemons.values():
            self.assertEqual(daemon.stop(), 0)

    def test_bad_files_are_errors_that_say_where(self) -> None:
        config = self.write_config("bad", "1/1", DOMAINS)
        broken = self.tmp / "broken.json"
        broken.write_text('{\n  "format": "dkimwatch-state-export",\n  oops\n}\n')
        p = self.cli("state", "import", "--config", str(config), str(broken))
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"{broken}: ", p.stderr)
        self.assertIn("line 3, column", p.stderr)
        self.assertFalse((self.tmp / "bad" / "dkimwatch.db").exists(), "nothing is written")
        p = self.cli("state", "import", "--config", str(config), str(self.tmp / "missing.json"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.json: cannot read: No such file or directory", p.stderr)
        # Export without a database says so.
        p = self.cli("state", "export", "--config", str(config))
        self.assertEqual(p.returncode, 1)
        self.assertIn("no state yet", p.stderr)


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
