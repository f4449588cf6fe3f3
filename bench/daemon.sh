#!/usr/bin/env bash
# The daemon benchmark alone: `bench/daemon.sh [N] [--interval SECONDS]` (default N = 100000,
# first check_interval 60 s). See bench/README.md. bench/sweep.sh runs it too (BENCH_DAEMON).
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_install_tools
bench_ensure_binary
exec python3 "$bench_root/bench/daemon_bench.py" "$@"
