#!/usr/bin/env bash
# Builds the libFuzzer harnesses (cmake --preset fuzz -> build-fuzz/fuzz/) and runs each one for a
# bounded time on a copy of its seed corpus (tests/fuzz/corpus/<harness>/). Exits non-zero when
# a harness crashes, leaks, hangs or trips ASan/UBSan; the reproducer is kept in the work dir.
#   FUZZ_SECONDS=20 ./scripts/fuzz.sh            seconds per harness (default 20)
#   ./scripts/fuzz.sh fuzz_dkim_key_record       only the named harnesses
#   FUZZ_KEEP=1 ./scripts/fuzz.sh                keep the work dir (grown corpora, crash files)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
./scripts/build.sh fuzz

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for dir in tests/fuzz/corpus/*/; do harnesses+=("$(basename "$dir")"); done
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dkimwatch-fuzz.XXXXXX")"
[ "${FUZZ_KEEP:-0}" = "1" ] || trap 'rm -rf "$work"' EXIT

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for harness in "${harnesses[@]}"; do
  binary="build-fuzz/fuzz/$harness"
  [ -x "$binary" ] || { echo "fuzz: no harness $binary" >&2; exit 2; }
  mkdir -p "$work/$harness/corpus" "$work/$harness/artifacts"
  cp tests/fuzz/corpus/"$harness"/* "$work/$harness/corpus/"
  # Standard input is /dev/null: a fuzzed config naming /dev/stdin must not wait for a terminal.
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/$harness/artifacts/" "$work/$harness/corpus" \
      </dev/null >"$work/$harness/log" 2>&1; then
    stats="$(grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' "$work/$harness/log" |
      awk '{print $2}' | paste -sd' ')"
    echo "fuzz: $harness ok (${seconds}s; execs exec/s: $stats)"
  else
    echo "fuzz: $harness FAILED; log tail:" >&2
    tail -40 "$work/$harness/log" >&2
    ls "$work/$harness/artifacts" >&2
    failed+=("$harness")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (reproducers under $work, kept)" >&2
  trap - EXIT
  exit 1
fi
echo "fuzz: ${#harnesses[@]} harnesses, 0 crashes"
