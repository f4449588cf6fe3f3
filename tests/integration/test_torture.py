#!/usr/bin/python3
"""kill -9 torture: the real daemon (`dkimwatch run`) against real DNS (dnsenv: nsd + unbound,
scenario dnsenv/scenarios/alerts) and a webhook receiver (alert_delivery/receiver.py) that
records every delivery, while the records of alpha.test and beta.test flap (a zone line removed
and restored, nsd reloaded) and the daemon is killed with SIGKILL at random moments and started
again, --kills times (default 15).

What must hold (issue 12, "Tests that stay"):
- no lost transition: after every kill, each transition the daemon had logged is in the state
  database's history, no history row stored before an earlier kill has vanished, and each
  identity's history is an unbroken chain (every event starts in the state the previous one
  ended in); at the end the state matches the DNS truth;
- no moved deadline: a revocation_warning's deadline is its first failing check plus the
  revocation window, the same in every sample taken across restarts, never earlier than the
  moment DNS broke, and equal to the first failure seen stored before the warning;
- no lost alert: every transition in the history reaches the receiver at least once.
Duplicate deliveries (a kill between the delivery and its "sent" mark) are allowed and counted.

The figures (kills, transitions, alerts, duplicates, wall time) are printed as one line
"torture: ..." on stderr.

Usage: /usr/bin/python3 test_torture.py --dkimwatch PATH [--kills N] [--seed S] [unittest args]
Needs the Debian packages nsd, unbound and ldnsutils. Python 3.11 standard library only.
"""

from __future__ import annotations

import collections
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))
sys.path.insert(0, str(HERE))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, free_tcp_port, utc_to_epoch  # noqa: E402
from test_daemon_alerts import (HOOK_PATH, SANITIZER_REPORT, Receiver,  # noqa: E402
                                webhook_docs)


def take_int_argument(name: str, default: int) -> int:
    """Removes `name VALUE` from sys.argv (before unittest sees it) and returns VALUE."""
    args = sys.argv[1:]
    if name in args:
        i = args.index(name)
        value = int(args[i + 1])
        del args[i:i + 2]
        sys.argv[1:] = args
        return value
    return default


DKIMWATCH = os.environ.get("DKIMWATCH", "")
KILLS = 15
SEED = int(time.time())
SCENARIO = HERE / "dnsenv" / "scenarios" / "alerts"

# The flapping records: one line of each zone, removed and restored.
FLAPPING = {"alpha.test": r"^al2\._domainkey", "beta.test": r"^be2\._domainkey"}
WINDOW_MS = 3600 * 1000  # revocation_window 1h
# How long the daemon runs before each kill: uniform in this range (seconds from its start, so
# some kills land during start-up, some during checks, saves and deliveries).
RUN_TIME = (0.05, 4.0)
# Chance that a flapping zone changes before each restart (and, once, while the daemon runs).
FLIP_PROBABILITY = 0.5
# Share of the kills aimed at the 0.3 s after the daemon logged a transition (its save, the
# alert's delivery and its "sent" mark) rather than at a uniformly random moment.
AFTER_TRANSITION = 0.5
# Slack for "the first failing check was made while DNS was broken": a check is timed when its
# batch starts, its queries may go out later (more so on a loaded machine or under ASan), and
# the interval ends are taken around nsd's reload.
SLACK_MS = 1000

TRANSITION_LINE = re.compile(
    r"event=(\w+) account=\S+ region=\S+ domain=(\S+) from=(\w+) to=(\w+)")


