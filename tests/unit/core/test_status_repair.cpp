#include "core/state_machine.hpp"
#include "core/status_repair.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <limits>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

StateMachinePolicy policy() {
    StateMachinePolicy result;
    result.confirmations = 2;
    result.revocation_window = 120h;
    result.reminders = {};
    return result;
}

// A warning confirmed at k_t0 + 1min by a run whose first failure was at k_t0, as on_check
// leaves it, whose deadline is then lost (a damaged database).
IdentityStatus warning_without_deadline() {
    IdentityStatus status = initial_status("fp", k_t0 - 24h);
    status.state = IdentityState::revocation_warning;
    status.since = k_t0 + 1min;
    status.consecutive_failures = 2;
    status.first_failure_at = k_t0;
    status.last_check_at = k_t0 + 1min;
    status.last_worst = Severity::error;
    return status;
}

TEST(StatusRepair, ASoundStatusIsLeftAsItIs) {
    IdentityStatus status = warning_without_deadline();
    status.deadline = k_t0 + 120h;
    const auto repair = repair_status(status, k_t0 + 2min, policy());
    EXPECT_TRUE(repair.repairs.empty());
    EXPECT_EQ(repair.status, status);
    const IdentityStatus fresh = initial_status("fp", k_t0);
    EXPECT_EQ(repair_status(fresh, k_t0, policy()).status, fresh);
    EXPECT_TRUE(repair_status(fresh, k_t0, policy()).repairs.empty());
}

TEST(StatusRepair, AWarningWithoutDeadlineGetsTheRunsFirstFailurePlusTheWindow) {
    const auto repair = repair_status(warning_without_deadline(), k_t0 + 2min, policy());
    ASSERT_EQ(repair.repairs.size(), 1U);
    EXPECT_NE(repair.repairs[0].find("revocation_warning with no deadline: deadline set to "
                                     "2024-01-06T00:00:00Z"),
              std::string::npos)
        << repair.repairs[0];
    EXPECT_EQ(repair.status.state, IdentityState::revocation_warning);
    EXPECT_EQ(repair.status.deadline, k_t0 + 120h);
}

TEST(StatusRepair, WithoutAUsableFirstFailureTheDeadlineCountsFromWhenTheWarningBegan) {
    // The run restarted after the warning began (an ok check, then a failure): its first
    // failure is not the confirming run's, so the later bound, since + window, is used.
    IdentityStatus status = warning_without_deadline();
    status.first_failure_at = k_t0 + 10min;
    status.consecutive_failures = 1;
    EXPECT_EQ(repair_status(status, k_t0 + 11min, policy()).status.deadline, k_t0 + 1min + 120h);
    status.first_failure_at.reset();
    status.consecutive_failures = 0;
    EXPECT_EQ(repair_status(status, k_t0 + 11min, policy()).status.deadline, k_t0 + 1min + 120h);
}

TEST(StatusRepair, ImplausibleDeadlinesAreRepairedLikeAMissingOne) {
    for (const TimePoint bad :
         {TimePoint{Milliseconds{0}}, TimePoint{Milliseconds{1'234'567'890'000}}, // 2009
          k_t0 + std::chrono::days{36500}, k_t0 - 1ms}) {
        IdentityStatus status = warning_without_deadline();
        status.deadline = bad;
        const auto repair = repair_status(status, k_t0 + 2min, policy());
        EXPECT_EQ(repair.status.deadline, k_t0 + 120h) << format_state_time(bad);
        EXPECT_EQ(repair.repairs.size(), 1U);
    }
}

TEST(StatusRepair, ADeadlineOutsideAWarningIsCleared) {
    IdentityStatus status = initial_status("fp", k_t0);
    status.state = IdentityState::verified;
    status.deadline = k_t0 + 1h;
    const auto repair = repair_status(status, k_t0, policy());
    EXPECT_FALSE(repair.status.deadline);
    EXPECT_EQ(repair.status.state, IdentityState::verified);
    ASSERT_EQ(repair.repairs.size(), 1U);
    EXPECT_EQ(repair.repairs[0], "a deadline 2024-01-01T01:00:00Z in verified: cleared");
}

TEST(StatusRepair, AFailureRunWithAnImplausibleStartRestarts) {
    IdentityStatus status = initial_status("fp", k_t0);
    status.state = IdentityState::verified;
    status.consecutive_failures = 1;
    status.first_failure_at = TimePoint{Milliseconds{631'152'000'000}}; // 1990
    auto repair = repair_status(status, k_t0, policy());
    EXPECT_EQ(repair.status.consecutive_failures, 0);
    EXPECT_FALSE(repair.status.first_failure_at);
    // The next failing checks confirm a warning whose deadline counts from the first of them,
    // not from 1990 (which would revoke at the next failing check).
    auto first = on_check(repair.status, Severity::error, k_t0 + 1min, policy());
    auto second = on_check(first.status, Severity::error, k_t0 + 2min, policy());
    EXPECT_EQ(second.status.state, IdentityState::revocation_warning);
    EXPECT_EQ(second.status.deadline, k_t0 + 1min + 120h);

    status.first_failure_at = k_t0 + 48h; // ahead of the clock
    EXPECT_FALSE(repair_status(status, k_t0, policy()).status.first_failure_at);
    status.first_failure_at.reset(); // a run without a start
    EXPECT_EQ(repair_status(status, k_t0, policy()).status.consecutive_failures, 0);
}

TEST(StatusRepair, OnCheckHandlesAWarningWithoutDeadlineWithoutRevokingEarly) {
    // The state machine never reads an empty deadline: a failing check before the repaired
    // deadline keeps the warning (with that deadline), one after it revokes, and ok checks
    // recover.
    const IdentityStatus status = warning_without_deadline();
    auto failing = on_check(status, Severity::error, k_t0 + 2min, policy());
    EXPECT_EQ(failing.status.state, IdentityState::revocation_warning);
    EXPECT_EQ(failing.status.deadline, k_t0 + 120h);
    EXPECT_TRUE(failing.events.empty());

    auto late = on_check(status, Severity::error, k_t0 + 120h, policy());
    EXPECT_EQ(late.status.state, IdentityState::revoked);
    ASSERT_EQ(late.events.size(), 1U);
    EXPECT_EQ(late.events[0].deadline, k_t0 + 120h);

    auto ok = on_check(status, Severity::ok, k_t0 + 2min, policy());
    ok = on_check(ok.status, Severity::ok, k_t0 + 3min, policy());
    EXPECT_EQ(ok.status.state, IdentityState::verified);
    ASSERT_EQ(ok.events.size(), 1U);
    EXPECT_EQ(ok.events[0].deadline, k_t0 + 120h);
}

TEST(StatusRepair, TimesOutsideFourDigitYearsAreShownAsMilliseconds) {
    EXPECT_EQ(format_state_time(k_t0), "2024-01-01T00:00:00Z");
    EXPECT_EQ(format_state_time(TimePoint{Milliseconds{std::numeric_limits<std::int64_t>::max()}}),
              "9223372036854775807 ms since 1970");
}

} // namespace
} // namespace dkimwatch
