#!/usr/bin/env python3
"""A loopback SES v2 + STS server for the tests, which VERIFIES EVERY REQUEST'S SIGV4 SIGNATURE
with botocore's signer (botocore.auth.SigV4Auth over an AWSRequest rebuilt from what arrived:
method, raw path, raw query, the signed headers, the body, and the known secret).

  fake_aws.py --scenario FILE [--port 0] [--host 127.0.0.1]

Prints the port on stdout (one line) when it is ready. A wrongly signed request gets
403 SignatureDoesNotMatch/InvalidSignatureException and is counted (GET /_control/stats).

Scenario (JSON):
  {"account": "111122223333",
   "credentials": [{"access_key_id": "AKIA...", "secret_access_key": "...",
                    "session_token": "" , "account": "111122223333"}],
   "roles": [{"arn": "arn:aws:iam::444455556666:role/r", "external_id": "", "duration": 3600}],
   "max_page_size": 100,                # caps PageSize (AWS's default when absent is 100)
   "timestamps": "epoch" | "iso",
   "identities": [{"IdentityName": "example.com", "IdentityType": "DOMAIN",
                   "DkimAttributes": {...}}, {"IdentityName": "a@example.com",
                   "IdentityType": "EMAIL_ADDRESS"}]}

Control API (unsigned, loopback tests only):
  GET  /_control/stats              {"requests", "bad_signatures", "log": [...]}
  POST /_control/reset_stats
  POST /_control/identities         body: the new identities list
  POST /_control/identity/<name>    body: {"DkimAttributes": {...}} merged into one identity
  POST /_control/faults             body: [{"operation": "ListEmailIdentities"|"*", "count": N,
                                     "status": 429, "error_type": "TooManyRequestsException",
                                     "message": "...", "raw_body": "...", "content_type": "...",
                                     "repeat": N}]  (appended; consumed by matching requests)
  POST /_control/expire             body: {"access_key_id": "..."}: its session token expired
  POST /_control/deny               body: {"actions": ["ses:GetEmailIdentity", ...]}
Python standard library + botocore only. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([a-z0-9;\-]+), Signature=([0-9a-f]{64})$")
IDENTITIES_PATH = "/v2/email/identities"


class State:
    def __init__(self, scenario: dict) -> None:
        self.lock = threading.Lock()
        self.account = scenario.get("account", "111122223333")
        self.credentials = {}
        for c in scenario.get("credentials", []):
            self.credentials[c["access_key_id"]] = {
                "secret": c["secret_access_key"], "token": c.get("session_token", "") or "",
                "account": c.get("account", self.account), "expired": False,
                "arn": c.get("arn", f"arn:aws:iam::{c.get('account', self.account)}:user/test")}
        self.roles = {r["arn"]: r for r in scenario.get("roles", [])}
        self.max_page_size = int(scenario.get("max_page_size", 100))
        self.timestamps = scenario.get("timestamps", "epoch")
        self.identities = list(scenario.get("identities", []))
        self.faults: list[dict] = []
        self.denied: set[str] = set()
        self.page_tokens: dict[str, int] = {}
        self.requests = 0
        self.bad_signatures = 0
        self.log: list[dict] = []
        self.assumed = 0


def iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_aws"
    state: State

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - no access log (secrets)
        pass

    # ---- plumbing
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. an answer over its size limit)

    def _json(self, status: int, document, headers: dict | None = None):
        self._send(status, json.dumps(document).encode(), "application/json", headers)

    def _ses_error(self, status: int, code: str, message: str):
        self._json(status, {"message": message}, {"x-amzn-ErrorType": f"{code}:http://internal"})

    def _sts_error(self, status: int, code: str, message: str):
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                f'<Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}'
                '</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId>'
                '</ErrorResponse>')
        self._send(status, body.encode(), "text/xml")

    # ---- signature
    def _verify(self, service_expected: str, body: bytes, error) -> dict | None:
        """The caller's credential entry when the signature is right; else answers and None."""
        st = self.state
        auth = self.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            with st.lock:
                st.bad_signatures += 1
            error(403, "IncompleteSignatureException" if service_expected == "ses"
                  else "IncompleteSignature", "missing or malformed Authorization header")
            return None
        akid, date, region, service, signed_headers, signature = m.groups()
        with st.lock:
            cred = copy.deepcopy(st.credentials.get(akid))
        if cred is None:
            error(403, "UnrecognizedClientException" if service_expected == "ses"
                  else "InvalidClientTokenId", "The security token included in the request is invalid.")
            return None
        amz_date = self.headers.get("X-Amz-Date", "")
        names = signed_headers.split(";")
        headers = {}
        for name in names:
            values = self.headers.get_all(name)
            if values is None:
                headers = None
                break
            headers[name] = ",".join(values)
        ok = (headers is not None and service == service_expected and amz_date[:8] == date
              and "host" in names and "x-amz-date" in names)
        if ok:
            raw_path, _, raw_query = self.path.partition("?")
            url = f"http://{self.headers.get('Host')}{raw_path}"
            if raw_query:
                url += "?" + raw_query
            request = botocore.awsrequest.AWSRequest(
                method=self.command, url=url, headers=headers, data=body)
            request.context["timestamp"] = amz_date
            signer = botocore.auth.SigV4Auth(
                botocore.credentials.Credentials(akid, cred["secret"]), service, region)
            canonical = signer.canonical_request(request)
            expected = signer.signature(signer.string_to_sign(request, canonical), request)
            ok = (secrets.compare_digest(expected, signature)
                  and signer.signed_headers(signer.headers_to_sign(request)) == signed_headers)
        if not ok:
            with st.lock:
                st.bad_signatures += 1
            error(403, "InvalidSignatureException" if service_expected == "ses"
                  else "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you provided.")
            return None
        token = self.headers.get("x-amz-security-token", "")
        if cred["token"]:
            if "x-amz-security-token" not in names or token != cred["token"]:
                error(403, "UnrecognizedClientException" if service_expected == "ses"
                      else "InvalidClientTokenId",
                      "The security token included in the request is invalid.")
                return None
            if cred["expired"] or ("expires" in cred and time.time() >= cred["expires"]):
                error(403, "ExpiredTokenException" if service_expected == "ses" else "ExpiredToken",
                      "The security token included in the request is expired")
                return None
        elif token:
            error(403, "UnrecognizedClientException" if service_expected == "ses"
                  else "InvalidClientTokenId", "The security token included in the request is invalid.")
            return None
        cred["access_key_id"] = akid
        return cred

    def _record(self, operation: str, status: int, extra: dict | None = None) -> None:
        st = self.state
        entry = {"method": self.command, "path": self.path.partition("?")[0],
                 "query": self.path.partition("?")[2], "operation": operation, "status": status,
                 "at": time.time()}
        entry.update(extra or {})
        with st.lock:
            st.requests += 1
            st.log.append(entry)

    def _fault(self, operation: str) -> dict | None:
        st = self.state
        with st.lock:
            for fault in st.faults:
                if fault.get("operation", "*") in ("*", operation) and fault.get("count", 1) > 0:
                    fault["count"] = fault.get("count", 1) - 1
                    if fault["count"] == 0:
                        st.faults.remove(fault)
                    return dict(fault)
        return None

    def _apply_fault(self, fault: dict, ses: bool) -> None:
        if "raw_body" in fault:
            body = fault["raw_body"].encode() * int(fault.get("repeat", 1))
            self._send(int(fault.get("status", 200)), body,
                       fault.get("content_type", "text/html"))
        elif ses:
            self._ses_error(int(fault["status"]), fault.get("error_type", "InternalFailure"),
                            fault.get("message", "injected"))
        else:
            self._sts_error(int(fault["status"]), fault.get("error_type", "InternalFailure"),
                            fault.get("message", "injected"))

    # ---- control
    def _control(self, body: bytes) -> None:
        st = self.state
        path = urllib.parse.unquote(self.path.partition("?")[0])[len("/_control/"):]
        data = json.loads(body) if body else None
        with st.lock:
            if self.command == "GET" and path == "stats":
                document = {"requests": st.requests, "bad_signatures": st.bad_signatures,
                            "assumed": st.assumed, "log": st.log, "faults_left": st.faults}
            elif path == "reset_stats":
                st.requests, st.bad_signatures, st.log = 0, 0, []
                document = {"ok": True}
            elif path == "identities":
                st.identities = list(data)
                document = {"ok": True}
            elif path.startswith("identity/"):
                name = path[len("identity/"):]
                found = [i for i in st.identities if i["IdentityName"] == name]
                if not found:
                    self._json(404, {"error": "no such identity"})
                    return
                if found[0].get("DkimAttributes") is None:
                    found[0]["DkimAttributes"] = {}
                found[0]["DkimAttributes"].update(data.get("DkimAttributes", {}))
                document = {"ok": True}
            elif path == "faults":
                st.faults.extend(copy.deepcopy(data))
                document = {"ok": True}
            elif path == "expire":
                st.credentials[data["access_key_id"]]["expired"] = True
                document = {"ok": True}
            elif path == "deny":
                st.denied = set(data.get("actions", []))
                document = {"ok": True}
            else:
                self._json(404, {"error": "unknown control path"})
                return
        self._json(200, document)

    # ---- SES
    def _ses(self, body: bytes) -> None:
        st = self.state
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path == IDENTITIES_PATH:
            operation = "ListEmailIdentities"
        elif raw_path.startswith(IDENTITIES_PATH + "/"):
            operation = "GetEmailIdentity"
        else:
            self._record("unknown", 404)
            self._ses_error(404, "UnknownOperationException", "unknown operation")
            return
        cred = self._verify("ses", body, self._ses_error)
        if cred is None:
            self._record(operation, 403, {"rejected": True})
            return
        fault = self._fault(operation)
        if fault is not None:
            self._record(operation, int(fault.get("status", 200)), {"fault": True})
            self._apply_fault(fault, ses=True)
            return
        action = "ses:" + operation
        if action in st.denied:
            self._record(operation, 403)
            self._ses_error(403, "AccessDeniedException",
                            f"User: {cred['arn']} is not authorized to perform: {action}")
            return
        if operation == "ListEmailIdentities":
            self._list(raw_query)
        else:
            self._get(urllib.parse.unquote(raw_path[len(IDENTITIES_PATH) + 1:]))

    def _list(self, raw_query: str) -> None:
        st = self.state
        query = urllib.parse.parse_qs(raw_query, keep_blank_values=True, strict_parsing=False)
        keys = [pair.partition("=")[0] for pair in raw_query.split("&") if pair]
        extra = {"query_keys": keys}
        page_size = 100
        if "PageSize" in query:
            try:
                page_size = int(query["PageSize"][0])
            except ValueError:
                page_size = -1
            if not 0 <= page_size <= 1000:
                self._record("ListEmailIdentities", 400, extra)
                self._ses_error(400, "BadRequestException", "PageSize must be 0 to 1000")
                return
        page_size = min(page_size or 100, st.max_page_size)
        with st.lock:
            offset = 0
            if "NextToken" in query:
                token = query["NextToken"][0]
                if token not in st.page_tokens:
                    self._record("ListEmailIdentities", 400, extra)
                    self._ses_error(400, "BadRequestException", "invalid NextToken")
                    return
                offset = st.page_tokens[token]
            identities = sorted(st.identities, key=lambda i: i["IdentityName"])
            page = identities[offset:offset + page_size]
            document = {"EmailIdentities": [
                {"IdentityType": i.get("IdentityType", "DOMAIN"),
                 "IdentityName": i["IdentityName"], "SendingEnabled": True,
                 "VerificationStatus": "SUCCESS"} for i in page]}
            if offset + page_size < len(identities):
                # Opaque, and with '+', '/' and '=' so that the client must percent-encode it.
                token = base64.b64encode(b"\xfb\xff" + secrets.token_bytes(13)).decode()
                st.page_tokens[token] = offset + page_size
                document["NextToken"] = token
            else:
                document["NextToken"] = None
        self._record("ListEmailIdentities", 200, extra)
        self._json(200, document)

    def _get(self, name: str) -> None:
        st = self.state
        with st.lock:
            found = [copy.deepcopy(i) for i in st.identities if i["IdentityName"] == name]
        if not found:
            self._record("GetEmailIdentity", 404)
            self._ses_error(404, "NotFoundException", f"Email identity {name} does not exist.")
            return
        identity = found[0]
        dkim = identity.get("DkimAttributes")
        if dkim is not None:  # null stays null
            stamp = 1764000000.0
            dkim.setdefault("LastKeyGenerationTimestamp",
                            stamp if st.timestamps == "epoch" else iso(stamp))
            dkim.setdefault("NextSigningKeyGenerationTimestamp",
                            stamp + 86400 if st.timestamps == "epoch" else iso(stamp + 86400))
        document = {"IdentityType": identity.get("IdentityType", "DOMAIN"),
                    "FeedbackForwardingStatus": True, "VerifiedForSendingStatus": True,
                    "DkimAttributes": dkim, "MailFromAttributes": None, "Policies": {},
                    "Tags": [], "ConfigurationSetName": None, "VerificationStatus": "SUCCESS"}
        self._record("GetEmailIdentity", 200)
        self._json(200, document)

    # ---- STS
    def _sts(self, body: bytes) -> None:
        st = self.state
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        operation = (form.get("Action") or [""])[0]
        if operation not in ("GetCallerIdentity", "AssumeRole"):
            self._record(operation or "unknown", 400)
            self._sts_error(400, "InvalidAction", "unknown action")
            return
        cred = self._verify("sts", body, self._sts_error)
        if cred is None:
            self._record(operation, 403, {"rejected": True})
            return
        fault = self._fault(operation)
        if fault is not None:
            self._record(operation, int(fault.get("status", 200)), {"fault": True})
            self._apply_fault(fault, ses=False)
            return
        ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
        meta = "<ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata>"
        if operation == "GetCallerIdentity":
            if "sts:GetCallerIdentity" in st.denied:
                self._record(operation, 403)
                self._sts_error(403, "AccessDenied", f"User: {cred['arn']} is not authorized to perform: sts:GetCallerIdentity")
                return
            body_out = (f"<GetCallerIdentityResponse {ns}><GetCallerIdentityResult>"
                        f"<Arn>{escape(cred['arn'])}</Arn><UserId>AIDTEST</UserId>"
                        f"<Account>{cred['account']}</Account></GetCallerIdentityResult>{meta}"
                        "</GetCallerIdentityResponse>")
            self._record(operation, 200)
            self._send(200, body_out.encode(), "text/xml")
            return
        arn = (form.get("RoleArn") or [""])[0]
        role = st.roles.get(arn)
        external = (form.get("ExternalId") or [""])[0]
        session = (form.get("RoleSessionName") or [""])[0]
        if (role is None or "sts:AssumeRole" in st.denied
                or (role.get("external_id", "") != external)):
            self._record(operation, 403, {"external_id_sent": bool(external)})
            self._sts_error(403, "AccessDenied",
                            f"User: {cred['arn']} is not authorized to perform: sts:AssumeRole on resource: {arn}")
            return
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", session):
            self._record(operation, 400)
            self._sts_error(400, "ValidationError", "invalid RoleSessionName")
            return
        account = arn.split(":")[4]
        akid = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "FQoG" + secrets.token_urlsafe(60)
        expires = time.time() + float(role.get("duration", 3600))
        with st.lock:
            st.credentials[akid] = {"secret": secret, "token": token, "account": account,
                                    "expired": False, "expires": expires,
                                    "arn": f"arn:aws:sts::{account}:assumed-role/{arn.split('/')[-1]}/{session}"}
            st.assumed += 1
        body_out = (f"<AssumeRoleResponse {ns}><AssumeRoleResult><Credentials>"
                    f"<AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                    f"<SessionToken>{token}</SessionToken><Expiration>{iso(expires)}</Expiration>"
                    f"</Credentials><AssumedRoleUser><AssumedRoleId>AROATEST:{escape(session)}"
                    f"</AssumedRoleId><Arn>{escape(st.credentials[akid]['arn'])}</Arn>"
                    f"</AssumedRoleUser></AssumeRoleResult>{meta}</AssumeRoleResponse>")
        self._record(operation, 200, {"external_id_sent": bool(external)})
        self._send(200, body_out.encode(), "text/xml")

    # ---- dispatch
    def _dispatch(self) -> None:
        body = self._body()
        if self.path.startswith("/_control/"):
            self._control(body)
        elif self.command == "POST" and self.path.partition("?")[0] == "/":
            self._sts(body)
        elif self.command == "GET":
            self._ses(body)
        else:
            self._record("unknown", 405)
            self._send(405, b"", "text/plain")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    with open(args.scenario, encoding="utf-8") as f:
        scenario = json.load(f)
    Handler.state = State(scenario)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