class TortureTest(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):

    def setUp(self) -> None:
        harness.require_binary(DKIMWATCH)
        self._tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-torture-")
        self.tmp = Path(self._tmp.name)
        self.env = dnsenv.DnsEnv(SCENARIO).start()
        self.state_dir = self.tmp / "state"
        self.db_path = self.state_dir / "dkimwatch.db"
        self.daemons: list[Daemon] = []
        self.saved_logs: list[str] = []
        self.receiver: Receiver | None = None

    def tearDown(self) -> None:
        for daemon in self.daemons:
            if daemon.alive():
                daemon.stop()
        if self.receiver is not None:
            self.receiver.stop()
        self.env.stop()
        # Only the last daemon's log, and only when it failed: the others were killed.
        self.saved_logs = [f"--- dkimwatch pid {d.pid}, exit {d.popen.returncode}:\n{d.log()}"
                           for d in self.daemons[-3:]]
        reports = [d.log() for d in self.daemons if SANITIZER_REPORT.search(d.log())]
        self._tmp.cleanup()
        if reports:
            self.fail("a daemon reported a crash or sanitizer error:\n" + reports[0])

    # ---- the daemon and its database

    def write_config(self, hook_url: str) -> Path:
        config = self.tmp / "dkimwatch.yaml"
        config.write_text(
            "check_interval: 1s\nrecheck_interval: 300ms\nconfirmations: 2\n"
            "revocation_window: 1h\n"
            f"state_dir: {self.state_dir}\ngroup_wait: 0s\n"
            f"metrics:\n  listen: 127.0.0.1:{free_tcp_port()}\n"
            f"alerts:\n  - name: hook\n    type: webhook\n    url: \"{hook_url}\"\n" +
            self.env.configs["two"].read_text())
        return config

    def start(self, config: Path) -> Daemon:
        daemon = Daemon(DKIMWATCH, config, self.tmp / f"daemon-{len(self.daemons) + 1:03d}.log")
        self.daemons.append(daemon)
        return daemon

    def query(self, sql: str) -> list[sqlite3.Row]:
        """A read-only query of the state database (none if it does not exist yet)."""
        if not self.db_path.exists():
            return []
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        try:
            db.row_factory = sqlite3.Row
            return list(db.execute(sql))
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # killed before the schema was committed
            raise
        finally:
            db.close()

    def history(self) -> dict[str, list[sqlite3.Row]]:
        out: dict[str, list[sqlite3.Row]] = collections.defaultdict(list)
        for row in self.query(
                "SELECT i.domain, h.at_ms, h.event, h.from_state, h.to_state, h.deadline_ms "
                "FROM history h JOIN identities i ON i.id = h.identity_id ORDER BY h.id"):
            out[row["domain"]].append(row)
        return out

    def identities(self) -> dict[str, sqlite3.Row]:
        return {row["domain"]: row for row in self.query(
            "SELECT domain, state, since_ms, deadline_ms, first_failure_at_ms "
            "FROM identities WHERE active = 1")}

    @staticmethod
    def logged(daemon: Daemon) -> list[tuple[str, str, str, str]]:
        """(domain, event, from, to) of every transition the daemon logged, in order."""
        return [(m.group(2), m.group(1), m.group(3), m.group(4))
                for m in TRANSITION_LINE.finditer(daemon.log())]

    # ---- the checks

    def assert_logged_in_history(self, daemon: Daemon) -> None:
        """Every transition `daemon` logged is in the stored history, in the same order."""
        history = self.history()
        per_domain: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
        for domain, event, from_state, to_state in self.logged(daemon):
            per_domain[domain].append((event, from_state, to_state))
        for domain, events in per_domain.items():
            stored = [(r["event"], r["from_state"], r["to_state"]) for r in history[domain]]
            # The logged events are the last ones of this run: a subsequence of the history.
            position = 0
            for event in events:
                while position < len(stored) and stored[position] != event:
                    position += 1
                self.assertLess(position, len(stored),
                                f"{domain}: logged transition {event} of pid {daemon.pid} is not "
                                f"in the history after kill -9: {stored}")
                position += 1

    def assert_history_chain(self, history: dict[str, list[sqlite3.Row]]) -> None:
        for domain, rows in history.items():
            state = "pending"
            for row in rows:
                if row["from_state"] == row["to_state"]:
                    continue  # an event that changes no state (reminder, ...)
                self.assertEqual(row["from_state"], state,
                                 f"{domain}: history breaks at {dict(row)}: a lost transition")
                state = row["to_state"]

    # ---- the test

    def test_kill_9_at_random_moments(self) -> None:
        rng = random.Random(SEED)
        sys.stderr.write(f"\ntorture: seed={SEED} (rerun with --seed {SEED}) kills={KILLS}\n")
        started = time.monotonic()
        # Each answer waits 0.2 s: some kills land between a delivery and its "sent" mark.
        self.receiver = Receiver(self.tmp, "hook", "200@0.2")
        config = self.write_config(self.receiver.url(HOOK_PATH))
        broken = {domain: False for domain in FLAPPING}
        # The wall-time intervals (ms) during which each domain's DNS was broken (end None while
        # it is), and the first failing check seen stored while still verified (the start of
        # the current failure streak).
        broken_intervals: dict[str, list[list[int | None]]] = {d: [] for d in FLAPPING}
        first_failure_seen: dict[str, int | None] = {domain: None for domain in FLAPPING}
        # Deadline of each warning episode (domain, since_ms) in every sample.
        deadlines: dict[tuple[str, int], set[int]] = collections.defaultdict(set)
        kills = 0
        stored: dict[str, list[tuple]] = {}

        def sample() -> None:
            for domain, row in self.identities().items():
                if row["state"] == "verified" and row["first_failure_at_ms"] is not None:
                    if first_failure_seen.get(domain) is None:
                        first_failure_seen[domain] = row["first_failure_at_ms"]
                if row["state"] != "revocation_warning":
                    continue
                self.assertIsNotNone(row["deadline_ms"], f"{domain}: a warning without deadline")
                # The deadline counts from the first failing check of the streak that raised
                # the warning, which was made while DNS was broken (not necessarily in the
                # latest break: a repair that no check saw does not end a streak) ...
                first = row["deadline_ms"] - WINDOW_MS
                self.assertTrue(
                    any(start - SLACK_MS <= first and (end is None or first <= end + SLACK_MS)
                        for start, end in broken_intervals[domain]),
                    f"{domain}: deadline - window = {first} is not a time DNS was broken: "
                    f"{broken_intervals[domain]}")
                # ... and is the first failure that was seen stored before the warning.
                seen = first_failure_seen.get(domain)
                if seen is not None:
                    self.assertEqual(first, seen, f"{domain}: the stored first failure was lost "
                                     "across a restart: the deadline moved")
                deadlines[(domain, row["since_ms"])].add(row["deadline_ms"])

        def flip(domain: str) -> None:
            if broken[domain]:
                self.env.restore_zone(domain)
                broken_intervals[domain][-1][1] = int(time.time() * 1000)
                first_failure_seen[domain] = None
            else:
                broken_intervals[domain].append([int(time.time() * 1000), None])
                self.env.remove_lines(domain, FLAPPING[domain])
            broken[domain] = not broken[domain]

        while kills < KILLS:
            # Records change while the daemon is down and while it runs, once both identities
            # were verified (an identity still pending would never reach revocation_warning).
            # (stored: tuples of the history query, the event third)
            flapping = all(any(row[2] == "verified" for row in stored.get(d, []))
                           for d in FLAPPING)
            for domain in FLAPPING:
                if flapping and rng.random() < FLIP_PROBABILITY:
                    flip(domain)
            daemon = self.start(config)
            run_until = time.monotonic() + rng.uniform(*RUN_TIME)
            if flapping and rng.random() < FLIP_PROBABILITY:
                time.sleep(max(0.0, run_until - time.monotonic()) * rng.random())
                flip(rng.choice(sorted(FLAPPING)))
            if rng.random() < AFTER_TRANSITION:
                # Aimed: just after a transition was saved, while its alert is being delivered.
                while time.monotonic() < run_until + 3.0 and not self.logged(daemon):
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.3))
            else:
                time.sleep(max(0.0, run_until - time.monotonic()))
            self.assertTrue(daemon.alive(), f"the daemon exited by itself: {daemon.log()[-2000:]}")
            daemon.kill()
            kills += 1
            self.assert_logged_in_history(daemon)
            history = self.history()
            self.assert_history_chain(history)
            # What was stored stays stored: the history read after the previous kill is a
            # prefix of this one.
            for domain, rows in stored.items():
                self.assertEqual([tuple(r) for r in history[domain][:len(rows)]], rows,
                                 f"{domain}: stored history rows vanished after a kill")
            stored = {d: [tuple(r) for r in rows] for d, rows in history.items()}
            sample()

        # The end: a final DNS truth, one daemon that runs until it has caught up with it and
        # delivered every alert, then stops cleanly.
        daemon = self.start(config)
        expected = {d: "revocation_warning" if broken[d] else "verified" for d in FLAPPING}

        def settled():
            states = {d: r["state"] for d, r in self.identities().items()}
            queued = self.query("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'")
            return states == expected and queued and queued[0]["n"] == 0

        self.wait_for(f"states {expected} and an empty outbox", settled, daemon, timeout=30)
        time.sleep(0.5)  # nothing more in flight
        self.assertEqual(daemon.stop(), 0)
        self.assert_logged_in_history(daemon)
        history = self.history()
        self.assert_history_chain(history)
        for domain, rows in stored.items():
            self.assertEqual([tuple(r) for r in history[domain][:len(rows)]], rows, domain)
        sample()
        for domain, state in expected.items():
            self.assertEqual(history[domain][-1]["to_state"], state, domain)

        # No moved deadline: one deadline per warning episode across all samples, and it is the
        # one the history recorded when the warning was raised.
        for (domain, since_ms), values in deadlines.items():
            self.assertEqual(len(values), 1, f"{domain}: the deadline of the warning raised at "
                             f"{since_ms} moved across restarts: {sorted(values)}")
            raised = [r for r in history[domain]
                      if r["event"] == "revocation_warning" and r["at_ms"] == since_ms]
            self.assertEqual([r["deadline_ms"] for r in raised], list(values), domain)

        # No lost alert: every stored transition was delivered at least once (matched on
        # domain, event and time to the second, as the webhook document carries it).
        delivered = collections.Counter(
            (doc["identity"]["domain"], doc["event"], utc_to_epoch(doc["at"]))
            for doc in webhook_docs(self.receiver))
        transitions = [(domain, row["event"], row["at_ms"] // 1000)
                       for domain, rows in history.items() for row in rows]
        lost = [t for t in transitions if delivered[t] == 0]
        self.assertEqual(lost, [], "transitions never delivered to the webhook")
        unexpected = [key for key in delivered if key not in set(transitions)]
        self.assertEqual(unexpected, [], "deliveries of no stored transition")
        duplicates = sum(count - 1 for count in delivered.values())
        warnings = sum(1 for t in transitions if t[1] == "revocation_warning")
        sys.stderr.write(
            f"\ntorture: seed={SEED} kills={kills} transitions={len(transitions)} "
            f"(revocation_warning={warnings}, deadlines checked={len(deadlines)}) "
            f"alerts_received={sum(delivered.values())} duplicates={duplicates} lost=0 "
            f"wall={time.monotonic() - started:.1f}s\n")


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    KILLS = take_int_argument("--kills", KILLS)
    SEED = take_int_argument("--seed", SEED)
    unittest.main(verbosity=2)
