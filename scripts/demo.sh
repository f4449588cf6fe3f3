#!/usr/bin/env bash
# The README's first command: a two-minute demo that needs no setup.
#
# It installs what is missing, builds build/dkimwatch, and starts a self-contained scene on
# 127.0.0.1: nsd with demo zones (healthy SES identities, one identity per failure mode of the
# SES troubleshooting page, a BYODKIM identity, a zone whose third name server on 127.0.0.4
# lags behind, a signed zone whose parent has a stale DS) behind a validating unbound,
# ldns-testns for a provider that answers SERVFAIL for TXT, a webhook receiver that prints
# alerts, and the daemon with
# config/demo.yaml. Then the scene plays itself: a CNAME of a healthy domain is removed (as a DNS
# migration would), the revocation warning arrives, the record is restored, and the recovery
# arrives. Ctrl-C stops every process it started.
#
#   ./scripts/demo.sh          plays the scene, then keeps running until Ctrl-C
#   ./scripts/demo.sh --once   plays the scene and exits (for scripts and tests)
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
[ "${1:-}" = "--once" ] && once=1

./scripts/install-deps.sh
./scripts/build.sh default >/dev/null

python=/usr/bin/python3
dnsenv=tests/integration/dnsenv/dnsenv.py
scenario=tests/integration/dnsenv/scenarios/demo
bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

pids=()
state=""
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$state" ] && "$python" "$dnsenv" down --state-dir "$state" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo: timed out waiting for: $*" >&2
      [ -f "$state/daemon.log" ] && tail -20 "$state/daemon.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

say "Starting nsd + unbound + ldns-testns on 127.0.0.1 with the demo zones"
eval "$("$python" "$dnsenv" up "$scenario")"
state=$DNSENV_STATE_DIR
config=$state/demo.yaml

say "One check of every identity (dkimwatch check): one line per record, problems first"
build/dkimwatch check --config "$DNSENV_CONFIG" | grep -E '^(dkimwatch check|ERROR|UNKNOWN|WARNING|OK) ' || true
echo "(the full report, with each fault's explanation and fix: build/dkimwatch check --config $DNSENV_CONFIG)"

say "Two faults a single resolver cannot see: name servers that disagree, and broken DNSSEC"
echo "ns_split: travel.example.com moved to three new name servers, but ns3 still serves the old zone without one CNAME; the local resolver asks ns1 and ns2, SES's resolvers hit ns3 a third of the time."
echo "dnssec_bogus: payroll.example changed DNS providers and the registrar still has the old provider's DS record; validating resolvers such as SES's answer SERVFAIL for the whole zone."
build/dkimwatch check --config "$DNSENV_CONFIG" --format json | "$python" -c '
import json, sys
for ident in json.load(sys.stdin)["identities"]:
    for rec in ident["records"]:
        if rec["verdict"] in ("ns_split", "dnssec_bogus"):
            print(rec["verdict"], rec["name"] + ":", rec["message"])
            for ns in rec.get("authoritative") or []:
                print("    %s (%s) serial %s: %s" % (ns["server"], ns["address"], ns["serial"],
                                                     ns["verdict"]))
            if rec["verdict"] == "dnssec_bogus":
                print("    dnssec:", rec["dnssec"], "-", rec["dnssec_reason"])
' || true

say "SES as a source: a local SES API (tests/integration/aws/fake_aws.py) for account 111122223333, us-east-1"
"$python" tests/integration/aws/fake_aws.py --scenario "$scenario/ses.json" --port 0 >"$state/ses.port" 2>"$state/ses.log" &
pids+=($!)
wait_for 10 test -s "$state/ses.port"
ses_url="http://127.0.0.1:$(head -1 "$state/ses.port")"
ses_config=$state/demo-ses.yaml
{ cat "$DNSENV_CONFIG"; printf 'ses:\n  accounts:\n    - name: demo\n      regions: [us-east-1]\n      account: "111122223333"\n      endpoint_url: %s\n      sts_endpoint_url: %s\n' "$ses_url" "$ses_url"; } >"$ses_config"
# The demo account's key, known only to the local server (the AWS default chain reads these).
export AWS_ACCESS_KEY_ID=AKIADEMODKIMWATCH001 AWS_SECRET_ACCESS_KEY=demo-secret-known-only-to-the-local-server AWS_EC2_METADATA_DISABLED=true
echo "dkimwatch discover: what SES has (mail.example.com is in no configuration file)"
build/dkimwatch discover --config "$ses_config" || true
echo
echo "dkimwatch check with the ses: section: SES's own view, cross-checked with DNS"
build/dkimwatch check --config "$ses_config" | grep -E -A1 '^(ERROR|WARNING) +(signing_disabled|email_identity_unsigned|not_in_ses|tokens_differ|ses_)' || true

