#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, runs every
# test (unit + integration with real nsd/unbound/ldns-testns on loopback), then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test once more, and last
# runs each libFuzzer harness for 20 s on its seed corpus (scripts/fuzz.sh).
#   DKIMWATCH_SKIP_SANITIZERS=1 ./scripts/test.sh   skips the second pass
#   DKIMWATCH_SKIP_FUZZ=1 ./scripts/test.sh         skips the fuzzing
#   ./scripts/test.sh -L unit                        passes extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh ci
ctest --preset ci -j2 "$@"

if [ "${DKIMWATCH_SKIP_SANITIZERS:-0}" != "1" ]; then
  ./scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -j2 "$@"
fi

if [ "${DKIMWATCH_SKIP_FUZZ:-0}" != "1" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-20}" ./scripts/fuzz.sh
fi
