#!/usr/bin/python3
"""Soak benchmark: does the daemon's memory or descriptor count grow over time? (bench/soak.sh)

The real daemon (`dkimwatch run`) against the tests' DNS environment (tests/integration/dnsenv:
nsd + unbound on 127.0.0.1, scenario "alerts": 52 Easy DKIM identities) and a webhook receiver
(tests/integration/alert_delivery/receiver.py), for --duration seconds, at accelerated intervals:
- check_interval 1s, recheck_interval 300ms, confirmations 2;
- records flap: every --flap-every seconds one record of alpha.test or beta.test is removed or
  put back, and every fourth flap all 150 records of the 50 storm identities (an alert storm);
- every --reload-every seconds SIGHUP, alternating between a configuration with and without
  beta.test (identities removed and added);
- every --scrape-every seconds a GET /metrics.
Every --sample-every seconds it reads VmRSS (/proc/PID/status) and the number of open
descriptors (/proc/PID/fd). At the end it prints, as `name: value unit` lines on stdout, the
least-squares slope of each over the whole run and over its second half (KB/min, fds/min), and
the first, last and maximum values; the samples go to soak-samples.csv in the work directory.
The goal is flat: a slope near 0 over the second half.

Only 127.0.0.1 is used. Everything started is stopped by PID on exit, Ctrl-C or SIGTERM.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "integration" / "dnsenv"))
sys.path.insert(0, str(HERE))

import benchlib as bl  # noqa: E402
import dnsenv  # noqa: E402

SCENARIO = REPO / "tests" / "integration" / "dnsenv" / "scenarios" / "alerts"
RECEIVER = REPO / "tests" / "integration" / "alert_delivery" / "receiver.py"
FLAPPING = {"alpha.test": r"^al2\._domainkey", "beta.test": r"^be2\._domainkey"}
STORM = ("storm.test", r"_domainkey")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) pairs, in value per minute (0 if < 2 samples)."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var * 60.0


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def write_configs(env: dnsenv.DnsEnv, work: Path, hook_url: str, metrics_port: int) -> tuple[str, str]:
    """The daemon settings and sinks, then the 50 storm identities, alpha.test and (in the first
    text only) beta.test. Returns (with beta, without beta)."""
    head = ("check_interval: 1s\nrecheck_interval: 300ms\nconfirmations: 2\n"
            f"revocation_window: 1h\nstate_dir: {work / 'state'}\ngroup_wait: 1s\n"
            f"metrics:\n  listen: 127.0.0.1:{metrics_port}\n"
            f"alerts:\n  - name: hook\n    type: webhook\n    url: \"{hook_url}\"\n")
    storm = env.configs["storm"].read_text()
    two = env.configs["two"].read_text()
    items = two.split("identities:\n", 1)[1]
    alpha, beta = items.split("  - domain: beta.test", 1)
    with_beta = head + storm.rstrip("\n") + "\n" + alpha + "  - domain: beta.test" + beta
    without_beta = head + storm.rstrip("\n") + "\n" + alpha
    return with_beta, without_beta


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dkimwatch", default=os.environ.get("DKIMWATCH_BIN",
                                                              str(REPO / "build" / "dkimwatch")))
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default 3600)")
    parser.add_argument("--flap-every", type=float, default=5.0)
    parser.add_argument("--reload-every", type=float, default=30.0)
    parser.add_argument("--scrape-every", type=float, default=2.0)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--workdir", default="", help="kept when given (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    procs = bl.Processes()
    temp = None
    if args.workdir:
        work = Path(args.workdir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.TemporaryDirectory(prefix="dkimwatch-soak-")
        work = Path(temp.name)
    env = dnsenv.DnsEnv(SCENARIO, state_dir=work / "dnsenv", keep_state_dir=bool(args.workdir))
    env.start()
    try:
        port_file = work / "hook.port"
        receiver_log = work / "hook.jsonl"
        receiver = procs.start("receiver", [sys.executable, str(RECEIVER), "--port", "0",
                                            "--port-file", str(port_file), "--script", "200",
                                            "--log", str(receiver_log)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not port_file.exists():
            if time.monotonic() > deadline or receiver.poll() is not None:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.05)
        hook_url = f"http://127.0.0.1:{int(port_file.read_text())}/hook"
        metrics_port = bl.free_port()
        with_beta, without_beta = write_configs(env, work, hook_url, metrics_port)
        config = work / "dkimwatch.yaml"
        config.write_text(with_beta)
        log_path = work / "daemon.log"
        with open(log_path, "ab") as log:
            daemon = procs.start("dkimwatch", [args.dkimwatch, "--log-level", "info", "run",
                                               "--config", str(config)],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while "event=started" not in log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError(f"the daemon did not start; see {log_path}")
            time.sleep(0.05)
        bl.note(f"daemon pid {daemon.pid} started; {args.duration:.0f} s, work dir {work}")

        start = time.monotonic()
        next_flap = start + args.flap_every
        next_reload = start + args.reload_every
        next_scrape = start + args.scrape_every
        next_sample = start
        flaps = reloads = scrapes = scrape_errors = 0
        broken = {zone: False for zone in [*FLAPPING, STORM[0]]}
        rss: list[tuple[float, float]] = []
        fds: list[tuple[float, float]] = []
        samples_csv = open(work / "soak-samples.csv", "w")
        samples_csv.write("seconds,rss_kb,fds\n")
        while True:
            now = time.monotonic()
            if now - start >= args.duration:
                break
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited with status {daemon.returncode}; "
                                   f"see {log_path}")
            if now >= next_sample:
                t = now - start
                rss_kb = bl.proc_status_kb(daemon.pid, "VmRSS") or 0
                open_fds = fd_count(daemon.pid)
                rss.append((t, rss_kb))
                fds.append((t, open_fds))
                samples_csv.write(f"{t:.1f},{rss_kb},{open_fds}\n")
                samples_csv.flush()
                next_sample += args.sample_every
            if now >= next_flap:
                flaps += 1
                zone = STORM[0] if flaps % 4 == 0 else rng.choice(sorted(FLAPPING))
                pattern = STORM[1] if zone == STORM[0] else FLAPPING[zone]
                if broken[zone]:
                    env.restore_zone(zone)
                else:
                    env.remove_lines(zone, pattern)
                broken[zone] = not broken[zone]
                next_flap += args.flap_every
            if now >= next_reload:
                reloads += 1
                config.write_text(without_beta if reloads % 2 else with_beta)
                os.kill(daemon.pid, signal.SIGHUP)
                next_reload += args.reload_every
            if now >= next_scrape:
                scrapes += 1
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                                timeout=5) as response:
                        response.read()
                except OSError:
                    scrape_errors += 1
                next_scrape += args.scrape_every
            time.sleep(max(0.0, min(next_sample, next_flap, next_reload, next_scrape) -
                           time.monotonic()))
        samples_csv.close()
        code = procs.stop(daemon)
        deliveries = events_delivered = 0
        if receiver_log.exists():
            for line in receiver_log.read_text().splitlines():
                deliveries += 1
                try:
                    doc = json.loads(json.loads(line)["body"])
                except (ValueError, KeyError):
                    continue
                # Storm control sends one group document (with a total) per minute in a storm.
                events_delivered += int(doc.get("total", 1)) if doc.get("type") == "group" else 1
        transitions = sum(1 for line in log_path.read_text(errors="replace").splitlines()
                          if " from=" in line and " to=" in line)

        half = [s for s in rss if s[0] >= args.duration / 2]
        half_fds = [s for s in fds if s[0] >= args.duration / 2]
        bl.figure("soak_duration", args.duration, "s")
        bl.figure("soak_samples", len(rss))
        bl.figure("soak_flaps", flaps)
        bl.figure("soak_reloads", reloads)
        bl.figure("soak_scrapes", scrapes)
        bl.figure("soak_scrape_errors", scrape_errors)
        bl.figure("soak_transitions_logged", transitions)
        bl.figure("soak_webhook_deliveries", deliveries)
        bl.figure("soak_webhook_events", events_delivered)
        bl.figure("soak_rss_first", int(rss[0][1]), "KB")
        bl.figure("soak_rss_last", int(rss[-1][1]), "KB")
        bl.figure("soak_rss_max", int(max(v for _, v in rss)), "KB")
        bl.figure("soak_rss_slope", round(slope_per_minute(rss), 2), "KB/min")
        bl.figure("soak_rss_slope_second_half", round(slope_per_minute(half), 2), "KB/min")
        bl.figure("soak_fds_first", int(fds[0][1]))
        bl.figure("soak_fds_last", int(fds[-1][1]))
        bl.figure("soak_fds_max", int(max(v for _, v in fds)))
        bl.figure("soak_fds_slope", round(slope_per_minute(fds), 4), "fds/min")
        bl.figure("soak_fds_slope_second_half", round(slope_per_minute(half_fds), 4), "fds/min")
        bl.figure("soak_daemon_exit_on_sigterm", code)
        return 0 if code == 0 else 1
    finally:
        procs.stop_all()
        env.stop()
        if temp is not None:
            temp.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
