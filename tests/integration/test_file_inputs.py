#!/usr/bin/python3
"""The files dkimwatch reads, through the real binary: every one must be a regular file of
bounded size, and nothing may hang or eat memory (issue 12, items 4 and 7).

Each command runs with a timeout (a hang fails the test instead of blocking the suite) and an
address-space limit (reading /dev/zero without end fails fast instead of taking the machine's
memory). Also: unknown and malformed regions (`validate`, and the daemon's start-up log) and
`history --limit` bounds.

Usage: /usr/bin/python3 test_file_inputs.py --dkimwatch PATH/TO/dkimwatch [unittest args]
(or DKIMWATCH=PATH in the environment). Python 3.11 standard library only; loopback only.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

DKIMWATCH = os.environ.get("DKIMWATCH", "")
KEYS = HERE.parent / "data" / "keys"

# A command that takes longer than this is hung (they all finish in well under a second).
COMMAND_TIMEOUT = 15.0
# Address space for the commands: far above what they need, far below what an endless read of
# /dev/zero reaches. Not for sanitizer builds, which reserve terabytes of address space.
ADDRESS_SPACE_LIMIT = 2 << 30

# The YAML limit (daemon/config/file_limits.hpp).
MAX_CONFIG_BYTES = 8 * 1024 * 1024

IDENTITY = """identities:
  - domain: example.com
    account: "111122223333"
    region: {region}
    easy_dkim:
      tokens: [tok1, tok2, tok3]
"""


def is_sanitized(binary: str) -> bool:
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


class Result:
    def __init__(self, code: int, stdout: str, stderr: str, seconds: float):
        self.code, self.stdout, self.stderr, self.seconds = code, stdout, stderr, seconds

    def __repr__(self) -> str:
        return (f"exit {self.code} after {self.seconds:.2f}s, stdout {self.stdout!r}, "
                f"stderr {self.stderr!r}")


class FileInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        harness.require_binary(DKIMWATCH)
        cls.limit_memory = not is_sanitized(DKIMWATCH)

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="dkimwatch-files-")
        self.dir = Path(self.tmp.name)
        self.fifo = self.dir / "fifo"
        os.mkfifo(self.fifo)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def run_dkimwatch(self, *args: str) -> Result:
        def child() -> None:
            harness.die_with_parent()
            if self.limit_memory:
                resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

        start = time.monotonic()
        try:
            done = subprocess.run([DKIMWATCH, *args], stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                                  preexec_fn=child)
        except subprocess.TimeoutExpired:
            self.fail(f"dkimwatch {' '.join(args)} hung: no exit within {COMMAND_TIMEOUT}s")
        return Result(done.returncode, done.stdout, done.stderr, time.monotonic() - start)

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.write_text(text)
        return path

    def byodkim_yaml(self, key_key: str, key_path: str) -> Path:
        return self.write("byodkim.yaml", f"""identities:
  - domain: example.org
    account: "1"
    region: eu-west-1
    byodkim:
      selector: sel1
      {key_key}: {key_path}
