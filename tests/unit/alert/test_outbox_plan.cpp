#include "alert/outbox_plan.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using test::k_now;
using test::sample_event;
using Type = AlertSinkConfig::Type;

AlertSettings settings_with(std::vector<AlertSinkConfig> sinks, std::size_t threshold = 10) {
    AlertSettings settings;
    settings.sinks = std::move(sinks);
    settings.group_threshold = threshold;
    return settings;
}

AlertEvent event_for(const std::string& kind, int identity) {
    AlertEvent event = sample_event(kind);
    event.key.domain = "d" + std::to_string(identity) + ".example";
    return event;
}

// One event per identity, `count` identities, kinds cycling warning/critical/info.
std::vector<AlertEvent> storm(int count) {
    const std::vector<std::string> kinds = {"pending_overdue", "revocation_warning", "verified"};
    std::vector<AlertEvent> events;
    for (int i = 0; i < count; ++i) {
        events.push_back(event_for(kinds[static_cast<std::size_t>(i) % kinds.size()], i));
    }
    return events;
}

TEST(PlanOutbox, OneMessagePerEventPerSinkInOrder) {
    const AlertSettings settings =
        settings_with({test::sink(Type::slack, "chat"), test::sink(Type::alertmanager, "am")});
    const std::vector<AlertEvent> events = {event_for("verified", 1),
                                            event_for("revocation_warning", 2)};
    const std::vector<OutboxInsert> plan = plan_outbox(settings, events, k_now);
    ASSERT_EQ(plan.size(), 4u);
    EXPECT_EQ(plan[0].sink, "chat");
    EXPECT_EQ(plan[0].key, events[0].key);
    EXPECT_EQ(plan[0].message, AlertMessage{events[0]});
    EXPECT_EQ(plan[0].created_at, k_now);
    EXPECT_EQ(plan[1].sink, "chat");
    EXPECT_EQ(plan[1].message, AlertMessage{events[1]});
    EXPECT_EQ(plan[2].sink, "am");
    EXPECT_EQ(plan[3].sink, "am");
    EXPECT_EQ(plan[3].key, events[1].key);
}

TEST(PlanOutbox, MinSeverityFiltersAndResolvedAlwaysPasses) {
    AlertSinkConfig critical_only = test::sink(Type::pagerduty, "pd");
    critical_only.min_severity = EventSeverity::critical;
    AlertSinkConfig warnings = test::sink(Type::webhook, "hook");
    warnings.min_severity = EventSeverity::warning;
    const std::vector<AlertEvent> events = {event_for("verified", 1),
                                            event_for("pending_overdue", 2),
                                            event_for("revoked", 3), event_for("recovered", 4)};
    const std::vector<OutboxInsert> plan =
        plan_outbox(settings_with({critical_only, warnings}), events, k_now);
    std::vector<std::pair<std::string, std::string>> got;
    for (const OutboxInsert& insert : plan) {
        got.emplace_back(insert.sink, std::get<AlertEvent>(insert.message).kind);
    }
    EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"pd", "revoked"},
                                                                     {"pd", "recovered"},
                                                                     {"hook", "pending_overdue"},
                                                                     {"hook", "revoked"},
                                                                     {"hook", "recovered"}}));
}

TEST(PlanOutbox, TenIdentitiesAreNotGrouped) {
    const std::vector<OutboxInsert> plan =
        plan_outbox(settings_with({test::sink(Type::slack)}), storm(10), k_now);
    EXPECT_EQ(plan.size(), 10u);
    for (const OutboxInsert& insert : plan) {
        EXPECT_TRUE(std::holds_alternative<AlertEvent>(insert.message));
    }
}

TEST(PlanOutbox, ElevenIdentitiesAreGroupedExceptForAlertmanager) {
    const AlertSettings settings =
        settings_with({test::sink(Type::slack, "chat"), test::sink(Type::alertmanager, "am"),
                       test::sink(Type::webhook, "hook"), test::sink(Type::pagerduty, "pd")});
    const std::vector<AlertEvent> events = storm(11);
    const std::vector<OutboxInsert> plan = plan_outbox(settings, events, k_now);
    ASSERT_EQ(plan.size(), 1u + 11u + 1u + 1u);
    EXPECT_EQ(plan[0].sink, "chat");
    EXPECT_EQ(plan[0].key, IdentityKey{});
    const auto& group = std::get<AlertGroup>(plan[0].message);
    EXPECT_EQ(group.total, 11u);
    EXPECT_EQ(group.at, k_now);
    ASSERT_EQ(group.events.size(), 11u);
    // Most severe first, input order within a severity.
    EXPECT_EQ(group.events[0], events[1]);
    EXPECT_EQ(group.events[1], events[4]);
    EXPECT_EQ(group.events[2], events[7]);
    EXPECT_EQ(group.events[3], events[10]);
    EXPECT_EQ(group.events[4], events[0]);
    EXPECT_EQ(group.events[7], events[9]);
    EXPECT_EQ(group.events[8], events[2]);
    EXPECT_EQ(group.events[10], events[8]);
    for (std::size_t i = 1; i <= 11; ++i) {
        EXPECT_EQ(plan[i].sink, "am");
        EXPECT_EQ(std::get<AlertEvent>(plan[i].message), events[i - 1]);
    }
    EXPECT_EQ(plan[12].sink, "hook");
    EXPECT_EQ(plan[12].message, plan[0].message);
    EXPECT_EQ(plan[13].sink, "pd");
}

