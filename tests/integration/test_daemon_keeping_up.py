#!/usr/bin/python3
"""`dkimwatch run` says when its rate cannot keep up with the inventory (issue 12, item 7).

40 Easy DKIM identities (6 queries per check: 240 per round) with dns.max_qps 20 need 12 s per
round, and check_interval is 2s. The daemon must log, at start,
`event=rate_cannot_keep_up identities=40 queries_per_check=6 max_qps=20 seconds_needed=12
check_interval=2s`, and dkimwatch_check_lag_seconds must grow past a second. A reload to
max_qps 0 (unlimited) logs no new warning; a reload back to 20 logs it again.

The DNS server is the one of test_hostile_dns.py in its well-behaved mode (CNAMEs to the SES
targets, NXDOMAIN for the targets' TXT: verdict ok), on loopback.

Usage: test_daemon_keeping_up.py --dkimwatch PATH [unittest args] (or DKIMWATCH=PATH).
Python 3.11 standard library only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from test_hostile_dns import HostileDns  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
IDENTITIES = 40
WARNING = ("event=rate_cannot_keep_up identities=40 queries_per_check=6 max_qps=20 "
           "seconds_needed=12 check_interval=2s")
SANITIZER_REPORT = re.compile(r"Sanitizer|runtime error:")
LAG = re.compile(r"^dkimwatch_check_lag_seconds (\S+)$", re.M)


class KeepingUp(harness.ShowsDaemonLogs, harness.Polling, unittest.TestCase):
    def setUp(self) -> None:
        self.server = HostileDns("answering")
        self.addCleanup(self.server.close)
        self.tmp = Path(tempfile.mkdtemp(prefix="dkimwatch-keeping-up-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.port = harness.free_tcp_port()
        self.config = self.tmp / "dkimwatch.yaml"
        self.saved_logs: list[str] = []

    def write_config(self, max_qps: int) -> None:
        lines = ["check_interval: 2s", "recheck_interval: 2s", f"state_dir: {self.tmp / 'state'}",
                 "metrics:", f"  listen: 127.0.0.1:{self.port}", "dns:",
                 f'  resolvers: ["127.0.0.1:{self.server.port}"]', "  timeout: 500ms",
                 "  authoritative: off", "  dnssec: off",
                 f"  max_qps: {max_qps}", "identities:"]
        for i in range(IDENTITIES):
            lines += [f"  - domain: d{i}.example.test", '    account: "111122223333"',
                      "    region: us-east-1", "    easy_dkim:",
                      f"      tokens: [t{i}a, t{i}b, t{i}c]"]
        self.config.write_text("\n".join(lines) + "\n")

    def lag(self) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        match = LAG.search(text)
        if match is None:
            raise ValueError("no dkimwatch_check_lag_seconds sample")
        return float(match.group(1))

    def test_warning_at_start_and_on_reload_and_lag_grows(self) -> None:
        self.write_config(max_qps=20)
        daemon = harness.Daemon(DKIMWATCH, self.config, self.tmp / "daemon.log")
        self.addCleanup(lambda: (daemon.stop(), self.saved_logs.append(daemon.log())))
        self.wait_for("the warning at start", lambda: WARNING in daemon.log(), daemon)
        self.assertEqual(daemon.log().count("event=rate_cannot_keep_up"), 1)
        self.wait_for("lag above 1 s", lambda: self.lag() > 1.0, daemon, timeout=30)

        # A reload waits for the batch under way (at 20 queries/s, up to 12 s).
        self.write_config(max_qps=0)
        daemon.signal(signal.SIGHUP)
        self.wait_for("the first reload", lambda: daemon.log().count("event=reloaded") == 1, daemon,
                      timeout=40)
        self.assertEqual(daemon.log().count("event=rate_cannot_keep_up"), 1)
        # Unlimited: the backlog is worked off; what remains is the loop's wake-up latency.
        self.wait_for("lag back under 0.5 s", lambda: self.lag() < 0.5, daemon, timeout=30)

        self.write_config(max_qps=20)
        daemon.signal(signal.SIGHUP)
        self.wait_for("the second reload", lambda: daemon.log().count("event=reloaded") == 2,
                      daemon, timeout=40)
        self.assertEqual(daemon.log().count(WARNING), 2)
        self.assertNotRegex(daemon.log(), SANITIZER_REPORT)


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main()
