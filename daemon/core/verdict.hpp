#pragma once
// The verdict vocabulary. The code names are a public contract (JSON output, metrics labels,
// README); never rename one.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

enum class VerdictCode {
    ok,
    missing,
    doubled_domain,
    wrong_target,
    wrong_type,
    txt_servfail,
    key_malformed,
    key_mismatch,
    key_revoked,
    key_size,
    weak_key,
    multiple_records,
    testing_mode,
    dns_error,
};

enum class Severity { ok, warning, error, indeterminate };

const char* verdict_code_name(VerdictCode code);
const char* severity_name(Severity severity);
// Inverse of severity_name(); nullopt for any other text.
std::optional<Severity> parse_severity(std::string_view name);
// The severity that belongs to a code (weak_key and testing_mode warn, dns_error is
// indeterminate, every other non-ok code is an error).
Severity severity_of(VerdictCode code);
// Orders severities by how much attention they need: error > indeterminate > warning > ok.
int severity_rank(Severity severity);

struct RecordVerdict {
    std::string name;                    // canonical record name that was checked
    std::string type;                    // "CNAME" or "TXT": what SES expects at the name
    std::string expected;                // the expected value in readable form
    std::optional<std::string> observed; // what was found, readable; nullopt when nothing
    VerdictCode code = VerdictCode::ok;
    Severity severity = Severity::ok;
    std::string message; // what is wrong and how to fix it (or why it is fine)
    // Where the deciding answer came from, for operators chasing a flaky server.
    std::string server;
    std::chrono::microseconds latency{0};
};

} // namespace dkimwatch
