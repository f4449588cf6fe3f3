#pragma once
// Rendering of one sweep's results for `dkimwatch check`: a table for people and the JSON
// document that scripts rely on (a contract, see README "check JSON").

#include "core/duration.hpp" // format_utc_timestamp, used with the reports
#include "core/ses_view.hpp"
#include "core/shard.hpp"
#include "core/sweep.hpp"

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace dkimwatch {

// What SES says about one checked identity, and the cross-check's findings.
struct SesCheckInfo {
    std::string status;  // SES's DKIM status as sent ("" when SES does not list the identity)
    bool listed = false; // SES lists the identity
    bool signing_enabled = false;
    std::string origin;    // SigningAttributesOrigin as sent
    TimePoint synced_at{}; // when the inventory was listed
    std::vector<SesFinding> findings;
};

struct CheckRun {
    std::chrono::system_clock::time_point checked_at;
    std::vector<IdentityReport> reports;
    // By report index when a `ses:` section is configured (empty otherwise): nullopt where no
    // SES source covers the identity.
    std::vector<std::optional<SesCheckInfo>> ses;
    // SES sources that could not be listed: "name region: reason". Make the result unknown
    // (exit 3) unless something is an error.
    std::vector<std::string> ses_failures;
    // The shard checked (config shard:; 1/1 is the whole inventory) and how many identities of
    // the inventory other shards own (not checked, not in `reports`).
    Shard shard;
    std::size_t shard_skipped = 0;
};

// The JSON contract: {"checked_at": "...Z", "identities": [{..., "records": [...], "ses": null |
// {"status", "signing_enabled", "origin", "synced_at", "findings": [{"code", "severity",
// "message"}]}}], "ses_failures": [...]}, indented
// by 2. Each record: {"name", "type", "expected", "observed" (null: nothing), "verdict",
// "severity", "message", "server" (null: none), "latency_ms", "dnssec" ("secure", "insecure",
// "bogus", "indeterminate"; null when dns.dnssec is off), "dnssec_reason" ("" when none),
// "dnssec_expiry" (RFC 3339 UTC, the earliest RRSIG expiry on the chain; null when nothing was
// signed), "dnssec_expiry_zone" (the zone of that signature; null with it), "zone" (the apex;
// null when unknown or off), "authoritative": [{"server", "address", "verdict", "observed",
// "aa", "serial" (null: none given), "latency_ms", "lame", "detail" ("" when none)}] (empty when
// off), "authoritative_indeterminate" (no server could be reached)}. write_check_json() writes it
// to `out` one identity at a time (memory independent of the number of identities);
// render_check_json() returns the same text. When the shard is not 1/1, "shard": "K/N" and
// "shard_skipped": (identities other shards own) follow "checked_at".
void write_check_json(const CheckRun& run, std::ostream& out);
std::string render_check_json(const CheckRun& run);

// A summary line (and, when the shard is not 1/1, a line naming the shard and how many
// identities other shards own), then one line per record, problems first (error, unknown, warning,
// ok), each problem followed by its expected and observed values and its message. When the record's
// authoritative servers disagree (different verdicts or values) or one is lame, one line per server
// follows: name, address, serial, verdict (or "lame") and what it served (or why it is lame).
std::string render_check_text(const CheckRun& run);

// Monitoring-plugins convention: 2 if any error, else 3 if anything is indeterminate, else 1 if
// any warning, else 0.
int check_exit_code(const std::vector<IdentityReport>& reports);
// The same over the records and the SES findings; a failed SES source counts as indeterminate.
int check_run_exit_code(const CheckRun& run);

} // namespace dkimwatch
