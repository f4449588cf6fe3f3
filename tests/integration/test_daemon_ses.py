#!/usr/bin/python3
"""SES as a source of truth, end to end: the real binary, real DNS on loopback (dnsenv scenario
`daemon`: alpha/beta/gamma .test, healthy Easy DKIM CNAMEs), the loopback SES v2 + STS server
aws/fake_aws.py (every request's SigV4 signature verified with botocore; a wrongly signed
request fails these tests through its bad_signatures count), and a webhook receiver.

The configuration names alpha.test only; SES lists alpha.test and beta.test, so beta.test is
discovered. Every test starts its own daemon (state_dir, metrics port) with credentials in the
environment, and changes SES through the fake server's control API, then sends SIGHUP, which
lists every source at once (sync_interval is 1m, the minimum: the tests do not wait for it).

What is checked: `discover` (text, json contract, identities written for identities_file and
read back by `validate`), `check` (the ses field, findings, exit code), and the daemon: a
discovered identity is watched and verified; a new SES identity is adopted and checked; one
that SES drops is removed (identity_removed) and its history kept; SigningEnabled false
raises signing_disabled (alert, metric, status); SES FAILED while DNS is fine raises
ses_status_changed and the ses_dns_disagree finding; with the API down the daemon keeps
watching from the saved inventory across a restart, and after 3 failed syncs raises
ses_sync_failing, resolved when SES answers again; and an account's credentials block end to
end (a profile of a shared credentials file, STS AssumeRole with an external id file, the
account id from GetCallerIdentity; a wrong external id is refused naming sts:AssumeRole); and
the periodic listing every sync_interval without a reload (about a minute); with shard: "1/3",
`check` and the daemon watch, show and export (SES series included) only the owned part of what
is configured and listed, and a reload to "2/3" swaps it; and with three shards side by side,
only the shard that owns the SES source (the documented hash of (account, region, "")) exports
its per-source series and raises ses_sync_failing.

Usage: /usr/bin/python3 test_daemon_ses.py --dkimwatch PATH [unittest args]. Needs nsd, unbound,
ldnsutils and python3-botocore.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "dnsenv"))
sys.path.insert(0, str(HERE))

import dnsenv  # noqa: E402
import harness  # noqa: E402
from harness import Daemon, free_tcp_port  # noqa: E402

DKIMWATCH = ""
SCENARIO = HERE / "dnsenv" / "scenarios" / "daemon"
FAKE_AWS = HERE / "aws" / "fake_aws.py"
RECEIVER = HERE / "alert_delivery" / "receiver.py"
ACCOUNT = "111122223333"
ACCESS_KEY = "AKIAEXAMPLETESTKEY01"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS_ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
                   "AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
                   "AWS_CONFIG_FILE": "/nonexistent/config"}


def domain_identity(name: str, tokens: list[str], status: str = "SUCCESS",
                    signing: bool = True) -> dict:
    return {"IdentityName": name, "IdentityType": "DOMAIN", "SendingEnabled": True,
            "VerificationStatus": status,
            "DkimAttributes": {"SigningEnabled": signing, "Status": status, "Tokens": tokens,
                               "SigningAttributesOrigin": "AWS_SES",
                               "SigningHostedZone": "dkim.amazonses.com",
                               "CurrentSigningKeyLength": "RSA_2048_BIT"}}


ALPHA = domain_identity("alpha.test", ["al1", "al2", "al3"])
BETA = domain_identity("beta.test", ["be1", "be2", "be3"])
GAMMA = domain_identity("gamma.test", ["ga1", "ga2", "ga3"])


ROLE_ARN = "arn:aws:iam::444455556666:role/dkimwatch-read"
EXTERNAL_ID = "ext-id-known-to-the-role-only"


class FakeAws:
    def __init__(self, directory: Path, identities: list[dict], port: int = 0):
        scenario = directory / "ses-scenario.json"
        scenario.write_text(json.dumps({
            "account": ACCOUNT,
            "credentials": [{"access_key_id": ACCESS_KEY, "secret_access_key": SECRET}],
            "roles": [{"arn": ROLE_ARN, "external_id": EXTERNAL_ID, "duration": 900}],
            "identities": identities}))
        self.stderr = open(directory / "fake_aws.stderr", "ab")
        self.popen = subprocess.Popen(
            [sys.executable, str(FAKE_AWS), "--scenario", str(scenario), "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr,
            start_new_session=True, preexec_fn=harness.die_with_parent, text=True)
        line = self.popen.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"fake_aws.py did not start: {line!r}")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def control(self, path: str, body) -> None:
        request = urllib.request.Request(self.url + "/_control/" + path,
                                         data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/_control/stats", timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        harness.stop_process(self.popen)
        self.popen.stdout.close()
        self.stderr.close()


class Receiver:
    def __init__(self, directory: Path):
        self.log_path = directory / "hook.jsonl"
        port_file = directory / "hook.port"
        self.popen = subprocess.Popen(
            [sys.executable, str(RECEIVER), "--port", "0", "--port-file", str(port_file),
             "--script", "200", "--log", str(self.log_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=harness.die_with_parent)
        deadline = time.monotonic() + 10
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.port = int(port_file.read_text())

    def events(self) -> list[dict]:
        out = []
        try:
            lines = self.log_path.read_text().splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            doc = json.loads(json.loads(line)["body"])
            out.extend(doc.get("events", [doc]) if doc.get("type") == "group" else [doc])
        return out

    def stop(self) -> None:
        harness.stop_process(self.popen)


class SesTests(harness.Polling, harness.ShowsDaemonLogs, unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-ses-")
        cls.env = dnsenv.DnsEnv(SCENARIO, state_dir=Path(cls.tmp.name) / "dnsenv").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.env.stop()
        cls.tmp.cleanup()

    def setUp(self) -> None:
        self.saved_logs = []
        self.dir = Path(tempfile.mkdtemp(dir=self.tmp.name))
        self.aws = FakeAws(self.dir, [ALPHA, BETA, {"IdentityName": "mary@beta.test",
                                                     "IdentityType": "EMAIL_ADDRESS",
                                                     "SendingEnabled": True}])
        self.receiver = Receiver(self.dir)
        self.daemons: list[Daemon] = []
        self.port = free_tcp_port()
        self.config = self.dir / "dkimwatch.yaml"
        self.write_config()

    def tearDown(self) -> None:
        for daemon in self.daemons:
            code = daemon.stop()
            self.saved_logs.append(daemon.log())
            if code not in (0, None):
                self.saved_logs.append(f"(exit status {code})")
        self.receiver.stop()
        stats = self.aws.stats()
        self.aws.stop()
        self.assertEqual(stats["bad_signatures"], 0, "requests with a wrong SigV4 signature")

    def write_config(self, endpoint: str | None = None) -> None:
        endpoint = endpoint or self.aws.url
        self.config.write_text(f"""check_interval: 1s