""")

    def csv_config(self, line: str) -> Path:
        self.write("ids.csv", "# domain,account,region,method,...\n" + line + "\n")
        return self.write("csv.yaml", "identities_file: ids.csv\n")

    # -- the configuration file itself -----------------------------------------------------

    def test_config_that_is_a_fifo(self) -> None:
        for command in ("validate", "check"):
            got = self.run_dkimwatch(command, "--config", str(self.fifo))
            self.assertEqual(got.code, 1 if command == "validate" else 3, got)
            self.assertEqual(got.stderr,
                             f"{self.fifo}: is a FIFO (named pipe), not a regular file\n", got)

    def test_config_that_is_dev_zero(self) -> None:
        got = self.run_dkimwatch("validate", "--config", "/dev/zero")
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, "/dev/zero: is a character device, not a regular file\n", got)

    def test_config_that_is_a_directory(self) -> None:
        got = self.run_dkimwatch("validate", "--config", str(self.dir))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{self.dir}: is a directory, not a regular file\n", got)

    def test_oversized_yaml_fails_fast_and_points_to_identities_file(self) -> None:
        # Valid identities, so that only the size is wrong: the old limit (256 MiB) let
        # yaml-cpp load it, taking seconds and more memory than 60 times the file.
        entry = ("  - domain: d{0}.example.com\n    account: \"111122223333\"\n"
                 "    region: us-east-1\n    easy_dkim:\n      tokens: [t{0}a, t{0}b, t{0}c]\n")
        parts, size, i = ["identities:\n"], 12, 0
        while size <= MAX_CONFIG_BYTES:
            parts.append(entry.format(i))
            size += len(parts[-1])
            i += 1
        big = self.write("big.yaml", "".join(parts))
        got = self.run_dkimwatch("validate", "--config", str(big))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stdout, "", got)
        self.assertIn(f"{big}: is larger than 8 MiB, the limit for a YAML configuration", got.stderr)
        self.assertIn("identities_file", got.stderr)
        self.assertLess(got.seconds, 5.0, got)

    # -- key files named in the YAML ---------------------------------------------------------

    def test_yaml_key_file_that_is_a_fifo(self) -> None:
        config = self.byodkim_yaml("public_key_file", str(self.fifo))
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{config}:7:24: byodkim.public_key_file \"{self.fifo}\": "
                                     "is a FIFO (named pipe), not a regular file\n", got)

    def test_yaml_key_file_that_is_dev_zero(self) -> None:
        config = self.byodkim_yaml("private_key_file", "/dev/zero")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{config}:7:25: byodkim.private_key_file \"/dev/zero\": "
                                     "is a character device, not a regular file\n", got)

    # -- identities_file and the key files its lines name -------------------------------------

    def test_identities_file_that_is_a_fifo(self) -> None:
        config = self.write("fifo-ids.yaml", "identities_file: fifo\n")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{config}:1:18: identities_file \"fifo\" ({self.fifo}): "
                                     "is a FIFO (named pipe), not a regular file\n", got)

    def test_line_key_file_dev_zero(self) -> None:
        # Before: memory grew by ~100 MB/s without end.
        config = self.csv_config("a.test,1,us-east-1,byodkim,s1,private_key_file:/dev/zero")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{self.dir / 'ids.csv'}:2:31: byodkim.private_key_file "
                                     "\"/dev/zero\": is a character device, not a regular "
                                     "file\n", got)

    def test_line_key_file_fifo(self) -> None:
        # Before: blocked forever.
        config = self.csv_config("a.test,1,us-east-1,byodkim,s1,public_key_file:fifo")
        for command in ("validate", "check"):
            got = self.run_dkimwatch(command, "--config", str(config))
            self.assertEqual(got.code, 1 if command == "validate" else 3, got)
            self.assertEqual(got.stderr, f"{self.dir / 'ids.csv'}:2:31: byodkim.public_key_file "
                                         f"\"fifo\" ({self.fifo}): is a FIFO (named pipe), "
                                         "not a regular file\n", got)

    def test_line_key_file_directory(self) -> None:
        # Before: "key: empty: no key found".
        (self.dir / "keys.d").mkdir()
        config = self.csv_config("a.test,1,us-east-1,byodkim,s1,public_key_file:keys.d")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{self.dir / 'ids.csv'}:2:31: byodkim.public_key_file "
                                     f"\"keys.d\" ({self.dir / 'keys.d'}): is a directory, not "
                                     "a regular file\n", got)

    def test_line_key_file_too_large(self) -> None:
        self.write("huge.pem", "A" * (1024 * 1024 + 1))
        config = self.csv_config("a.test,1,us-east-1,byodkim,s1,public_key_file:huge.pem")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{self.dir / 'ids.csv'}:2:31: byodkim.public_key_file "
                                     f"\"huge.pem\" ({self.dir / 'huge.pem'}): is larger than "
                                     "1 MiB, the limit for a key file\n", got)

    def test_symlink_to_a_key_file_is_fine(self) -> None:
        (self.dir / "link.pem").symlink_to(KEYS / "rsa2048_pub_spki.pem")
        config = self.csv_config("a.test,1,us-east-1,byodkim,s1,public_key_file:link.pem")
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual((got.code, got.stdout, got.stderr), (0, "ok\n", ""), got)

    # -- keycheck ------------------------------------------------------------------------------

    def keycheck(self, option: str, path: str) -> Result:
        return self.run_dkimwatch("keycheck", "--domain", "example.org", "--selector", "sel1",
                                  option, path, "--offline", "--format", "json")

    def test_keycheck_key_that_is_a_fifo(self) -> None:
        got = self.keycheck("--private-key", str(self.fifo))
        self.assertEqual(got.code, 3, got)
        self.assertIn(f'"error": "{self.fifo}: is a FIFO (named pipe), not a regular file"',
                      got.stdout)

    def test_keycheck_key_that_is_dev_zero(self) -> None:
        got = self.keycheck("--public-key", "/dev/zero")
        self.assertEqual(got.code, 3, got)
        self.assertIn('"error": "/dev/zero: is a character device, not a regular file"',
                      got.stdout)

    def test_keycheck_key_that_is_a_directory(self) -> None:
        got = self.keycheck("--public-key", str(self.dir))
        self.assertEqual(got.code, 3, got)
        self.assertIn(f'"error": "{self.dir}: is a directory, not a regular file"', got.stdout)

    def test_keycheck_reads_a_regular_key(self) -> None:
        got = self.keycheck("--private-key", str(KEYS / "rsa2048_pkcs8.pem"))
        self.assertEqual(got.code, 0, got)

    # -- regions -------------------------------------------------------------------------------

    def test_unknown_region_is_a_warning_on_validate(self) -> None:
        config = self.write("mars.yaml", IDENTITY.format(region="mars-north-9"))
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 0, got)
        self.assertEqual(got.stdout, "ok\n", got)
        self.assertEqual(got.stderr,
                         f"{config}:4:13: warning: region \"mars-north-9\" is not in dkimwatch's "
                         "table of SES regions; accepted as a region SES launched after this "
                         "release, with its DKIM records assumed under dkim.amazonses.com (check "
                         "the spelling, and set signing_hosted_zone if SES reports another)\n", got)

    def test_known_region_has_no_warning(self) -> None:
        config = self.write("known.yaml", IDENTITY.format(region="ap-southeast-5"))
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual((got.code, got.stdout, got.stderr), (0, "ok\n", ""), got)

    def test_malformed_region_is_an_error(self) -> None:
        config = self.write("bad.yaml", IDENTITY.format(region="Mars_North"))
        got = self.run_dkimwatch("validate", "--config", str(config))
        self.assertEqual(got.code, 1, got)
        self.assertEqual(got.stderr, f"{config}:4:13: region \"Mars_North\" is not an AWS region "
                                     "name such as us-east-1 or eu-west-1\n", got)

    def test_unknown_region_is_logged_at_daemon_start(self) -> None:
        # A resolver port where nothing listens (loopback): the checks fail, which is fine here.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            dead_port = s.getsockname()[1]
        config = self.write("run.yaml", IDENTITY.format(region="mars-north-9") + f"""
