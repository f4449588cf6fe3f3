#!/usr/bin/env bash
# Sourced by bench/sweep.sh and bench/daemon.sh: installs the tools the benchmark needs (Debian
# packages, through apt-get as root or sudo) and makes sure a dkimwatch binary exists
# (scripts/build.sh builds build/dkimwatch and installs its own dependencies).
# Sets DKIMWATCH_BIN (default: build/dkimwatch of this checkout).

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bench_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

bench_install_tools() {
    # command -> Debian package
    local -A packages=([nsd]=nsd [nsd-control]=nsd [dnsperf]=dnsperf [tcpdump]=tcpdump
                       [/usr/bin/time]=time [curl]=curl [python3]=python3)
    local missing=() cmd
    for cmd in "${!packages[@]}"; do
        if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
            missing+=("${packages[$cmd]}")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
        echo "[bench] installing: ${missing[*]}" >&2
        bench_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "${missing[@]}" >&2 ||
            { bench_as_root apt-get update >&2 &&
              bench_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
                  --no-install-recommends "${missing[@]}" >&2; }
    fi
    # The Debian nsd package starts a system nsd on port 53; the benchmark runs its own.
    export PATH="$PATH:/usr/sbin:/sbin"
}

bench_ensure_binary() {
    DKIMWATCH_BIN="${DKIMWATCH_BIN:-$bench_root/build/dkimwatch}"
    if [ ! -x "$DKIMWATCH_BIN" ]; then
        if [ "$DKIMWATCH_BIN" != "$bench_root/build/dkimwatch" ]; then
            echo "[bench] DKIMWATCH_BIN=$DKIMWATCH_BIN is not an executable" >&2
            exit 1
        fi
        echo "[bench] building dkimwatch (scripts/build.sh)" >&2
        "$bench_root/scripts/build.sh" >&2
    fi
    export DKIMWATCH_BIN
}
