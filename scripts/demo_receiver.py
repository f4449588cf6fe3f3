#!/usr/bin/python3
"""The demo's webhook receiver: prints every dkimwatch alert readably in the terminal.

It listens on 127.0.0.1 (a free port unless --port is given), writes the port to --port-file,
verifies the X-Dkimwatch-Signature header when --secret-file is given (HMAC-SHA256 of
"<t>.<body>", see README "Alert formats"), and appends each alert's JSON to --log.
Python 3 standard library only.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import sys
import time

COLOURS = {"critical": "\033[1;31m", "warning": "\033[1;33m", "resolved": "\033[1;32m", "info": "\033[1;36m"}
RESET = "\033[0m"


def verify(secret: bytes, header: str, body: bytes) -> str:
    if not header:
        return "unsigned"
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp, signature = fields["t"], fields["v1"]
    except (KeyError, ValueError):
        return "malformed signature header"
    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "BAD SIGNATURE"
    if abs(time.time() - int(timestamp)) > 300:
        return "signature too old (replay?)"
    return "signature ok"


def show(document: dict, check: str, colour: bool) -> None:
    events = document.get("events", [document]) if document.get("type") == "group" else [document]
    for event in events:
        severity = event.get("severity", "?")
        start, end = (COLOURS.get(severity, ""), RESET) if colour else ("", "")
        print(f"\n{start}>>> ALERT {event.get('event')} [{severity}]{end}  ({check})")
        print(f"    {event.get('summary')}")
        identity = event.get("identity", {})
        print(f"    identity: {identity.get('account')} {identity.get('region')} {identity.get('domain')}"
              f"   state: {event.get('state')} since {event.get('state_since')}")
        if event.get("deadline"):
            print(f"    deadline: {event['deadline']}")
        for record in event.get("records", []):
            print(f"    - {record.get('verdict')}: {record.get('type')} {record.get('name')}")
            observed = record.get("observed")
            print(f"      expected {record.get('expected')}, observed {observed if observed is not None else '(nothing)'}")
        sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--secret-file")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    secret = open(args.secret_file, "rb").read().strip() if args.secret_file else None
    colour = sys.stdout.isatty()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            check = verify(secret, self.headers.get("X-Dkimwatch-Signature", ""), body) if secret else "no secret"
            try:
                document = json.loads(body)
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(document) + "\n")
            show(document, check, colour)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    with open(args.port_file, "w", encoding="utf-8") as out:
        out.write(str(server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
