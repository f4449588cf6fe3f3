#!/usr/bin/env bash
# The sweep benchmark: `bench/sweep.sh [N]` (default N = 100000). See bench/README.md.
# Prints one `name: value unit` line per figure on stdout (progress on stderr); the last line
# is `ratio: <dkimwatch queries/s / dnsperf queries/s>`.
# Environment: DKIMWATCH_BIN (default build/dkimwatch), BENCH_RUNS (3), BENCH_INFLIGHT (1024),
# BENCH_DAEMON (yes|no: also the daemon section), BENCH_WORKDIR (/tmp/dkimwatch-bench/N<N>),
# BENCH_WAIT_QUIET (wait for a load average below this before measuring; 0 = no),
# BENCH_DAEMON_INTERVAL (first check_interval of the daemon section, default 60 s).
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bench_install_tools
bench_ensure_binary
exec python3 "$bench_root/bench/sweep.py" "$@"
