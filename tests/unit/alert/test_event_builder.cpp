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

} // namespace
