#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (corpus/<harness>/) from the repository's test
data: the config test cases, the test keys, and DNS answers shaped like those of the dnsenv
scenarios (CNAME to dkim.amazonses.com, TXT key records in one or two strings, NXDOMAIN,
SERVFAIL without a question, TC set, compression pointers). Deterministic: run it again after
changing the test data and commit the result. Standard library only."""

import hashlib
import json
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "tests" / "data"
KEYS = DATA / "keys"
CORPUS = HERE / "corpus"


def write(harness, name, content):
    directory = CORPUS / harness
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    (directory / name).write_bytes(content)


def b64(name):
    return (KEYS / name).read_text().strip()


def config_loader():
    for name in ["minimal.yaml", "full.yaml", "alerts.yaml", "multiline_key.yaml"]:
        write("fuzz_config_loader", "good_" + name, (DATA / "config_cases" / "good" / name).read_bytes())
    for name in ["duplicate_keys.yaml", "yaml_syntax_error.yaml", "wrong_types.yaml",
                 "alert_url_sources.yaml", "bad_duration.yaml", "multiple_documents.yaml"]:
        write("fuzz_config_loader", "bad_" + name, (DATA / "config_cases" / "bad" / name).read_bytes())


def identities_csv():
    # The lines of tests/unit/config/test_identities_csv.cpp.
    write("fuzz_identities_csv", "good.csv",
          "# domain,account,region,method,...\n"
          "Example.COM, 111122223333 ,us-east-1,easy_dkim,TokA tokb tokc\n"
          "example.net,1,eu-south-1,easy_dkim,a b c,dkim.example.net\n"
          "example.org,2,eu-west-1,byodkim,sel1,public_key_file:rsa2048_pub_spki.pem\n"
          "example.org,3,eu-west-1,byodkim,sel2,private_key_file:rsa2048_pkcs8.pem\n")
    write("fuzz_identities_csv", "inline_key.csv",
          "byo.test,111122223333,us-east-1,byodkim,sel2048," + b64("rsa2048_pub_spki.b64") + "\n")
    write("fuzz_identities_csv", "bad.csv",
          "bad domain!,1,us-east-1,easy_dkim,a b c\n"
          "ok.test,1,useast,easy_dkim,a b c\n"
          "ok.test,1,us-east-1,easy_dkim,a b\n"
          "ok.test,1,us-east-1,easy_dkim,a a b\n"
          "ok.test,1,us-east-1,byodkim,sel.1,MIIB\n"
          "ok.test,,us-east-1,easy_dkim,a b c\n"
          "dup.test,1,us-east-1,easy_dkim,a b c\n"
          "dup.test,1,us-east-1,easy_dkim,d e f\n")


def dkim_key_record():
    rsa1024 = b64("rsa1024_pub_spki.b64")
    rsa2048 = b64("rsa2048_pub_spki.b64")
    ed = b64("ed25519_pub_raw.b64")
    records = {
        "bare_p": "p=" + rsa1024,
        "full": "v=DKIM1; k=rsa; p=" + rsa2048,
        "tags": "v=DKIM1; h=sha256:sha1; k=rsa; s=email:*; t=y:s; n=note; p=" + rsa1024,
        "ed25519": "v=DKIM1; k=ed25519; p=" + ed,
        "revoked": "v=DKIM1; p=",
        "split_255": "v=DKIM1; k=rsa; p=" + rsa2048[:240],
        "pem_pasted": "v=DKIM1; p=-----BEGIN PUBLIC KEY-----" + rsa1024,
        "escaped": "v=DKIM1\\; k=rsa; p=" + rsa1024,
    }
    for name, text in records.items():
        write("fuzz_dkim_key_record", name, text)


def public_key():
    # First byte: 0 DKIM rsa bytes, 1 DKIM ed25519 bytes, 2 configured key, 3 base64.
    for name in ["rsa1024_pub_spki.der", "rsa1024_pub_pkcs1.der", "rsa2048_pub_spki.der"]:
        write("fuzz_public_key", "dkim_" + name, b"\x00" + (KEYS / name).read_bytes())
    import base64
    write("fuzz_public_key", "dkim_ed25519", b"\x01" + base64.b64decode(b64("ed25519_pub_raw.b64")))
    for name in ["rsa1024_pub_spki.pem", "rsa1024_pkcs1.pem", "rsa1024_pkcs8.der",
                 "rsa1024_pub_pkcs1.pem", "rsa2048_pub_spki_no_begin.pem", "ec_p256_pub_spki.pem",
                 "rsa2048_pkcs8_encrypted.pem", "rsa1024_pub_spki.b64"]:
        write("fuzz_public_key", "byodkim_" + name, b"\x02" + (KEYS / name).read_bytes())
    write("fuzz_public_key", "base64", b"\x03" + b64("rsa1024_pub_spki.b64").encode())
    write("fuzz_public_key", "base64_pad", b"\x03QUJD")


# DNS messages, built by hand (RFC 1035 section 4).
def dns_name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def txt_rdata(text):
    strings = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return b"".join(bytes([len(s)]) + s.encode() for s in strings)


def message(qname, qtype, answers=(), rcode=0, tc=False, question=True, id_=0x1234):
    flags = 0x8000 | 0x0400 | 0x0100 | 0x0080 | rcode | (0x0200 if tc else 0)
    header = struct.pack(">HHHHHH", id_, flags, 1 if question else 0, len(answers), 0, 0)
    body = dns_name(qname) + struct.pack(">HH", qtype, 1) if question else b""
    for owner, rtype, rdata in answers:
        owner_wire = b"\xc0\x0c" if owner == qname else dns_name(owner)
        body += owner_wire + struct.pack(">HHIH", rtype, 1, 300, len(rdata)) + rdata
    return header + body


def ldns_answer():
    cname, txt = 5, 16
    rsa1024 = b64("rsa1024_pub_spki.b64")
    rsa2048 = b64("rsa2048_pub_spki.b64")
    al1 = "al1._domainkey.alpha.test"
    target = "al1.dkim.amazonses.com"
    packets = {
        "cname": message(al1, cname, [(al1, cname, dns_name(target))]),
        "cname_then_txt": message(al1, txt, [(al1, cname, dns_name(target)),
                                            (target, txt, txt_rdata("p=" + rsa1024))]),
        "txt_two_strings": message("sel2048._domainkey.byo.test", txt,
                                   [("sel2048._domainkey.byo.test", txt,
                                     txt_rdata("v=DKIM1; k=rsa; p=" + rsa2048))]),
        "txt_empty": message("al3.dkim.amazonses.com", txt,
                             [("al3.dkim.amazonses.com", txt, b"\x00")]),
        "nxdomain": message("gone._domainkey.alpha.test", txt, rcode=3),
        "nodata": message(al1, txt),
        "servfail_no_question": message(al1, txt, rcode=2, question=False),
        "truncated": message(al1, txt, tc=True),
        # A compression pointer that points at itself.
        "pointer_loop": message(al1, txt)[:12] + b"\xc0\x0c\x00\x10\x00\x01",
    }
    for name, wire in packets.items():
        write("fuzz_ldns_answer", name, wire)


def dnssec_validator():
    """Chunks of 2-byte length + wire: the record's answer, then the DNSKEY/DS responses in the
    order the validator asks (DNSKEY of the anchor test. first). Signatures are placeholders:
    the fuzzer mutates structure; the real cryptography is covered by the unit tests."""
    import base64
    txt, cname, soa, ds, rrsig, nsec, dnskey = 16, 5, 6, 43, 46, 47, 48
    anchor_key = base64.b64decode("mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
                                  "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==")

    def full(qname, qtype, answers=(), authority=(), rcode=0):
        flags = 0x8000 | 0x0100 | 0x0080 | 0x0010 | rcode  # QR RD RA CD
        header = struct.pack(">HHHHHH", 7, flags, 1, len(answers), len(authority), 0)
        body = dns_name(qname) + struct.pack(">HH", qtype, 1)
        for owner, rtype, rdata in list(answers) + list(authority):
            body += dns_name(owner) + struct.pack(">HHIH", rtype, 1, 3600, len(rdata)) + rdata
        return header + body

    def sig(covered, owner, signer, tag=60485):
        labels = len(owner.rstrip(".").split("."))
        return (owner, rrsig, struct.pack(">HBBIIIH", covered, 13, labels, 3600, 1796947200,
                                          1795996800, tag) + dns_name(signer) + bytes(64))

    def bitmap(*types):
        bits = bytearray(32)
        for t in types:
            bits[t // 8] |= 0x80 >> (t % 8)
        length = max(i for i, b in enumerate(bits) if b) + 1
        return bytes([0, length]) + bytes(bits[:length])

    def chunks(*wires):
        return b"".join(struct.pack(">H", len(w)) + w for w in wires)

    sel = "sel._domainkey.example.test"
    target = "sel.dkim.amazonses.test"
    key_rr = ("test", dnskey, struct.pack(">HBB", 257, 3, 13) + anchor_key)
    dnskey_test = full("test", dnskey, [key_rr, sig(dnskey, "test", "test")])
    ds_example = full("example.test", ds, [("example.test", ds, struct.pack(">HBB", 1234, 13, 2)
                                            + bytes(32)), sig(ds, "example.test", "test")])
    no_ds = full("example.test", ds, [], [
        ("example.test", nsec, dns_name("zz.test") + bitmap(2, rrsig, nsec)),
        sig(nsec, "example.test", "test")])
    signed_answer = full(sel, txt, [(sel, cname, dns_name(target)), sig(cname, sel, "example.test"),
                                    (target, txt, txt_rdata("v=DKIM1; p=")),
                                    sig(txt, target, "amazonses.test")])
    unsigned_answer = full(sel, txt, [(sel, txt, txt_rdata("v=DKIM1; p="))])
    nxdomain = full(sel, txt, [], [
        ("example.test", soa, dns_name("ns.example.test") + dns_name("h.example.test")
         + struct.pack(">IIIII", 1, 3600, 600, 86400, 300)),
        ("example.test", nsec, dns_name("zz.example.test") + bitmap(2, soa, rrsig, nsec, dnskey)),
        sig(nsec, "example.test", "example.test")], rcode=3)
    seeds = {
        "signed_cname_txt": chunks(signed_answer, dnskey_test, ds_example),
        "unsigned_insecure_delegation": chunks(unsigned_answer, dnskey_test, no_ds),
        "nxdomain_nsec": chunks(nxdomain, dnskey_test, ds_example),
        "answer_only": chunks(signed_answer),
    }
    for name, content in seeds.items():
        write("fuzz_dnssec_validator", name, content)


def alert_message():
    """Outbox message columns (alert/alert_message.cpp, format version 1): events and a group."""
    def event(kind, severity, state, deadline=None, records=()):
        return {"kind": kind, "severity": severity, "account": "111122223333",
                "region": "us-east-1", "domain": "example.com", "state": state,
                "state_since": 1764720000000, "deadline": deadline, "reminder_threshold": None,
                "at": 1764720060000, "reason": "1 record missing", "records": list(records),
                "test": False}
    record = {"name": "tok1._domainkey.example.com", "type": "CNAME", "verdict": "missing",
              "expected": "tok1.dkim.amazonses.com", "observed": None,
              "message": "no record at this name"}
    warning = event("revocation_warning", "critical", "revocation_warning",
                    deadline=1765152000000, records=[record])
    write("fuzz_alert_message", "warning",
          json.dumps({"version": 1, "type": "event", "event": warning}))
    write("fuzz_alert_message", "verified",
          json.dumps({"version": 1, "type": "event",
                      "event": event("verified", "info", "verified")}))
    write("fuzz_alert_message", "group",
          json.dumps({"version": 1, "type": "group", "total": 3, "at": 1764720060000,
                      "events": [warning, event("recovered", "resolved", "verified")]}))


def aws_answers():
    """The first byte picks the parser (fuzz_aws_answers.cpp): 0 ListEmailIdentities, 1
    GetEmailIdentity, 2 a JSON error, 3 AssumeRole, 4 GetCallerIdentity, 5 an STS error, 6 the
    instance metadata credentials, 7 describe_unexpected_body."""
    listing = {"EmailIdentities": [
        {"IdentityName": "example.com", "IdentityType": "DOMAIN", "SendingEnabled": True,
         "VerificationStatus": "SUCCESS"},
        {"IdentityName": "mary@example.com", "IdentityType": "EMAIL_ADDRESS"}],
        "NextToken": "AbC+/=="}
    identity = {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": True,
                "DkimAttributes": {"SigningEnabled": True, "Status": "SUCCESS",
                                   "Tokens": ["t1", "t2", "t3"],
                                   "SigningAttributesOrigin": "AWS_SES",
                                   "SigningHostedZone": "dkim.amazonses.com",
                                   "CurrentSigningKeyLength": "RSA_2048_BIT",
                                   "LastKeyGenerationTimestamp": 1764720000.5}}
    iso = json.loads(json.dumps(identity))
    iso["DkimAttributes"]["LastKeyGenerationTimestamp"] = "2025-12-03T00:00:00Z"
    iso["DkimAttributes"]["Status"] = None
    assume = ("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
              "<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
              "<SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>"
              "<Expiration>2026-12-03T13:00:00Z</Expiration></Credentials></AssumeRoleResult>"
              "</AssumeRoleResponse>")
    caller = ("<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111122223333"
              "</Account><Arn>arn:aws:iam::111122223333:user/x</Arn></GetCallerIdentityResult>"
              "</GetCallerIdentityResponse>")
    sts_error = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                 "<Message>not authorized to perform sts:AssumeRole</Message></Error>"
                 "</ErrorResponse>")
    imds = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": "secret", "Token": "token", "Expiration": "2026-12-03T13:00:00Z"}
    seeds = [(0, "list", json.dumps(listing)), (1, "get", json.dumps(identity)),
             (1, "get_iso_null", json.dumps(iso)),
             (2, "error", json.dumps({"__type": "TooManyRequestsException", "message": "slow"})),
             (3, "assume_role", assume), (4, "caller", caller), (5, "sts_error", sts_error),
             (6, "imds", json.dumps(imds)), (7, "html", "<html><body>502</body></html>")]
    for selector, name, body in seeds:
        write("fuzz_aws_answers", name, bytes([selector]) + body.encode())


def shared_config_file():
    """The first byte picks the kind: even = credentials file, odd = config file."""
    write("fuzz_shared_config_file", "credentials",
          b"\x00[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
          b"# comment\n[prod]\naws_access_key_id=AKIA2\naws_secret_access_key=s2\n"
          b"aws_session_token=t\n")
    write("fuzz_shared_config_file", "config",
          b"\x01[default]\nregion = us-east-1\n\n[profile prod]\n"
          b"role_arn = arn:aws:iam::111122223333:role/r\nsource_profile = default\n"
          b"external_id = x\n; another comment\n")


def mail_message():
    # Received messages as `inspect` reads them: CRLF, LF, folded fields, an mbox envelope line,
    # DKIM signatures (SES's and the domain's) and Authentication-Results as Gmail and Microsoft
    # write them (the examples of tests/unit/core/test_authentication_results.cpp).
    signature_ses = ("DKIM-Signature: v=1; a=rsa-sha256; q=dns/txt; c=relaxed/simple;\r\n"
                     "\ts=224i4yxa5dv7c2xz3womw6peuasteono; d=amazonses.com; t=1764756000;\r\n"
                     "\th=From:To:Subject:MIME-Version:Content-Type:Date:Message-ID:Feedback-ID;\r\n"
                     "\tbh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=;\r\n"
                     "\tb=Zm9vYmFyZm9vYmFyZm9vYmFy\r\n")
    signature_domain = ("DKIM-Signature: v=1; a=rsa-sha256; q=dns/txt; c=relaxed/relaxed;\r\n"
                        "\ts=sel; d=example.com; i=@example.com; l=20; x=1764842400;\r\n"
                        "\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
                        "\tb=YmFyYmF6YmFyYmF6YmFyYmF6\r\n")
    gmail_ar = ("Authentication-Results: mx.google.com;\r\n"
                "       dkim=pass header.i=@example.com header.s=sel header.b=AbCdEf12;\r\n"
                "       spf=pass (google.com: domain of x@example.com designates 54.240.0.1 as "
                "permitted sender) smtp.mailfrom=x@example.com;\r\n"
                "       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com\r\n")
    microsoft_ar = ("Authentication-Results: spf=pass (sender IP is 54.240.8.1)\r\n"
                    " smtp.mailfrom=amazonses.com; dkim=pass (signature was verified)\r\n"
                    " header.d=example.com;dmarc=pass action=none\r\n"
                    " header.from=example.com;compauth=pass reason=100\r\n")
    common = ("From: \"Smith, Mary\" <mary@Example.COM>\r\n"
              "To: team: a@x.org, B <b@y.org>;, undisclosed:;\r\n"
              "Subject: hello\r\n"
              " folded subject\r\n"
              "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
              "Message-ID: <0100018c@email.amazonses.com>\r\n")
    body = "Hello,\r\n\r\nthis is the body.\r\n"
    write("fuzz_mail_message", "crlf_two_signatures",
          signature_ses + signature_domain + gmail_ar + common + "\r\n" + body)
    write("fuzz_mail_message", "lf_microsoft_ar",
          (microsoft_ar + signature_domain + common + "\r\n" + body).replace("\r\n", "\n"))
    write("fuzz_mail_message", "mbox_envelope",
          "From mary@example.com Thu Dec  3 10:00:00 2026\n"
          "Authentication-Results: example.org 1; none\n"
          "From: mary@example.com (Mary)\nSubject : obsolete\n\nbody\n")
    write("fuzz_mail_message", "mixed_route_literal",
          "From: <@relay:mary@[192.0.2.1]>\r\nTo: x@y.org\n"
          "Authentication-Results: \"quoted id\"; dkim/1=fail reason=\"bad; sig\" "
          "header.i=user@Sub.Example.com\n\r\nline\rwith cr\n\x00\xff\r\n".encode("latin-1"))
    write("fuzz_mail_message", "no_body", "From: a@b.org\r\nSubject: x")
    write("fuzz_mail_message", "bad_no_colon", "From: a@b.org\r\nSubject hello\r\n\r\n")


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    config_loader()
    identities_csv()
    dkim_key_record()
    public_key()
    ldns_answer()
    dnssec_validator()
    alert_message()
    aws_answers()
    shared_config_file()
    mail_message()
    for directory in sorted(CORPUS.iterdir()):
        files = sorted(directory.iterdir())
        digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
        print(f"{directory.name}: {len(files)} files ({digest})")


if __name__ == "__main__":
    main()
