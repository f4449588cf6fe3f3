#!/usr/bin/python3
"""The dkimwatch sweep benchmark (see bench/README.md). Run it through bench/sweep.sh, which
installs what it needs and builds dkimwatch first.

1. Generates N Easy DKIM identities (1% broken) and their zones; starts nsd on loopback.
2. Capture run: dkimwatch check while tcpdump records every query sent to nsd; the captured
   list (qname, qtype, in order) is the input of dnsperf.
3. Timed runs, alternating: `dkimwatch check` under /usr/bin/time -v, then dnsperf on exactly
   the captured queries with the same concurrency; nsd's own counters are read after each run.
4. Optionally the daemon section (daemon_bench.py) on the same nsd and data.
5. Prints one `name: value unit` line per figure; the last line is
   `ratio: <dkimwatch queries/s / dnsperf queries/s>` (medians).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

RESOLVER_SOCKET_QUERIES = 512  # daemon/dns/async_resolver.cpp: k_inflight_per_socket


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=100_000, help="identities (default 100000)")
    p.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")),
                   help="timed runs of each of dkimwatch and dnsperf (default 3; BENCH_RUNS)")
    p.add_argument("--inflight", type=int, default=int(os.environ.get("BENCH_INFLIGHT", "1024")),
                   help="dns.max_inflight for dkimwatch and -q for dnsperf (default 1024)")
    p.add_argument("--bin", default=os.environ.get("DKIMWATCH_BIN",
                                                   str(bl.REPO / "build" / "dkimwatch")))
    p.add_argument("--workdir", default=os.environ.get("BENCH_WORKDIR", ""),
                   help="where data, configs and reports go (default /tmp/dkimwatch-bench/N<n>; "
                        "the generated data is reused when it matches)")
    p.add_argument("--daemon", choices=("yes", "no"), default=os.environ.get("BENCH_DAEMON", "yes"),
                   help="also run the daemon section (default yes; BENCH_DAEMON)")
    p.add_argument("--identities", choices=bl.IDENTITY_FORMATS,
                   default=os.environ.get("BENCH_IDENTITIES", "csv"),
                   help="how the identities are given: csv (identities_file, default) or yaml "
                        "(the identities: list); BENCH_IDENTITIES")
    p.add_argument("--wait-quiet", type=float, default=float(os.environ.get("BENCH_WAIT_QUIET", "0")),
                   help="before measuring, wait (up to 15 min) until the 1-minute load average "
                        "is below this (0: do not wait)")
    p.add_argument("--daemon-interval", type=int,
                   default=int(os.environ.get("BENCH_DAEMON_INTERVAL", "60")),
                   help="first check_interval of the daemon section, seconds (default 60)")
    p.add_argument("--dnsperf-threads", type=int, default=1,
                   help="dnsperf -T (default 1: dkimwatch's event loop is one thread)")
    return p.parse_args(argv)


class DkimwatchFailed(Exception):
    """dkimwatch check could not run (e.g. the configuration was rejected)."""


def capture_queries(args, nsd: bl.Nsd, config: Path, work: Path, procs: bl.Processes):
    """Runs dkimwatch check once while tcpdump records the queries it sends to nsd. Returns
    (queries, figures)."""
    tcpdump = shutil.which("tcpdump") or "/usr/bin/tcpdump"
    pcap = work / "capture.pcap"
    pcap.unlink(missing_ok=True)
    err_path = work / "tcpdump.err"
    # --immediate-mode: with the default 1 s packet-ring timeout the last block of packets can be
    # lost when tcpdump is stopped.
    cap = procs.start("tcpdump", [tcpdump, "-i", "lo", "-n", "-p", "--immediate-mode", "-s",
                                  "400", "-B", "262144",
                                  "-w", str(pcap), f"udp and dst host {bl.LOOPBACK} and dst port "
                                  f"{nsd.port}"],
                      stop_signal=signal.SIGINT, stdout=subprocess.DEVNULL,
                      stderr=open(err_path, "w"))
    deadline = time.monotonic() + 20
    while "listening on" not in err_path.read_text():
        if cap.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("tcpdump did not start: " + err_path.read_text())
        time.sleep(0.05)
    time.sleep(0.3)
    nsd.stats()
    run = subprocess.run([args.bin, "--log-level", "info", "check", "--config", str(config),
                          "--format", "json"], stdout=open(work / "capture-report.json", "wb"),
                         stderr=subprocess.PIPE)
    server = nsd.stats()
    time.sleep(1.5)
    procs.stop(cap)
    if run.returncode not in (0, 1, 2):
        raise DkimwatchFailed(f"exit {run.returncode}: "
                              + run.stderr.decode(errors="replace").strip()[-500:])
    _, logged, _ = bl.parse_sweep_done(run.stderr)
    summary = err_path.read_text()
    dropped = 0
    for line in summary.splitlines():
        if "dropped by kernel" in line:
            dropped = int(line.split()[0])
    queries, bad = bl.pcap_queries(pcap, nsd.port)
    listing = work / "queries.txt"
    with open(listing, "w") as f:
        for name, qtype in queries:
            f.write(f"{name} {qtype}\n")
    by_type: dict[str, int] = {}
    for _, qtype in queries:
        by_type[qtype] = by_type.get(qtype, 0) + 1
    bl.note(f"captured {len(queries)} queries ({by_type}); dkimwatch logged {logged}, nsd "
            f"counted {server.get('num.queries')} (udp {server.get('num.udp')}, tcp "
            f"{server.get('num.tcp')}, truncated {server.get('num.truncated')}); tcpdump dropped {dropped}, unreadable {bad}")
    if dropped or len(queries) != logged:
        bl.note("WARNING: the capture is not exact (see the figures)")
    pcap.unlink(missing_ok=True)  # large; the list is kept
    return queries, {"captured": len(queries), "logged": logged, "dropped": dropped,
                     "nsd": server.get("num.queries", 0), "by_type": by_type,
                     "nsd_tcp": server.get("num.tcp", 0),
                     "nsd_dropped": server.get("num.dropped", 0)}


def timed_check(args, nsd: bl.Nsd, config: Path, work: Path, run_index: int) -> dict:
    report = work / "report.json"
    time_out = work / f"time-{run_index}.txt"
    nsd.stats()
    udp_before = bl.udp_counters()
    started = time.monotonic()
    run = subprocess.run([bl.time_binary(), "-v", "-o", str(time_out), args.bin, "--log-level",
                          "info", "check", "--config", str(config), "--format", "json"],
                         stdout=open(report, "wb"), stderr=subprocess.PIPE)
    outer = time.monotonic() - started
    server = nsd.stats()
    udp_after = bl.udp_counters()
    if run.returncode not in (0, 1, 2):
        raise RuntimeError(f"dkimwatch check exited {run.returncode}:\n"
                           + run.stderr[-3000:].decode(errors="replace"))
    identities, queries, duration_ms = bl.parse_sweep_done(run.stderr)
    t = bl.parse_time_v(time_out.read_text())
    result = {"identities": identities, "queries": queries, "sweep_s": duration_ms / 1000.0,
              "wall_s": t.get("wall_s", outer), "cpu_s": t["user_s"] + t["sys_s"],
              "user_s": t["user_s"], "sys_s": t["sys_s"], "rss_mb": t["max_rss_kb"] / 1024.0,
              "exit": run.returncode, "nsd_queries": server.get("num.queries", 0),
              "nsd_tcp": server.get("num.tcp", 0), "nsd_dropped": server.get("num.dropped", 0),
              "rcvbuf_errors": udp_after["RcvbufErrors"] - udp_before["RcvbufErrors"],
              "verdicts": bl.verdict_counts(report)}
    result["qps"] = queries / result["sweep_s"] if result["sweep_s"] > 0 else float("nan")
    result["qps_end_to_end"] = queries / result["wall_s"]
    bl.note(f"dkimwatch run {run_index}: {queries} queries in {result['sweep_s']:.2f} s sweep "
            f"({result['qps']:.0f}/s), {result['wall_s']:.2f} s wall, "
            f"{result['rss_mb']:.0f} MB peak RSS, {result['cpu_s']:.2f} s CPU; nsd counted "
            f"{result['nsd_queries']}")
    return result


def timed_dnsperf(args, nsd: bl.Nsd, work: Path, run_index: int) -> dict:
    clients = max(1, math.ceil(args.inflight / RESOLVER_SOCKET_QUERIES))
    argv = ["dnsperf", "-s", bl.LOOPBACK, "-p", str(nsd.port), "-d", str(work / "queries.txt"),
            "-n", "1", "-c", str(clients), "-T", str(args.dnsperf_threads),
            "-q", str(args.inflight), "-t", "5", "-e", "-b", "1024"]
    nsd.stats()
    udp_before = bl.udp_counters()
    run = subprocess.run(argv, capture_output=True, text=True)
    server = nsd.stats()
    udp_after = bl.udp_counters()
    if run.returncode != 0:
        raise RuntimeError(f"dnsperf exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
    result = bl.parse_dnsperf(run.stdout)
    result["nsd_queries"] = server.get("num.queries", 0)
    result["nsd_dropped"] = server.get("num.dropped", 0)
    result["rcvbuf_errors"] = udp_after["RcvbufErrors"] - udp_before["RcvbufErrors"]
    result["argv"] = " ".join(argv[:4] + ["<port>"] + argv[5:6] + ["queries.txt"] + argv[7:])
    bl.note(f"dnsperf run {run_index}: {result.get('completed', 0):.0f} queries, "
            f"{result.get('qps', 0):.0f}/s, lost {result.get('lost', 0):.0f}; nsd counted "
            f"{result['nsd_queries']}")
    return result


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not os.access(args.bin, os.X_OK):
        raise SystemExit(f"no dkimwatch binary at {args.bin} (build it, or set DKIMWATCH_BIN)")
    work = Path(args.workdir or f"/tmp/dkimwatch-bench/N{args.n}")
    work.mkdir(parents=True, exist_ok=True)
    procs = bl.Processes()
    bl.note(f"data and reports in {work}")

    gen = bl.generate(args.n, work)
    bl.note(f"data set: {gen['identities']} identities, {gen['records']} records, expected "
            f"{gen['expected_verdicts']}, {gen['zone_bytes'] / 1e6:.0f} MB of zone files")

    nsd = bl.Nsd(procs, work, work / "nsd", gen["customer_zones"] + gen["ses_zones"])
    nsd.start()
    bl.note(f"nsd on {bl.LOOPBACK}:{nsd.port}, loaded in {nsd.load_seconds:.1f} s")

    config = bl.dkimwatch_config(work, "check", nsd.port, max_inflight=args.inflight,
                                 max_qps=0, identities=args.identities)
    try:
        queries, capture = capture_queries(args, nsd, config, work, procs)
    except DkimwatchFailed as failure:
        bl.figure("identities", gen["identities"])
        bl.figure("identities_format", args.identities)
        bl.figure("dkimwatch_error", str(failure))
        bl.figure("ratio", f"n/a (dkimwatch check failed: {failure})")
        return 1

    bl.wait_quiet(args.wait_quiet)
    load_before = bl.load_average()
    checks, perfs = [], []
    for i in range(1, args.runs + 1):
        bl.wait_quiet(args.wait_quiet)
        checks.append(timed_check(args, nsd, config, work, i))
        perfs.append(timed_dnsperf(args, nsd, work, i))
    load_after = bl.load_average()

    expected = gen["expected_verdicts"]
    mismatched = [c["verdicts"] for c in checks if c["verdicts"] != expected]

    figures: list[tuple[str, object, str]] = []

    def add(name, value, unit=""):
        figures.append((name, value, unit))

    def add_min_median(name, values, unit):
        low, mid = bl.min_median(values)
        add(f"{name}_min", low, unit)
        add(f"{name}_median", mid, unit)

    add("machine_cpus", os.cpu_count(), "cores")
    add("load_average_before", load_before, "")
    add("load_average_after", load_after, "")
    add("identities", gen["identities"], "")
    add("identities_format", args.identities, "")
    add("records", gen["records"], "")
    add("zone_files", gen["zone_bytes"] / 1e6, "MB")
    add("nsd_load_time", nsd.load_seconds, "s")
    add("nsd_rss", nsd.rss_kb() / 1024.0, "MB")
    add("dkimwatch_max_inflight", args.inflight, "")
    add("dkimwatch_max_qps", 0, "(unlimited)")
    add("runs", args.runs, "")
    add("captured_queries", capture["captured"], "")
    add("capture_dropped_by_kernel", capture["dropped"], "")
    add("capture_matches_dkimwatch_count", "yes" if capture["captured"] == capture["logged"]
        else f"no ({capture['logged']} logged)", "")
    add("captured_queries_by_type", " ".join(f"{k}={v}" for k, v in
                                              sorted(capture["by_type"].items())), "")
    add("capture_nsd_tcp_queries", capture["nsd_tcp"], "")
    add("queries_per_identity", capture["captured"] / gen["identities"], "")
    add("verdicts_as_expected", "yes" if not mismatched else f"no: {mismatched[0]}", "")
    add("dkimwatch_dns_errors", max(c["verdicts"].get("dns_error", 0) for c in checks), "records")
    add_min_median("dkimwatch_queries", [c["queries"] for c in checks], "")
    add_min_median("nsd_counted_queries_dkimwatch", [c["nsd_queries"] for c in checks], "")
    add("dkimwatch_retried_queries_max", max(c["queries"] for c in checks) - capture["captured"],
        "(queries beyond the captured list: retries after timeouts)")
    add("nsd_dropped_max", max([c["nsd_dropped"] for c in checks] +
                               [p.get("nsd_dropped", 0) for p in perfs]), "")
    add("nsd_tcp_queries_max", max(c["nsd_tcp"] for c in checks), "")
    add("udp_rcvbuf_errors_max", max([c["rcvbuf_errors"] for c in checks] +
                                     [p.get("rcvbuf_errors", 0) for p in perfs]),
        "(kernel drops on full socket buffers, whole machine)")
    add_min_median("dkimwatch_sweep_time", [c["sweep_s"] for c in checks], "s")
    add_min_median("dkimwatch_wall_time", [c["wall_s"] for c in checks], "s")
    add_min_median("dkimwatch_outside_sweep_time",
                   [c["wall_s"] - c["sweep_s"] for c in checks], "s")
    add_min_median("dkimwatch_cpu", [c["cpu_s"] for c in checks], "s")
    add_min_median("dkimwatch_peak_rss", [c["rss_mb"] for c in checks], "MB")
    add_min_median("dkimwatch_qps_end_to_end", [c["qps_end_to_end"] for c in checks],
                   "queries/s")
    add("dnsperf_command", perfs[0]["argv"], "")
    add_min_median("dnsperf_queries", [p.get("completed", 0) for p in perfs], "")
    add_min_median("dnsperf_lost", [p.get("lost", 0) for p in perfs], "")
    add_min_median("dnsperf_time", [p.get("run_s", 0) for p in perfs], "s")
    # The two figures the ratio is made of come last.
    qps = sorted(c["qps"] for c in checks)
    dnsperf_qps = sorted(p.get("qps", 0) for p in perfs)
    add("dkimwatch_qps_runs", " ".join(f"{q:.0f}" for q in qps), "queries/s")
    add("dnsperf_qps_runs", " ".join(f"{q:.0f}" for q in dnsperf_qps), "queries/s")
    add_min_median("dnsperf_qps", dnsperf_qps, "queries/s")
    add_min_median("dkimwatch_qps", qps, "queries/s")
    add("ratio_end_to_end", round(bl.min_median([c["qps_end_to_end"] for c in checks])[1] /
                                  bl.min_median(dnsperf_qps)[1], 3),
        "(with configuration loading and report rendering)")
    for name, value, unit in figures:
        bl.figure(name, value, unit)

    if args.daemon == "yes":
        import daemon_bench
        daemon_bench.run_section(args.bin, work, nsd, gen, procs, max_inflight=args.inflight,
                                 interval_s=args.daemon_interval, wait_quiet=args.wait_quiet,
                                 identities=args.identities)

    ratio = bl.min_median(qps)[1] / bl.min_median(dnsperf_qps)[1]
    bl.figure("ratio", round(ratio, 3))
    nsd.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        bl.note("interrupted; stopping what was started")
        sys.exit(130)
