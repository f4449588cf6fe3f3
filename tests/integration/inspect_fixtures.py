"""The fixtures of test_inspect.py (`dkimwatch inspect`, issue 14): the keys (openssl,
opendkim-genkey), the messages, the two signers (dkimpy, and OpenDKIM's milter in test mode) and
the plan: what dkimwatch must report for each signed message. Python 3.11 standard library and
python3-dkim.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
import time
from pathlib import Path

import dkim  # python3-dkim

OPENDKIM = "/usr/sbin/opendkim"
SES_DOMAIN = "amazonses.com"
SES_SELECTOR = "224i4yxa5dv7c2xz3womw6peuasteono"


# ---- messages and signers

def message(eol: str = "\r\n", from_addr: str = "Alice <alice@example.test>",
            subject: str = "Quarterly report", body: str = "Hello,\n\nthe report is attached.\n",
            extra: list[str] | None = None) -> bytes:
    """A small RFC 5322 message; `extra` header lines go after Subject (may hold folds "\n\t")."""
    lines = [f"From: {from_addr}", "To: Bob <bob@receiver.test>", f"Subject: {subject}",
             *(extra or []), "Date: Thu, 03 Dec 2026 22:00:00 +0000",
             "Message-ID: <20261203220000.1@example.test>", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    head = eol.join(line.replace("\n", eol) for line in lines)
    return (head + eol + eol + body.replace("\n", eol)).encode()


def eol_of(msg: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in msg else b"\n"


def dkimpy_sign(msg: bytes, selector: str, domain: str, key: Path,
                canon: tuple[bytes, bytes] = (b"relaxed", b"simple"), length: bool = False,
                headers: list[str] | None = None) -> bytes:
    """dkim.sign, the signature field prepended, folded with the message's own line ends."""
    eol = eol_of(msg)
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key.read_bytes(),
                    canonicalize=canon, length=length,
                    include_headers=[h.encode() for h in headers] if headers else None,
                    linesep=eol)
    return sig + msg


