#!/usr/bin/python3
"""The Debian package end to end, on this machine (needs root): build it with cpack from the
current build tree, inspect it, run lintian, install it with dpkg, use what it installed,
reinstall it over a changed configuration, and purge it, leaving the machine as it was.

1. cpack -G DEB on the build tree (into a temporary directory): exactly
   dkimwatch_<version>-1_<arch>.deb.
2. The package: every promised file with its mode (0755 binary, 0644 files, 0755 directories)
   and owner root, the stripped binary, Depends from shlibdeps plus dns-root-data, the conffiles
   list, the fields.
3. lintian: printed in full; any E: line fails, and so does a W: tag that README.md
   does not explain.
4. dpkg -i (no download: the dependencies are installed by scripts/install-deps.sh; dpkg's
   complaint is shown if not), then `dkimwatch --version`, `dkimwatch validate --config
   /etc/dkimwatch/dkimwatch.yaml` (prints ok), `systemd-analyze verify` on the installed unit,
   the conffile in `dpkg-query --control-show dkimwatch conffiles`, the man page through man,
   the rules through promtool.
5. dpkg -i again over a locally changed /etc/dkimwatch/dkimwatch.yaml: the change is kept (what
   a conffile means).
6. dpkg --purge, with a state directory laid out as systemd's DynamicUser= does it: every file of
   the package, the configuration, the state and the deb-systemd-helper records are gone.
The purge also runs when a step fails (try/finally), and at the start when a previous run of
this test was killed before it could purge (a marker file in /tmp says so). The test refuses to
touch a dkimwatch that it did not install, and any pre-existing /etc/dkimwatch or state.

Two runs at once (two build trees, or ctest -j) are serialised by a lock file in /tmp.
Not root, or a build tree not configured with CMAKE_INSTALL_PREFIX=/usr: exit 77, which ctest
shows as skipped, with the reason printed.

Usage: test_deb_package.py --build-dir DIR --source-dir DIR --cpack PATH --project-version X.Y.Z
       --install-prefix PREFIX [unittest args]
Needs dpkg, lintian, systemd (systemd-analyze), man-db, prometheus (promtool), binutils
(readelf). Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ARGS: argparse.Namespace
SKIP = 77

PACKAGE = "dkimwatch"
LOCK_FILE = Path("/tmp/dkimwatch-deb-package-test.lock")
# Written before dpkg -i, removed after the purge: a later run may purge what this test left.
MARKER_FILE = Path("/tmp/dkimwatch-deb-package-test.installed")
CONFFILE = "/etc/dkimwatch/dkimwatch.yaml"
UNIT = "/usr/lib/systemd/system/dkimwatch.service"

# path in the package -> mode.
FILES = {
    "/usr/bin/dkimwatch": 0o755,
    UNIT: 0o644,
    CONFFILE: 0o644,
    "/usr/share/man/man8/dkimwatch.8.gz": 0o644,
    "/usr/share/doc/dkimwatch/README.md.gz": 0o644,
    "/usr/share/doc/dkimwatch/copyright": 0o644,
    "/usr/share/doc/dkimwatch/changelog.Debian.gz": 0o644,
    "/usr/share/dkimwatch/dkimwatch-rules.yml": 0o644,
    "/usr/share/dkimwatch/dkimwatch-dashboard.json": 0o644,
    "/usr/share/dkimwatch/alertmanager/dkimwatch.tmpl": 0o644,
    "/usr/share/dkimwatch/alertmanager/alertmanager.yml": 0o644,
    "/usr/share/dkimwatch/alertmanager/dkimwatch-replica.yaml": 0o644,
    "/usr/share/bash-completion/completions/dkimwatch": 0o644,
}
# Paths that must not exist before the test (it would delete or overwrite them) and after it.
FOREIGN = ["/etc/dkimwatch", "/var/lib/dkimwatch", "/var/lib/private/dkimwatch",
           "/etc/systemd/system/dkimwatch.service", "/usr/share/doc/dkimwatch",
           "/usr/share/dkimwatch"]
# Where deb-systemd-helper keeps its records of enabled and masked units.
HELPER_DIRS = ["/var/lib/systemd/deb-systemd-helper-enabled",
               "/var/lib/systemd/deb-systemd-helper-masked"]


def run(cmd: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def package_status() -> str:
    """dpkg's status abbreviation ("ii ", "rc ", ...), or "" when dpkg does not know it."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else ""


