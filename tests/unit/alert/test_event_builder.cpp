#include "alert/event_builder.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

const TimePoint k_t0{Milliseconds{1'800'000'000'000}};
const IdentityKey k_key{"111122223333", "us-east-1", "example.com"};

RecordVerdict verdict(const std::string& name, VerdictCode code) {
    RecordVerdict record;
    record.name = name;
    record.type = "CNAME";
    record.expected = name + ".target";
    record.code = code;
    record.severity = severity_of(code);
    record.message = "fix " + name;
    return record;
}

TEST(EventBuilder, CarriesIdentityStateDeadlineAndOnlyFailingRecords) {
    IdentityStatus status = initial_status("fp", k_t0);
    status.state = IdentityState::revocation_warning;
    status.since = k_t0 + 1min;
    status.deadline = k_t0 + 120h;
    StateEvent event{StateEventKind::revocation_warning,
                     k_t0 + 1min,
                     IdentityState::verified,
                     IdentityState::revocation_warning,
                     "confirmed",
                     k_t0 + 120h,
                     std::nullopt};
    const auto alert =
        make_alert_event(k_key, status, event,
                         {verdict("a._domainkey.example.com", VerdictCode::ok),
                          verdict("b._domainkey.example.com", VerdictCode::missing)});
    EXPECT_EQ(alert.kind, "revocation_warning");
    EXPECT_EQ(alert.severity, EventSeverity::critical);
    EXPECT_EQ(alert.key, k_key);
    EXPECT_EQ(alert.state, IdentityState::revocation_warning);
    EXPECT_EQ(alert.state_since, k_t0 + 1min);
    EXPECT_EQ(alert.deadline, k_t0 + 120h);
    EXPECT_EQ(alert.reason, "confirmed");
    ASSERT_EQ(alert.records.size(), 1u);
    EXPECT_EQ(alert.records[0].verdict, "missing");
    EXPECT_EQ(alert.records[0].message, "fix b._domainkey.example.com");
    EXPECT_FALSE(alert.records[0].observed.has_value());
}

TEST(EventBuilder, FiringConditionsFollowTheState) {
    IdentityStatus status = initial_status("fp", k_t0);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());

    status.pending_overdue_raised = true;
    auto firing = firing_conditions(k_key, status, {});
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_EQ(firing[0].kind, "pending_overdue");
    EXPECT_EQ(firing[0].severity, EventSeverity::warning);

    status.state = IdentityState::revocation_warning;
    status.deadline = k_t0 + 5h;
    status.blind_raised = true;
    status.indeterminate_since = k_t0 + 2h;
    firing = firing_conditions(k_key, status, {verdict("x", VerdictCode::missing)});
    ASSERT_EQ(firing.size(), 2u);
    EXPECT_EQ(firing[0].kind, "revocation_warning");
    EXPECT_EQ(firing[0].deadline, k_t0 + 5h);
    EXPECT_EQ(firing[0].records.size(), 1u);
    EXPECT_EQ(firing[1].kind, "monitoring_blind");
    EXPECT_EQ(firing[1].at, k_t0 + 2h);

    status.state = IdentityState::revoked;
    status.blind_raised = false;
    firing = firing_conditions(k_key, status, {});
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_EQ(firing[0].kind, "revoked");

    status.state = IdentityState::verified;
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());
}

// Replicas: a replica that has seen the record back (but not yet confirmed the recovery) must
// not re-send the warning as firing, since another replica may already have resolved it.
TEST(EventBuilder, RecoveringRevocationWarningIsLeftOutUntilConfirmedOrFailingAgain) {
    StateMachinePolicy policy;
    policy.confirmations = 3;
    policy.reminders.clear();
    IdentityStatus status = initial_status("fp", k_t0);
    TimePoint at = k_t0;
    const auto check = [&](Severity worst) {
        at += 1s;
        status = on_check(status, worst, at, policy).status;
    };
    for (int i = 0; i < 3; ++i) {
        check(Severity::ok);
    }
    ASSERT_EQ(status.state, IdentityState::verified);
    for (int i = 0; i < 3; ++i) {
        check(Severity::error);
    }
    ASSERT_EQ(status.state, IdentityState::revocation_warning);
    const std::vector<RecordVerdict> missing{verdict("x", VerdictCode::missing)};
    ASSERT_EQ(firing_conditions(k_key, status, missing).size(), 1u);

    // The record is back: one ok check, then a second; neither confirms (3 needed).
    check(Severity::ok);
    ASSERT_EQ(status.state, IdentityState::revocation_warning);
    EXPECT_EQ(status.consecutive_successes, 1);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());
    check(Severity::ok);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());

    // An indeterminate check changes nothing: the latest determinate check is still ok.
    check(Severity::indeterminate);
    ASSERT_EQ(status.state, IdentityState::revocation_warning);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());

    // A failing check puts the warning back, with the deadline it always had.
    const auto deadline = status.deadline;
    check(Severity::error);
    ASSERT_EQ(status.state, IdentityState::revocation_warning);
    auto firing = firing_conditions(k_key, status, missing);
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_EQ(firing[0].kind, "revocation_warning");
    EXPECT_EQ(firing[0].deadline, deadline);

    // A warning-severity check counts as a success: left out again.
    check(Severity::warning);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());

    // Confirmed recovery: verified, nothing firing.
    check(Severity::ok);
    check(Severity::ok);
    ASSERT_EQ(status.state, IdentityState::verified);
    EXPECT_TRUE(firing_conditions(k_key, status, {}).empty());
}

TEST(EventBuilder, RecoveringWarningStillReportsABlindSpell) {
    IdentityStatus status = initial_status("fp", k_t0);
    status.state = IdentityState::revocation_warning;
    status.deadline = k_t0 + 5h;
    status.consecutive_successes = 1;
    status.blind_raised = true;
    status.indeterminate_since = k_t0 + 2h;
    const auto firing = firing_conditions(k_key, status, {});
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_EQ(firing[0].kind, "monitoring_blind");
}

} // namespace