say "Starting the webhook receiver and the daemon (config/demo.yaml)"
"$python" scripts/demo_receiver.py --port-file "$state/receiver.port" --log "$state/alerts.jsonl" &
pids+=($!)
wait_for 10 test -s "$state/receiver.port"
receiver_port=$(cat "$state/receiver.port")
sed "s#http://127.0.0.1:8749/alerts#http://127.0.0.1:${receiver_port}/alerts#" "$DNSENV_CONFIG" >"$config"
build/dkimwatch --log-level info run --config "$config" 2>"$state/daemon.log" &
pids+=($!)
wait_for 10 grep -q "event=started" "$state/daemon.log"
metrics_port=$(sed -n 's/.*event=started.* metrics=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$state/daemon.log")
metrics_url="http://127.0.0.1:${metrics_port}/metrics"
echo "metrics: $metrics_url   state: $state/dkimwatch-state/dkimwatch.db   log: $state/daemon.log"

healthy_domain=example.com
token=5hexa5rdmo2s66ozq7o2tfyh5uiupicy
identity_state() {
  build/dkimwatch status --config "$config" --format json |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(next(i['state'] for i in d['identities'] if i['domain']=='$healthy_domain' and i['region']=='us-east-1'))"
}
state_is() { [ "$(identity_state 2>/dev/null)" = "$1" ]; }

say "Waiting for $healthy_domain (us-east-1) to be verified"
wait_for 60 state_is verified
build/dkimwatch status --config "$config" | sed -n "/^111122223333 us-east-1 ${healthy_domain}\$/,/^\$/p"
curl -s "$metrics_url" | grep -E '^dkimwatch_identities' > "$state/metrics.before"

say "Simulating a DNS migration that drops a record: deleting ${token}._domainkey.${healthy_domain} CNAME"
"$python" "$dnsenv" zone "$healthy_domain" --remove-lines "^${token}\\._domainkey" --state-dir "$state"
echo "(dkimwatch re-checks failing identities every second and needs 2 failing checks to be sure)"
wait_for 60 grep -q '"event": "revocation_warning"' "$state/alerts.jsonl"

say "dkimwatch status for $healthy_domain"
build/dkimwatch status --config "$config" | sed -n "/^111122223333 us-east-1 ${healthy_domain}\$/,/^\$/p" | cut -c1-220
say "/metrics lines that changed"
curl -s "$metrics_url" | grep -E '^dkimwatch_identities' > "$state/metrics.after"
diff "$state/metrics.before" "$state/metrics.after" | grep -E '^[<>]' || true
curl -s "$metrics_url" | grep -E "^dkimwatch_(revocation_deadline|record_problem\{[^}]*domain=\"${healthy_domain}\")" || true

say "Restoring the record"
"$python" "$dnsenv" zone "$healthy_domain" --restore --state-dir "$state"
wait_for 60 grep -q '"event": "recovered"' "$state/alerts.jsonl"
build/dkimwatch history --config "$config" --domain "$healthy_domain" | cut -c1-200

say "Done: the warning arrived and cleared. Metrics: $metrics_url"
if [ "$once" = 1 ]; then
  exit 0
fi
echo "Everything keeps running; try: build/dkimwatch status --config $config"
echo "Press Ctrl-C to stop every process the demo started."
wait "${pids[@]}"
