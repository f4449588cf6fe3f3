#pragma once
// `dkimwatch status` and `dkimwatch history`: read the daemon's state database (also while the
// daemon runs: the database is in WAL mode and they open it read-only).

#include "core/identity.hpp"
#include "core/shard.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace dkimwatch {

struct StatusOptions {
    std::string config_path;
    std::string format = "text"; // "text" or "json"
};

// For each identity the daemon watches (active in the database and owned by the configured
// shard): state, since when, the deadline with the time left, and the failing records with
// their verdicts. When the shard is not 1/1, the JSON has "shard": "K/N" and the text header
// "(shard K/N)". Exit 0, or 1 when the configuration or database cannot be read.
int run_status_command(const StatusOptions& options);

// The largest --limit of `dkimwatch history`.
inline constexpr std::size_t k_max_history_limit = 1'000'000;

struct HistoryOptions {
    std::string config_path;
    std::optional<std::string> domain;
    std::size_t limit = 200; // 1 to k_max_history_limit
    std::string format = "text";
};

// The timeline of transitions and events, oldest first (the newest `limit`). With a shard in the
// configuration (not 1/1), only the entries of identities the shard owns, as `status`, and those
// that name no domain (history_shows()); `limit` counts the entries shown. A limit
// outside 1..k_max_history_limit is a usage error (exit code 3, nothing read).
int run_history_command(const HistoryOptions& options);

// Whether `history` under `shard` shows an entry of `key`: the shard owns the identity (as
// `status`; the database keeps the history of identities another shard owns now, after the
// shard changed), or the key names no domain (an SES source's account and region, which
// concerns every shard; the store keeps no such entry in the history today). Pure.
bool history_shows(const Shard& shard, const IdentityKey& key);

} // namespace dkimwatch