def traces() -> list[str]:
    """Everything dkimwatch may leave on the machine: its files, and systemd records."""
    found = [path for path in list(FILES) + FOREIGN if os.path.lexists(path)]
    for directory in ["/etc/systemd/system", *HELPER_DIRS]:
        if os.path.isdir(directory):
            for root, dirs, files in os.walk(directory):
                found += [os.path.join(root, name) for name in dirs + files if PACKAGE in name]
    return sorted(found)


def purge() -> None:
    result = run(["dpkg", "--purge", PACKAGE])
    print(result.stdout + result.stderr)
    if result.returncode != 0:
        raise AssertionError(f"dpkg --purge {PACKAGE} failed ({result.returncode})")
    MARKER_FILE.unlink(missing_ok=True)


class DebPackageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="dkimwatch-deb-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------------------------------
    def build_package(self) -> Path:
        result = run([ARGS.cpack, "-G", "DEB", "--config",
                      str(Path(ARGS.build_dir) / "CPackConfig.cmake"), "-B", str(self.tmp)],
                     timeout=900, cwd=ARGS.build_dir)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
        debs = sorted(p.name for p in self.tmp.glob("*.deb"))
        self.assertEqual(debs, [f"{PACKAGE}_{ARGS.project_version}-1_{arch}.deb"])
        return self.tmp / debs[0]

    def check_contents(self, deb: Path) -> None:
        listing = run(["dpkg-deb", "--contents", str(deb)])
        self.assertEqual(listing.returncode, 0, listing.stderr)
        entries = {}
        for line in listing.stdout.splitlines():
            # drwxr-xr-x root/root         0 2026-11-26 14:09 ./etc/
            mode, owner, _size, _date, _time, path = line.split(None, 5)
            entries[path.removeprefix(".").rstrip("/") or "/"] = (mode, owner)
        for path, (mode, owner) in entries.items():
            with self.subTest(path=path):
                self.assertEqual(owner, "root/root")
                if mode.startswith("d"):
                    self.assertEqual(mode, "drwxr-xr-x")
                else:
                    expected = FILES.get(path)
                    self.assertIsNotNone(expected, f"{path} is not a promised file")
                    self.assertEqual(mode, "-" + self.mode_string(expected))
        self.assertLessEqual(set(FILES), set(entries))

        fields = {}
        for name in ("Package", "Version", "Architecture", "Section", "Priority", "Maintainer",
                     "Depends", "Description"):
            fields[name] = run(["dpkg-deb", "--field", str(deb), name]).stdout.strip()
        print(json.dumps(fields, indent=2))
        self.assertEqual(fields["Package"], PACKAGE)
        self.assertEqual(fields["Version"], f"{ARGS.project_version}-1")
        self.assertEqual(fields["Section"], "net")
        self.assertEqual(fields["Priority"], "optional")
        self.assertRegex(fields["Maintainer"], r"^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$")
        # From dpkg-shlibdeps: the libraries the binary links.
        for library in ("libc6", "libsqlite3-0", "libcurl4", "libyaml-cpp0.7"):
            self.assertRegex(fields["Depends"], rf"(^|, ){re.escape(library)}( \(|,|$)")
        # Declared beside shlibdeps: the DNSSEC trust anchor (dns.trust_anchor_file's default).
        self.assertRegex(fields["Depends"], r"(^|, )dns-root-data(,|$)")
        self.assertIn("Amazon SES", fields["Description"].splitlines()[0])

        conffiles = run(["dpkg-deb", "--info", str(deb), "conffiles"])
        self.assertEqual((conffiles.returncode, conffiles.stdout), (0, CONFFILE + "\n"))
        for script in ("postinst", "prerm", "postrm"):
            self.assertEqual(run(["dpkg-deb", "--info", str(deb), script]).returncode, 0, script)

        # Stripped: no symbol table left in the installed binary.
        unpacked = self.tmp / "unpacked"
        self.assertEqual(run(["dpkg-deb", "--extract", str(deb), str(unpacked)]).returncode, 0)
        sections = run(["readelf", "--section-headers", "--wide",
                        str(unpacked / "usr/bin/dkimwatch")])
        self.assertEqual(sections.returncode, 0, sections.stderr)
        self.assertNotIn(".symtab", sections.stdout)
        self.assertNotIn(".debug_info", sections.stdout)

    @staticmethod
    def mode_string(mode: int) -> str:
        return "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))

    def check_lintian(self, deb: Path) -> None:
        result = run(["lintian", "--allow-root", "--info", "--display-level", ">=info",
                      str(deb)], timeout=300)
        print(f"lintian exit {result.returncode}:\n{result.stdout}{result.stderr}")
        errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], "lintian reports errors")
        explained = (Path(ARGS.source_dir) / "README.md").read_text()
        for line in result.stdout.splitlines():
            match = re.match(r"W: \S+: (\S+)", line)
            if match:
                with self.subTest(warning=match.group(1)):
                    self.assertTrue(f"`{match.group(1)}`" in explained,
                                    "a lintian warning that README.md does not explain")

    def check_installed(self) -> None:
        self.assertEqual(package_status(), "ii ")
        version = run(["/usr/bin/dkimwatch", "--version"])
        self.assertEqual(version.returncode, 0, version.stderr)
        print(version.stdout)
        self.assertEqual(version.stdout.splitlines()[0], f"dkimwatch {ARGS.project_version}")
        self.assertIn("libcurl", version.stdout)

        validate = run(["/usr/bin/dkimwatch", "validate", "--config", CONFFILE])
        self.assertEqual((validate.returncode, validate.stdout, validate.stderr), (0, "ok\n", ""))

        verify = run(["systemd-analyze", "verify", UNIT])
        output = verify.stdout + verify.stderr
        print(f"systemd-analyze verify: exit {verify.returncode}, output:\n{output or '(none)'}")
        self.assertEqual(verify.returncode, 0, output)
        self.assertEqual([line for line in output.splitlines() if "dkimwatch" in line], [])

        control = run(["dpkg-query", "--control-show", PACKAGE, "conffiles"])
        self.assertEqual((control.returncode, control.stdout), (0, CONFFILE + "\n"))
        recorded = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
        self.assertRegex(recorded, rf"^ {re.escape(CONFFILE)} [0-9a-f]{{32}}$")

        for path, mode in FILES.items():
            with self.subTest(path=path):
                self.assertEqual(os.stat(path).st_mode & 0o7777, mode)

        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
        where = run(["man", "-w", "8", PACKAGE], env=env)
        self.assertEqual(where.stdout.strip(), "/usr/share/man/man8/dkimwatch.8.gz")
        page = run(["man", "--warnings", "8", PACKAGE], env=env)
        self.assertEqual((page.returncode, page.stderr), (0, ""))
        self.assertIn("dkimwatch - watch the DKIM DNS records", page.stdout)

        rules = run(["promtool", "check", "rules", "/usr/share/dkimwatch/dkimwatch-rules.yml"])
        self.assertEqual(rules.returncode, 0, rules.stdout + rules.stderr)
        json.loads(Path("/usr/share/dkimwatch/dkimwatch-dashboard.json").read_text())
        # The example names the installed template by its path: valid as installed.
        amtool = run(["amtool", "check-config",
                      "/usr/share/dkimwatch/alertmanager/alertmanager.yml"])
        self.assertEqual(amtool.returncode, 0, amtool.stdout + amtool.stderr)
        self.assertIn("1 templates", amtool.stdout)
        # The replica example is valid as installed, without a warning.
        replica = run(["/usr/bin/dkimwatch", "validate", "--config",
                       "/usr/share/dkimwatch/alertmanager/dkimwatch-replica.yaml"])
        self.assertEqual(replica.returncode, 0, replica.stdout + replica.stderr)
        self.assertNotIn("warning", replica.stderr)
        self.assertTrue(replica.stdout.endswith("ok\n"), replica.stdout)

    def install(self, deb: Path) -> None:
        MARKER_FILE.write_text(f"{deb}\n")
        result = run(["dpkg", "--install", str(deb)], timeout=300,
                     env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        print(result.stdout + result.stderr)
        self.assertEqual(result.returncode, 0,
                         "dpkg -i failed; missing dependencies are installed by "
                         "scripts/install-deps.sh (this test never downloads):\n" + result.stderr)

    # ------------------------------------------------------------------------------------------
    def test_package(self):
        deb = self.build_package()
        self.check_contents(deb)
        self.check_lintian(deb)
        try:
            self.install(deb)
            self.check_installed()

            # A local change of the conffile survives a reinstall (postinst gets configure with
            # the old version: the upgrade path).
            changed = Path(CONFFILE).read_text() + "# changed by test_deb_package.py\n"
            Path(CONFFILE).write_text(changed)
            self.install(deb)
            self.assertEqual(Path(CONFFILE).read_text(), changed)
            self.assertEqual(package_status(), "ii ")

            # The state as systemd lays it out for StateDirectory= with DynamicUser=yes.
            private = Path("/var/lib/private")
            private_existed = private.exists()
            (private / PACKAGE).mkdir(parents=True, mode=0o700)
            if not private_existed:
                self.addCleanup(lambda: private.rmdir() if not any(private.iterdir()) else None)
            (private / PACKAGE / "dkimwatch.db").write_bytes(b"SQLite format 3\0")
            os.symlink("private/dkimwatch", "/var/lib/dkimwatch")
        finally:
            if package_status():
                purge()
        self.assertEqual(package_status(), "")
        self.assertEqual(traces(), [], "left on the machine after dpkg --purge")


def preconditions() -> None:
    """Exits 77 (skipped, with the reason) or fails loudly when the test cannot run here."""
    if os.geteuid() != 0:
        print("SKIPPED: test_deb_package.py installs a package with dpkg and needs root.")
        sys.exit(SKIP)
    if ARGS.install_prefix != "/usr":
        print(f"SKIPPED: the build tree {ARGS.build_dir} was configured with "
              f"CMAKE_INSTALL_PREFIX={ARGS.install_prefix}; the Debian package needs /usr "
              "(reconfigure with -DCMAKE_INSTALL_PREFIX=/usr).")
        sys.exit(SKIP)
    missing = [f"{tool} (Debian package {package})" for tool, package in [
        ("dpkg", "dpkg"), ("lintian", "lintian"), ("systemd-analyze", "systemd"),
        ("man", "man-db"), ("promtool", "prometheus"), ("readelf", "binutils")]
        if shutil.which(tool) is None]
    if missing:
        raise SystemExit("FAILED: missing tools: " + ", ".join(missing))


def take_lock() -> None:
    lock = LOCK_FILE.open("a")
    deadline = time.monotonic() + 900
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SystemExit(f"FAILED: {LOCK_FILE} is held by another run for 15 minutes")
            print(f"waiting for {LOCK_FILE} (another package test runs)", flush=True)
            time.sleep(5)
    globals()["_lock"] = lock  # held until the process exits

    # A previous run killed between dpkg -i and the purge left its package: purge it.
    if MARKER_FILE.exists() and package_status():
        print(f"purging the package a killed earlier run left ({MARKER_FILE} exists)")
        purge()
    MARKER_FILE.unlink(missing_ok=True)
    if package_status():
        raise SystemExit(f"FAILED: {PACKAGE} is installed on this machine ({package_status()!r})"
                         " and not by this test; refusing to touch it")
    left = traces()
    if left:
        raise SystemExit("FAILED: the machine has dkimwatch files this test would overwrite "
                         "or delete: " + ", ".join(left))


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--build-dir", "--source-dir", "--cpack", "--project-version",
                 "--install-prefix"):
        parser.add_argument(name, required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.build_dir = str(Path(ARGS.build_dir).resolve())
    preconditions()
    take_lock()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
