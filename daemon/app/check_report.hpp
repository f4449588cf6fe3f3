#pragma once
// Rendering of one sweep's results for `dkimwatch check`: a table for people and the JSON
// document that scripts rely on (a contract, see README "check JSON").

#include "core/sweep.hpp"

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace dkimwatch {

struct CheckRun {
    std::chrono::system_clock::time_point checked_at;
    std::vector<IdentityReport> reports;
};

// The JSON contract: {"checked_at": "...Z", "identities": [{..., "records": [...]}]}, indented
// by 2. write_check_json() writes it to `out` one identity at a time (memory independent of the
// number of identities); render_check_json() returns the same text.
void write_check_json(const CheckRun& run, std::ostream& out);
std::string render_check_json(const CheckRun& run);

// One line per record, problems first (error, unknown, warning, ok), each problem followed by
// its expected and observed values and its message.
std::string render_check_text(const CheckRun& run);

// Monitoring-plugins convention: 2 if any error, else 3 if anything is indeterminate, else 1 if
// any warning, else 0.
int check_exit_code(const std::vector<IdentityReport>& reports);

// "2026-11-26T12:00:00Z" (UTC, whole seconds).
std::string format_utc_timestamp(std::chrono::system_clock::time_point time);

} // namespace dkimwatch
