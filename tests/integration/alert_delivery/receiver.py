#!/usr/bin/python3
"""A scripted HTTP receiver for alert delivery tests (Python 3 stdlib only, loopback only).

It answers every request (any method, any path) with the next step of a script and records
each request as one JSON line, written and flushed when the request arrives:

    {"n": 1, "time": 1714564800.123, "method": "POST", "path": "/hook",
     "headers": {"Content-Type": "application/json", ...}, "body": "...", "status": 429}

Usage:
    receiver.py --port 0 --port-file PORTFILE --script "429:2,500,200" --log requests.jsonl

Script steps, comma-separated, used in order; the last one repeats forever:
    STATUS                 e.g. 200, 500, 404
    STATUS:RETRY_AFTER     adds a Retry-After header, e.g. 429:2
    ...@SECONDS            waits that long before answering, e.g. 200@8 or 503:1@0.5
The response body is --body for 2xx answers ("ok" by default) and --error-body for the others
("error STATUS" by default). With --echo, the others echo the request instead, as many web
frameworks do by default: "Cannot POST /the/path", for a JSON body with a "routing_key" the
words "(routing_key KEY is invalid)" as PagerDuty's errors name it, and the request body on the
next line.

--port 0 picks a free port; the port actually bound is written to --port-file (atomically,
once listening) and printed on stdout. Stop it with SIGTERM or SIGINT.
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time


def parse_script(text):
    steps = []
    for item in text.split(","):
        item = item.strip()
        delay = 0.0
        if "@" in item:
            item, delay_text = item.split("@", 1)
            delay = float(delay_text)
        retry_after = None
        if ":" in item:
            item, retry_after = item.split(":", 1)
        steps.append({"status": int(item), "retry_after": retry_after, "delay": delay})
    if not steps:
        raise ValueError("empty script")
    return steps


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a sleeping step must not hold up the exit
    allow_reuse_address = True

    def __init__(self, port, steps, log_path, body, error_body, echo=False):
        super().__init__(("127.0.0.1", port), Handler)
        self.steps = steps
        self.body = body
        self.error_body = error_body
        self.echo = echo
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None

    def next_step(self, record):
        with self.lock:
            step = self.steps[min(self.count, len(self.steps) - 1)]
            self.count += 1
            record["n"] = self.count
            record["status"] = step["status"]
            if self.log:
                self.log.write(json.dumps(record) + "\n")
                self.log.flush()
        return step


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": {name: value for name, value in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
        }
        step = self.server.next_step(record)
        if step["delay"]:
            time.sleep(step["delay"])
        status = step["status"]
        if 200 <= status < 300:
            text = self.server.body
        elif self.server.echo:
            text = "Cannot %s %s" % (self.command, self.path)
            try:
                key = json.loads(record["body"]).get("routing_key")
            except (ValueError, AttributeError):
                key = None
            if key:
                text += " (routing_key %s is invalid)" % key
            text += "\n" + record["body"]
        else:
            text = self.server.error_body or "error %d" % status
        payload = text.encode("utf-8")
        try:
            self.send_response(status)
            if step["retry_after"] is not None:
                self.send_header("Retry-After", step["retry_after"])
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to answer

    do_POST = do_GET = do_PUT = handle_any

    def log_message(self, format, *args):
        pass  # the JSON lines are the log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--script", default="200")
    parser.add_argument("--log")
    parser.add_argument("--body", default="ok")
    parser.add_argument("--error-body")
    parser.add_argument("--echo", action="store_true")
    args = parser.parse_args()

    server = Receiver(args.port, parse_script(args.script), args.log, args.body, args.error_body,
                      args.echo)
    port = server.server_address[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write("%d\n" % port)
        os.replace(temporary, args.port_file)
    print(port, flush=True)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