def dkimpy_sign_expired(msg: bytes, selector: str, domain: str, key: Path,
                        signed_ago: int = 3 * 86400, expired_ago: int = 2 * 86400) -> bytes:
    """A signature with t= and x= in the past (dkimpy's sign() has no x=): the same steps as
    dkim.DKIM.sign with dkimpy's own canonicalization, hashing and RSA, plus x=. x= lies beyond
    dkimpy's 10-hour clock slop, so both verifiers must call it expired."""
    eol = eol_of(msg)
    d = dkim.DKIM(msg, linesep=eol)
    pk = dkim.parse_pem_private_key(key.read_bytes())
    policy = dkim.CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    include = tuple(h.lower() for h in (b"from", b"to", b"subject", b"date", b"message-id"))
    d.include_headers = include
    d.hasher = dkim.HASH_ALGORITHMS[b"rsa-sha256"]
    h = d.hasher()
    h.update(policy.canonicalize_body(d.body))
    now = int(time.time())
    fields = [(b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", b"relaxed/simple"),
              (b"d", domain.encode()), (b"s", selector.encode()),
              (b"t", str(now - signed_ago).encode()), (b"x", str(now - expired_ago).encode()),
              (b"h", b" : ".join(include)), (b"bh", base64.b64encode(h.digest())),
              (b"b", b"0" * 60)]
    return b"DKIM-Signature: " + d.gen_header(fields, include, policy, b"DKIM-Signature", pk) \
        + msg


def opendkim_sign(msg: bytes, selector: str, domain: str, key: Path, work: Path,
                  canon: str = "relaxed/simple") -> bytes:
    """OpenDKIM's signer: the `opendkim` milter in test mode (-t FILE) signs the file and prints
    the field it would insert ("### INSHEADER: idx=0 hname='DKIM-Signature' hvalue='...'").
    The configuration comes on stdin: opendkim refuses a config file under a world-writable
    directory such as /tmp. (opendkim-testmsg 2.11 prints a damaged b= tail, so not that.)"""
    path = work / f"to-sign-{selector}-{len(msg)}.eml"
    path.write_bytes(msg)
    conf = (f"Syslog no\nRequireSafeKeys no\nMode s\nDomain {domain}\nSelector {selector}\n"
            f"KeyFile {key}\nCanonicalization {canon}\nSignatureAlgorithm rsa-sha256\n")
    p = subprocess.run([OPENDKIM, "-x", "/dev/stdin", "-t", str(path), "-vvvvv"],
                       input=conf.encode(), capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode()
    m = re.search(r"### INSHEADER: idx=0 hname='DKIM-Signature' hvalue='(.*?)'\n", out, re.S)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"opendkim did not sign (exit {p.returncode}):\n{out[-2000:]}")
    eol = eol_of(msg)
    value = m.group(1).replace("\r\n", "\n").replace("\n", eol.decode())
    return b"DKIM-Signature: " + value.encode() + eol + msg


def replace_once(msg: bytes, old: bytes, new: bytes) -> bytes:
    if msg.count(old) < 1:
        raise ValueError(f"{old!r} not in the message")
    return msg.replace(old, new, 1)


# ---- the plan

@dataclasses.dataclass
class Sig:
    """What dkimwatch must report for one signature (None: not asserted)."""
    d: str
    s: str
    result: str
    failure: str = "none"
    aligned: bool = True
    aligned_strict: bool | None = None
    verdict: str | tuple[str, ...] | None = "ok"  # the key record's verdict (tuple: any of)
    c: str | None = None
    expired: bool = False
    partial_body: bool = False
    testing_key: bool = False


@dataclasses.dataclass
class Fixture:
    name: str
    data: bytes
    sigs: list[Sig]
    codes: set[str]                      # the diagnosis codes, exactly
    exit: int
    from_domain: str = "example.test"
    auth_results: list[dict] | None = None  # expected authentication_results (subset of keys)
    path: Path | None = None


def build_fixtures(keys: Path, work: Path) -> list[Fixture]:
    ex, od, ses = keys / "ex.pem", keys / "od.private", keys / "ses.pem"
    fx: list[Fixture] = []

    def add(name, data, sigs, codes, exit_code, **kw):
        fx.append(Fixture(name, data, sigs, set(codes), exit_code, **kw))

    # relaxed/simple by dkimpy, CRLF.
    add("dkimpy_relaxed_simple_crlf", dkimpy_sign(message(), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "pass", c="relaxed/simple", aligned_strict=True)],
        {"domain_signed"}, 0)
    # relaxed/simple by dkimpy, LF only.
    add("dkimpy_relaxed_simple_lf",
        dkimpy_sign(message(eol="\n"), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "pass", c="relaxed/simple")], {"domain_signed"}, 0)
    # simple/simple by OpenDKIM, LF only and CRLF.
    add("opendkim_simple_simple_lf",
        opendkim_sign(message(eol="\n"), "od", "example.test", od, work, "simple/simple"),
        [Sig("example.test", "od", "pass", c="simple/simple")], {"domain_signed"}, 0)
    add("opendkim_relaxed_simple_crlf",
        opendkim_sign(message(), "od", "example.test", od, work, "relaxed/simple"),
        [Sig("example.test", "od", "pass", c="relaxed/simple")], {"domain_signed"}, 0)
    # simple/simple by dkimpy.
    add("dkimpy_simple_simple",
        dkimpy_sign(message(), "s2048", "example.test", ex, canon=(b"simple", b"simple")),
        [Sig("example.test", "s2048", "pass", c="simple/simple")], {"domain_signed"}, 0)
    # l=: text appended after the signed length still passes, but is a warning.
    signed = dkimpy_sign(message(), "s2048", "example.test", ex, length=True)
    add("length_appended", signed + b"\r\nP.S. appended by someone else: click here\r\n",
        [Sig("example.test", "s2048", "pass", partial_body=True)],
        {"domain_signed", "partial_body"}, 1)
    # x= two days ago.
    add("expired", dkimpy_sign_expired(message(), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "permerror", "expired", expired=True)],
        {"signature_expired"}, 2)
    # The body changed after signing.
    add("body_modified",
        replace_once(dkimpy_sign(message(), "s2048", "example.test", ex),
                     b"the report is attached.", b"the report is NOT attached."),
        [Sig("example.test", "s2048", "fail", "body_hash")], {"body_hash_mismatch"}, 2)
    add("body_modified_opendkim",
        opendkim_sign(message(eol="\n"), "od", "example.test", od, work) +
        b"\n-- \nFooter added by a mailing list\n",
        [Sig("example.test", "od", "fail", "body_hash")], {"body_hash_mismatch"}, 2)
    # A signed header field changed.
    add("header_modified",
        replace_once(dkimpy_sign(message(), "s2048", "example.test", ex),
                     b"Subject: Quarterly report", b"Subject: [EXT] Quarterly report"),
        [Sig("example.test", "s2048", "fail", "signature")], {"signature_mismatch"}, 2)
    # The published key is not the signing key. Without --config nothing says which key is
    # expected, so the evaluator finds the record itself ok (test_08: key_mismatch with it).
    add("wrong_key", dkimpy_sign(message(), "rotated", "example.test", ex),
        [Sig("example.test", "rotated", "fail", "signature", verdict="ok")],
        {"signature_mismatch"}, 2)
    # No key record at all.
    add("missing_key", dkimpy_sign(message(), "nokey", "example.test", ex),
        [Sig("example.test", "nokey", "permerror", "key", verdict="missing")],
        {"record_missing"}, 2)
    # Revoked: p= empty.
    add("revoked_key", dkimpy_sign(message(), "gone", "example.test", keys / "revoked.pem"),
        [Sig("example.test", "gone", "permerror", "key", verdict="key_revoked")],
        {"record_key_revoked"}, 2)
    # t=y: still verifies; the record's testing_mode is a warning.
    add("testing_key", dkimpy_sign(message(), "testy", "example.test", keys / "testy.pem"),
        [Sig("example.test", "testy", "pass", verdict="testing_mode", testing_key=True)],
        {"domain_signed", "record_testing_mode"}, 1)
    # A 1024-bit key: verifies, and the record's weak_key is a warning.
    add("weak_1024_key", dkimpy_sign(message(), "k1024", "example.test", keys / "k1024.pem"),
        [Sig("example.test", "k1024", "pass", verdict="weak_key")],
        {"domain_signed", "record_weak_key"}, 1)
    # SES's own signature beside the domain's (the seed: "two DKIM signatures": normal).
    both = opendkim_sign(message(), "od", "example.test", od, work)
    both = dkimpy_sign(both, SES_SELECTOR, SES_DOMAIN, ses)
    add("ses_and_domain", both,
        [Sig(SES_DOMAIN, SES_SELECTOR, "pass", aligned=False, aligned_strict=False),
         Sig("example.test", "od", "pass")], {"ses_and_domain_signed"}, 0)
    # Only SES's signature: SES did not sign with the domain.
    add("only_ses", dkimpy_sign(message(), SES_SELECTOR, SES_DOMAIN, ses),
        [Sig(SES_DOMAIN, SES_SELECTOR, "pass", aligned=False)], {"only_ses_signature"}, 2)
    # Folded and duplicated header fields: two Subject fields, h= names subject once, so the
    # last (bottom) one is signed; changing the first (unsigned) one does not break it, and
    # relaxed header canonicalization ignores a refolded To.
    dup = message(subject="first subject, not signed",
                  extra=["Subject: the signed subject", "X-Folded: one\n\ttwo\n   three"])
    dup = replace_once(dup, b"To: Bob <bob@receiver.test>",
                       b"To: Bob <bob@receiver.test>,\r\n  Carol <carol@receiver.test>")
    dup_signed = dkimpy_sign(dup, "s2048", "example.test", ex,
                             headers=["from", "to", "subject", "date", "x-folded"])
    add("folded_duplicated", dup_signed,
        [Sig("example.test", "s2048", "pass")], {"domain_signed"}, 0)
    add("duplicated_unsigned_changed",
        replace_once(dup_signed, b"first subject, not signed", b"changed in transit"),
        [Sig("example.test", "s2048", "pass")], {"domain_signed"}, 0)
    add("folded_refolded",
        replace_once(dup_signed, b",\r\n  Carol", b",\r\n\t\tCarol"),
        [Sig("example.test", "s2048", "pass")], {"domain_signed"}, 0)
    add("duplicated_signed_changed",
        replace_once(dup_signed, b"the signed subject", b"the changed subject"),
        [Sig("example.test", "s2048", "fail", "signature")], {"signature_mismatch"}, 2)
    # Signed only by a third party (d=esp.test): passes, but nothing aligns with From:.
    add("third_party_only", dkimpy_sign(message(), "esp", "esp.test", ex),
        [Sig("esp.test", "esp", "pass", aligned=False, aligned_strict=False)],
        {"not_aligned"}, 2)
    # No signature.
    add("no_signature", message(), [], {"no_signature"}, 2)
    # From: a subdomain: d=example.test aligns relaxed, not strict.
    add("from_subdomain",
        dkimpy_sign(message(from_addr="news@mail.example.test"), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "pass", aligned=True, aligned_strict=False)],
        {"domain_signed"}, 0, from_domain="mail.example.test")
    # The receiver's Authentication-Results (added above the signature after receipt).
    ar_pass = (b"Authentication-Results: mx.receiver.test;\r\n"
               b"\tdkim=pass header.d=example.test header.s=s2048 header.b=abcdefgh\r\n")
    add("auth_results_agree", ar_pass + dkimpy_sign(message(), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "pass")], {"domain_signed"}, 0,
        auth_results=[{"authserv_id": "mx.receiver.test", "method": "dkim", "result": "pass",
                       "header_d": "example.test"}])
    ar_fail = (b"Authentication-Results: mx.receiver.test; dkim=fail (body hash mismatch)"
               b" header.d=example.test header.s=s2048\r\n")
    add("auth_results_disagree", ar_fail + dkimpy_sign(message(), "s2048", "example.test", ex),
        [Sig("example.test", "s2048", "pass")], {"domain_signed", "receiver_disagrees"}, 1,
        auth_results=[{"authserv_id": "mx.receiver.test", "method": "dkim", "result": "fail",
                       "header_d": "example.test"}])
    # NUL and 8-bit bytes in the body: an answer, not an error.
    add("nul_and_8bit_body",
        dkimpy_sign(message(body="bin\0ary \xe9t\xe9 \u00fcber\nline 2\0\n"), "s2048",
                    "example.test", ex),
        [Sig("example.test", "s2048", "pass")], {"domain_signed"}, 0)
    for f in fx:
        f.path = work / f"{f.name}.eml"
        f.path.write_bytes(f.data)
    return fx


def make_keys(keys: Path) -> None:
    """RSA 2048 keys: openssl for dkimpy's, opendkim-genkey for OpenDKIM's; keys/NAME.pub.b64
    is the p= value ({{key:NAME}} in the zones)."""
    keys.mkdir()
    for name, bits in (("ex", 2048), ("ses", 2048), ("old", 2048), ("revoked", 2048),
                       ("testy", 2048), ("k1024", 1024)):
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(keys / f"{name}.pem"),
                        str(bits)], check=True, capture_output=True)
    subprocess.run(["opendkim-genkey", "-b", "2048", "-d", "example.test", "-s", "od",
                    "-D", str(keys)], check=True, capture_output=True)
    for name, private in (("ex", "ex.pem"), ("ses", "ses.pem"), ("old", "old.pem"),
                          ("revoked", "revoked.pem"), ("testy", "testy.pem"),
                          ("k1024", "k1024.pem"),
                          ("od", "od.private")):
        der = subprocess.run(["openssl", "pkey", "-in", str(keys / private), "-pubout",
                              "-outform", "DER"], check=True, capture_output=True).stdout
        (keys / f"{name}.pub.b64").write_text(base64.b64encode(der).decode() + "\n")
