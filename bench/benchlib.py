#!/usr/bin/python3
"""Shared pieces of the dkimwatch benchmark. Python 3.11 standard library only.

- Processes: everything started here is registered and stopped by PID on exit, on Ctrl-C and on
  SIGTERM/SIGHUP.
- Data: a deterministic set of N Easy DKIM identities, their customer zones, the SES target
  zones, 1% broken records, and the verdict counts dkimwatch must report for them.
- nsd: started in the foreground on 127.0.0.1 on a free port, authoritative for those zones,
  with a unix-socket nsd-control for per-run query statistics.
- Parsers: /usr/bin/time -v output, pcap files (the queries sent to nsd), dnsperf output.
- Figures: printed on stdout as `name: value unit`; progress goes to stderr.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOOPBACK = "127.0.0.1"

# --------------------------------------------------------------------------------------------
# Output


def note(message: str) -> None:
    """Progress for humans, on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def figure(name: str, value, unit: str = "") -> None:
    """One measured figure on stdout: `name: value unit`."""
    if isinstance(value, float):
        text = f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    else:
        text = str(value)
    print(f"{name}: {text}{(' ' + unit) if unit else ''}", flush=True)


def min_median(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


# --------------------------------------------------------------------------------------------
# Processes started by the benchmark, stopped by PID


class Processes:
    """Every long-running child is registered here and stopped by its PID at exit."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen, int]] = []
        atexit.register(self.stop_all)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        # Ctrl-C also when started in the background of a non-interactive shell (SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)

    @staticmethod
    def _on_signal(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    def start(self, name: str, argv: list[str], stop_signal: int = signal.SIGTERM,
              **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(argv, **kwargs)
        self._procs.append((name, proc, stop_signal))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
        for i, (name, p, sig) in enumerate(self._procs):
            if p is proc:
                del self._procs[i]
                return _stop_one(name, p, sig, timeout)
        return proc.poll()

    def stop_all(self) -> None:
        while self._procs:
            name, proc, sig = self._procs.pop()
            _stop_one(name, proc, sig, 10.0)


def _stop_one(name: str, proc: subprocess.Popen, sig: int, timeout: float) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        note(f"{name} (pid {proc.pid}) did not stop within {timeout}s: SIGKILL")
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait()
    except ProcessLookupError:
        return proc.poll()


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((LOOPBACK, 0))
            port = u.getsockname()[1]
            if port == 5353:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((LOOPBACK, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def load_average() -> float:
    return os.getloadavg()[0]


def busy_cores(seconds: float = 3.0) -> float:
    """How many cores the whole machine kept busy over the next `seconds` (/proc/stat)."""
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    if total1 == total0:
        return 0.0
    return (os.cpu_count() or 1) * (1.0 - (idle1 - idle0) / (total1 - total0))


def wait_quiet(limit: float) -> None:
    """Waits (up to 15 minutes) until the 1-minute load average is below `limit`, or the
    machine is nearly idle right now (under 0.3 cores busy over 3 s: the load average lags
    behind the benchmark's own previous run). `limit` <= 0: no wait."""
    if limit <= 0:
        return
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if load_average() < limit:
            return
        busy = busy_cores()
        if busy < 0.3:
            return
        note(f"load average {load_average():.2f} >= {limit}, {busy:.2f} cores busy: waiting")
        time.sleep(15)
    note(f"WARNING: measuring at load average {load_average():.2f}")


# --------------------------------------------------------------------------------------------
# Data set

# Regions whose Easy DKIM hosted zone is dkim.amazonses.com, and one with a regional zone.
COMMON_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")
REGIONAL_REGION = "eu-south-1"
COMMON_ZONE = "dkim.amazonses.com"
REGIONAL_ZONE = f"dkim.{REGIONAL_REGION}.amazonses.com"
# SubjectPublicKeyInfo prefix of an RSA-2048 key (the modulus and exponent follow).
SPKI_RSA2048_PREFIX = bytes.fromhex(
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
BROKEN_KINDS = ("missing", "doubled_domain", "wrong_target")
WRONG_TARGET_VARIANTS = ("swapped_token", "other_region", "stale_token", "domain_appended")
GEN_FORMAT = 5  # bump when the generated data changes


def _token(rng: random.Random) -> str:
    # 20 random bytes -> exactly 32 base32 characters [a-z2-7], like real SES tokens.
    return base64.b32encode(rng.randbytes(20)).decode("ascii").lower()


def _key_txt(rng: random.Random) -> str:
    """A realistic SES key TXT value, as zone-file strings of at most 255 bytes."""
    der = SPKI_RSA2048_PREFIX + bytes([0xC0 | rng.randrange(64)]) + rng.randbytes(255) + \
        bytes.fromhex("0203010001")
    value = "p=" + base64.b64encode(der).decode("ascii")
    return " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))


def _soa(zone: str) -> list[str]:
    return [f"$ORIGIN {zone}.", "$TTL 3600",
            f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 7200 3600 1209600 300",
            f"@ IN NS ns1.{zone}.", f"ns1 IN A {LOOPBACK}"]


def generate(n: int, out: Path, seed: int = 1, zone_count: int = 100,
             broken_every: int = 100, empty_txt_share: float = 0.05) -> dict:
    """Writes out/zones/*.zone, out/identities.yaml (the `identities:` section) and
    out/gen.json (what was generated, with the verdict counts dkimwatch must report).
    Reuses an earlier generation with the same parameters."""
    params = {"format": GEN_FORMAT, "n": n, "seed": seed, "zone_count": zone_count,
              "broken_every": broken_every, "empty_txt_share": empty_txt_share}
    gen_file = out / "gen.json"
    if gen_file.exists():
        old = json.loads(gen_file.read_text())
        if old.get("params") == params:
            note(f"reusing the data set in {out}")
            return old
    started = time.monotonic()
    rng = random.Random(seed)
    zones_dir = out / "zones"
    if zones_dir.exists():
        shutil.rmtree(zones_dir)
    zones_dir.mkdir(parents=True)
    zone_count = max(1, min(zone_count, n))
    customer_zones = [f"zone{k:03d}.test" for k in range(zone_count)]
    zone_lines: dict[str, list[str]] = {z: _soa(z) for z in customer_zones}
    ses_lines = {COMMON_ZONE: _soa(COMMON_ZONE), REGIONAL_ZONE: _soa(REGIONAL_ZONE)}
    verdicts = {"ok": 0, "missing": 0, "doubled_domain": 0, "wrong_target": 0}
    broken_detail: dict[str, int] = {}
    empty_txt = 0
    accounts = [f"{100000000000 + 7919 * k:012d}" for k in range(10)]
    yaml_parts = ["identities:\n"]
    csv_parts = ["# domain,account,region,easy_dkim,TOKEN1 TOKEN2 TOKEN3\n"]

    for i in range(n):
        zone = customer_zones[i % zone_count]
        domain = f"d{i:06d}.{zone}"
        region = REGIONAL_REGION if i % 20 == 7 else COMMON_REGIONS[i % len(COMMON_REGIONS)]
        hosted = REGIONAL_ZONE if region == REGIONAL_REGION else COMMON_ZONE
        other_hosted = COMMON_ZONE if hosted == REGIONAL_ZONE else REGIONAL_ZONE
        tokens = [_token(rng) for _ in range(3)]
        account = accounts[i % len(accounts)]
        yaml_parts.append(
            f"  - domain: {domain}\n    account: \"{account}\"\n    region: {region}\n"
            f"    easy_dkim:\n      tokens: [{tokens[0]}, {tokens[1]}, {tokens[2]}]\n")
        csv_parts.append(f"{domain},{account},{region},easy_dkim,{' '.join(tokens)}\n")
        # SES's side: a key TXT at every token's target, "" for some (key rotation).
        for tok in tokens:
            if rng.random() < empty_txt_share:
                ses_lines[hosted].append(f'{tok} IN TXT ""')
                empty_txt += 1
            else:
                ses_lines[hosted].append(f"{tok} IN TXT {_key_txt(rng)}")
        # The customer's side: three CNAMEs, relative to the zone; one broken every
        # `broken_every` identities, of rotating kinds.
        label = domain.removesuffix("." + zone)
        broken_index = -1
        kind = ""
        if broken_every and i % broken_every == broken_every // 2:
            serial = i // broken_every
            kind = BROKEN_KINDS[serial % len(BROKEN_KINDS)]
            broken_index = (serial // len(BROKEN_KINDS)) % 3
        for t, tok in enumerate(tokens):
            owner = f"{tok}._domainkey.{label}"
            target = f"{tok}.{hosted}."
            if t == broken_index:
                verdicts[kind] += 1
                detail = kind
                if kind == "missing":
                    broken_detail[detail] = broken_detail.get(detail, 0) + 1
                    continue
                if kind == "doubled_domain":
                    owner = f"{tok}._domainkey.{domain}.{label}"  # <name>.<domain>, relative
                else:  # wrong_target
                    variant = WRONG_TARGET_VARIANTS[(i // broken_every // 9) %
                                                    len(WRONG_TARGET_VARIANTS)]
                    detail = f"wrong_target/{variant}"
                    if variant == "swapped_token":
                        target = f"{tokens[(t + 1) % 3]}.{hosted}."
                    elif variant == "other_region":
                        target = f"{tok}.{other_hosted}."
                    elif variant == "stale_token":
                        target = f"{_token(rng)}.{hosted}."
                    else:
                        target = f"{tok}.{hosted}.{domain}."
                broken_detail[detail] = broken_detail.get(detail, 0) + 1
            else:
                verdicts["ok"] += 1
            zone_lines[zone].append(f"{owner} IN CNAME {target}")

    for zone, lines in {**zone_lines, **ses_lines}.items():
        (zones_dir / f"{zone}.zone").write_text("\n".join(lines) + "\n")
    (out / "identities.yaml").write_text("".join(yaml_parts))
    (out / "identities.csv").write_text("".join(csv_parts))
    gen = {"params": params, "customer_zones": customer_zones,
           "ses_zones": [COMMON_ZONE, REGIONAL_ZONE], "identities": n,
           "records": 3 * n, "expected_verdicts": verdicts, "broken_detail": broken_detail,
           "empty_target_txt": empty_txt,
           "zone_bytes": sum(p.stat().st_size for p in zones_dir.iterdir()),
           "seconds": round(time.monotonic() - started, 2)}
    gen_file.write_text(json.dumps(gen, indent=1) + "\n")
    return gen


IDENTITY_FORMATS = ("csv", "yaml")


def dkimwatch_config(out: Path, name: str, port: int, *, max_inflight: int, max_qps: int,
                     extra: str = "", identities: str = "csv") -> Path:
    """Writes out/<name>.yaml: dns settings for the bench's nsd, `extra` top-level keys, and
    the generated identities: `identities_file: identities.csv` (one line per identity), or
    the YAML `identities:` list in the file itself."""
    if identities not in IDENTITY_FORMATS:
        raise ValueError(f"identities format {identities!r}: use one of {IDENTITY_FORMATS}")
    # The sweep measures the resolver on the checked records alone: the authoritative check and
    # DNSSEC validation (issue 11) are off. BENCH_DNS_CHECKS=legacy leaves the two keys out, for
    # a binary whose configuration loader does not know them yet.
    checks = ("" if os.environ.get("BENCH_DNS_CHECKS") == "legacy"
              else "  authoritative: off\n  dnssec: off\n")
    header = (f"dns:\n  resolvers: [\"{LOOPBACK}:{port}\"]\n  timeout: 2s\n  attempts: 3\n"
              f"  max_inflight: {max_inflight}\n  max_qps: {max_qps}\n{checks}{extra}")
    path = out / f"{name}.yaml"
    with open(path, "w") as f:
        f.write(header)
        if identities == "csv":
            f.write(f"identities_file: \"{out / 'identities.csv'}\"\n")
        else:
            with open(out / "identities.yaml") as ids:
                shutil.copyfileobj(ids, f, 1 << 20)
    return path


# --------------------------------------------------------------------------------------------
# nsd


class Nsd:
    """nsd on 127.0.0.1:<free port>, authoritative for the generated zones."""

    def __init__(self, procs: Processes, data_dir: Path, run_dir: Path, zones: list[str],
                 buffer_bytes: int = 4 * 1024 * 1024) -> None:
        self.procs = procs
        self.data_dir = data_dir
        self.run_dir = run_dir
        self.zones = zones
        self.buffer_bytes = buffer_bytes
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.load_seconds = 0.0
        self.conf = run_dir / "nsd.conf"

    def start(self) -> None:
        nsd = shutil.which("nsd") or "/usr/sbin/nsd"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        rd = self.run_dir
        conf = [
            "server:",
            f"    ip-address: {LOOPBACK}",
            f"    port: {self.port}",
            "    do-ip6: no",
            "    server-count: 1",
            "    verbosity: 0",
            '    username: ""',
            '    chroot: ""',
            '    database: ""',
            f'    zonesdir: "{self.data_dir / "zones"}"',
            f'    zonelistfile: "{rd / "zone.list"}"',
            f'    xfrdfile: "{rd / "xfrd.state"}"',
            f'    pidfile: "{rd / "nsd.pid"}"',
            f'    logfile: "{rd / "nsd.log"}"',
            # Response rate limiting is on by default in Debian's nsd (200 qps per source
            # netblock and response class): it drops NXDOMAIN answers of a sweep and makes
            # dnsperf "lose" queries. A benchmark of the server's speed turns it off.
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            f"    receive-buffer-size: {self.buffer_bytes}",
            f"    send-buffer-size: {self.buffer_bytes}",
            "remote-control:",
            "    control-enable: yes",
            f'    control-interface: "{rd / "nsd.ctl"}"',
        ]
        for zone in self.zones:
            conf += ["zone:", f"    name: {zone}", f'    zonefile: "{zone}.zone"']
        self.conf.write_text("\n".join(conf) + "\n")
        for stale in ("nsd.ctl", "nsd.pid", "zone.list", "xfrd.state"):
            (rd / stale).unlink(missing_ok=True)
        started = time.monotonic()
        self.proc = self.procs.start("nsd", [nsd, "-d", "-c", str(self.conf)],
                                     stdout=open(rd / "nsd.stdout", "w"),
                                     stderr=subprocess.STDOUT)
        deadline = started + 600
        probe = self.zones[-1]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nsd exited with {self.proc.returncode}; see {rd}/nsd.log")
            try:
                if all(dns_rcode(z, 6, self.port, timeout=0.2) == 0 for z in (probe, self.zones[0])):
                    break
            except (socket.timeout, ConnectionRefusedError, OSError):
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("nsd did not answer within 600 s")
        self.load_seconds = time.monotonic() - started

    def stats(self) -> dict[str, int]:
        """nsd's counters since the previous call (nsd-control stats resets them)."""
        out = subprocess.run(["nsd-control", "-c", str(self.conf), "stats"], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        result = {}
        for line in out.splitlines():
            key, _, value = line.partition("=")
            if key.startswith("num.") or key.startswith("server"):
                try:
                    result[key] = int(value)
                except ValueError:
                    pass
        return result

    def rss_kb(self) -> int:
        """RSS of all nsd processes (main, xfrd, server)."""
        total = 0
        for pid in _descendants(self.proc.pid) + [self.proc.pid]:
            total += proc_status_kb(pid, "VmRSS") or 0
        return total

    def stop(self) -> None:
        if self.proc:
            self.procs.stop(self.proc)
            self.proc = None


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def dns_rcode(name: str, qtype: int, port: int, timeout: float = 1.0) -> int:
    """Sends one query to 127.0.0.1:port and returns the response's rcode."""
    qid = random.randrange(65536)
    wire = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    wire += b"\0" + struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((LOOPBACK, port))
        s.send(wire)
        while True:
            data = s.recv(65535)
            if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                return data[3] & 0x0F


# --------------------------------------------------------------------------------------------
# /proc and /usr/bin/time


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def udp_counters() -> dict[str, int]:
    """The kernel's UDP counters of this network namespace (/proc/net/snmp), e.g.
    RcvbufErrors: datagrams dropped because a socket's receive buffer was full."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
             if line.startswith("Udp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def parse_time_v(text: str) -> dict[str, float]:
    """The figures of GNU time -v: wall_s, user_s, sys_s, max_rss_kb."""
    result = {}
    for line in text.splitlines():
        line = line.strip()
        key, _, value = line.rpartition(": ")
        if key == "User time (seconds)":
            result["user_s"] = float(value)
        elif key == "System time (seconds)":
            result["sys_s"] = float(value)
        elif key == "Maximum resident set size (kbytes)":
            result["max_rss_kb"] = float(value)
        elif key.startswith("Elapsed (wall clock) time"):
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
            result["wall_s"] = seconds
    return result


def time_binary() -> str:
    if not os.access("/usr/bin/time", os.X_OK):
        raise RuntimeError("/usr/bin/time is missing (Debian package `time`)")
    return "/usr/bin/time"


# --------------------------------------------------------------------------------------------
# pcap: the DNS queries that were sent to a port

QTYPE_NAMES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 15: "MX", 16: "TXT", 28: "AAAA",
               255: "ANY"}


def pcap_queries(path: Path, port: int) -> tuple[list[tuple[str, str]], int]:
    """(qname, qtype) of every UDP DNS query to `port` in a pcap file, in capture order, and
    the number of packets that could not be read as one."""
    data = path.read_bytes()
    if len(data) < 24:
        return [], 0
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_len = {1: 14, 113: 16, 276: 20, 0: 4, 101: 0}.get(linktype)
    if link_len is None:
        raise ValueError(f"{path}: unsupported link type {linktype}")
    queries: list[tuple[str, str]] = []
    bad = 0
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off + 16 <= len(data):
        _, _, incl, _ = rec.unpack_from(data, off)
        off += 16
        pkt = data[off:off + incl]
        off += incl
        try:
            ip = pkt[link_len:]
            if ip[0] >> 4 != 4 or ip[9] != 17:
                bad += 1
                continue
            ihl = (ip[0] & 0x0F) * 4
            udp = ip[ihl:]
            if struct.unpack("!H", udp[2:4])[0] != port:
                continue
            dns = udp[8:]
            if dns[2] & 0x80:  # a response
                continue
            i = 12
            labels = []
            while dns[i]:
                n = dns[i]
                labels.append(dns[i + 1:i + 1 + n].decode("latin-1"))
                i += 1 + n
            qtype = struct.unpack("!H", dns[i + 1:i + 3])[0]
            queries.append((".".join(labels), QTYPE_NAMES.get(qtype, f"TYPE{qtype}")))
        except (IndexError, struct.error):
            bad += 1
    return queries, bad


# --------------------------------------------------------------------------------------------
# dkimwatch's outputs

SWEEP_DONE = re.compile(rb"event=sweep_done identities=(\d+) queries=(\d+) duration_ms=(\d+)")
VERDICT = re.compile(rb'"verdict":\s*"([a-z_]+)"')


def parse_sweep_done(stderr: bytes) -> tuple[int, int, int]:
    """(identities, queries, duration_ms) from `check --log-level info`'s sweep_done line."""
    found = SWEEP_DONE.search(stderr)
    if not found:
        raise RuntimeError("no event=sweep_done line in dkimwatch's log:\n" +
                           stderr[-2000:].decode(errors="replace"))
    return int(found[1]), int(found[2]), int(found[3])


def verdict_counts(report_json: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with open(report_json, "rb") as f:
        for match in VERDICT.finditer(f.read()):
            key = match[1].decode()
            counts[key] = counts.get(key, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# dnsperf


def parse_dnsperf(text: str) -> dict[str, float]:
    result = {}
    patterns = {"sent": r"Queries sent:\s+(\d+)", "completed": r"Queries completed:\s+(\d+)",
                "lost": r"Queries lost:\s+(\d+)", "qps": r"Queries per second:\s+([\d.]+)",
                "run_s": r"Run time \(s\):\s+([\d.]+)",
                "latency_s": r"Average Latency \(s\):\s+([\d.]+)"}
    for key, pattern in patterns.items():
        found = re.search(pattern, text)
        if found:
            result[key] = float(found[1])
    return result
