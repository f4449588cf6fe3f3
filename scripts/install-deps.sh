#!/usr/bin/env bash
# Installs the Debian 12 packages dkimwatch needs to build, test and run its demo.
# Idempotent: does nothing when everything is present. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config ccache
  libldns-dev libcurl4-openssl-dev libspdlog-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev libssl-dev libsqlite3-dev
  libsystemd-dev libcivetweb-dev zlib1g-dev libxml2-dev
  # inspect: DKIM verification (libopendkim) and DMARC's organizational domain (libpsl)
  libopendkim-dev libpsl-dev
  # fuzzing (scripts/fuzz.sh, preset fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # tests and demo: real DNS servers on loopback, canned answers, tooling
  nsd unbound ldnsutils openssl python3 curl prometheus prometheus-alertmanager systemd
  # the loopback SES/STS server (tests/integration/aws/fake_aws.py) checks SigV4 with botocore
  python3-botocore
  # inspect's tests sign fixtures with dkimpy and OpenDKIM and cross-check with dkimverify
  python3-dkim opendkim-tools opendkim
  # the Alertmanager template test reads the shipped example alertmanager.yml
  python3-yaml
  # packaging tests: lintian, man page rendering, /bin/kill for the unit's ExecReload
  lintian man-db groff-base procps
  # run time: the DNSSEC root trust anchor (/usr/share/dns/root.key, dns.trust_anchor_file)
  dns-root-data
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start nsd and unbound where systemd runs; the tests start their own
# instances on free loopback ports, so the system ones are not needed (and not touched here).