dns:
  resolvers: ["127.0.0.1:{dead_port}"]
  timeout: 200ms
  attempts: 1
  authoritative: off
  dnssec: off
state_dir: {self.dir / 'state'}
metrics:
  listen: 127.0.0.1:0
""")
        (self.dir / "state").mkdir()
        daemon = harness.Daemon(DKIMWATCH, config, self.dir / "daemon.log", log_level="warn")
        try:
            deadline = time.monotonic() + COMMAND_TIMEOUT
            while "event=config_warning" not in daemon.log():
                self.assertTrue(daemon.alive(), daemon.log())
                self.assertLess(time.monotonic(), deadline, daemon.log())
                time.sleep(0.1)
        finally:
            daemon.stop()
        lines = [line for line in daemon.log().splitlines() if "event=config_warning" in line]
        self.assertEqual(len(lines), 1, daemon.log())
        self.assertIn("level=warning event=config_warning warning=", lines[0])
        self.assertIn(f"{config}:4:13: region \\\"mars-north-9\\\" is not in dkimwatch's table",
                      lines[0])

    # -- history --limit -----------------------------------------------------------------------

    def test_history_limit_out_of_range_is_a_usage_error(self) -> None:
        config = self.write("history.yaml", IDENTITY.format(region="us-east-1") +
                            f"state_dir: {self.dir}\n")
        for limit in ("-5", "0", "99999999999999999999", "1000001", "many"):
            got = self.run_dkimwatch("history", "--config", str(config), f"--limit={limit}")
            self.assertEqual(got.code, 3, (limit, got))
            self.assertEqual(got.stdout, "", (limit, got))
            self.assertIn(f"--limit: Value {limit} not in range 1 to 1000000", got.stderr,
                          (limit, got))
        # In range: past the option check (no database here, so the command itself fails).
        for limit in ("1", "1000000"):
            got = self.run_dkimwatch("history", "--config", str(config), f"--limit={limit}")
            self.assertNotIn("--limit", got.stderr, (limit, got))
            self.assertNotEqual(got.code, 3, (limit, got))


if __name__ == "__main__":
    DKIMWATCH = harness.take_binary_argument(DKIMWATCH)
    unittest.main(verbosity=2)
