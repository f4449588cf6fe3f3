#!/usr/bin/python3
"""Capacity at the default intervals (issue 13): how many identities one `dkimwatch run`
handles with check_interval 10m, recheck_interval 1m, zone_poll_interval 1m,
dns.authoritative on, dns.dnssec on, max_qps 1000 and max_inflight 256 (none of these keys is
written: the daemon's defaults apply), and so when sharding pays.

For each N: the bench data set (N Easy DKIM identities over 100 zones, benchlib.generate) is
served by one nsd on 127.0.0.1, which is also every zone's authoritative server (each zone's NS
`ns1.<zone>` has the glue 127.0.0.1; `dns.authoritative_port` is nsd's port). DNSSEC: nsd also
serves a root zone signed here (ldns-keygen ECDSAP256SHA256, ldns-signzone, NSEC) that delegates
`test.` and `com.` without DS, and `dns.trust_anchor_file` holds that root key's DS. So, as on
the Internet for an unsigned customer zone, the daemon fetches the root DNSKEY and proves the
delegation insecure with the root's NSEC (DS lookups, cached by their TTL); the customer and SES
zones themselves are unsigned.

The first checks are spread over check_interval (600 s); a full interval per point is too long,
so the script measures a window of that spread-out first sweep after a warm-up:
  exec dkimwatch run ... READY=1 ... warm-up (default 30 s) ... window (default 150 s)
At the window's edges: /metrics (dkimwatch_checks_total, dkimwatch_dns_queries_total,
dkimwatch_authoritative_unreachable_total, identities with a last-check time,
dkimwatch_check_lag_seconds), nsd-control stats (nsd's own query count), utime+stime of the
daemon, load average; VmRSS every second. The daemon's log is searched for
event=rate_cannot_keep_up. Figures on stdout as `name: value unit` (also written to --out).

    python3 bench/capacity.py [N ...] [--window 150] [--warmup 30] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402
import daemon_bench as db  # noqa: E402

DEFAULT_CHECK_INTERVAL_S = 600.0  # the daemon's default check_interval (10m)
DEFAULT_MAX_QPS = 1000.0          # the daemon's default dns.max_qps


def metric_sum(body: str, name: str, label_filter: str = "") -> float:
    """The sum of every sample of `name` (whose labels contain `label_filter`)."""
    total = 0.0
    for m in re.finditer(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+)$", body, re.M):
        if label_filter in (m[1] or ""):
            total += float(m[2])
    return total


def by_label(body: str, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in re.finditer(rf'^{name}\{{[^}}]*{label}="([^"]*)"[^}}]*\}} ([0-9.e+-]+)$', body,
                         re.M):
        out[m[1]] = out.get(m[1], 0.0) + float(m[2])
    return out


def signed_root(work: Path, zones_dir: Path) -> Path:
    """Writes zones_dir/..zone: "." signed (NSEC, 30 days), delegating test. and com.
    without DS; returns the trust anchor file (the key's DS)."""
    keydir = work / "capacity-root-key"
    shutil.rmtree(keydir, ignore_errors=True)
    keydir.mkdir(parents=True)
    keygen = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", "."], cwd=keydir,
                            capture_output=True, text=True, check=True)
    key = keydir / keygen.stdout.strip()
    unsigned = keydir / "root.unsigned"
    unsigned.write_text("\n".join([
        "$ORIGIN .", "$TTL 86400",
        ". IN SOA ns.root. hostmaster.root. 1 1800 900 604800 86400",
        ". IN NS ns.root.", "ns.root. IN A 127.0.0.1",
        "test. IN NS ns.nic.test.", "ns.nic.test. IN A 127.0.0.1",
        "com. IN NS ns.nic.com.", "ns.nic.com. IN A 127.0.0.1"]) + "\n")
    stamp = lambda t: time.strftime("%Y%m%d%H%M%S", time.gmtime(t))  # noqa: E731
    now = time.time()
    out = zones_dir / "..zone"  # benchlib.Nsd reads zone Z from "Z.zone"
    subprocess.run(["ldns-signzone", "-o", ".", "-i", stamp(now - 3600),
                    "-e", stamp(now + 30 * 86400), "-f", str(out), str(unsigned), str(key)],
                   capture_output=True, text=True, check=True)
    anchor = work / "capacity-trust-anchor.key"
    shutil.copy(str(key) + ".ds", anchor)
    return anchor


def write_config(work: Path, nsd_port: int, metrics_port: int, state: Path,
                 anchor: Path, extra_dns: str) -> Path:
    """Only what the bench needs; every interval and limit is the daemon's default."""
    text = (f"dns:\n  resolvers: [\"{bl.LOOPBACK}:{nsd_port}\"]\n"
            f"  authoritative_port: {nsd_port}\n  trust_anchor_file: \"{anchor}\"\n{extra_dns}"
            f"state_dir: \"{state}\"\nmetrics:\n  listen: \"{bl.LOOPBACK}:{metrics_port}\"\n"
            f"identities_file: \"{work / 'identities.csv'}\"\n")
    path = work / "capacity.yaml"
    path.write_text(text)
    return path


