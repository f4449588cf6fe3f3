#!/usr/bin/env bash
# Configures and builds dkimwatch with a CMake preset (default: "default" -> build/).
# The binary ends up at build/dkimwatch (or build-asan/dkimwatch for the asan preset).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --preset "$preset" "${launcher[@]}" >/dev/null
cmake --build --preset "$preset"
