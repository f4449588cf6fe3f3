#pragma once
// Rendering of `dkimwatch discover`: what SES has, per account and region, for people
// (text), scripts (json, a contract: README "discover JSON") and the configuration
// (identities: an identities_file that the configuration can use as is).

#include "app/ses_sources.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dkimwatch {

struct DiscoverRun {
    std::chrono::system_clock::time_point discovered_at;
    std::vector<SesSourceOutcome> sources; // configuration order
};

// {"discovered_at", "sources": [{"name", "account", "region", "ok", "error", "identities":
// [{"domain", "method", "tokens", "selector", "signing_hosted_zone", "ses_status",
// "signing_enabled", "origin", "current_key_length", "email_identities"}]}]}, indented by 2.
std::string render_discover_json(const DiscoverRun& run);

// One block per source, one line per domain identity with SES's status, then its problems.
std::string render_discover_text(const DiscoverRun& run);

// The identities_file line format (config/identities_csv.hpp): one Easy DKIM line per domain
// with its tokens and signing hosted zone. SES never returns a BYODKIM public key, so a BYODKIM
// identity is written as a comment that says what to add. Failed sources and identities without
// DKIM tokens are named in comments.
std::string render_discover_identities(const DiscoverRun& run);

// 0 when every source answered, 3 otherwise (monitoring-plugins "unknown").
int discover_exit_code(const DiscoverRun& run);

} // namespace dkimwatch
