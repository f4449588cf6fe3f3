#!/usr/bin/python3
"""The zone serial watch end to end (issue 11, part 4): detection within seconds, not a TTL.

dnsenv/scenarios/zonewatch: watch.test (Easy DKIM, TTL 3600) on two nsd instances, 127.0.0.2 and
127.0.0.3, behind a caching unbound. The daemon runs with check_interval 10m, recheck_interval
1s, confirmations 2, group_wait 0s, dns.zone_poll_interval 1s and a webhook sink (a local
receiver, alert_delivery/receiver.py). After the identity is verified, wt2's CNAME is removed at
both authoritative servers. Then:
  - the revocation_warning webhook for watch.test arrives within
    zone_poll_interval + (confirmations - 1) x recheck_interval + group_wait + 5 s (+ delivery
    slack), long before the 10m check or the 3600 s TTL;
  - the resolver still answers the old CNAME from its cache (the change is only at the servers);
  - dkimwatch_zone_serial{zone="watch.test",...} shows the new serial for each server, and
    dkimwatch_authoritative_unreachable_total is present (0: both servers answer).

Usage: /usr/bin/python3 test_daemon_zone_watch.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH). Needs nsd, unbound and ldnsutils. Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, die_with_parent, free_tcp_port, stop_process  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
SCENARIO = HERE / "dnsenv" / "scenarios" / "zonewatch"
RECEIVER = HERE / "alert_delivery" / "receiver.py"

DOMAIN = "watch.test"
WT2 = "wt2._domainkey.watch.test"
WT2_LINE = r"^wt2\._domainkey"
ZONE_POLL = 1.0
RECHECK = 1.0
CONFIRMATIONS = 2
GROUP_WAIT = 0.0
# The target: zone_poll_interval + confirmations x recheck_interval + group_wait + 5 s.
TARGET = ZONE_POLL + CONFIRMATIONS * RECHECK + GROUP_WAIT + 5.0
DELIVERY_SLACK = 2.0
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:|Segmentation fault|terminate called|"
                              r"Aborted|core dumped")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == name:
            out.append((dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


class Receiver:
    """alert_delivery/receiver.py on 127.0.0.1 answering 200; every request one JSON line."""

    def __init__(self, directory: Path):
        self.log_path = directory / "hook.jsonl"
        port_file = directory / "hook.port"
        with open(directory / "hook.stderr", "ab") as stderr:
            self.popen = subprocess.Popen(
                [sys.executable, str(RECEIVER), "--port", "0", "--port-file", str(port_file),
                 "--script", "200", "--log", str(self.log_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start: "
                                   f"{(directory / 'hook.stderr').read_text()}")
            time.sleep(0.02)
        self.port = int(port_file.read_text())

    def events(self) -> list[dict]:
        """The event documents received (groups flattened), each with "_time" (arrival)."""
        try:
            lines = self.log_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            request = json.loads(line)
            try:
                doc = json.loads(request["body"])
            except ValueError:
                continue
            if not isinstance(doc, dict):
                continue
            for event in doc.get("events", [doc]) if doc.get("type") == "group" else [doc]:
                out.append({**event, "_time": request["time"]})
        return out

    def stop(self) -> None:
        stop_process(self.popen)


class ZoneWatchTests(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):

    def setUp(self) -> None:
        self.env = dnsenv.DnsEnv(SCENARIO).start()
        self.addCleanup(self.env.stop)
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-zonewatch-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = Path(self._tmp.name)
        self.port = free_tcp_port()
        self.saved_logs: list[str] = []
        self.receiver = Receiver(self.tmp)
        self.addCleanup(self.receiver.stop)
        self.config = self.tmp / "dkimwatch.yaml"
        self.daemons: list[Daemon] = []

    def write_config(self, check_interval: str) -> None:
        lines = [
            f"check_interval: {check_interval}", f"recheck_interval: {RECHECK:g}s",
            f"confirmations: {CONFIRMATIONS}", "revocation_window: 1h",
            f"state_dir: {json.dumps(str(self.tmp / 'state'))}", f"group_wait: {GROUP_WAIT:g}s",
            "metrics:", f"  listen: 127.0.0.1:{self.port}",
            "alerts:", "  - name: hook", "    type: webhook",
            f"    url: {json.dumps(f'http://127.0.0.1:{self.receiver.port}/hook')}",
            "    min_severity: warning",
        ]
        self.config.write_text("\n".join(lines) + "\n" + self.env.configs["watch"].read_text())

    def tearDown(self) -> None:
        for daemon in self.daemons:
            code = daemon.stop() if daemon.alive() else daemon.popen.returncode
            self.saved_logs.append(f"--- dkimwatch pid {daemon.pid}, exit {code}:\n"
                                   f"{daemon.log()}")
            self.assertNotRegex(daemon.log(), SANITIZER_REPORT)

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=3) as r:
            return r.read().decode()

    def state(self) -> str | None:
        p = subprocess.run([DKIMWATCH, "status", "--config", str(self.config), "--format",
                            "json"], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            return None
        for ident in json.loads(p.stdout)["identities"]:
            if ident["domain"] == DOMAIN:
                return ident["state"]
        return None

    def zone_serials(self) -> dict[str, float]:
        """dkimwatch_zone_serial of watch.test per server label set (as text)."""
        return {json.dumps(lab, sort_keys=True): value
                for lab, value in samples(self.metrics(), "dkimwatch_zone_serial")
                if lab.get("zone") == DOMAIN}

    def start_daemon(self) -> Daemon:
        daemon = Daemon(DKIMWATCH, self.config, self.tmp / f"daemon-{len(self.daemons) + 1}.log")
        self.daemons.append(daemon)
        self.wait_for("event=started", lambda: "event=started" in daemon.log(), daemon, 10)
        return daemon

    def test_removal_at_the_servers_alerts_before_the_ttl(self) -> None:
        env = self.env
        # First checks are spread over one check_interval: a first run with a short interval
        # verifies the identity; the second, with 10m, keeps the rhythm of that last check, so
        # its next scheduled check is about 10 minutes away.
        self.write_config("1s")
        daemon = self.start_daemon()
        self.wait_for("watch.test verified", lambda: self.state() == "verified", daemon, 20)
        self.assertEqual(daemon.stop(), 0)
        self.write_config("10m")
        daemon = self.start_daemon()
        first = env.serial(DOMAIN, "127.0.0.2")
        self.assertEqual(first, env.serial(DOMAIN, "127.0.0.3"))
        serials = self.wait_for(
            "dkimwatch_zone_serial for both servers",
            lambda: (s := self.zone_serials()) and len(s) >= 2 and
            set(s.values()) == {float(first)} and s, daemon, 10)
        self.assertEqual(len(serials), 2, serials)

        # The resolver caches the record for an hour.
        cached = env.query(WT2, "CNAME")
        self.assertEqual(cached.cname_targets(), ["wt2.dkim.amazonses.com"])
        self.assertGreater(cached.of_type("CNAME")[0].ttl, 3000)

        env.remove_lines(DOMAIN, WT2_LINE)  # at both servers; returns once both serve it
        removed = time.time()
        new = env.serial(DOMAIN, "127.0.0.2")
        self.assertGreater(new, first)
        for address in ("127.0.0.2", "127.0.0.3"):
            r = env.query(WT2, "CNAME", "nsd", address=address)
            self.assertEqual((r.rcode, r.soa_serial()), ("NXDOMAIN", new), address)

        limit = TARGET + DELIVERY_SLACK
        warnings = self.wait_for(
            "the revocation_warning webhook",
            lambda: [e for e in self.receiver.events()
                     if e.get("event") == "revocation_warning" and
                     e.get("identity", {}).get("domain") == DOMAIN],
            daemon, timeout=limit + 5)
        took = warnings[0]["_time"] - removed
        self.assertLessEqual(took, limit, f"the warning came {took:.1f}s after the removal")
        names = {r.get("name"): r.get("verdict") for r in warnings[0].get("records", [])}
        self.assertEqual(names.get(WT2), "missing", warnings[0].get("records"))

        # Still in the resolver's cache: only the authoritative path could have seen it.
        still = env.query(WT2, "CNAME")
        self.assertEqual(still.cname_targets(), ["wt2.dkim.amazonses.com"])
        self.assertGreater(still.of_type("CNAME")[0].ttl, 3000)

        serials = self.wait_for(
            "dkimwatch_zone_serial shows the new serial",
            lambda: (s := self.zone_serials()) and set(s.values()) == {float(new)} and s,
            daemon, 5)
        self.assertEqual(len(serials), 2, serials)
        unreachable = samples(self.metrics(), "dkimwatch_authoritative_unreachable_total")
        self.assertTrue(unreachable, "dkimwatch_authoritative_unreachable_total is missing")
        self.assertEqual(sum(v for _, v in unreachable), 0.0)
        self.assertEqual(self.state(), "revocation_warning")

        # How long the caches may still serve the old CNAME is a figure of its own, not part of
        # the message (the message must read the same on every replica and at every check).
        warned = next(r for r in warnings[0]["records"] if r.get("name") == WT2)
        self.assertIn("until its TTL runs out", warned["message"])
        self.assertNotRegex(warned["message"], r"\(\d+ seconds\)")
        p = subprocess.run([DKIMWATCH, "check", "--config", str(self.config), "--format", "json"],
                           capture_output=True, text=True, timeout=60)
        record = next(r for i in json.loads(p.stdout)["identities"] for r in i["records"]
                      if r["name"] == WT2)
        self.assertEqual(record["verdict"], "missing", record)
        self.assertGreater(record["cached_answer_ttl_seconds"], 3000, record)
        self.assertLessEqual(record["cached_answer_ttl_seconds"], 3600, record)
        self.assertEqual(record["message"], warned["message"])
        self.assertFalse([e for e in self.receiver.events()
                          if e.get("event") == "revocation_warning" and e["_time"] < removed],
                         "a warning before the removal")


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main(verbosity=2)
