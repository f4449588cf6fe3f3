#!/usr/bin/python3
"""`dkimwatch check` against a hostile DNS server (issue 12, items 1 and 2).

A small DNS server in this process (UDP and TCP on one free port of 127.0.0.1, stdlib only)
plays the hostile resolver:

- tc: every answer, over UDP and over TCP, has TC set and no records. Before the fix every
  record was `missing` and check exited 2; now every record is dns_error and check exits 3.
- forged_servfail: CNAMEs are answered correctly, but each TXT query gets only a SERVFAIL
  without a question section (the right id) and a SERVFAIL for another question, as an
  off-path forger who guessed the id would send. Before the fix that was txt_servfail (an error
  verdict, exit 2); now those are not answers: the TXT lookups time out, dns_error, exit 3.
- the server records the source port and id of every query: queries leave from several ports
  (one fixed port before the fix), and the ids do not repeat.

Usage: test_hostile_dns.py --dkimwatch PATH [unittest args] (or DKIMWATCH=PATH). Python 3.11
standard library only; loopback only.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
TYPE_CNAME = 5
TYPE_TXT = 16
IDENTITIES = 12  # Easy DKIM: 36 CNAME and 36 TXT queries at least


def qname_end(message: bytes) -> int:
    """Offset just past the (uncompressed) question name."""
    pos = 12
    while message[pos] != 0:
        pos += 1 + message[pos]
    return pos + 1


def encode_name(name: str) -> bytes:
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def decode_name(message: bytes) -> str:
    labels, pos = [], 12
    while message[pos] != 0:
        labels.append(message[pos + 1:pos + 1 + message[pos]].decode("ascii", "replace"))
        pos += 1 + message[pos]
    return ".".join(labels).lower()


def response(query: bytes, rcode: int, tc: bool = False, answers: list[bytes] = ()) -> bytes:
    """The query's id and question, QR (and RD as asked), no OPT record, `answers` as given."""
    end = qname_end(query) + 4
    flags1 = 0x80 | (query[2] & 0x01) | (0x02 if tc else 0)
    header = query[:2] + bytes([flags1, 0x80 | rcode]) + struct.pack(">HHHH", 1, len(answers), 0, 0)
    return header + query[12:end] + b"".join(answers)


def cname_record(target: str) -> bytes:
    rdata = encode_name(target)
    return b"\xc0\x0c" + struct.pack(">HHIH", TYPE_CNAME, 1, 300, len(rdata)) + rdata


def bare_servfail(query: bytes) -> bytes:
    return query[:2] + bytes([0x80 | (query[2] & 0x01), 0x82]) + bytes(8)


def other_question_servfail(query: bytes) -> bytes:
    qtype_class = query[qname_end(query):qname_end(query) + 4]
    return (query[:2] + bytes([0x81, 0x82]) + struct.pack(">HHHH", 1, 0, 0, 0)
            + encode_name("elsewhere.example") + qtype_class)


