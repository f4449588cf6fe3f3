#!/usr/bin/env bash
# Soak benchmark: `bench/soak.sh [--duration SECONDS] [options of bench/soak.py]` (default one
# hour). The daemon against nsd + unbound on loopback with flapping records, SIGHUP reloads and
# /metrics scrapes at accelerated intervals; prints the RSS and descriptor slopes. See
# bench/README.md ("Soak").
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_ensure_binary
for tool in nsd unbound; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "[bench] $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
exec python3 "$bench_root/bench/soak.py" --dkimwatch "$DKIMWATCH_BIN" "$@"
