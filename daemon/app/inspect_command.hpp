#pragma once
// `dkimwatch inspect`: read one received message and say who signed it, whether each signature
// verifies, and why not (core/inspect_diagnosis), tied to the identities dkimwatch watches.

#include <string>
#include <vector>

namespace dkimwatch {

struct InspectOptions {
    std::string input;                  // a file path, or "-" for standard input
    std::string config_path;            // optional: identities, state database, SES, dns settings
    std::vector<std::string> resolvers; // optional "IP[:PORT]": override config and resolv.conf
    std::string format = "text";        // "text" or "json"
};

// Exit codes: inspect_exit_code()'s (0, 1, 2, 3); 3 also for unreadable or malformed input
// (more than 64 MiB, a header field without a colon, ...), a bad config or usage error, with
// the reason on standard error.
int run_inspect_command(const InspectOptions& options);

} // namespace dkimwatch
