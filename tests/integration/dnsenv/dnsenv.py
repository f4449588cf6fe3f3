#!/usr/bin/python3
"""A real-DNS test environment for dkimwatch, on loopback only.

Given a scenario directory it starts, on 127.0.0.1 and on free ports chosen at run time:
  - nsd (authoritative) serving the scenario's zone files, plus a tiny root zone so that no
    query ever leaves the machine;
  - ldns-testns for canned answers (e.g. SERVFAIL for TXT but a CNAME for CNAME queries);
  - a "blackhole" (a socket that is bound but never answers: timeouts);
  - unbound (recursive) with a stub-zone per test zone, pointing at nsd, ldns-testns, the
    blackhole or a "dead" port where nothing listens;
and renders the scenario's dkimwatch config templates so that they use that unbound.

Python 3.11 standard library only. Used as a library by the tests (`with DnsEnv(dir) as env:`)
and as a CLI by shell scripts (see `python3 dnsenv.py --help` and README.md).

Scenario directory layout:
  scenario.json        {"description": str, "keys_dir": "relative/path",
                        "nsd_zones": [zone...], "testns_zones": [zone...],
                        "dead_zones": [zone...], "blackhole_zones": [zone...]}
  zones/<zone>.zone    one nsd zone file per nsd zone (templates, see below)
  testns.data          the ldns-testns data file (template), when testns_zones is not empty
  configs/<name>.yaml.in   dkimwatch config templates, rendered to <state-dir>/<name>.yaml
Optional scenario.json keys for the authoritative and DNSSEC tests (see README.md):
  "initial_serial": N           the first {{serial}} (default 1)
  "nsd_instances": {"127.0.0.2": [zone...], ...}   more nsd processes, one per loopback address,
                                all on the main nsd's port; a copy of a zone on ADDR is
                                zones/<zone>@ADDR.zone when that file exists, else zones/<zone>.zone
  "stubs": {zone: [address...]} the nsd addresses unbound's stub-zone lists (default: every
                                address that serves the zone)
  "signed_zones": {zone: {"variant": "correct|tampered|expired|expiring|ds_mismatch",
                          "parent": zone, "anchor": bool}}   signed at every write
  "unbound": {"validate": bool, "cache": bool}   validator with the test trust anchor; normal
                                caching (instead of none)

Templates may use these placeholders:
  {{port:unbound}} {{port:nsd}} {{port:testns}} {{port:dead}} {{port:blackhole}}
  {{resolver}}         "127.0.0.1:<unbound port>"
  {{serial}}           the zone's SOA serial (bumped on every change at run time)
  {{serial:-N}}        that serial minus N (a lagging copy of a zone at one nsd instance)
  {{key:NAME}}         the one-line base64 of <keys_dir>/NAME.pub.b64 (a DKIM p= value)
  {{keylines:NAME}}    the same in 64-column lines joined by newlines (as in a PEM body)
  {{keys_dir}} {{scenario_dir}} {{state_dir}}   absolute paths
  {{txt:TEXT}}         TEXT as quoted zone-file character-strings of at most 255 bytes each
  {{txtn:N:TEXT}}      the same, split every N bytes
  {{trust_anchor_file}} the DS records of the "anchor" signed zones (state dir)
Unknown placeholders are errors.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"

# Binaries and the Debian package that provides each.
BINARIES = {
    "nsd": ("nsd", "nsd"),
    "unbound": ("unbound", "unbound"),
    "ldns-testns": ("ldns-testns", "ldnsutils"),
    "ldns-keygen": ("ldns-keygen", "ldnsutils"),
    "ldns-signzone": ("ldns-signzone", "ldnsutils"),
}
# Zones unbound answers itself unless told "nodefault" (unbound.conf(5), RFC 6761/7686/8375).
UNBOUND_DEFAULT_LOCAL_ZONES = ("test", "invalid", "onion", "localhost", "home.arpa",
                               "resolver.arpa", "service.arpa")


class DnsEnvError(Exception):
    """A setup problem with a message meant for a human (missing package, daemon died...)."""


# --------------------------------------------------------------------------------------------
# A minimal DNS client (stdlib only): enough for readiness probes and the selfcheck.

TYPE_CODES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "OPT": 41,
              "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
               5: "REFUSED"}


class DnsTimeout(Exception):
    pass


@dataclasses.dataclass
class Record:
    name: str  # lowercase, no trailing dot ("" for the root)
    type: str  # "CNAME", "TXT", ... or "TYPE<n>"
    ttl: int
    # CNAME/NS: target name; TXT: list of bytes (the character-strings); SOA: dict;
    # A: dotted quad; anything else: raw rdata bytes.
    data: Any


@dataclasses.dataclass
class Response:
    rcode: str
    aa: bool
    tc: bool
    answer: list[Record]
    authority: list[Record]
    used_tcp: bool = False

    def of_type(self, rtype: str) -> list[Record]:
        return [r for r in self.answer if r.type == rtype]

    def cname_targets(self) -> list[str]:
        return [r.data for r in self.of_type("CNAME")]

    def txt_records(self) -> list[list[bytes]]:
        """Each TXT record of the answer as its list of character-strings."""
        return [r.data for r in self.of_type("TXT")]

    def txt_joined(self) -> list[str]:
        """Each TXT record's strings joined with nothing in between (RFC 6376 3.6.2.2)."""
        return [b"".join(r.data).decode("latin-1") for r in self.of_type("TXT")]

    def soa_serial(self) -> int | None:
        for r in self.answer + self.authority:
            if r.type == "SOA":
                return r.data["serial"]
        return None


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            if len(raw) > 63:
                raise ValueError(f"label too long in {name!r}")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def _decode_name(msg: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    end = None
    jumps = 0
    while True:
        length = msg[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | msg[offset + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression loop")
            continue
        offset += 1
        if length == 0:
            break
        labels.append(msg[offset:offset + length].decode("latin-1").lower())
        offset += length
    return ".".join(labels), (end if end is not None else offset)


def _parse_rdata(msg: bytes, rtype: int, start: int, length: int) -> Any:
    rdata = msg[start:start + length]
    if rtype in (TYPE_CODES["CNAME"], TYPE_CODES["NS"]):
        return _decode_name(msg, start)[0]
    if rtype == TYPE_CODES["TXT"]:
        strings, i = [], 0
        while i < len(rdata):
            n = rdata[i]
            strings.append(bytes(rdata[i + 1:i + 1 + n]))
            i += 1 + n
        return strings
    if rtype == TYPE_CODES["A"] and length == 4:
        return socket.inet_ntoa(rdata)
    if rtype == TYPE_CODES["SOA"]:
        mname, off = _decode_name(msg, start)
        rname, off = _decode_name(msg, off)
        serial, refresh, retry, expire, minimum = struct.unpack("!IIIII", msg[off:off + 20])
        return {"mname": mname, "rname": rname, "serial": serial, "refresh": refresh,
                "retry": retry, "expire": expire, "minimum": minimum}
    return bytes(rdata)


def _parse_response(msg: bytes, query_id: int) -> Response:
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    if qid != query_id:
        raise ValueError("response id does not match the query")
    off = 12
    for _ in range(qd):
        _, off = _decode_name(msg, off)
        off += 4
    sections: list[list[Record]] = [[], [], []]
    for index, count in enumerate((an, ns, ar)):
        for _ in range(count):
            name, off = _decode_name(msg, off)
            rtype, _rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            data = _parse_rdata(msg, rtype, off, rdlen)
            off += rdlen
            sections[index].append(
                Record(name, TYPE_NAMES.get(rtype, f"TYPE{rtype}"), ttl, data))
    rcode = flags & 0x000F
    return Response(rcode=RCODE_NAMES.get(rcode, f"RCODE{rcode}"), aa=bool(flags & 0x0400),
                    tc=bool(flags & 0x0200), answer=sections[0], authority=sections[1])


def dns_query(name: str, rtype: str, port: int, host: str = LOOPBACK, timeout: float = 2.0,
              tcp: bool = False) -> Response:
    """Sends one query (RD set, EDNS0 with a 4096-byte buffer) and returns the parsed response.
    Retries over TCP when the UDP answer is truncated. Raises DnsTimeout when nothing arrives
    within `timeout` seconds, ConnectionRefusedError when nothing listens."""
    qid = random.randrange(0, 65536)
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    question = _encode_name(name) + struct.pack("!HH", TYPE_CODES[rtype], 1)
    opt = b"\0" + struct.pack("!HHIH", TYPE_CODES["OPT"], 4096, 0, 0)
    wire = header + question + opt
    try:
        if tcp:
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.settimeout(timeout)
                s.sendall(struct.pack("!H", len(wire)) + wire)
                length = struct.unpack("!H", _recv_exact(s, 2))[0]
                resp = _parse_response(_recv_exact(s, length), qid)
                resp.used_tcp = True
                return resp
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect((host, port))
            s.send(wire)
            deadline = time.monotonic() + timeout
            while True:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                data = s.recv(65535)
                try:
                    resp = _parse_response(data, qid)
                except ValueError:
                    continue  # a stray or mangled datagram: keep waiting
                break
    except socket.timeout as exc:
        raise DnsTimeout(f"no answer from {host}:{port} within {timeout}s for {name} {rtype}") \
            from exc
    if resp.tc:
        return dns_query(name, rtype, port, host, timeout, tcp=True)
    return resp


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-message")
        buf += chunk
    return buf


# --------------------------------------------------------------------------------------------
# Ports, binaries, processes.

def free_port(exclude: set[int] = frozenset(), any_address: bool = False,
              addresses: list[str] | tuple[str, ...] = ()) -> int:
    """A port that is free for both UDP and TCP on 127.0.0.1 (and on 0.0.0.0 when
    `any_address`, for ldns-testns which binds that, and on each of `addresses`, for the nsd
    instances that share one port). Found by binding port 0."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((LOOPBACK, 0))
            port = u.getsockname()[1]
        if port in exclude or port == 5353 or port < 1024:
            continue
        ok = True
        for addr in ([LOOPBACK, "0.0.0.0"] if any_address else [LOOPBACK]) + list(addresses):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    try:
                        s.bind((addr, port))
                    except OSError:
                        ok = False
        if ok:
            return port
    raise DnsEnvError("could not find a free port on 127.0.0.1")


def find_binary(key: str) -> str:
    name, package = BINARIES[key]
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise DnsEnvError(f"{name} not found: install the Debian package '{package}' "
                      f"(apt-get install {package})")


def _proc_state(pid: int) -> str | None:
    """The /proc state letter of pid, or None when it no longer exists."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("latin-1")
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2]


def _proc_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("latin-1")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def _group_members(pgid: int) -> list[int]:
    """PIDs whose process group is pgid (the leftovers of a session we started)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("latin-1")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry))
    return members


def stop_pid(pid: int, popen: subprocess.Popen | None = None, timeout: float = 3.0) -> None:
    """Stops one process we started (SIGTERM, then SIGKILL after `timeout` s), reaps it when it
    is our child, then stops any process left in its process group (each was started in its
    own session, so pgid == pid)."""
    for target in [pid] + [p for p in _group_members(pid) if p != pid]:
        try:
            os.kill(target, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + timeout
    if popen is not None:
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            popen.wait()
    else:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for leftover in _group_members(pid):
        while _alive(leftover) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(leftover):
            try:
                os.kill(leftover, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --------------------------------------------------------------------------------------------
# Templates.

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)(?::((?:(?!\{\{|\}\}).)*))?\}\}", re.S)


def txt_strings(text: str, chunk: int = 255) -> str:
    """`text` as zone-file character-strings of at most `chunk` bytes, quoted and escaped."""
    raw = text.encode("latin-1")
    if not raw:
        return '""'
    parts = []
    for i in range(0, len(raw), chunk):
        piece = raw[i:i + chunk]
        escaped = "".join(
            "\\" + chr(b) if b in (0x22, 0x5C) else
            chr(b) if 0x20 <= b < 0x7F else f"\\{b:03d}" for b in piece)
        parts.append(f'"{escaped}"')
    return " ".join(parts)


@dataclasses.dataclass
class Scenario:
    directory: Path
    description: str
    keys_dir: Path
    nsd_zones: list[str]
    testns_zones: list[str]
    dead_zones: list[str]
    blackhole_zones: list[str]
    initial_serial: int = 1
    # Extra nsd processes: loopback address -> the zones it serves (it REFUSEs any other).
    instances: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    # zone -> the nsd addresses of its unbound stub-zone (default: every address serving it).
    stubs: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    # zone -> {"variant": ..., "parent": zone or None, "anchor": bool}
    signed: dict[str, dict] = dataclasses.field(default_factory=dict)
    validate: bool = False  # unbound's validator with the test trust anchor
    cache: bool = False     # unbound caches by TTL (instead of nothing)

    @staticmethod
    def load(directory: str | os.PathLike) -> "Scenario":
        d = Path(directory).resolve()
        path = d / "scenario.json"
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise DnsEnvError(f"{path}: no scenario.json (is {d} a scenario directory?)") from exc
        except json.JSONDecodeError as exc:
            raise DnsEnvError(f"{path}: {exc}") from exc
        allowed = {"description", "keys_dir", "nsd_zones", "testns_zones", "dead_zones",
                   "blackhole_zones", "initial_serial", "nsd_instances", "stubs",
                   "signed_zones", "unbound"}
        unknown = set(raw) - allowed
        if unknown:
            raise DnsEnvError(f"{path}: unknown keys {sorted(unknown)}")

        def zones(key: str) -> list[str]:
            return [z.lower().rstrip(".") for z in raw.get(key, [])]

        def name(zone: str) -> str:
            return zone.lower().rstrip(".")

        unbound = raw.get("unbound", {})
        unknown_unbound = set(unbound) - {"validate", "cache"}
        if unknown_unbound:
            raise DnsEnvError(f"{path}: unknown unbound keys {sorted(unknown_unbound)}")
        s = Scenario(d, raw.get("description", ""), (d / raw.get("keys_dir", "keys")).resolve(),
                     zones("nsd_zones"), zones("testns_zones"), zones("dead_zones"),
                     zones("blackhole_zones"), int(raw.get("initial_serial", 1)),
                     {a: [name(z) for z in zs] for a, zs in raw.get("nsd_instances", {}).items()},
                     {name(z): list(a) for z, a in raw.get("stubs", {}).items()},
                     {name(z): {"variant": v.get("variant", "correct"),
                                "parent": name(v["parent"]) if v.get("parent") else None,
                                "anchor": bool(v.get("anchor", False))}
                      for z, v in raw.get("signed_zones", {}).items()},
                     bool(unbound.get("validate", False)), bool(unbound.get("cache", False)))
        every = s.nsd_zones + s.testns_zones + s.dead_zones + s.blackhole_zones
        if len(set(every)) != len(every):
            raise DnsEnvError(f"{path}: a zone is listed twice")
        for address, served in s.instances.items():
            if not address.startswith("127.") or address == LOOPBACK:
                raise DnsEnvError(f"{path}: nsd instance {address}: use 127.0.0.2 and up")
            for zone in served:
                if zone in every[len(s.nsd_zones):]:
                    raise DnsEnvError(f"{path}: {zone} is not an nsd zone")
        for zone in s.nsd_zones + s.instance_zones():
            for address in s.addresses_of(zone):
                if not s.zone_template(zone, address).is_file():
                    raise DnsEnvError(f"{path}: nsd zone {zone} has no file "
                                      f"{s.zone_template(zone)}")
        for zone, info in s.signed.items():
            if not s.addresses_of(zone):
                raise DnsEnvError(f"{path}: signed zone {zone} is served by no nsd")
            if info["variant"] not in SIGN_VARIANTS:
                raise DnsEnvError(f"{path}: {zone}: variant must be one of {sorted(SIGN_VARIANTS)}")
            if info["parent"] and info["parent"] not in s.signed:
                raise DnsEnvError(f"{path}: {zone}: parent {info['parent']} is not signed")
        if s.validate and not any(i["anchor"] for i in s.signed.values()):
            raise DnsEnvError(f"{path}: unbound validate needs a signed zone with \"anchor\"")
        if s.testns_zones and not (d / "testns.data").is_file():
            raise DnsEnvError(f"{path}: testns_zones needs {d / 'testns.data'}")
        return s

    def zone_template(self, zone: str, address: str = LOOPBACK) -> Path:
        """The template of a zone's copy at `address`: zones/<zone>@<address>.zone when the
        scenario has one (a lagging copy...), else zones/<zone>.zone."""
        variant = self.directory / "zones" / f"{zone or 'root'}@{address}.zone"
        if address != LOOPBACK and variant.is_file():
            return variant
        return self.directory / "zones" / f"{zone or 'root'}.zone"

    def instance_zones(self) -> list[str]:
        """Zones served by an extra nsd instance but not by the main one, in order."""
        out: list[str] = []
        for served in self.instances.values():
            out += [z for z in served if z not in self.nsd_zones and z not in out]
        return out

    def addresses_of(self, zone: str) -> list[str]:
        """The nsd addresses that serve `zone` (the main nsd serves the root)."""
        out = [LOOPBACK] if zone in self.nsd_zones or zone == "" else []
        return out + [a for a, served in self.instances.items() if zone in served]

    def config_templates(self) -> dict[str, Path]:
        return {p.name[:-len(".yaml.in")]: p
                for p in sorted((self.directory / "configs").glob("*.yaml.in"))}


# --------------------------------------------------------------------------------------------
# The environment.

SIGN_VARIANTS = {"correct", "tampered", "expired", "expiring", "ds_mismatch"}

ROOT_ZONE = """$TTL 30
.  IN SOA ns.dnsenv.invalid. hostmaster.dnsenv.invalid. {{serial}} 3600 600 86400 1
.  IN NS  ns.dnsenv.invalid.
"""


class DnsEnv:
    """The running environment. Use as a context manager, or start()/stop().

    Attributes after start(): ports (dict: unbound, nsd, testns, dead, blackhole), state_dir,
    configs (dict: config name -> rendered path), resolver ("127.0.0.1:<unbound port>")."""

    def __init__(self, scenario_dir: str | os.PathLike, state_dir: str | os.PathLike | None = None,
                 keep_state_dir: bool | None = None):
        self.scenario = Scenario.load(scenario_dir)
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="dnsenv-")).resolve()
        self.keep_state_dir = (not self._own_state_dir) if keep_state_dir is None \
            else keep_state_dir
        self.ports: dict[str, int] = {}
        self.configs: dict[str, Path] = {}
        self.pids: dict[str, int] = {}
        self._popens: dict[str, subprocess.Popen] = {}
        # Current template text and serial per copy of a zone, keyed "<zone>@<address>".
        self._zone_texts: dict[str, str] = {}
        self._serials: dict[str, int] = {}
        self._dnssec_keys: dict[str, str] = {}  # signed zone (or "decoy:<zone>") -> key path
        self.trust_anchor_file = self.state_dir / "trust-anchor.key"
        self._stopped = False
        self._die_with_parent = False
        self._lock = threading.Lock()

    # ---- lifecycle

    def __enter__(self) -> "DnsEnv":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def resolver(self) -> str:
        return f"{LOOPBACK}:{self.ports['unbound']}"

    def start(self, detach: bool = False) -> "DnsEnv":
        """Starts every server and renders the configs. With detach=False (library use) the
        servers are stopped at interpreter exit and on SIGTERM/SIGHUP; with detach=True (CLI
        `up`) they outlive this process and `down` stops them by PID."""
        binaries = {k: find_binary(k) for k in ("nsd", "unbound")}
        if self.scenario.testns_zones:
            binaries["ldns-testns"] = find_binary("ldns-testns")
        if self.scenario.signed:
            binaries["ldns-keygen"] = find_binary("ldns-keygen")
            binaries["ldns-signzone"] = find_binary("ldns-signzone")
        state_file = self.state_dir / "state.json"
        if state_file.exists():
            old = json.loads(state_file.read_text())
            if any(_alive(p) and str(self.state_dir) in _proc_cmdline(p)
                   for p in old.get("pids", {}).values()):
                raise DnsEnvError(f"an environment is already running in {self.state_dir}: "
                                  f"run 'dnsenv.py down --state-dir {self.state_dir}' first")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "zones").mkdir(exist_ok=True)
        if not detach:
            atexit.register(self.stop)
            _install_signal_handlers()
        self._die_with_parent = not detach
        try:
            if self.scenario.signed:
                self._make_dnssec_keys(binaries["ldns-keygen"])
            # A port found free can be taken by someone else before a server binds it: then
            # the server exits at start, and everything is tried again on fresh ports.
            for attempt in range(3):
                try:
                    self._start_servers(binaries)
                    break
                except DnsEnvError:
                    self._stop_servers()
                    if attempt == 2:
                        raise
            for name, template in self.scenario.config_templates().items():
                out = self.state_dir / f"{name}.yaml"
                out.write_text(self.render(template.read_text()))
                self.configs[name] = out
            self._save_state()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_servers(self, binaries: dict[str, str]) -> None:
        taken: set[int] = set()
        for name in ("nsd", "unbound", "dead", "blackhole", "testns"):
            self.ports[name] = free_port(taken, any_address=(name == "testns"),
                                         addresses=list(self.scenario.instances)
                                         if name == "nsd" else ())
            taken.add(self.ports[name])
        self._write_nsd()
        # All nsd processes start at once (each needs about 0.3 s), then each is waited for.
        for address in [LOOPBACK] + list(self.scenario.instances):
            name = _nsd_name(address)
            self._start(name, [binaries["nsd"], "-d", "-c", str(self.state_dir / f"{name}.conf")])
        for address in [LOOPBACK] + list(self.scenario.instances):
            name = _nsd_name(address)
            zone = self._probe_zone(address)
            self._wait_ready(name, lambda zone=zone, address=address: dns_query(
                zone or ".", "SOA", self.ports["nsd"], address, timeout=0.2).rcode
                == ("NOERROR" if zone is not None else "REFUSED"))
        if self.scenario.testns_zones:
            data = self.state_dir / "testns.data"
            data.write_text(self.render((self.scenario.directory / "testns.data").read_text())
                            + TESTNS_CATCH_ALL)
            self._start("testns", [binaries["ldns-testns"], "-p", str(self.ports["testns"]),
                                   str(data)])
            self._wait_ready("testns", lambda: dns_query(
                "probe.dnsenv.invalid", "A", self.ports["testns"], timeout=0.2) is not None)
        self._start("blackhole", [sys.executable, str(Path(__file__).resolve()), "_blackhole",
                                  "--port", str(self.ports["blackhole"]),
                                  "--state-dir", str(self.state_dir)])
        self._wait_ready("blackhole", lambda: _tcp_listening(self.ports["blackhole"]))
        self._write_unbound()
        self._start("unbound", [binaries["unbound"], "-d", "-c",
                                str(self.state_dir / "unbound.conf")])
        # The root (nsd's, never signed): a probe of a bogus zone would SERVFAIL when validating.
        self._wait_ready("unbound", lambda: dns_query(
            ".", "SOA", self.ports["unbound"], timeout=0.2).rcode == "NOERROR")

    def _stop_servers(self) -> None:
        """Stops the servers, by PID, in reverse start order."""
        for name in reversed(list(self.pids)):
            pid = self.pids[name]
            if self._popens.get(name) is None and str(self.state_dir) not in _proc_cmdline(pid) \
                    and _alive(pid):
                continue  # the PID was reused by something that is not ours
            stop_pid(pid, self._popens.get(name))
        self.pids.clear()
        self._popens.clear()

    def stop(self) -> None:
        """Stops everything this environment started, by PID, in reverse start order.
        Idempotent. Removes the state dir when it was a temp dir made here."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stop_servers()
        state_file = self.state_dir / "state.json"
        if state_file.exists():
            state = json.loads(state_file.read_text())
            state["pids"] = {}
            state_file.write_text(json.dumps(state, indent=2))
        if not self.keep_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    @classmethod
    def attach(cls, state_dir: str | os.PathLike) -> "DnsEnv":
        """An environment started elsewhere (by `dnsenv.py up`), from its state.json."""
        state_dir = Path(state_dir).resolve()
        try:
            state = json.loads((state_dir / "state.json").read_text())
        except FileNotFoundError as exc:
            raise DnsEnvError(f"{state_dir}: no state.json (was 'dnsenv.py up' run with this "
                              "--state-dir?)") from exc
        env = cls(state["scenario_dir"], state_dir, keep_state_dir=not state["own_state_dir"])
        env._own_state_dir = state["own_state_dir"]
        env.ports = state["ports"]
        env.pids = state["pids"]
        env.configs = {k: Path(v) for k, v in state["configs"].items()}
        env._zone_texts = state["zone_texts"]
        env._serials = state["serials"]
        env._dnssec_keys = state.get("dnssec_keys", {})
        return env

    def environment(self) -> dict[str, str]:
        """Variables describing the environment, for shell scripts and child processes."""
        out = {
            "DNSENV_STATE_DIR": str(self.state_dir),
            "DNSENV_RESOLVER": self.resolver,
        }
        for name, port in self.ports.items():
            out[f"DNSENV_{name.upper()}_PORT"] = str(port)
        if self.scenario.instances:
            out["DNSENV_NSD_ADDRESSES"] = " ".join([LOOPBACK] + list(self.scenario.instances))
        if any(i["anchor"] for i in self.scenario.signed.values()):
            out["DNSENV_TRUST_ANCHOR_FILE"] = str(self.trust_anchor_file)
        for name, path in self.configs.items():
            out["DNSENV_CONFIG_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()] = str(path)
        main = self.configs.get("dkimwatch") or (
            next(iter(self.configs.values())) if len(self.configs) == 1 else None)
        if main is not None:
            out["DNSENV_CONFIG"] = str(main)
        return out

    # ---- templates and zones

    def render(self, text: str, serial: int = 1) -> str:
        """Expands the placeholders of a template (see the module docstring)."""
        def expand(match: re.Match) -> str:
            key, arg = match.group(1), match.group(2)
            if key == "port" and arg in self.ports:
                return str(self.ports[arg])
            if key == "resolver" and arg is None:
                return self.resolver
            if key == "trust_anchor_file" and arg is None:
                return str(self.trust_anchor_file)
            if key == "serial" and arg is None:
                return str(serial)
            if key == "serial" and re.fullmatch(r"[+-]\d+", arg or ""):
                return str(serial + int(arg))
            if key in ("key", "keylines") and arg:
                path = self.scenario.keys_dir / f"{arg}.pub.b64"
                if not path.is_file():
                    raise DnsEnvError(f"{{{{{key}:{arg}}}}}: no file {path}")
                b64 = path.read_text().strip()
                if key == "key":
                    return b64
                return "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
            if key in ("keys_dir", "scenario_dir", "state_dir") and arg is None:
                return str({"keys_dir": self.scenario.keys_dir,
                            "scenario_dir": self.scenario.directory,
                            "state_dir": self.state_dir}[key])
            if key == "txt" and arg is not None:
                return txt_strings(arg)
            if key == "txtn" and arg is not None:
                n, _, body = arg.partition(":")
                return txt_strings(body, int(n))
            raise DnsEnvError(f"unknown placeholder {match.group(0)[:60]!r}")

        # Inner placeholders first ({{txt:...{{key:x}}...}}): repeat until nothing changes.
        for _ in range(8):
            new = _PLACEHOLDER.sub(expand, text)
            if new == text:
                break
            text = new
        if "{{" in text:
            raise DnsEnvError(f"unexpanded placeholder near {text[text.index('{{'):][:60]!r}")
        return text

    def addresses(self, zone: str) -> list[str]:
        """The nsd addresses that serve `zone` (127.0.0.1 is the main nsd)."""
        return self.scenario.addresses_of(zone)

    def serial(self, zone: str, address: str = LOOPBACK) -> int:
        """The serial that the copy of `zone` at `address` has (as written by dnsenv)."""
        return self._serials[_copy(zone, address)]

    def zone_text(self, zone: str, address: str | None = None) -> str:
        """The current template text of an nsd zone (before rendering): its copy at `address`,
        by default the first (the main nsd's when it serves the zone)."""
        return self._zone_texts[_copy(zone, address or self._first_address(zone))]

    def set_zone(self, zone: str, template_text: str | dict[str, str], timeout: float = 5.0,
                 address: str | None = None) -> None:
        """Replaces a zone at run time on every nsd that serves it (or only at `address`):
        writes each copy with a new serial (one more than the highest of the copies), signs it
        again when the zone is signed, makes each nsd reload (SIGHUP) and waits until each
        serves the new serial. `template_text` may map address -> text. Without caching in
        unbound (the default) the change is visible through it at once."""
        addresses = [address] if address else self.addresses(zone)
        if not addresses or any(_copy(zone, a) not in self._zone_texts for a in addresses):
            raise DnsEnvError(f"{zone} is not an nsd zone of this scenario"
                              + (f" at {address}" if address else ""))
        # One more than any copy has (a lagging copy's {{serial:-N}} stays N behind).
        serial = max(self._serials[c] + _serial_offset(self._zone_texts[c])
                     for c in (_copy(zone, a) for a in self.addresses(zone))) + 1
        texts = template_text if isinstance(template_text, dict) else \
            {a: template_text for a in addresses}
        # Each copy written must get a serial above the one it serves now, or waiting for the
        # new serial could end before nsd has loaded the file (a lagging text written over a
        # fixed copy would otherwise land on the fixed copy's serial).
        for a, text in texts.items():
            serial = max(serial, self._serials[_copy(zone, a)] + _serial_offset(text) + 1)
        expected: dict[str, int] = {}
        for a in texts:
            expected[a] = self._write_zone(zone, texts[a], serial, a)
            os.kill(self.pids[_nsd_name(a)], signal.SIGHUP)
        deadline = time.monotonic() + timeout
        waiting = set(texts)
        while waiting and time.monotonic() < deadline:
            for a in list(waiting):
                try:
                    if dns_query(zone or ".", "SOA", self.ports["nsd"], a,
                                 timeout=0.2).soa_serial() == expected[a]:
                        waiting.discard(a)
                except (DnsTimeout, OSError):
                    pass
            if waiting:
                time.sleep(0.02)
        if waiting:
            raise DnsEnvError(f"nsd at {sorted(waiting)} did not load serial {expected} of {zone} "
                              f"within {timeout}s; see {self.state_dir}/nsd*.log")
        self._save_state()

    def remove_lines(self, zone: str, pattern: str, address: str | None = None) -> int:
        """Removes the lines of a zone whose template text matches the regex `pattern`
        (re.search), in every copy of the zone that has such lines (or only at `address`), and
        reloads those. Returns how many lines were removed in all (0 is an error)."""
        texts: dict[str, str] = {}
        removed = 0
        for a in ([address] if address else self.addresses(zone)):
            if _copy(zone, a) not in self._zone_texts:
                raise DnsEnvError(f"{zone} is not an nsd zone at {a}")
            lines = self.zone_text(zone, a).splitlines(keepends=True)
            kept = [line for line in lines if not re.search(pattern, line)]
            if len(kept) != len(lines):
                texts[a] = "".join(kept)
                removed += len(lines) - len(kept)
        if not removed:
            raise DnsEnvError(f"no line of zone {zone} matches {pattern!r}")
        self.set_zone(zone, texts)
        return removed

    def restore_zone(self, zone: str, address: str | None = None) -> None:
        """Puts back the scenario's zone file(s) (each copy its own)."""
        addresses = [address] if address else self.addresses(zone)
        self.set_zone(zone, {a: self.scenario.zone_template(zone, a).read_text()
                             for a in addresses})

    def query(self, name: str, rtype: str, server: str = "unbound",
              timeout: float = 3.0, address: str = LOOPBACK) -> Response:
        """A query to one of the servers ("unbound", "nsd", "testns", ...); `address` picks an
        nsd instance (127.0.0.2...)."""
        return dns_query(name, rtype, self.ports[server], address, timeout=timeout)

    # ---- internals

    def _probe_zone(self, address: str = LOOPBACK) -> str | None:
        """A zone the nsd at `address` serves (None: it serves none, it REFUSEs everything)."""
        if address == LOOPBACK:
            return self.scenario.nsd_zones[0] if self.scenario.nsd_zones else ""
        served = self.scenario.instances[address]
        return served[0] if served else None

    def _served_zones(self) -> list[str]:
        zones = list(self.scenario.nsd_zones)
        if "" not in zones:
            zones.append("")  # the root: everything not stubbed gets NXDOMAIN from nsd
        return zones

    def _first_address(self, zone: str) -> str:
        addresses = self.addresses(zone)
        if not addresses:
            raise DnsEnvError(f"{zone} is not an nsd zone of this scenario")
        return addresses[0]

    def _zone_path(self, zone: str, address: str) -> Path:
        base = zone or "root"
        return self.state_dir / "zones" / (f"{base}.zone" if address == LOOPBACK
                                           else f"{base}@{address}.zone")

    def _write_zone(self, zone: str, template_text: str, serial: int,
                    address: str = LOOPBACK) -> int:
        """Writes (and signs) one copy of a zone; returns the serial it has ({{serial:-N}}
        makes it lower than `serial`)."""
        rendered = self.render(template_text, serial)
        offsets = {int(m) for m in re.findall(r"\{\{serial:([+-]\d+)\}\}", template_text)}
        serial += offsets.pop() if len(offsets) == 1 else 0
        path = self._zone_path(zone, address)
        tmp = path.with_suffix(".tmp")
        if zone in self.scenario.signed:
            rendered = self._sign(zone, rendered + self._child_ds_lines(zone), path)
        tmp.write_text(rendered)
        # nsd reloads a zone only when its file's mtime changed: make sure it moves forward
        # even when two changes fall within the file system's timestamp granularity.
        try:
            old_mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            old_mtime = 0
        mtime = max(time.time_ns(), old_mtime + 1_000_000_000)
        os.utime(tmp, ns=(mtime, mtime))
        os.replace(tmp, path)
        self._zone_texts[_copy(zone, address)] = template_text
        self._serials[_copy(zone, address)] = serial
        return serial

    # ---- DNSSEC: keys, DS records at the parent, signing variants

    def _make_dnssec_keys(self, keygen: str) -> None:
        """One ECDSAP256SHA256 key (SEP flag, it signs everything) per signed zone, plus a decoy
        key per ds_mismatch zone (its DS goes to the parent); the trust anchor file gets the DS
        of every "anchor" zone. The keygens run in parallel (about 40 ms each)."""
        base = self.state_dir / "dnssec"
        jobs: list[tuple[str, subprocess.Popen]] = []
        wanted = [(z, z) for z in self.scenario.signed] + [
            (f"decoy:{z}", z) for z, i in self.scenario.signed.items()
            if i["variant"] == "ds_mismatch"]
        for key, zone in wanted:
            d = base / key.replace(":", "-")
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            jobs.append((key, subprocess.Popen(
                [keygen, "-a", "ECDSAP256SHA256", "-k", zone or "."], cwd=d,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        for key, job in jobs:
            out, err = job.communicate()
            name = out.strip()
            d = base / key.replace(":", "-")
            if job.returncode != 0 or not (d / f"{name}.private").is_file():
                raise DnsEnvError(f"ldns-keygen for {key} failed: {err.strip()}")
            self._dnssec_keys[key] = str(d / name)
        anchors = [Path(self._dnssec_keys[z] + ".ds").read_text()
                   for z, i in self.scenario.signed.items() if i["anchor"]]
        self.trust_anchor_file.write_text("".join(anchors))

    def _child_ds_lines(self, zone: str) -> str:
        """The DS records that the signed children of `zone` need at their parent (a decoy
        key's DS for a ds_mismatch child)."""
        lines = ""
        for child, info in self.scenario.signed.items():
            if info["parent"] == zone:
                key = f"decoy:{child}" if info["variant"] == "ds_mismatch" else child
                lines += Path(self._dnssec_keys[key] + ".ds").read_text()
        return "\n; DS records of the signed children (dnsenv)\n" + lines if lines else ""

    def _sign(self, zone: str, text: str, path: Path) -> str:
        """Signs a rendered zone with ldns-signzone (NSEC) per the zone's variant and returns
        the signed text: correct (valid for 30 days), expiring (36 hours left), expired (ended
        a day ago), tampered (the RRSIGs over TXT get one changed signature byte), ds_mismatch
        (correct here: the parent publishes the decoy's DS)."""
        variant = self.scenario.signed[zone]["variant"]
        now = time.time()
        inception, expiration = {
            "expired": (now - 10 * 86400, now - 86400),
            "expiring": (now - 3600, now + 36 * 3600),
        }.get(variant, (now - 3600, now + 30 * 86400))
        unsigned = path.with_suffix(".unsigned")
        signed = path.with_suffix(".signed")
        unsigned.write_text(text)
        stamp = lambda t: time.strftime("%Y%m%d%H%M%S", time.gmtime(t))  # noqa: E731
        result = subprocess.run(
            [find_binary("ldns-signzone"), "-o", zone or ".", "-e", stamp(expiration),
             "-i", stamp(inception), "-f", str(signed), str(unsigned), self._dnssec_keys[zone]],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise DnsEnvError(f"ldns-signzone {zone} failed: {result.stderr.strip()}")
        out = signed.read_text()
        signed.unlink()
        if variant == "tampered":
            out = tamper_rrsigs(out, "TXT")
        return out

    def _write_nsd(self) -> None:
        for address in [LOOPBACK] + list(self.scenario.instances):
            self._write_nsd_instance(address)

    def _write_nsd_instance(self, address: str) -> None:
        sd = self.state_dir
        name = _nsd_name(address)
        served = self._served_zones() if address == LOOPBACK else self.scenario.instances[address]
        for zone in served:
            template = ROOT_ZONE if zone == "" and not self.scenario.zone_template("").is_file() \
                else self.scenario.zone_template(zone, address).read_text()
            self._write_zone(zone, template, self.scenario.initial_serial, address)
        suffix = "" if address == LOOPBACK else f"-{address}"
        conf = [
            "server:",
            f"    ip-address: {address}",
            f"    port: {self.ports['nsd']}",
            "    do-ip6: no",
            "    server-count: 1",
            "    reuseport: no",
            '    username: ""',
            '    chroot: ""',
            '    database: ""',
            f'    zonesdir: "{sd / "zones"}"',
            f'    zonelistfile: "{sd / f"zone{suffix}.list"}"',
            f'    xfrdfile: "{sd / f"xfrd{suffix}.state"}"',
            f'    xfrdir: "{sd}"',
            f'    pidfile: "{sd / f"{name}.pid"}"',
            f'    logfile: "{sd / f"{name}.log"}"',
            "    verbosity: 1",
            "    hide-version: yes",
            "    refuse-any: no",
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            "remote-control:",
            "    control-enable: no",
        ]
        for zone in served:
            conf += ["zone:", f'    name: "{zone or "."}"',
                     f'    zonefile: "{self._zone_path(zone, address)}"']
        (sd / f"{name}.conf").write_text("\n".join(conf) + "\n")

    def _write_unbound(self) -> None:
        sd = self.state_dir
        conf = [
            "server:",
            f"    interface: {LOOPBACK}",
            f"    port: {self.ports['unbound']}",
            f"    outgoing-interface: {LOOPBACK}",
            "    interface-automatic: no",
            "    do-ip4: yes",
            "    do-ip6: no",
            "    do-udp: yes",
            "    do-tcp: yes",
            "    num-threads: 1",
            "    so-reuseport: no",
            '    username: ""',
            '    chroot: ""',
            f'    directory: "{sd}"',
            f'    pidfile: "{sd / "unbound.pid"}"',
            "    use-syslog: no",
            f'    logfile: "{sd / "unbound.log"}"',
            "    verbosity: 1",
            "    access-control: 127.0.0.0/8 allow",
            "    do-not-query-localhost: no",
            "    qname-minimisation: no",
        ]
        if self.scenario.validate:
            # A validating resolver, as most public ones are: a plain query for a bogus name
            # gets SERVFAIL; with CD=1 it hands the data over.
            conf += ['    module-config: "validator iterator"',
                     f'    trust-anchor-file: "{self.trust_anchor_file}"',
                     "    val-log-level: 2"]
        else:
            conf += ['    module-config: "iterator"']
        if not self.scenario.cache:
            # No caching: zone changes made at run time show up at once.
            conf += ["    cache-max-ttl: 0", "    cache-max-negative-ttl: 0"]
        conf += [
            # A dead or blackholed stub is probed again soon instead of being skipped for 15 min.
            "    infra-host-ttl: 2",
            "    infra-keep-probing: yes",
            "    prefetch: no",
            "    minimal-responses: yes",
        ]
        stubs: list[tuple[str, str]] = []
        for zone in self._served_zones() + self.scenario.instance_zones():
            stubs.append((zone, "nsd"))
        stubs += [(z, "testns") for z in self.scenario.testns_zones]
        stubs += [(z, "dead") for z in self.scenario.dead_zones]
        stubs += [(z, "blackhole") for z in self.scenario.blackhole_zones]
        for default_zone in UNBOUND_DEFAULT_LOCAL_ZONES:
            if any(z == default_zone or z.endswith("." + default_zone) for z, _ in stubs):
                conf.append(f'    local-zone: "{default_zone}." nodefault')
        conf += ["remote-control:", "    control-enable: no"]
        for zone, server in stubs:
            addresses = [LOOPBACK]
            if server == "nsd":
                addresses = self.scenario.stubs.get(zone) or self.addresses(zone)
            conf += ["stub-zone:", f'    name: "{zone or "."}"']
            conf += [f"    stub-addr: {a}@{self.ports[server]}" for a in addresses]
            conf += ["    stub-prime: no",
                     # Not even for the rest of the current second (what cache-max-ttl: 0
                     # leaves): a cached CNAME would be followed for a later TXT query
                     # without asking the stub, which hides a provider's TXT SERVFAIL.
                     f"    stub-no-cache: {'no' if self.scenario.cache else 'yes'}"]
        (sd / "unbound.conf").write_text("\n".join(conf) + "\n")

    def _start(self, name: str, argv: list[str]) -> None:
        log = open(self.state_dir / f"{name}.out", "ab")
        try:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=self.state_dir,
                                     start_new_session=True,
                                     preexec_fn=_die_with_parent if self._die_with_parent
                                     else None)
        finally:
            log.close()
        self._popens[name] = popen
        self.pids[name] = popen.pid

    def _wait_ready(self, name: str, probe, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self._popens[name].poll() is not None:
                raise DnsEnvError(f"{name} exited with status {self._popens[name].returncode} "
                                  f"at start:\n{self._log_tail(name)}")
            try:
                if probe():
                    return
            except (DnsTimeout, OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.03)
        raise DnsEnvError(f"{name} did not answer within {timeout}s ({last}):\n"
                          f"{self._log_tail(name)}")

    def _log_tail(self, name: str) -> str:
        text = ""
        for suffix in (".out", ".log"):
            path = self.state_dir / f"{name}{suffix}"
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-20:])

    def _save_state(self) -> None:
        state = {
            "scenario_dir": str(self.scenario.directory),
            "own_state_dir": self._own_state_dir,
            "ports": self.ports,
            "pids": self.pids,
            "resolver": self.resolver,
            "configs": {k: str(v) for k, v in self.configs.items()},
            "zone_texts": self._zone_texts,
            "serials": self._serials,
            "dnssec_keys": self._dnssec_keys,
        }
        tmp = self.state_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.state_dir / "state.json")


def _serial_offset(template_text: str) -> int:
    """N of the {{serial:-N}} (or +N) of a zone template, 0 without one."""
    m = re.search(r"\{\{serial:([+-]\d+)\}\}", template_text)
    return -int(m.group(1)) if m else 0


def _copy(zone: str, address: str) -> str:
    """The key of one copy of a zone: "<zone>@<address>"."""
    return f"{zone}@{address}"


def _nsd_name(address: str) -> str:
    """The process name (and file stem) of the nsd at `address`: "nsd" for 127.0.0.1."""
    return "nsd" if address == LOOPBACK else f"nsd-{address}"


def tamper_rrsigs(signed_zone: str, covered: str) -> str:
    """Changes one base64 character in the middle of the signature of every RRSIG over
    `covered` in a signed zone text (one RR per line, as ldns-signzone writes): the record
    still parses, the signature no longer verifies."""
    out = []
    for line in signed_zone.splitlines(keepends=True):
        fields = line.split()
        if len(fields) > 5 and fields[3] == "RRSIG" and fields[4] == covered:
            sig = fields[-1]
            i = len(sig) // 2
            fields[-1] = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
            line = "\t".join(fields) + "\n"
        out.append(line)
    return "".join(out)


TESTNS_CATCH_ALL = """
; Added by dnsenv.py: anything not matched above is REFUSED (and the readiness probe matches).
ENTRY_BEGIN
MATCH opcode
ADJUST copy_id
REPLY QR AA REFUSED
ENTRY_END
"""


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started it dies, even by
    SIGKILL (Linux prctl PR_SET_PDEATHSIG), so that a killed test leaves no servers behind."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def _tcp_listening(port: int) -> bool:
    with socket.create_connection((LOOPBACK, port), timeout=0.2):
        return True


_handlers_installed = False


def _install_signal_handlers() -> None:
    """SIGTERM and SIGHUP end the process through SystemExit, so that context managers and
    atexit handlers stop the servers. Only possible from the main thread."""
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, handler)
    _handlers_installed = True


# --------------------------------------------------------------------------------------------
# CLI.

def _blackhole(port: int) -> None:
    """Binds UDP and TCP on 127.0.0.1:port and never answers (queries time out)."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((LOOPBACK, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((LOOPBACK, port))
    tcp.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


def _print_env(env: DnsEnv, fmt: str) -> None:
    values = env.environment()
    if fmt == "json":
        print(json.dumps({"state_dir": str(env.state_dir), "resolver": env.resolver,
                          "ports": env.ports, "pids": env.pids,
                          "configs": {k: str(v) for k, v in env.configs.items()},
                          "env": values}, indent=2))
    else:
        for key, value in values.items():
            print(f"{key}={shlex.quote(value)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dnsenv.py", description="Real-DNS test environment for dkimwatch (loopback only).",
        epilog="Shell use: eval \"$(python3 dnsenv.py up SCENARIO)\"; ...; "
               "python3 dnsenv.py down --state-dir \"$DNSENV_STATE_DIR\"")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="start the servers in the background and print variables")
    p.add_argument("scenario")
    p.add_argument("--state-dir", help="where configs, zones, logs and state.json go "
                                       "(default: a new temp dir, removed by 'down')")
    p.add_argument("--format", choices=("shell", "json"), default="shell")

    p = sub.add_parser("down", help="stop the servers started by 'up'")
    p.add_argument("--state-dir", required=True)

    p = sub.add_parser("run", help="start, run a command with DNSENV_* variables set, stop")
    p.add_argument("scenario")
    p.add_argument("--state-dir")
    p.add_argument("cmd", nargs="*", help="after --: the command and its arguments")

    p = sub.add_parser("env", help="print the variables of a running environment")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--format", choices=("shell", "json"), default="shell")

    p = sub.add_parser("zone", help="change an nsd zone of a running environment")
    p.add_argument("--state-dir", required=True)
    p.add_argument("zone")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--remove-lines", metavar="REGEX", help="drop the lines matching REGEX")
    g.add_argument("--restore", action="store_true", help="put the scenario's zone file back")
    g.add_argument("--set", metavar="FILE", help="use FILE (a template) as the zone")
    p.add_argument("--instance", metavar="ADDR",
                   help="only the copy at this nsd address (default: every nsd serving it)")

    p = sub.add_parser("render", help="render a template with the environment's values")
    p.add_argument("--state-dir", required=True)
    p.add_argument("template")

    p = sub.add_parser("query", help="one DNS query (like drill), printed as JSON")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--server", default="unbound",
                   choices=("unbound", "nsd", "testns", "dead", "blackhole"))
    p.add_argument("--address", default=LOOPBACK,
                   help="the address of the server (an nsd instance: 127.0.0.2...)")
    p.add_argument("name")
    p.add_argument("type", choices=sorted(TYPE_CODES))

    p = sub.add_parser("_blackhole")  # internal: the blackhole server process
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--state-dir", required=True)

    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:  # everything after the first -- is the command of 'run'
        command = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = parser.parse_args(argv)
    try:
        if args.command == "_blackhole":
            _blackhole(args.port)
            return 0
        if args.command == "up":
            env = DnsEnv(args.scenario, args.state_dir)
            env.start(detach=True)
            _print_env(env, args.format)
            return 0
        if args.command == "run":
            cmd = args.cmd + command
            if not cmd:
                parser.error("run needs a command after --")
            with DnsEnv(args.scenario, args.state_dir) as env:
                child = subprocess.Popen(cmd, env={**os.environ, **env.environment()})
                try:
                    return child.wait()
                except BaseException:
                    stop_pid(child.pid, child)
                    raise
        env = DnsEnv.attach(args.state_dir)
        if args.command == "down":
            env.stop()
        elif args.command == "env":
            _print_env(env, args.format)
        elif args.command == "zone":
            if args.restore:
                env.restore_zone(args.zone.lower().rstrip("."), args.instance)
            elif args.set:
                env.set_zone(args.zone.lower().rstrip("."), Path(args.set).read_text(),
                             address=args.instance)
            else:
                n = env.remove_lines(args.zone.lower().rstrip("."), args.remove_lines,
                                     args.instance)
                print(f"removed {n} line(s)", file=sys.stderr)
        elif args.command == "render":
            sys.stdout.write(env.render(Path(args.template).read_text()))
        elif args.command == "query":
            try:
                r = env.query(args.name, args.type, args.server, address=args.address)
            except (DnsTimeout, OSError) as exc:
                print(json.dumps({"rcode": None, "error": str(exc)}, indent=2))
                return 1
            print(json.dumps({
                "rcode": r.rcode, "aa": r.aa, "tcp": r.used_tcp,
                "answer": [{"name": x.name, "type": x.type, "ttl": x.ttl,
                            "data": [s.decode("latin-1") for s in x.data]
                            if x.type == "TXT" else x.data if not isinstance(x.data, bytes)
                            else x.data.hex()} for x in r.answer]}, indent=2))
        return 0
    except DnsEnvError as exc:
        print(f"dnsenv: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