recheck_interval: 500ms
confirmations: 2
revocation_window: 1h
group_wait: 0s
state_dir: {self.dir / 'state'}
metrics:
  listen: 127.0.0.1:{self.port}
dns:
  resolvers: ["{self.env.resolver}"]
  timeout: 500ms
  attempts: 2
  authoritative: off
  dnssec: off
alerts:
  - name: hook
    type: webhook
    url: "http://127.0.0.1:{self.receiver.port}/hook"
ses:
  sync_interval: 1m
  max_rps: 50
  accounts:
    - name: prod
      regions: [us-east-1]
      account: "{ACCOUNT}"
      endpoint_url: {endpoint}
      sts_endpoint_url: {endpoint}
identities:
  - domain: alpha.test
    account: "{ACCOUNT}"
    region: us-east-1
    easy_dkim:
      tokens: [al1, al2, al3]
""")

    def cli(self, *args: str, expect: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        result = subprocess.run([DKIMWATCH, *args], capture_output=True, text=True, timeout=60,
                                env={**os.environ, **CREDENTIALS_ENV})
        self.assertIn(result.returncode, expect, f"{args}: {result.stdout}\n{result.stderr}")
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        return result

    def start(self) -> Daemon:
        daemon = Daemon(DKIMWATCH, self.config, self.dir / f"daemon{len(self.daemons)}.log",
                        extra_env=CREDENTIALS_ENV)
        self.daemons.append(daemon)
        return daemon

    def status(self) -> dict[str, dict]:
        """`status --format json` by domain; OSError (not ready) until the daemon has made its
        database."""
        result = subprocess.run([DKIMWATCH, "status", "--config", str(self.config), "--format",
                                 "json"], capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise OSError(f"status exited {result.returncode}: {result.stderr.strip()}")
        doc = json.loads(result.stdout)
        return {entry["domain"]: entry for entry in doc["identities"]}

    def findings(self) -> set[tuple[str, str]]:
        """(domain, finding) of every dkimwatch_ses_finding series at 1 on /metrics."""
        out = set()
        for line in self.metrics().splitlines():
            if line.startswith("dkimwatch_ses_finding{") and line.endswith(" 1"):
                labels = dict(part.split("=", 1) for part in
                              line[line.index("{") + 1:line.index("}")].split(","))
                out.add((labels["domain"].strip('"'), labels["finding"].strip('"')))
        return out

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=3) as r:
            return r.read().decode()

    def metrics_when_served(self) -> str | None:
        """The metrics text, or None while the daemon does not serve it yet (not listening,
        or 503 before its identities are loaded)."""
        try:
            return self.metrics()
        except (urllib.error.URLError, ConnectionError):
            return None

    def verified(self, *domains: str):
        def probe():
            states = {d: e["state"] for d, e in self.status().items()}
            return all(states.get(d) == "verified" for d in domains) and states
        return probe

    def event_kinds(self, domain: str) -> list[str]:
        return [e["event"] for e in self.receiver.events()
                if e.get("identity", {}).get("domain") == domain]

    # ----------------------------------------------------------------------------------------

    def test_01_discover_lists_what_ses_has(self) -> None:
        doc = json.loads(self.cli("discover", "--config", str(self.config), "--format",
                                  "json").stdout)
        source = doc["sources"][0]
        self.assertEqual((source["name"], source["account"], source["region"], source["ok"]),
                         ("prod", ACCOUNT, "us-east-1", True))
        by_domain = {i["domain"]: i for i in source["identities"]}
        self.assertEqual(sorted(by_domain), ["alpha.test", "beta.test"])
        beta = by_domain["beta.test"]
        self.assertEqual(beta["method"], "easy_dkim")
        self.assertEqual(beta["tokens"], ["be1", "be2", "be3"])
        self.assertEqual(beta["ses_status"], "SUCCESS")
        self.assertEqual(beta["email_identities"], ["mary@beta.test"])
        # The identities format is an identities_file that validate accepts.
        listing = self.cli("discover", "--config", str(self.config), "--format",
                           "identities").stdout
        (self.dir / "identities.txt").write_text(listing)
        self.assertIn("beta.test,111122223333,us-east-1,easy_dkim,be1 be2 be3", listing)
        other = self.dir / "from-discover.yaml"
        other.write_text(f"state_dir: {self.dir / 'other'}\n"
                         f"identities_file: {self.dir / 'identities.txt'}\n")
        self.cli("validate", "--config", str(other))
        # A source that cannot be reached: exit 3 and the reason, no secret.
        self.write_config(endpoint=f"http://127.0.0.1:{free_tcp_port()}")
        failed = self.cli("discover", "--config", str(self.config), "--format", "json",
                          expect=(3,))
        self.assertFalse(json.loads(failed.stdout)["sources"][0]["ok"])

    def test_02_check_reports_ses_findings(self) -> None:
        self.aws.control("identity/beta.test", {"DkimAttributes": {"SigningEnabled": False}})
        result = self.cli("check", "--config", str(self.config), "--format", "json",
                          expect=(2,))
        doc = json.loads(result.stdout)
        by_domain = {i["domain"]: i for i in doc["identities"]}
        self.assertEqual(sorted(by_domain), ["alpha.test", "beta.test"])  # beta discovered
        beta = by_domain["beta.test"]
        self.assertTrue(all(r["verdict"] == "ok" for r in beta["records"]))
        codes = {f["code"] for f in beta["ses"]["findings"]}
        self.assertIn("signing_disabled", codes)
        self.assertIn("email_identity_unsigned", codes)
        self.assertEqual(beta["status"], "error")
        self.assertEqual(by_domain["alpha.test"]["ses"]["findings"], [])
        self.assertEqual(by_domain["alpha.test"]["status"], "ok")

    def test_03_daemon_adopts_and_drops_what_ses_lists(self) -> None:
        daemon = self.start()
        self.wait_for("alpha and beta verified", self.verified("alpha.test", "beta.test"),
                      daemon, timeout=20)
        self.aws.control("identities", [ALPHA, BETA, GAMMA])
        daemon.signal(signal.SIGHUP)
        self.wait_for("gamma adopted and verified", self.verified("gamma.test"), daemon,
                      timeout=20)
        self.aws.control("identities", [ALPHA, GAMMA])
        daemon.signal(signal.SIGHUP)
        self.wait_for("beta removed", lambda: "beta.test" not in self.status(), daemon,
                      timeout=20)
        self.wait_for("identity_removed logged",
                      lambda: "event=identity_removed" in daemon.log(), daemon)
        self.assertIn("alpha.test", self.status())  # configured: stays
        # A configured identity that SES no longer has, in an account and region it covers.
        self.aws.control("identities", [GAMMA])
        daemon.signal(signal.SIGHUP)
        self.wait_for("alpha not_in_ses on /metrics",
                      lambda: ("alpha.test", "not_in_ses") in self.findings(), daemon, timeout=20)
        self.assertEqual(self.status()["alpha.test"]["ses"]["findings"][0]["code"], "not_in_ses")
        history = json.loads(self.cli("history", "--config", str(self.config), "--domain",
                                      "beta.test", "--format", "json").stdout)
        self.assertTrue(history["events"], "beta.test's history is kept")

    def test_04_signing_disabled_and_ses_failed_raise_alerts(self) -> None:
        daemon = self.start()
        self.wait_for("verified", self.verified("alpha.test", "beta.test"), daemon, timeout=20)
        self.aws.control("identity/alpha.test", {"DkimAttributes": {"SigningEnabled": False}})
        self.aws.control("identity/beta.test", {"DkimAttributes": {"Status": "FAILED"}})
        daemon.signal(signal.SIGHUP)
        self.wait_for("signing_disabled alert",
                      lambda: "signing_disabled" in self.event_kinds("alpha.test"), daemon,
                      timeout=20)
        self.wait_for("ses_status_changed alert",
                      lambda: "ses_status_changed" in self.event_kinds("beta.test"), daemon,
                      timeout=20)
        self.wait_for("findings on /metrics", lambda: {
            ("alpha.test", "signing_disabled"), ("beta.test", "ses_dns_disagree"),
            ("beta.test", "ses_failed")} <= self.findings(), daemon, timeout=20)
        # `status` shows SES's view and the findings, as saved by the daemon.
        status = self.status()
        self.assertEqual(status["beta.test"]["ses"]["status"], "FAILED")
        self.assertFalse(status["alpha.test"]["ses"]["signing_enabled"])
        self.assertIn("signing_disabled",
                      {f["code"] for f in status["alpha.test"]["ses"]["findings"]})
        text = self.cli("status", "--config", str(self.config)).stdout
        self.assertIn("signing DISABLED", text)
        self.assertIn("ses_dns_disagree (error):", text)
        metrics = self.metrics()
        self.assertIn('dkimwatch_ses_dkim_status{account="111122223333",domain="beta.test",'
                      'region="us-east-1",status="FAILED"} 1', metrics)
        self.assertIn('dkimwatch_ses_signing_enabled{account="111122223333",'
                      'domain="alpha.test",region="us-east-1"} 0', metrics)
        # SES back to normal: the alerts resolve.
        self.aws.control("identity/alpha.test", {"DkimAttributes": {"SigningEnabled": True}})
        self.aws.control("identity/beta.test", {"DkimAttributes": {"Status": "SUCCESS"}})
        daemon.signal(signal.SIGHUP)
        # Only mary@beta.test's finding stays: the address still sends unsigned mail.
        self.wait_for("findings cleared", lambda: self.findings() == {
            ("beta.test", "email_identity_unsigned")}, daemon, timeout=20)
        self.wait_for("ses_status_changed to SUCCESS", lambda: [
            e.get("ses_status", {}).get("to") for e in self.receiver.events()
            if e["event"] == "ses_status_changed"] == ["FAILED", "SUCCESS"], daemon, timeout=20)

    def test_05_api_down_keeps_watching_across_a_restart(self) -> None:
        daemon = self.start()
        self.wait_for("verified", self.verified("alpha.test", "beta.test"), daemon, timeout=20)
        self.wait_for("inventory saved", lambda: "event=ses_synced" in daemon.log(), daemon)
        daemon.stop()
        self.aws.stop()
        self.aws = FakeAws(self.dir, [ALPHA, BETA])  # stopped below, after the restart
        dead = f"http://127.0.0.1:{free_tcp_port()}"
        self.write_config(endpoint=dead)
        daemon = self.start()
        # beta.test is known only from SES: the saved inventory keeps it watched.
        self.wait_for("beta still watched", lambda: "beta.test" in self.status() and
                      self.status()["beta.test"]["state"] == "verified", daemon, timeout=20)
        # The saved listing's time is exported from the start (DkimwatchSesSyncStale needs it).
        # `status` reads the database, which already said verified before this start, so the
        # daemon may not serve /metrics yet (503 until its identities are loaded): wait for it.
        served = self.wait_for("/metrics served", self.metrics_when_served, daemon)
        self.assertIn('dkimwatch_ses_sync_last_success_timestamp_seconds{account="111122223333",'
                      'region="us-east-1"}', served)
        # Each reload lists again at once; a listing is over once its failure is logged (the
        # client retries a refused connection a few times first).
        for failures in (1, 2, 3):
            self.wait_for(f"failed sync {failures}", lambda: daemon.log().count(
                "event=ses_sync_failed") >= failures, daemon, timeout=40)
            if failures < 3:
                daemon.signal(signal.SIGHUP)
        self.wait_for("ses_sync_failing alert",
                      lambda: any(e["event"] == "ses_sync_failing" for e in
                                  self.receiver.events()), daemon, timeout=30)
        self.write_config()
        daemon.signal(signal.SIGHUP)
        self.wait_for("ses_sync_recovered", lambda: any(
            e["event"] == "ses_sync_recovered" for e in self.receiver.events()), daemon,
            timeout=30)
        self.assertNotIn(SECRET, daemon.log())

    def test_06_a_profile_and_an_assumed_role(self) -> None:
        """The account's credentials block end to end: the base keys from a profile of a shared
        credentials file (no key in the environment), then STS AssumeRole with the external id
        read from its file, then the listing with the role's temporary credentials."""
        credentials = self.dir / "aws-credentials"
        credentials.write_text(f"[other]\naws_access_key_id = AKIAOTHER\n"
                               f"aws_secret_access_key = other\n\n[base]\n"
                               f"aws_access_key_id = {ACCESS_KEY}\n"
                               f"aws_secret_access_key = {SECRET}\n")
        external_id = self.dir / "external-id"
        external_id.write_text(EXTERNAL_ID + "\n")
        text = self.config.read_text().replace(
            f'      account: "{ACCOUNT}"\n',
            "      credentials:\n        profile: base\n"
            f"        role_arn: {ROLE_ARN}\n        external_id_file: {external_id}\n")
        config = self.dir / "role.yaml"
        config.write_text(text)
        environment = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
                       "AWS_CONFIG_FILE": "/nonexistent/config",
                       "AWS_EC2_METADATA_DISABLED": "true"}
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE"):
            environment.pop(name, None)
        result = subprocess.run([DKIMWATCH, "discover", "--config", str(config), "--format",
                                 "json"], capture_output=True, text=True, timeout=60,
                                env=environment)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        source = json.loads(result.stdout)["sources"][0]
        # No account configured: STS GetCallerIdentity with the role's keys tells it.
        self.assertEqual(source["account"], "444455556666")
        self.assertEqual(sorted(i["domain"] for i in source["identities"]),
                         ["alpha.test", "beta.test"])
        operations = [entry["operation"] for entry in self.aws.stats()["log"]]
        self.assertEqual(operations[0], "AssumeRole", operations)
        self.assertIn("ListEmailIdentities", operations)
        for secret in (SECRET, EXTERNAL_ID):
            self.assertNotIn(secret, result.stdout + result.stderr)
        # The daemon counts the STS calls of the chain with the source's API requests.
        daemon = Daemon(DKIMWATCH, config, self.dir / "role-daemon.log", extra_env={
            k: environment[k] for k in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                                        "AWS_EC2_METADATA_DISABLED")})
        self.daemons.append(daemon)
        self.wait_for("AssumeRole counted", lambda: re.search(
            r'dkimwatch_ses_api_requests_total\{[^}]*operation="AssumeRole"[^}]*\} 1',
            self.metrics()), daemon, timeout=20)
        self.assertRegex(self.metrics(), r'dkimwatch_ses_api_requests_total\{account='
                         r'"444455556666",code="200",operation="ListEmailIdentities"')
        self.assertNotIn(EXTERNAL_ID, daemon.log())
        daemon.stop()
        # The wrong external id: AssumeRole is refused, and the error names the action.
        external_id.write_text("not-the-right-one\n")
        refused = subprocess.run([DKIMWATCH, "discover", "--config", str(config), "--format",
                                  "json"], capture_output=True, text=True, timeout=60,
                                 env=environment)
        self.assertEqual(refused.returncode, 3, refused.stdout + refused.stderr)
        error = json.loads(refused.stdout)["sources"][0]["error"]
        self.assertIn("sts:AssumeRole", error)
        self.assertNotIn("not-the-right-one", refused.stdout + refused.stderr)

    def test_08_a_shard_watches_only_its_share_of_what_ses_lists(self) -> None:
        # With N = 3 (the documented hash, README "Sharding"): shard 1/3 owns beta.test and
        # gamma.test (both only in SES), shard 2/3 owns alpha.test (configured), in
        # 111122223333/us-east-1.
        self.aws.control("identities", [ALPHA, BETA, GAMMA])
        text = self.config.read_text()
        self.config.write_text('shard: "1/3"\n' + text)
        doc = json.loads(self.cli("check", "--config", str(self.config), "--format",
                                  "json").stdout)
        self.assertEqual((doc["shard"], doc["shard_skipped"]), ("1/3", 1))
        self.assertEqual(sorted(i["domain"] for i in doc["identities"]),
                         ["beta.test", "gamma.test"])

        def ses_domains() -> set[str]:
            return {line.split('domain="', 1)[1].split('"', 1)[0]
                    for line in self.metrics().splitlines()
                    if line.startswith("dkimwatch_ses_dkim_status{")}

        daemon = self.start()
        self.wait_for("beta and gamma verified", self.verified("beta.test", "gamma.test"),
                      daemon, timeout=20)
        self.assertEqual(sorted(self.status()), ["beta.test", "gamma.test"])
        self.wait_for("SES series of beta and gamma only",
                      lambda: ses_domains() == {"beta.test", "gamma.test"}, daemon)
        self.assertIn('dkimwatch_shard_info{of="3",shard="1"} 1', self.metrics())
        self.assertIn("event=shard_skipped shard=1/3 identities=1 owned=2", daemon.log())

        # SIGHUP with shard 2/3: alpha only; beta's and gamma's series go, SES's included.
        self.config.write_text('shard: "2/3"\n' + text)
        daemon.signal(signal.SIGHUP)
        self.wait_for("alpha verified", self.verified("alpha.test"), daemon, timeout=20)
        self.wait_for("only alpha in status", lambda: sorted(self.status()) == ["alpha.test"],
                      daemon)
        self.wait_for("SES series of alpha only", lambda: ses_domains() == {"alpha.test"},
                      daemon)
        self.assertNotIn('domain="beta.test"', self.metrics())
        self.assertIn('dkimwatch_shard_info{of="3",shard="2"} 1', self.metrics())

    def test_09_one_shard_speaks_for_each_ses_source(self) -> None:
        """Shards 1/3, 2/3 and 3/3 side by side: each lists the source (account, us-east-1) for
        the identities it owns, but only the shard that owns the key (account, region, "")
        under the documented hash (README "Sharding") exports the per-source series and raises
        ses_sync_failing; the others would send the same notification again."""
        digest = hashlib.sha256(f"{ACCOUNT}\nus-east-1\n".encode()).digest()
        owner = int.from_bytes(digest[:8], "big") % 3 + 1
        self.aws.control("identities", [ALPHA, BETA, GAMMA])
        text = self.config.read_text()
        shards: dict[int, tuple[Daemon, int]] = {}
        for index in (1, 2, 3):
            port = free_tcp_port()
            config = self.dir / f"shard{index}.yaml"
            config.write_text(f'shard: "{index}/3"\n' + text.replace(
                f"127.0.0.1:{self.port}", f"127.0.0.1:{port}").replace(
                f"state_dir: {self.dir / 'state'}\n", f"state_dir: {self.dir / f'state{index}'}\n"))
            daemon = Daemon(DKIMWATCH, config, self.dir / f"shard{index}.log",
                            extra_env=CREDENTIALS_ENV)
            self.daemons.append(daemon)
            shards[index] = (daemon, port)

        def scrape(port: int) -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as r:
                    return r.read().decode()
            except (urllib.error.URLError, ConnectionError):
                return ""

        source = f'{{account="{ACCOUNT}",region="us-east-1"}}'
        per_source = ("dkimwatch_ses_identities" + source + " 3",
                      "dkimwatch_ses_sync_last_success_timestamp_seconds" + source)
        # Shards 1 and 2 own identities (beta and gamma; alpha): their SES series appear after
        # the listing is taken up, in the same step that exports the per-source series.
        owned = {1: "beta.test", 2: "alpha.test"}
        for index, (daemon, port) in shards.items():
            if index == owner:
                self.wait_for(f"per-source series on shard {index}/3", lambda port=port: all(
                    series in scrape(port) for series in per_source), daemon, timeout=30)
            else:
                self.wait_for(f"shard {index}/3 took up the listing", lambda port=port, i=index:
                              f'dkimwatch_ses_dkim_status{{account="{ACCOUNT}",domain='
                              f'"{owned[i]}"' in scrape(port), daemon, timeout=30)
                metrics = scrape(port)
                for series in per_source:
                    name = series.split("{", 1)[0]
                    self.assertFalse(name + "{" in metrics,
                                     f"{name} on shard {index}/3, which does not own the source")
            self.assertIn("event=ses_synced", daemon.log())

        # Every listing is refused from now on: three failed syncs in a row on every shard.
        self.aws.control("faults", [{"operation": "ListEmailIdentities", "count": 10000,
                                     "status": 403, "error_type": "AccessDeniedException",
                                     "message": "injected by the test"}])
        for failures in (1, 2, 3):
            for index, (daemon, _) in shards.items():
                daemon.signal(signal.SIGHUP)  # a reload lists every source again at once
            for index, (daemon, _) in shards.items():
                self.wait_for(f"shard {index}/3 failed sync {failures}",
                              lambda daemon=daemon: daemon.log().count(
                                  "event=ses_sync_failed") >= failures, daemon, timeout=40)
        self.wait_for("ses_sync_failing alert", lambda: any(
            e["event"] == "ses_sync_failing" for e in self.receiver.events()),
            shards[owner][0], timeout=30)
        time.sleep(2)  # what the other shards would raise with their third failure, delivered
        failing = [e for e in self.receiver.events() if e["event"] == "ses_sync_failing"]
        self.assertEqual(len(failing), 1, failing)
        for index, (daemon, _) in shards.items():
            raised = "event=ses_sync_failing" in daemon.log()
            self.assertEqual(raised, index == owner, f"shard {index}/3 (owner {owner}/3)")

    def test_07_lists_again_every_sync_interval(self) -> None:
        """Without a reload, the next listing comes sync_interval (1m, the minimum) after the
        first, and picks up what changed in SES meanwhile. About a minute."""
        daemon = self.start()
        self.wait_for("the first listing", lambda: daemon.log().count("event=ses_synced") == 1,
                      daemon, timeout=20)
        first = time.monotonic()
        self.aws.control("identities", [ALPHA, BETA, GAMMA])
        self.wait_for("the second listing", lambda: daemon.log().count("event=ses_synced") == 2,
                      daemon, timeout=90)
        waited = time.monotonic() - first
        self.assertGreater(waited, 55, "listed again before sync_interval")
        self.wait_for("gamma adopted and verified", self.verified("gamma.test"), daemon,
                      timeout=20)


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(os.environ.get("DKIMWATCH", ""))
    harness.require_binary(DKIMWATCH)
    unittest.main()
