#pragma once
// Moving identity state between shards (`dkimwatch state export` / `state import`): the export
// document and the choice of what an import writes. No I/O: the commands
// (app/state_transfer_command.hpp) read and write the files and the database.
//
// The export document (JSON, one object; times are integer milliseconds since the Unix epoch,
// so that every TimePoint round-trips exactly; absent optionals are null):
//   {"format": "dkimwatch-state-export", "version": 1, "exported_at_ms": ..., "shard": "2/4",
//    "identities": [{"account": "...", "region": "...", "domain": "...",
//                    "status": {every IdentityStatus field: "fingerprint", "state",
//                               "since_ms", "entered_pending_at_ms", "deadline_ms",
//                               "consecutive_failures", "first_failure_at_ms",
//                               "consecutive_successes", "indeterminate_since_ms",
//                               "pending_overdue_raised", "blind_raised", "records_back_raised",
//                               "reminder_covered_ms", "checks_total", "failures_total",
//                               "indeterminate_total", "last_check_at_ms", "last_worst"},
//                    "records": [{"name", "type", "expected", "observed", "verdict", "severity",
//                                 "message", "server", "latency_us", "checked_at_ms"}]}]}
// "records" are the last check's records as the store keeps them (StoredRecord). Unknown keys
// are ignored, so that a newer dkimwatch may add some without a new version.

#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/shard.hpp"
#include "store/state_store.hpp"

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

inline constexpr std::string_view k_state_export_format = "dkimwatch-state-export";
// The version this build writes and the only one it reads.
inline constexpr int k_state_export_version = 1;

struct StateExport {
    TimePoint exported_at{};
    Shard shard;                            // the shard of the process whose database it is
    std::vector<StoredIdentity> identities; // active ones; `active` is not part of the document
};

// The document above, pretty-printed, ending with a newline.
std::string state_export_to_json(const StateExport& exported);

// The inverse. Errors say where: nlohmann's message with its position for malformed JSON
// ("syntax error while parsing value - invalid literal; last read: 'x'" ... "at line 3, column
// 5"), or the path of the offending value ("identities[2].status.state: unknown state
// \"bogus\""). An identity listed twice, a wrong format name or another version are errors.
Result<StateExport> parse_state_export(std::string_view text);

// One parsed export file.
struct ExportFile {
    std::string name; // as given on the command line, for the messages
    StateExport content;
};

// What the importing process is.
struct ImportTarget {
    Shard shard;
    // identity_fingerprint() of every identity its configuration lists (config and
    // identities_file; not SES-discovered ones), by key.
    std::map<IdentityKey, std::string> configured;
    // StateStore::identity_activity() of its database: every stored key, with its active flag.
    std::map<IdentityKey, bool> stored;
    bool replace = false; // --replace: overwrite active identities the database already has
};

// What an import writes and why it leaves out the rest. Every identity of every file is counted
// in exactly one of the counters except `duplicates` (the losing copies of an identity carried
// by several files are counted there and nowhere else).
struct ImportPlan {
    std::vector<StoredIdentity> write;   // ordered by key
    std::size_t imported = 0;            // == write.size()
    std::size_t not_owned = 0;           // another shard owns it (shard_owns)
    std::size_t not_configured = 0;      // the configuration does not list it
    std::size_t fingerprint_differs = 0; // listed, but configured differently: it would restart
                                         // at pending anyway, so it is not imported
    std::size_t kept_existing = 0;       // the database already has it, active (no --replace)
    std::size_t duplicates = 0;          // copies that lost to a newer one in another file
    // One line per conflict (duplicates, existing rows kept or replaced), in key order:
    //   "acct/us-east-1/example.com: in a.json and b.json: took b.json's (last check
    //    2026-12-03T19:00:00Z against 2026-12-03T18:00:00Z)"
    //   "acct/us-east-1/example.com: already in the state database: kept it (--replace takes
    //    the file's)"
    std::vector<std::string> conflicts;
};

// The rules: an identity is imported when this shard owns it, the configuration lists it with
// the same fingerprint, and the database does not have it yet, or has it inactive (a row this
// process stopped watching earlier, so out of date), or --replace is given. When several files
// carry it, the copy with the newest last check wins (no last check counts as oldest; on a tie
// the file given first).
ImportPlan plan_state_import(std::span<const ExportFile> files, const ImportTarget& target);

} // namespace dkimwatch