TEST(PlanOutbox, GroupIsCappedAt20WithTheTotal) {
    const std::vector<OutboxInsert> plan =
        plan_outbox(settings_with({test::sink(Type::webhook)}), storm(50), k_now);
    ASSERT_EQ(plan.size(), 1u);
    const auto& group = std::get<AlertGroup>(plan[0].message);
    EXPECT_EQ(group.total, 50u);
    ASSERT_EQ(group.events.size(), k_alert_group_cap);
    // 17 critical events (indices 1, 4, ..., 49) then the first 3 warnings.
    for (std::size_t i = 0; i < 17; ++i) {
        EXPECT_EQ(group.events[i].kind, "revocation_warning") << i;
    }
    EXPECT_EQ(group.events[17].key.domain, "d0.example");
    EXPECT_EQ(group.events[19].key.domain, "d6.example");
}

TEST(PlanOutbox, GroupingCountsDistinctIdentitiesAfterFiltering) {
    // 11 events for only 2 identities: not a storm.
    std::vector<AlertEvent> events;
    for (int i = 0; i < 11; ++i) {
        events.push_back(event_for("reminder", i % 2));
    }
    EXPECT_EQ(plan_outbox(settings_with({test::sink(Type::slack)}), events, k_now).size(), 11u);

    // 11 identities, but a critical-only sink sees 4 of them.
    AlertSinkConfig critical_only = test::sink(Type::slack);
    critical_only.min_severity = EventSeverity::critical;
    const auto plan = plan_outbox(settings_with({critical_only}), storm(11), k_now);
    EXPECT_EQ(plan.size(), 4u);

    // A lower threshold groups sooner.
    EXPECT_EQ(plan_outbox(settings_with({test::sink(Type::slack)}, 2), storm(3), k_now).size(), 1u);
}

TEST(PlanOutbox, NothingForNoEventsOrNoSinks) {
    EXPECT_TRUE(plan_outbox(settings_with({test::sink(Type::slack)}), {}, k_now).empty());
    EXPECT_TRUE(plan_outbox(settings_with({}), storm(3), k_now).empty());
}

TEST(MakeAlertGroup, MostSevereFirstStableCappedWithTheTotal) {
    const std::vector<AlertEvent> events = storm(25);
    const TimePoint at = k_now + std::chrono::seconds{7};
    const AlertGroup group = make_alert_group(events, at);
    EXPECT_EQ(group.total, 25u);
    EXPECT_EQ(group.at, at);
    ASSERT_EQ(group.events.size(), 20u);
    // 8 critical (indices 1, 4, ..., 22), 9 warnings (0, 3, ..., 24), then 3 infos (2, 5, 8).
    EXPECT_EQ(group.events[0], events[1]);
    EXPECT_EQ(group.events[7], events[22]);
    EXPECT_EQ(group.events[8], events[0]);
    EXPECT_EQ(group.events[16], events[24]);
    EXPECT_EQ(group.events[17], events[2]);
    EXPECT_EQ(group.events[19], events[8]);

    const AlertGroup small = make_alert_group({events[2], events[1]}, at);
    EXPECT_EQ(small, (AlertGroup{{events[1], events[2]}, 2, at}));
    EXPECT_EQ(make_alert_group({}, at), (AlertGroup{{}, 0, at}));
}

TEST(PlanOutbox, OneRowPerUrlOfAnAlertmanagerSinkWithUrls) {
    AlertSinkConfig am = test::sink(Type::alertmanager, "am");
    am.endpoints = {{"http://127.0.0.1:9093/", "http://127.0.0.1:9093"},
                    {"http://127.0.0.2:9093/", "http://127.0.0.2:9093"}};
    const AlertSettings settings = settings_with({am, test::sink(Type::webhook, "hook")});
    const std::vector<AlertEvent> events = {event_for("revocation_warning", 1),
                                            event_for("verified", 2)};
    const std::vector<OutboxInsert> plan = plan_outbox(settings, events, k_now);
    ASSERT_EQ(plan.size(), 6u);
    // Lanes in endpoint order, each with every message in input order.
    EXPECT_EQ(plan[0].sink, "am@http://127.0.0.1:9093");
    EXPECT_EQ(plan[0].key, events[0].key);
    EXPECT_EQ(plan[1].sink, "am@http://127.0.0.1:9093");
    EXPECT_EQ(plan[1].key, events[1].key);
    EXPECT_EQ(plan[2].sink, "am@http://127.0.0.2:9093");
    EXPECT_EQ(plan[2].message, AlertMessage{events[0]});
    EXPECT_EQ(plan[3].sink, "am@http://127.0.0.2:9093");
    EXPECT_EQ(plan[3].message, AlertMessage{events[1]});
    // A one-URL sink keeps its name as the outbox key.
    EXPECT_EQ(plan[4].sink, "hook");
    EXPECT_EQ(plan[5].sink, "hook");
}

TEST(PlanOutbox, AGroupGoesToEveryLane) {
    AlertSinkConfig hook = test::sink(Type::webhook, "hook");
    hook.endpoints = {{"https://a.example/x", "https://a.example"},
                      {"https://b.example/x", "https://b.example"}};
    const std::vector<OutboxInsert> plan = plan_outbox(settings_with({hook}, 2), storm(3), k_now);
    ASSERT_EQ(plan.size(), 2u);
    EXPECT_EQ(plan[0].sink, "hook@https://a.example");
    EXPECT_EQ(plan[1].sink, "hook@https://b.example");
    EXPECT_TRUE(is_group_key(plan[0].key));
    EXPECT_EQ(plan[0].message, plan[1].message);
}

} // namespace
} // namespace dkimwatch