def measure(bin_path: str, n: int, args: argparse.Namespace, procs: bl.Processes,
            emit) -> None:
    work = Path(args.workdir or "/tmp/dkimwatch-bench") / f"N{n}"
    work.mkdir(parents=True, exist_ok=True)
    gen = bl.generate(n, work)
    anchor = signed_root(work, work / "zones")
    # "." neither first nor last: benchlib.Nsd probes those two with SOA queries.
    nsd = bl.Nsd(procs, work, work / "nsd-capacity",
                 gen["customer_zones"][:1] + ["."] + gen["customer_zones"][1:] + gen["ses_zones"])
    nsd.start()
    bl.note(f"N={n}: nsd on {bl.LOOPBACK}:{nsd.port}, loaded in {nsd.load_seconds:.1f} s")
    state = work / "capacity-state"
    shutil.rmtree(state, ignore_errors=True)
    log = work / "capacity-daemon.log"
    log.unlink(missing_ok=True)
    metrics_port = bl.free_port()
    extra_dns = "".join(f"  {kv}\n" for kv in args.dns)
    config = write_config(work, nsd.port, metrics_port, state, anchor, extra_dns)
    notify = db.Notifications(work / "capacity-notify.sock")
    try:
        bl.wait_quiet(args.wait_quiet)
        load_start = os.getloadavg()
        proc, ready_s, ready_at = db.start_daemon(bin_path, config, notify, log, procs)
        rss_ready = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        sampler = db.Sampler(proc.pid, period=1.0)
        time.sleep(max(0.0, ready_at + args.warmup - time.monotonic()))
        nsd.stats()  # resets nsd's counters
        body0 = db.scrape(metrics_port)[3]
        cpu0, t0 = bl.proc_cpu_seconds(proc.pid), time.monotonic()
        busy = bl.busy_cores(args.window)  # the whole machine, over the window
        body1 = db.scrape(metrics_port)[3]
        cpu1, t1 = bl.proc_cpu_seconds(proc.pid), time.monotonic()
        nsd_stats = nsd.stats()
        load_end = os.getloadavg()
        rss_end = bl.proc_status_kb(proc.pid, "VmRSS") or 0
        hwm = bl.proc_status_kb(proc.pid, "VmHWM") or 0
        cpu_total = bl.proc_cpu_seconds(proc.pid)
        since_ready = time.monotonic() - ready_at
        code = procs.stop(proc, timeout=30)
        sampler.stop()
    finally:
        notify.close()
        nsd.stop()

    dt = t1 - t0
    checks = metric_sum(body1, "dkimwatch_checks_total") - metric_sum(body0,
                                                                      "dkimwatch_checks_total")
    results1 = by_label(body1, "dkimwatch_checks_total", "result")
    results0 = by_label(body0, "dkimwatch_checks_total", "result")
    results = {k: v - results0.get(k, 0.0) for k, v in results1.items()}
    queries = metric_sum(body1, "dkimwatch_dns_queries_total") - \
        metric_sum(body0, "dkimwatch_dns_queries_total")
    rc1 = by_label(body1, "dkimwatch_dns_queries_total", "rcode")
    rc0 = by_label(body0, "dkimwatch_dns_queries_total", "rcode")
    rcodes = {k: v - rc0.get(k, 0.0) for k, v in rc1.items() if v - rc0.get(k, 0.0) > 0}
    unreachable = metric_sum(body1, "dkimwatch_authoritative_unreachable_total") - \
        metric_sum(body0, "dkimwatch_authoritative_unreachable_total")
    checked0 = db.identities_checked(body0)
    checked1 = db.identities_checked(body1)
    lag = metric_sum(body1, "dkimwatch_check_lag_seconds")
    nsd_queries = nsd_stats.get("num.queries", 0)
    cpu = cpu1 - cpu0
    log_text = log.read_text(errors="replace")
    keep_up = [line.strip() for line in log_text.splitlines() if "rate_cannot_keep_up" in line]
    log_lines = [line for line in log_text.splitlines() if line.strip()]
    qpc = queries / checks if checks else 0.0
    cpu_per_check = cpu / checks if checks else 0.0
    max_qps = float(next((kv.split(":", 1)[1] for kv in args.dns
                          if kv.startswith("max_qps:")), DEFAULT_MAX_QPS))

    emit("identities", n)
    emit("settings", "defaults (check_interval 10m, recheck_interval 1m, zone_poll_interval 1m, "
         "authoritative on, dnssec on, max_qps 1000, max_inflight 256)"
         + (f" except dns {', '.join(args.dns)}" if args.dns else ""))
    emit("load_average_start", " ".join(f"{v:.2f}" for v in load_start))
    emit("load_average_end", " ".join(f"{v:.2f}" for v in load_end))
    emit("machine_busy_cores_in_window", busy, f"of {os.cpu_count()} (all processes)")
    emit("ready_time", ready_s, "s")
    emit("rss_at_ready", rss_ready / 1024.0, "MB")
    emit("window", f"{args.warmup:g}..{args.warmup + dt:.0f}", "s after READY")
    emit("checks_in_window", int(checks), "")
    emit("checks_by_result", " ".join(f"{k}={int(v)}" for k, v in sorted(results.items())))
    emit("checks_per_s", checks / dt, "")
    emit("checks_per_s_needed", n / DEFAULT_CHECK_INTERVAL_S,
         "(N / 600 s, first checks of a 10m interval)")
    emit("keeps_pace", "yes" if checks / dt >= 0.95 * n / DEFAULT_CHECK_INTERVAL_S else "no")
    emit("identities_checked", f"{checked0} -> {checked1}", f"of {n}")
    emit("check_lag_at_end", lag, "s")
    emit("dns_queries_in_window", int(queries), "(dkimwatch_dns_queries_total)")
    emit("dns_queries_by_rcode", " ".join(f"{k}={int(v)}" for k, v in sorted(rcodes.items())))
    emit("nsd_queries_in_window", nsd_queries, "(nsd-control stats)")
    types = {k[len("num.type."):]: v for k, v in nsd_stats.items()
             if k.startswith("num.type.") and v > 0}
    emit("nsd_queries_by_type_per_check", " ".join(
        f"{k}={v / checks:.2f}" for k, v in sorted(types.items())) if checks else "")
    emit("queries_per_s", queries / dt, f"(max_qps {max_qps:g})")
    emit("queries_per_check", qpc, "")
    emit("authoritative_unreachable_in_window", int(unreachable), "")
    emit("cpu_in_window", cpu, "s")
    emit("cpu_percent_of_core", 100.0 * cpu / dt, "%")
    emit("cpu_per_check", 1e6 * cpu_per_check, "us")
    emit("cpu_total_since_exec", cpu_total, f"s in {since_ready:.0f} s after READY")
    emit("rss_end", rss_end / 1024.0, "MB")
    emit("rss_peak", max(hwm, sampler.max_rss_kb()) / 1024.0, "MB (VmHWM)")
    emit("rate_cannot_keep_up", keep_up[0] if keep_up else "none", "")
    emit("log_lines", len(log_lines), "(default log level: warnings and errors)")
    for line in log_lines[:5]:
        emit("log", line[:300])
    emit("daemon_exit", code, "")
    # Per-identity projections at check_interval 600 s and this max_qps.
    if qpc > 0 and max_qps > 0:
        emit("identities_at_max_qps", max_qps * DEFAULT_CHECK_INTERVAL_S / qpc if max_qps else 0,
             f"({max_qps:g} q/s x 600 s / {qpc:.2f} queries per check)")
    if cpu_per_check > 0:
        emit("identities_at_one_core", DEFAULT_CHECK_INTERVAL_S / cpu_per_check,
             "(600 s / CPU per check; the rate limiter's own waiting is included)")
    shutil.rmtree(state, ignore_errors=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000, 100_000])
    p.add_argument("--bin", default=os.environ.get("DKIMWATCH_BIN",
                                                   str(bl.REPO / "build" / "dkimwatch")))
    p.add_argument("--workdir", default=os.environ.get("BENCH_WORKDIR", ""),
                   help="base directory; data in <workdir>/N<n> (default /tmp/dkimwatch-bench)")
    p.add_argument("--warmup", type=float, default=30.0, help="seconds after READY=1")
    p.add_argument("--window", type=float, default=150.0, help="measured seconds")
    p.add_argument("--wait-quiet", type=float,
                   default=float(os.environ.get("BENCH_WAIT_QUIET", "0")))
    p.add_argument("--dns", action="append", default=[],
                   help="an extra dns key, e.g. 'max_qps: 0' (default: none, all defaults)")
    p.add_argument("--out", default="", help="also append the figures to this file")
    args = p.parse_args(argv)
    if not os.access(args.bin, os.X_OK):
        raise SystemExit(f"no dkimwatch binary at {args.bin} (build it, or set DKIMWATCH_BIN)")
    procs = bl.Processes()
    commit = subprocess.run(["git", "-C", str(bl.REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    # The commit is the checkout's: it names the binary only when the binary was built here.
    built_here = Path(args.bin).resolve().is_relative_to(bl.REPO)
    binary_text = (f"{args.bin} (built in this checkout, commit {commit})" if built_here
                   else f"{args.bin} (built elsewhere; scripts at commit {commit})")
    out = open(args.out, "a") if args.out else None

    for n in args.sizes:
        def emit(name, value, unit="", n=n):
            if isinstance(value, float):
                text = f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
            else:
                text = str(value)
            line = f"N{n} {name}: {text}{(' ' + unit) if unit else ''}"
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
        emit("binary", f"{binary_text}, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
        measure(args.bin, n, args, procs, emit)
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        bl.note("interrupted; stopping what was started")
        sys.exit(130)