class HostileDns:
    """UDP and TCP on one free port of 127.0.0.1; `mode` decides the answers: "tc",
    "forged_servfail" (see the module's text) or "answering" (CNAMEs to the SES targets,
    NXDOMAIN for everything else)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.queries: list[tuple[int, int, bool]] = []  # (source port, id, tcp)
        self.lock = threading.Lock()
        for _ in range(20):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        else:
            raise RuntimeError("no free port for UDP and TCP")
        self.tcp.listen(64)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.udp.close()
        self.tcp.close()

    def answers(self, query: bytes, tcp: bool) -> list[bytes]:
        qtype = struct.unpack(">H", query[qname_end(query):qname_end(query) + 2])[0]
        if self.mode == "tc":
            return [response(query, 0, tc=True)]
        # forged_servfail, answering: CNAMEs to the SES targets
        if qtype == TYPE_CNAME:
            token = decode_name(query).split(".")[0]
            return [response(query, 0, answers=[cname_record(token + ".dkim.amazonses.com")])]
        if self.mode == "answering":
            return [response(query, 3)]  # the targets' TXT: NXDOMAIN (verdict ok)
        return [bare_servfail(query), other_question_servfail(query)]

    def record(self, port: int, query: bytes, tcp: bool) -> None:
        with self.lock:
            self.queries.append((port, struct.unpack(">H", query[:2])[0], tcp))

    def serve(self) -> None:
        while not self.stop:
            ready, _, _ = select.select([self.udp, self.tcp], [], [], 0.02)
            if self.udp in ready:
                query, peer = self.udp.recvfrom(4096)
                if len(query) >= 17:
                    self.record(peer[1], query, False)
                    for answer in self.answers(query, False):
                        self.udp.sendto(answer, peer)
            if self.tcp in ready:
                connection, peer = self.tcp.accept()
                with connection:
                    connection.settimeout(1)
                    try:
                        length = struct.unpack(">H", self.read(connection, 2))[0]
                        query = self.read(connection, length)
                    except (OSError, EOFError):
                        continue
                    self.record(peer[1], query, True)
                    for answer in self.answers(query, True):
                        connection.sendall(struct.pack(">H", len(answer)) + answer)

    @staticmethod
    def read(connection: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = connection.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data


class HostileDnsCheck(unittest.TestCase):
    def run_check(self, mode: str) -> tuple[int, dict, HostileDns]:
        server = HostileDns(mode)
        self.addCleanup(server.close)
        with tempfile.TemporaryDirectory() as work:
            config = Path(work) / "dkimwatch.yaml"
            lines = ["dns:", f'  resolvers: ["127.0.0.1:{server.port}"]', "  timeout: 300ms",
                     "  attempts: 2", "  authoritative: off", "  dnssec: off", "identities:"]
            for i in range(IDENTITIES):
                lines += [f"  - domain: d{i}.example.test", '    account: "111122223333"',
                          "    region: us-east-1", "    easy_dkim:",
                          f"      tokens: [t{i}a, t{i}b, t{i}c]"]
            config.write_text("\n".join(lines) + "\n")
            p = subprocess.run([DKIMWATCH, "check", "--config", str(config), "--format", "json"],
                               capture_output=True, text=True, timeout=60)
        self.assertNotRegex(p.stderr, r"Sanitizer|runtime error:")
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError:
            self.fail(f"exit {p.returncode}, no JSON\nstdout:\n{p.stdout[:2000]}\n"
                      f"stderr:\n{p.stderr[:2000]}")
        return p.returncode, doc, server

    def verdicts(self, doc: dict) -> dict[str, int]:
        counts: dict[str, int] = {}
        for identity in doc["identities"]:
            for record in identity["records"]:
                counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
        return counts

    def test_tc_over_udp_and_tcp_is_indeterminate_not_missing(self):
        code, doc, server = self.run_check("tc")
        self.assertEqual(self.verdicts(doc), {"dns_error": 3 * IDENTITIES})
        self.assertEqual(code, 3, "UNKNOWN: nothing could be decided")
        self.assertTrue(any(tcp for _, _, tcp in server.queries), "no TCP retry was made")

    def test_forged_servfail_without_question_is_not_a_verdict(self):
        code, doc, _ = self.run_check("forged_servfail")
        self.assertEqual(self.verdicts(doc), {"dns_error": 3 * IDENTITIES})
        self.assertEqual(code, 3)
        messages = [r["message"] for i in doc["identities"] for r in i["records"]]
        self.assertTrue(all("no answer in time" in m for m in messages), messages[:3])

    def test_queries_leave_from_several_ports_with_unrepeated_ids(self):
        _, _, server = self.run_check("forged_servfail")
        udp = [(port, qid) for port, qid, tcp in server.queries if not tcp]
        self.assertGreaterEqual(len(udp), 6 * IDENTITIES)
        ports = {port for port, _ in udp}
        self.assertGreaterEqual(len(ports), 4, f"source ports seen: {sorted(ports)}")
        ids = [qid for _, qid in udp]
        # ~100 draws of 16 bits: a repeat is rare (p ~ 7%); more than two means no randomness.
        self.assertGreaterEqual(len(set(ids)), len(ids) - 2)


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    harness.require_binary(DKIMWATCH)
    unittest.main()
