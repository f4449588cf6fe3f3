#!/usr/bin/env python3
"""SesSource::sync (daemon/aws) against real servers on loopback, through ses_sync_probe:

- fake_aws.py (our SES v2 + STS server, which verifies every SigV4 signature with botocore):
  pagination over several pages with opaque NextTokens that need percent-encoding, null fields,
  unknown statuses, both timestamp forms, EMAIL_ADDRESS identities attached and never fetched,
  429 and 500 retried, a 403 naming the IAM action, malformed/HTML/truncated/huge answers,
  AssumeRole (with an ExternalId) + GetCallerIdentity (cached), an expired session token, a wrong
  secret (the only test that expects bad signatures), and no secret in any output;
- moto_server (a second implementation, skipped when not installed): listing, statuses and
  SigningEnabled as far as moto goes (no Tokens, no PageSize).

Usage: test_ses_api.py --probe PATH [unittest args]. Debian's python3 with python3-botocore.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import harness  # noqa: E402

PROBE = ""
CURL_RAW = ""
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE+session/token=="
EXTERNAL_ID = "ext-id-Sup3rS3cret"
ACCOUNT = "111122223333"
ROLE_ARN = "arn:aws:iam::444455556666:role/dkimwatch-read"


def dkim(status="SUCCESS", enabled=True, origin="AWS_SES", tokens=None, zone="dkim.amazonses.com",
         key="RSA_2048_BIT"):
    return {"SigningEnabled": enabled, "Status": status, "SigningAttributesOrigin": origin,
            "Tokens": tokens if tokens is not None else ["AAA1", "bbb2", "ccc3"],
            "SigningHostedZone": zone, "CurrentSigningKeyLength": key}


def base_scenario(**extra) -> dict:
    scenario = {
        "account": ACCOUNT,
        "credentials": [
            {"access_key_id": "AKIDLONGTERM", "secret_access_key": SECRET},
            {"access_key_id": "ASIDSESSION", "secret_access_key": SECRET,
             "session_token": SESSION_TOKEN},
        ],
        "roles": [{"arn": ROLE_ARN, "external_id": EXTERNAL_ID, "duration": 3600}],
        "max_page_size": 2,
        "identities": [
            {"IdentityName": "alpha.example", "IdentityType": "DOMAIN", "DkimAttributes": dkim()},
            {"IdentityName": "Beta.Example", "IdentityType": "DOMAIN",
             "DkimAttributes": dkim(status="SOMETHING_NEW", enabled=False, key="RSA_1024_BIT")},
            {"IdentityName": "gamma.example", "IdentityType": "DOMAIN", "DkimAttributes": None},
            {"IdentityName": "delta.example", "IdentityType": "DOMAIN",
             "DkimAttributes": {"SigningEnabled": None, "Status": None, "Tokens": None,
                                "SigningAttributesOrigin": None, "SigningHostedZone": None}},
            {"IdentityName": "byo.example", "IdentityType": "DOMAIN",
             "DkimAttributes": dkim(status="FAILED", origin="EXTERNAL", tokens=["Sel1"])},
            {"IdentityName": "mary@alpha.example", "IdentityType": "EMAIL_ADDRESS"},
            {"IdentityName": "bob@ALPHA.example", "IdentityType": "EMAIL_ADDRESS"},
            {"IdentityName": "x@elsewhere.example", "IdentityType": "EMAIL_ADDRESS"},
        ],
    }
    scenario.update(extra)
    return scenario


class FakeAws:
    """fake_aws.py on a free loopback port, stopped by stop()."""

    def __init__(self, scenario: dict) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="fake-aws-")
        path = Path(self.dir.name) / "scenario.json"
        path.write_text(json.dumps(scenario))
        self.stderr_path = Path(self.dir.name) / "stderr.txt"
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "fake_aws.py"), "--scenario", str(path)],
                stdout=subprocess.PIPE, stderr=stderr, text=True,
                preexec_fn=harness.die_with_parent)
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            errors = self.stderr_path.read_text()
            self.stop()
            raise RuntimeError(f"fake_aws.py did not start: {errors}")
        self.url = f"http://127.0.0.1:{int(line)}"

    def control(self, path: str, document=None):
        data = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(self.url + "/_control/" + path, data=data,
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def stats(self) -> dict:
        return self.control("stats")

    def errors(self) -> str:
        """What the server wrote on stderr (tracebacks of failed handlers)."""
        return self.stderr_path.read_text()

    def stop(self) -> None:
        harness.stop_process(self.process)
        if self.process.stdout:
            self.process.stdout.close()
        self.dir.cleanup()


def run_probe(endpoint: str, *args: str, key="AKIDLONGTERM", secret=SECRET, token="",
              external_id="", timeout=120) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
    if token:
        env["AWS_SESSION_TOKEN"] = token
    if external_id:
        env["PROBE_EXTERNAL_ID"] = external_id
    completed = subprocess.run(
        [PROBE, "--endpoint", endpoint, "--sts-endpoint", endpoint, "--retry-base-ms", "20", *args],
        env=env, capture_output=True, text=True, timeout=timeout)
    output = completed.stdout + completed.stderr
    for secret_text in (SECRET, SESSION_TOKEN, EXTERNAL_ID, secret):
        assert secret_text not in output, "a secret appeared in the probe's output"
    if completed.returncode != 0:
        raise AssertionError(f"probe exit {completed.returncode}: {completed.stderr}")
    return json.loads(completed.stdout), output


class FakeAwsTest(unittest.TestCase):
    scenario: dict = {}
    expect_bad_signatures = 0

    def setUp(self) -> None:
        self.fake = FakeAws(self.scenario or base_scenario())

    def tearDown(self) -> None:
        try:
            self.assertEqual(self.fake.errors(), "", "the fake server failed")
            self.assertEqual(self.fake.stats()["bad_signatures"], self.expect_bad_signatures,
                             "the fake server saw requests whose signature was wrong")
        finally:
            self.fake.stop()

    def sync(self, *args: str, **kwargs) -> tuple[dict, dict]:
        result, _ = run_probe(self.fake.url, "--account", ACCOUNT, "--page-size", "2", *args,
                              **kwargs)
        return result, result["syncs"][0]


class Listing(FakeAwsTest):
    def test_all_pages_domains_and_addresses(self) -> None:
        result, sync = self.sync()
        self.assertTrue(sync["ok"], sync["error"])
        inventory = sync["inventory"]
        self.assertEqual(inventory["account"], ACCOUNT)
        self.assertEqual(inventory["region"], "us-east-1")
        self.assertEqual(inventory["source"], "test")
        domains = {d["domain"]: d for d in inventory["domains"]}
        self.assertEqual(list(domains), sorted(["alpha.example", "beta.example", "gamma.example",
                                                "delta.example", "byo.example"]))
        alpha = domains["alpha.example"]
        self.assertEqual(alpha["status"], "SUCCESS")
        self.assertTrue(alpha["signing_enabled"])
        self.assertEqual(alpha["tokens"], ["aaa1", "bbb2", "ccc3"])
        self.assertEqual(alpha["signing_hosted_zone"], "dkim.amazonses.com")
        self.assertEqual(alpha["origin"], "AWS_SES")
        self.assertEqual(alpha["email_identities"], ["bob@ALPHA.example", "mary@alpha.example"])
        beta = domains["beta.example"]
        self.assertEqual((beta["status"], beta["status_text"]), ("UNKNOWN", "SOMETHING_NEW"))
        self.assertFalse(beta["signing_enabled"])
        self.assertEqual(beta["current_key_length"], "RSA_1024_BIT")
        for name in ("gamma.example", "delta.example"):
            self.assertEqual(domains[name]["status_text"], "")
            self.assertFalse(domains[name]["signing_enabled"])
            self.assertEqual(domains[name]["tokens"], [])
        self.assertEqual(domains["byo.example"]["origin"], "EXTERNAL")
        self.assertEqual(domains["byo.example"]["tokens"], ["sel1"])
        self.assertEqual(domains["byo.example"]["status"], "FAILED")

        log = self.fake.stats()["log"]
        lists = [e for e in log if e["operation"] == "ListEmailIdentities"]
        self.assertEqual(len(lists), 4, "8 identities in pages of 2")
        for entry in lists[1:]:
            self.assertEqual(entry["query_keys"], ["NextToken", "PageSize"], "sorted keys")
            self.assertRegex(entry["query"], r"NextToken=[A-Za-z0-9%._~-]+&PageSize=2$")
            self.assertNotRegex(entry["query"], r"%[0-9a-f]{2}", "upper-case percent-encoding")
        self.assertTrue(any("%2B" in e["query"] or "%2F" in e["query"] for e in lists[1:]),
                        "the tokens held characters that need encoding")
        gets = sorted(e["path"].lower() for e in log if e["operation"] == "GetEmailIdentity")
        self.assertEqual(gets, ["/v2/email/identities/" + d for d in sorted(domains)],
                         "one GetEmailIdentity per DOMAIN identity, none for addresses")
        self.assertIn("/v2/email/identities/Beta.Example", [e["path"] for e in log],
                      "fetched under the name as listed")
        self.assertEqual([r["operation"] for r in result["requests"]].count("GetCallerIdentity"),
                         0, "the configured account is used")
        self.assertEqual(len(result["requests"]), len(log), "on_request once per attempt")

    def test_scripted_changes_show_at_the_next_sync(self) -> None:
        _, sync = self.sync()
        self.assertIn("gamma.example", [d["domain"] for d in sync["inventory"]["domains"]])
        identities = [i for i in base_scenario()["identities"]
                      if i["IdentityName"] != "gamma.example"]
        identities.append({"IdentityName": "new.example", "IdentityType": "DOMAIN",
                           "DkimAttributes": dkim(status="PENDING")})
        self.fake.control("identities", identities)
        self.fake.control("identity/alpha.example",
                          {"DkimAttributes": {"SigningEnabled": False, "Status": "FAILED"}})
        _, sync = self.sync()
        self.assertTrue(sync["ok"], sync["error"])
        domains = {d["domain"]: d for d in sync["inventory"]["domains"]}
        self.assertNotIn("gamma.example", domains)
        self.assertEqual(domains["new.example"]["status"], "PENDING")
        self.assertEqual(domains["alpha.example"]["status"], "FAILED")
        self.assertFalse(domains["alpha.example"]["signing_enabled"])

    def test_iso_timestamps_and_default_page_size(self) -> None:
        self.fake.stop()
        self.fake = FakeAws(base_scenario(timestamps="iso", max_page_size=100))
        _, sync = self.sync("--page-size", "1000")
        self.assertTrue(sync["ok"], sync["error"])
        self.assertEqual(len(sync["inventory"]["domains"]), 5)

    def test_identity_deleted_between_list_and_get_is_skipped(self) -> None:
        self.fake.control("faults", [{"operation": "GetEmailIdentity", "count": 1, "status": 404,
                                      "error_type": "NotFoundException", "message": "gone"}])
        _, sync = self.sync()
        self.assertTrue(sync["ok"], sync["error"])
        self.assertEqual(len(sync["inventory"]["domains"]), 4)

    def test_pacing_to_max_rps(self) -> None:
        started = time.monotonic()
        result, sync = self.sync("--max-rps", "5")
        elapsed = time.monotonic() - started
        self.assertTrue(sync["ok"], sync["error"])
        requests = len(result["requests"])  # 4 lists + 5 gets
        self.assertEqual(requests, 9)
        self.assertGreaterEqual(elapsed, (requests - 1) / 5 - 0.05)
        at = [e["at"] for e in self.fake.stats()["log"]]
        gaps = [b - a for a, b in zip(at, at[1:])]
        self.assertGreaterEqual(min(gaps), 0.15, "requests at most 5 per second")


class Errors(FakeAwsTest):
    def faults(self, *faults: dict) -> None:
        self.fake.control("faults", list(faults))

    def test_429_then_success(self) -> None:
        self.faults({"operation": "ListEmailIdentities", "count": 2, "status": 429,
                     "error_type": "TooManyRequestsException", "message": "slow down"})
        result, sync = self.sync()
        self.assertTrue(sync["ok"], sync["error"])
        codes = [r["code"] for r in result["requests"] if r["operation"] == "ListEmailIdentities"]
        self.assertEqual(codes[:3], ["429", "429", "200"])

    def test_throttling_that_does_not_end_gives_up(self) -> None:
        self.faults({"operation": "*", "count": 50, "status": 429,
                     "error_type": "TooManyRequestsException", "message": "slow down"})
        result, sync = self.sync("--max-attempts", "3")
        self.assertFalse(sync["ok"])
        self.assertIn("ListEmailIdentities failed after 3 attempts: throttled", sync["error"])
        self.assertEqual(len(result["requests"]), 3)

    def test_500_retried(self) -> None:
        self.faults({"operation": "GetEmailIdentity", "count": 1, "status": 500,
                     "error_type": "InternalFailure", "message": "oops"})
        result, sync = self.sync()
        self.assertTrue(sync["ok"], sync["error"])
        self.assertIn({"operation": "GetEmailIdentity", "code": "500"}, result["requests"])

    def test_403_names_the_iam_action(self) -> None:
        for action, operation in (("ses:ListEmailIdentities", "ListEmailIdentities"),
                                  ("ses:GetEmailIdentity", "GetEmailIdentity")):
            with self.subTest(action=action):
                self.fake.control("deny", {"actions": [action]})
                result, sync = self.sync()
                self.assertFalse(sync["ok"])
                self.assertIn(f"the credentials need the IAM action {action}", sync["error"])
                self.assertIn("HTTP 403", sync["error"])
                denied = [r for r in result["requests"] if r["code"] == "403"]
                self.assertEqual(denied, [{"operation": operation, "code": "403"}],
                                 "a 403 is not retried")
        self.fake.control("deny", {"actions": ["sts:GetCallerIdentity"]})
        result, _ = run_probe(self.fake.url, "--page-size", "2")
        self.assertFalse(result["syncs"][0]["ok"])
        self.assertIn("the credentials need the IAM action sts:GetCallerIdentity",
                      result["syncs"][0]["error"])

    def test_bad_answers(self) -> None:
        huge_page = json.dumps({"EmailIdentities": [
            {"IdentityName": f"d{i}.example", "IdentityType": "DOMAIN"} for i in range(1001)]})
        cases = [
            ({"raw_body": '{"EmailIdentities": [{"IdentityName": "a.example",',
              "content_type": "application/json"}, "malformed or truncated JSON"),
            ({"raw_body": "<html><body><h1>502 Bad Gateway</h1></body></html>",
              "content_type": "text/html"}, "HTML page"),
            ({"raw_body": '{"EmailIdentities": "nope"}', "content_type": "application/json"},
             "EmailIdentities is not a list"),
            ({"raw_body": '[1, 2]', "content_type": "application/json"}, "not an object"),
            ({"raw_body": huge_page, "content_type": "application/json"},
             "more than the 1000 a page may hold"),
            ({"raw_body": "x" * 1024 * 1024, "repeat": 9, "content_type": "text/plain"},
             "answer larger than 8388608 bytes"),
        ]
        for fault, expected in cases:
            with self.subTest(expected=expected):
                self.faults(dict(fault, operation="ListEmailIdentities", count=1, status=200))
                _, sync = self.sync()
                self.assertFalse(sync["ok"])
                self.assertIn(expected, sync["error"])
                self.assertIn("test/us-east-1: ", sync["error"])
        self.faults({"operation": "GetEmailIdentity", "count": 1, "status": 200,
                     "raw_body": '{"DkimAttributes": {"Status": 7}}',
                     "content_type": "application/json"})
        _, sync = self.sync()
        self.assertIn("Status is not a string", sync["error"])
        self.faults({"operation": "GetEmailIdentity", "count": 1, "status": 502,
                     "raw_body": "<html>bad gateway</html>", "content_type": "text/html"},
                    {"operation": "GetEmailIdentity", "count": 10, "status": 503,
                     "error_type": "ServiceUnavailable", "message": "down"})
        _, sync = self.sync("--max-attempts", "3")
        self.assertIn("GetEmailIdentity failed after 3 attempts: server error", sync["error"])

    def test_unreachable_endpoint_and_timeout(self) -> None:
        port = harness.free_tcp_port()
        result, _ = run_probe(f"http://127.0.0.1:{port}", "--account", ACCOUNT,
                              "--max-attempts", "2")
        self.assertIn("connection refused", result["syncs"][0]["error"])
        self.assertEqual([r["code"] for r in result["requests"]], ["network", "network"])
        with socket.socket() as silent:  # accepts, never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            result, _ = run_probe(f"http://127.0.0.1:{silent.getsockname()[1]}", "--account",
                                  ACCOUNT, "--max-attempts", "1", "--timeout-ms", "300")
        self.assertIn("timeout after 300 ms", result["syncs"][0]["error"])
        self.assertEqual(result["requests"], [{"operation": "ListEmailIdentities",
                                               "code": "timeout"}])


class Credentials(FakeAwsTest):
    def test_assume_role_and_caller_identity_cached(self) -> None:
        result, _ = run_probe(self.fake.url, "--page-size", "2", "--role-arn", ROLE_ARN,
                              "--syncs", "2", external_id=EXTERNAL_ID)
        for sync in result["syncs"]:
            self.assertTrue(sync["ok"], sync["error"])
            self.assertEqual(sync["inventory"]["account"], "444455556666")
        self.assertEqual(result["assume_role_calls"], 1, "assumed credentials are reused")
        operations = [r["operation"] for r in result["requests"]]
        self.assertEqual(operations.count("GetCallerIdentity"), 1, "the account id is cached")
        log = self.fake.stats()["log"]
        assume = [e for e in log if e["operation"] == "AssumeRole"]
        self.assertEqual(len(assume), 1)
        self.assertTrue(assume[0]["external_id_sent"])
        self.assertEqual(assume[0]["status"], 200)
        self.assertEqual(self.fake.stats()["assumed"], 1)

    def test_wrong_external_id_names_assume_role(self) -> None:
        result, _ = run_probe(self.fake.url, "--role-arn", ROLE_ARN, external_id="wrong-one")
        error = result["syncs"][0]["error"]
        self.assertIn("no AWS credentials", error)
        self.assertIn(f"the credentials need the IAM action sts:AssumeRole on {ROLE_ARN}", error)

    def test_session_token_used_then_expired(self) -> None:
        _, sync = self.sync(key="ASIDSESSION", token=SESSION_TOKEN)
        self.assertTrue(sync["ok"], sync["error"])
        self.fake.control("expire", {"access_key_id": "ASIDSESSION"})
        result, sync = self.sync(key="ASIDSESSION", token=SESSION_TOKEN)
        self.assertFalse(sync["ok"])
        self.assertIn("the session token has expired", sync["error"])
        self.assertEqual([r["code"] for r in result["requests"]], ["403"], "not retried")

    def test_expired_token_mid_sync_fetches_fresh_credentials_once(self) -> None:
        self.fake.stop()
        scenario = base_scenario()
        scenario["roles"][0]["duration"] = 200  # < the probe's 5-minute margin: re-assumed
        self.fake = FakeAws(scenario)
        self.fake.control("faults", [{"operation": "GetEmailIdentity", "count": 1, "status": 403,
                                      "error_type": "ExpiredTokenException",
                                      "message": "The security token included in the request "
                                                 "is expired"}])
        result, _ = run_probe(self.fake.url, "--account", ACCOUNT, "--role-arn", ROLE_ARN,
                              external_id=EXTERNAL_ID)
        sync = result["syncs"][0]
        self.assertTrue(sync["ok"], sync["error"])
        self.assertEqual(len(sync["inventory"]["domains"]), 5)
        self.assertEqual(result["assume_role_calls"], 2, "fresh credentials asked for once")
        # Long-term credentials cannot be refreshed: the same error ends the sync.
        self.fake.control("faults", [{"operation": "GetEmailIdentity", "count": 5, "status": 403,
                                      "error_type": "ExpiredTokenException", "message": "x"}])
        result, _ = run_probe(self.fake.url, "--account", ACCOUNT)
        self.assertIn("the session token has expired", result["syncs"][0]["error"])
        codes = [r["code"] for r in result["requests"] if r["operation"] == "GetEmailIdentity"]
        self.assertEqual(codes, ["403"])

    def test_missing_session_token_is_rejected(self) -> None:
        _, sync = self.sync(key="ASIDSESSION")
        self.assertFalse(sync["ok"])
        self.assertIn("the credentials were rejected", sync["error"])


class WrongSecret(FakeAwsTest):
    expect_bad_signatures = 1

    def test_a_wrong_signature_fails_at_the_server(self) -> None:
        result, sync = self.sync(secret="not-the-secret/at+all")
        self.assertFalse(sync["ok"])
        self.assertIn("the credentials were rejected (InvalidSignatureException", sync["error"])
        self.assertEqual(result["requests"], [{"operation": "ListEmailIdentities",
                                               "code": "403"}])


class CurlSigningBugsAreCaught(FakeAwsTest):
    """What signed_request avoids, done naively with curl 7.88.1: the fake server must reject
    it as wrongly signed (the proof that its checks would catch such a request from us)."""

    def raw(self, path_and_query: str, *headers: str) -> str:
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDLONGTERM", AWS_SECRET_ACCESS_KEY=SECRET)
        completed = subprocess.run([CURL_RAW, self.fake.url + path_and_query, "us-east-1", "ses",
                                    *headers], env=env, capture_output=True, text=True,
                                   timeout=30)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        version, status = completed.stdout.split()
        if version != "7.88.1":
            self.skipTest(f"curl {version}: the bugs checked here are those of 7.88.1")
        return status

    def test_naive_requests_fail_and_guarded_ones_pass(self) -> None:
        # The guarded forms sign correctly.
        self.assertEqual(self.raw("/v2/email/identities?PageSize=2", "Accept: application/json"),
                         "200")
        self.assertEqual(self.raw("/v2/email/identities/alpha.example",
                                  "Accept: application/json"), "200")
        bad = 0
        # Query keys not sorted.
        self.assertEqual(self.raw("/v2/email/identities?PageSize=2&NextToken=x",
                                  "Accept: application/json"), "403")
        bad += 1
        # '@' and '%' in the path.
        self.assertEqual(self.raw("/v2/email/identities/mary@alpha.example",
                                  "Accept: application/json"), "403")
        bad += 1
        self.assertEqual(self.raw("/v2/email/identities/mary%40alpha.example",
                                  "Accept: application/json"), "403")
        bad += 1
        # A header set with an empty value (here curl's default Accept suppressed).
        self.assertEqual(self.raw("/v2/email/identities?PageSize=2", "Accept:"), "403")
        bad += 1
        self.expect_bad_signatures = bad


class Moto(unittest.TestCase):
    """moto_server as a second SES v2 implementation: listing, statuses, SigningEnabled."""

    def setUp(self) -> None:
        self.moto = shutil.which("moto_server")
        if not self.moto:
            self.skipTest("moto_server is not installed (pip install 'moto[server]')")
        self.port = harness.free_tcp_port()
        self.process = subprocess.Popen(
            [self.moto, "-H", "127.0.0.1", "-p", str(self.port)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=harness.die_with_parent)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.tearDown()
                    self.fail("moto_server did not start")
                time.sleep(0.2)

    def tearDown(self) -> None:
        if getattr(self, "process", None):
            harness.stop_process(self.process)

    def test_listing_statuses_and_signing_enabled(self) -> None:
        import botocore.session
        session = botocore.session.get_session()
        client = session.create_client(
            "sesv2", region_name="us-east-1", endpoint_url=self.url,
            aws_access_key_id="AKIDMOTO", aws_secret_access_key=SECRET)
        for name in ("one.example", "two.example", "ann@one.example"):
            client.create_email_identity(EmailIdentity=name)
        expected = {}
        for name in ("one.example", "two.example"):
            attributes = client.get_email_identity(EmailIdentity=name).get("DkimAttributes", {})
            expected[name] = (attributes.get("Status") or "",
                              bool(attributes.get("SigningEnabled")))
        result, _ = run_probe(self.url, "--page-size", "0", key="AKIDMOTO")
        sync = result["syncs"][0]
        self.assertTrue(sync["ok"], sync["error"])
        domains = {d["domain"]: d for d in sync["inventory"]["domains"]}
        self.assertEqual(sorted(domains), ["one.example", "two.example"])
        for name, (status, enabled) in expected.items():
            self.assertEqual(domains[name]["status_text"], status)
            self.assertEqual(domains[name]["signing_enabled"], enabled)
        self.assertEqual(domains["one.example"]["email_identities"], ["ann@one.example"])
        self.assertRegex(sync["inventory"]["account"], r"^\d{12}$", "moto's GetCallerIdentity")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--probe" in args:
        i = args.index("--probe")
        PROBE = args[i + 1]
        del args[i:i + 2]
    if "--curl-raw" in args:
        i = args.index("--curl-raw")
        CURL_RAW = args[i + 1]
        del args[i:i + 2]
    sys.argv[1:] = args
    if not CURL_RAW:
        CurlSigningBugsAreCaught.__unittest_skip__ = True
        CurlSigningBugsAreCaught.__unittest_skip_why__ = "no --curl-raw PATH given"
    if not PROBE or not os.access(PROBE, os.X_OK):
        sys.exit("usage: test_ses_api.py --probe PATH")
    unittest.main(verbosity=2)
