#pragma once
// Shared by the store tests: a temporary directory and sample statuses, events and records.

#include "store/state_store.hpp"

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <unistd.h>

namespace dkimwatch::store_test {

using namespace std::chrono_literals;

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir() {
        std::random_device random;
        const auto base = std::filesystem::temp_directory_path();
        for (;;) {
            m_path = base / ("dkimwatch-store-test-" + std::to_string(::getpid()) + "-" +
                             std::to_string(random()));
            if (std::filesystem::create_directory(m_path)) {
                break;
            }
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path db() const { return m_path / k_state_db_file_name; }

private:
    std::filesystem::path m_path;
};

inline TimePoint at_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

// 2024-05-01T12:00:00Z, with a millisecond part so that truncation would show.
inline const TimePoint k_t0 = at_ms(1'714'564'800'123);

// A status with every optional set and every field away from its default.
inline IdentityStatus full_status() {
    IdentityStatus status;
    status.fingerprint = "easy_dkim tokens=a,b,c zone=dkim.amazonses.com";
    status.state = IdentityState::revocation_warning;
    status.since = k_t0 + 5s;
    status.entered_pending_at = k_t0 - 48h;
    status.deadline = k_t0 + 120h + 7ms;
    status.consecutive_failures = 3;
    status.first_failure_at = k_t0 - 1ms;
    status.consecutive_successes = 4;
    status.indeterminate_since = k_t0 + 2min;
    status.pending_overdue_raised = true;
    status.blind_raised = true;
    status.records_back_raised = true;
    status.reminder_covered = 48h;
    status.checks_total = 1234;
    status.failures_total = 56;
    status.indeterminate_total = 7;
    status.last_check_at = k_t0 + 3min;
    status.last_worst = Severity::indeterminate;
    return status;
}

inline StateEvent event(StateEventKind kind, TimePoint at, IdentityState from, IdentityState to,
                        std::string reason, std::optional<TimePoint> deadline = std::nullopt) {
    StateEvent result;
    result.kind = kind;
    result.at = at;
    result.from = from;
    result.to = to;
    result.reason = std::move(reason);
    result.deadline = deadline;
    return result;
}

inline RecordVerdict record(std::string name, VerdictCode code, Severity severity,
                            std::optional<std::string> observed) {
    RecordVerdict verdict;
    verdict.name = std::move(name);
    verdict.type = "CNAME";
    verdict.expected = "tok.dkim.amazonses.com.";
    verdict.observed = std::move(observed);
    verdict.code = code;
    verdict.severity = severity;
    verdict.message = "message for " + verdict.name;
    verdict.server = "192.0.2.53:53";
    verdict.latency = std::chrono::microseconds{1500};
    return verdict;
}

// Opens or fails the test.
inline std::unique_ptr<StateStore>
open_store(const std::filesystem::path& file,
           StateStore::Mode mode = StateStore::Mode::read_write) {
    auto store = StateStore::open(file, mode);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error());
    return store.ok() ? std::move(store).value() : nullptr;
}

} // namespace dkimwatch::store_test
