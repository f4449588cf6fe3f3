#include "store/state_consistency.hpp"

#include "core/status_repair.hpp"
#include "core/verdict.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

// At most this many quick_check lines are reported.
constexpr int k_integrity_lines = 5;

std::string utc(TimePoint time) {
    return format_state_time(time);
}

std::optional<TimePoint> optional_time(const sqlite::Statement& row, int column) {
    if (auto ms = row.optional_int64(column)) {
        return TimePoint{Milliseconds{*ms}};
    }
    return std::nullopt;
}

} // namespace

Result<std::optional<std::string>> check_database_integrity(sqlite3* db) {
    auto statement = sqlite::Statement::prepare(db, "PRAGMA quick_check(" +
                                                        std::to_string(k_integrity_lines) + ")");
    if (!statement) {
        return Error{statement.error()};
    }
    std::string lines;
    for (;;) {
        auto row = statement.value().step();
        if (!row) {
            return Error{row.error()};
        }
        if (!*row) {
            break;
        }
        lines += (lines.empty() ? "" : "; ") + statement.value().text(0);
    }
    if (lines == "ok") {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{lines.empty() ? "no answer" : lines};
}

Result<std::vector<StateFinding>> check_identity_rows(sqlite3* db, TimePoint now) {
    auto statement = sqlite::Statement::prepare(
        db, "SELECT account, region, domain, state, last_worst, since_ms, entered_pending_at_ms, "
            "deadline_ms, first_failure_at_ms, indeterminate_since_ms, last_check_at_ms "
            "FROM identities ORDER BY account, region, domain");
    if (!statement) {
        return Error{statement.error()};
    }
    sqlite::Statement& row = statement.value();
    std::vector<StateFinding> findings;
    for (;;) {
        auto stepped = row.step();
        if (!stepped) {
            return Error{stepped.error()};
        }
        if (!*stepped) {
            break;
        }
        const IdentityKey key{row.text(0), row.text(1), row.text(2)};
        auto report = [&](std::string problem, bool corrupt = false) {
            findings.push_back({key, std::move(problem), corrupt});
        };
        const std::string state_text = row.text(3);
        const auto state = parse_identity_state(state_text);
        if (!state) {
            report("has the unknown state \"" + state_text + "\"", true);
        }
        if (auto worst = row.optional_text(4)) {
            bool known = false;
            for (const auto severity :
                 {Severity::ok, Severity::warning, Severity::error, Severity::indeterminate}) {
                known = known || *worst == severity_name(severity);
            }
            if (!known) {
                report("has the unknown last result \"" + *worst + "\"", true);
            }
        }
        const std::optional<TimePoint> deadline = optional_time(row, 7);
        const std::optional<TimePoint> first_failure = optional_time(row, 8);
        if (state == IdentityState::revocation_warning && !deadline) {
            report("is in revocation_warning without a deadline");
        }
        if (state && state != IdentityState::revocation_warning && deadline) {
            report("has a deadline (" + utc(*deadline) + ") although it is in " + state_text);
        }
        const std::pair<const char*, std::optional<TimePoint>> observations[] = {
            {"since", optional_time(row, 5)},
            {"entered_pending_at", optional_time(row, 6)},
            {"first_failure_at", first_failure},
            {"indeterminate_since", optional_time(row, 9)},
            {"last_check_at", optional_time(row, 10)},
        };
        for (const auto& [name, time] : observations) {
            if (time && *time < k_earliest_state_time) {
                report(std::string(name) + " " + utc(*time) + " is before 2000");
            } else if (time && *time > now + k_max_state_clock_ahead) {
                report(std::string(name) + " " + utc(*time) + " is in the future");
            }
        }
        if (deadline && *deadline < k_earliest_state_time) {
            report("deadline " + utc(*deadline) + " is before 2000");
        } else if (deadline && *deadline > now + k_max_state_deadline_ahead) {
            report("deadline " + utc(*deadline) + " is more than ten years ahead");
        } else if (deadline && first_failure && *first_failure >= *deadline &&
                   state == IdentityState::revocation_warning) {
            report("deadline " + utc(*deadline) + " is not after its first failing check " +
                   utc(*first_failure));
        }
    }
    return findings;
}

} // namespace dkimwatch
