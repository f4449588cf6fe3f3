#!/usr/bin/env bash
# The README's first command: installs what is missing, builds build/dkimwatch, starts a
# self-contained DNS scene on loopback (nsd with demo zones behind unbound, ldns-testns for a
# provider that answers SERVFAIL for TXT) and runs `dkimwatch check` on it. The scene has healthy
# SES identities and one identity per failure mode. Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh default

dnsenv=tests/integration/dnsenv/dnsenv.py
scenario=tests/integration/dnsenv/scenarios/demo
echo "== starting nsd + unbound + ldns-testns on 127.0.0.1 (scenario: $scenario)"
eval "$(/usr/bin/python3 "$dnsenv" up "$scenario")"
trap '/usr/bin/python3 "$dnsenv" down --state-dir "$DNSENV_STATE_DIR" >/dev/null 2>&1 || true' EXIT INT TERM
echo "== resolver $DNSENV_RESOLVER, configuration $DNSENV_CONFIG"
echo "== build/dkimwatch check --config $DNSENV_CONFIG"
echo
status=0
build/dkimwatch check --config "$DNSENV_CONFIG" || status=$?
echo
echo "== check exited $status (0 ok, 1 warnings, 2 errors, 3 unknown)."
echo "== The same as JSON: build/dkimwatch check --config $DNSENV_CONFIG --format json"
echo "== BYODKIM preflight example:"
echo "   build/dkimwatch keycheck --domain example.org --selector sel1 --public-key tests/integration/dnsenv/keys/rsa2048.pub.pem --offline"
