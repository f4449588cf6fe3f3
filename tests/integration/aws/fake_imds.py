#!/usr/bin/python3
"""A loopback EC2 instance metadata service (IMDSv2 only), for the credential chain's tests.

  PUT /latest/api/token   needs x-aws-ec2-metadata-token-ttl-seconds (1..21600) -> a token
  GET /latest/meta-data/iam/security-credentials/          -> the role name
  GET /latest/meta-data/iam/security-credentials/<role>    -> credentials JSON
A GET without a valid (known, unexpired) X-aws-ec2-metadata-token gets 401, as IMDSv2 answers.
Every credentials document has new keys (ASIAFAKEIMDS0001, 0002, ...) and an Expiration
--expires-in seconds ahead, so that a refresh is visible. Each request is logged as one JSON line
to --log (method, path, token header, status). Prints its port on stdout once it listens.
Python standard library only; binds 127.0.0.1.

Modes (--mode) to script failures: ok, no-role (404 on the role list), credentials-500,
broken-document (truncated JSON holding a secret), hang (never answers the token PUT).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "dkimwatch-test-role"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}  # token -> expiry (Unix time)
        self.fetches = 0
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def record(self, entry: dict) -> None:
        if self.log is None:
            return
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


def utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-imds"
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet on stderr
        pass

    def answer(self, status: int, body: str, content_type: str = "text/plain") -> None:
        # Logged before the answer leaves, so that a client that has its answer finds the line.
        self.state.record({"time": time.time(), "method": self.command, "path": self.path,
                           "token": self.headers.get("X-aws-ec2-metadata-token"),
                           "ttl": self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"),
                           "status": status})
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != "/latest/api/token":
            self.answer(404, "not found")
            return
        if self.state.args.mode == "hang":
            time.sleep(30)
            return
        ttl_text = self.headers.get("x-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= 21600:
            self.answer(400, "missing or invalid x-aws-ec2-metadata-token-ttl-seconds")
            return
        token = "imds-token-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = time.time() + int(ttl_text)
        self.answer(200, token)

    def do_GET(self) -> None:  # noqa: N802
        token = self.headers.get("X-aws-ec2-metadata-token")
        with self.state.lock:
            expiry = self.state.tokens.get(token or "")
        if expiry is None or expiry < time.time():
            self.answer(401, "")
            return
        mode = self.state.args.mode
        if self.path == CREDENTIALS_PATH:
            if mode == "no-role":
                self.answer(404, "not found")
            else:
                self.answer(200, ROLE)
            return
        if self.path != CREDENTIALS_PATH + ROLE:
            self.answer(404, "not found")
            return
        if mode == "credentials-500":
            self.answer(500, "internal error")
            return
        with self.state.lock:
            self.state.fetches += 1
            n = self.state.fetches
        now = time.time()
        document = {
            "Code": "Success",
            "LastUpdated": utc(now),
            "Type": "AWS-HMAC",
            "AccessKeyId": f"ASIAFAKEIMDS{n:04d}",
            "SecretAccessKey": "imds-secret-" + secrets.token_urlsafe(30),
            "Token": "imds-session-" + secrets.token_urlsafe(60),
            "Expiration": utc(now + self.state.args.expires_in),
        }
        body = json.dumps(document)
        if mode == "broken-document":
            body = body[: body.index("Token") + 20]
        self.answer(200, body, "application/json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", default="")
    parser.add_argument("--expires-in", type=int, default=600,
                        help="seconds from a fetch to its credentials' Expiration")
    parser.add_argument("--mode", default="ok",
                        choices=["ok", "no-role", "credentials-500", "broken-document", "hang"])
    args = parser.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
