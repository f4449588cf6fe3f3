#!/usr/bin/python3
"""The shipped systemd unit, checked offline with systemd-analyze.

- The shipped unit runs /usr/bin/dkimwatch (ExecStartPre validate, ExecStart run) with
  /etc/dkimwatch/dkimwatch.yaml, as Type=notify with WatchdogSec=60s.
- `systemd-analyze verify` is clean on a copy rendered into a temporary directory with
  /usr/bin/dkimwatch replaced by the built binary (verify fails on a missing executable): exit
  status 0 and no output line about the unit (verify exits 0 on unknown keys and other
  warnings, so its output is what tells).
- `systemd-analyze security --offline=true` rates it at most 2.0 ("OK"); the level is printed.
- Self-checks that the checks can fail: a copy with an unknown key is flagged by the verify
  check, and an unhardened copy rates above the limit.

Usage: /usr/bin/python3 test_unit_file.py --unit systemd/dkimwatch.service \
           --dkimwatch PATH/TO/dkimwatch [unittest args]
Needs /usr/bin/systemd-analyze (Debian package systemd); no running systemd. Python 3.11
standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze"
SHIPPED_BINARY = "/usr/bin/dkimwatch"
UNIT_NAME = "dkimwatch.service"
MAX_EXPOSURE = 2.0

UNIT = Path()
DKIMWATCH = Path()


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_PAGER="", LC_ALL="C.UTF-8")
    return subprocess.run([SYSTEMD_ANALYZE, *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", env=env, timeout=60, check=False)


def render(text: str, directory: Path) -> Path:
    """Writes the unit with the built binary in place of /usr/bin/dkimwatch; returns its path."""
    path = directory / UNIT_NAME
    path.write_text(text.replace(SHIPPED_BINARY, str(DKIMWATCH)), encoding="utf-8")
    return path


def verify_problems(path: Path) -> tuple[int, list[str], str]:
    """Runs verify; returns (exit status, output lines about this unit, all output)."""
    result = analyze("verify", str(path))
    output = result.stdout + result.stderr
    about_unit = [line for line in output.splitlines()
                  if UNIT_NAME in line or str(path.parent) in line]
    return result.returncode, about_unit, output


def exposure(path: Path) -> tuple[float, str]:
    result = analyze("security", "--offline=true", "--no-pager", str(path))
    output = result.stdout + result.stderr
    match = re.search(r"Overall exposure level for " + re.escape(UNIT_NAME) +
                      r": (\d+(?:\.\d+)?) (\S+)", output)
    if result.returncode != 0 or match is None:
        raise AssertionError(f"systemd-analyze security failed ({result.returncode}):\n{output}")
    return float(match.group(1)), match.group(2)


class UnitFileTest(unittest.TestCase):
    def setUp(self) -> None:
        self.text = UNIT.read_text(encoding="utf-8")
        self.directory = tempfile.TemporaryDirectory(prefix="dkimwatch-unit-")
        self.addCleanup(self.directory.cleanup)
        self.tmp = Path(self.directory.name)

    def test_shipped_unit_runs_the_installed_binary(self) -> None:
        lines = [line.strip() for line in self.text.splitlines()]
        for expected in (
            "Type=notify",
            f"ExecStartPre={SHIPPED_BINARY} validate --config /etc/dkimwatch/dkimwatch.yaml",
            f"ExecStart={SHIPPED_BINARY} run --config /etc/dkimwatch/dkimwatch.yaml",
            "ExecReload=/bin/kill -HUP $MAINPID",
            "WatchdogSec=60s",
            "Restart=on-failure",
            "StateDirectory=dkimwatch",
            "ConfigurationDirectory=dkimwatch",
        ):
            self.assertIn(expected, lines)
        # Every Exec line of ours names the installed path, none a build tree.
        exec_lines = [line for line in lines if re.match(r"Exec\w*=", line)]
        self.assertEqual(len(exec_lines), 3, exec_lines)
        for line in exec_lines:
            if "dkimwatch" in line.split("=", 1)[1].split()[0]:
                self.assertTrue(line.split("=", 1)[1].startswith(SHIPPED_BINARY + " "), line)

    def test_verify_is_clean(self) -> None:
        path = render(self.text, self.tmp)
        self.assertNotIn(SHIPPED_BINARY, path.read_text(encoding="utf-8"))
        status, problems, output = verify_problems(path)
        print(f"systemd-analyze verify {path}: exit {status}, output:\n{output or '(none)'}")
        self.assertEqual(status, 0, output)
        self.assertEqual(problems, [], output)

    def test_verify_check_flags_warnings(self) -> None:
        broken = self.text.replace("[Service]\n", "[Service]\nNoSuchSetting=yes\n", 1)
        self.assertNotEqual(broken, self.text)
        status, problems, output = verify_problems(render(broken, self.tmp))
        self.assertEqual(status, 0, output)  # verify itself lets it pass
        self.assertEqual(len(problems), 1, output)
        self.assertIn("NoSuchSetting", problems[0])

    def test_verify_check_flags_missing_binary(self) -> None:
        path = self.tmp / UNIT_NAME
        path.write_text(self.text.replace(SHIPPED_BINARY, str(self.tmp / "missing")),
                        encoding="utf-8")
        status, problems, output = verify_problems(path)
        self.assertNotEqual(status, 0, output)
        self.assertTrue(problems, output)

    def test_exposure_is_ok(self) -> None:
        level, word = exposure(render(self.text, self.tmp))
        print(f"systemd-analyze security --offline=true: overall exposure level {level} {word}")
        self.assertLessEqual(level, MAX_EXPOSURE)
        self.assertEqual(word, "OK")

    def test_exposure_check_flags_an_unhardened_unit(self) -> None:
        service, _, _ = self.text.partition("# --- Hardening.")
        level, _ = exposure(render(service + "\n[Install]\nWantedBy=multi-user.target\n",
                                   self.tmp))
        self.assertGreater(level, MAX_EXPOSURE)


def main() -> None:
    global UNIT, DKIMWATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit", required=True, type=Path)
    parser.add_argument("--dkimwatch", required=True, type=Path)
    args, rest = parser.parse_known_args()
    UNIT = args.unit.resolve()
    DKIMWATCH = args.dkimwatch.resolve()
    for path, what in ((Path(SYSTEMD_ANALYZE), "systemd-analyze (Debian package systemd)"),
                       (DKIMWATCH, "the built dkimwatch binary")):
        if not os.access(path, os.X_OK):
            sys.exit(f"test_unit_file: {path} is not executable: {what} is needed")
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
