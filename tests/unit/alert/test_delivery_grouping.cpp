#include "alert/delivery_grouping.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using test::k_now;
using Type = AlertSinkConfig::Type;

constexpr Type k_groupable_types[] = {Type::slack, Type::webhook, Type::pagerduty};

DeliveryGrouping grouping(std::size_t threshold = 10, Milliseconds wait = 10s,
                          Milliseconds interval = 1min, Milliseconds window = 10min) {
    DeliveryGrouping out;
    out.group_threshold = threshold;
    out.group_wait = wait;
    out.group_interval = interval;
    out.storm_window = window;
    return out;
}

StormActivity identities(std::size_t count) {
    return StormActivity{count, false};
}

// `count` individual rows with ids first_id, first_id + 1, ..., created at `created_at`.
std::vector<QueuedMessage> individual(int count, TimePoint created_at, std::int64_t first_id = 1) {
    std::vector<QueuedMessage> rows;
    for (int i = 0; i < count; ++i) {
        rows.push_back(QueuedMessage{first_id + i, false, created_at});
    }
    return rows;
}

std::vector<std::int64_t> ids(std::int64_t first, std::int64_t last) {
    std::vector<std::int64_t> out;
    for (std::int64_t id = first; id <= last; ++id) {
        out.push_back(id);
    }
    return out;
}

DeliveryDecision one(std::int64_t id, bool storm = false) {
    return SendOne{id, storm};
}
DeliveryDecision wait_until(TimePoint at) {
    return WaitUntil{at};
}
DeliveryDecision group(std::vector<std::int64_t> ids) {
    return SendGroup{std::move(ids)};
}

TEST(DeliveryGrouping, FromTheSettingsAndTheCheckInterval) {
    AlertSettings settings;
    settings.group_threshold = 7;
    settings.group_wait = 3s;
    settings.group_interval = 2min;
    const DeliveryGrouping got = delivery_grouping(settings, 10min);
    EXPECT_EQ(got, grouping(7, 3s, 2min, 10min));
    EXPECT_EQ(got.max_group_rows, k_max_group_rows);
    EXPECT_EQ(k_max_group_rows, 1000u);
}

TEST(DeliveryGrouping, GroupWaitIsAtMostHalfOfMaxRetryAge) {
    AlertSettings settings;
    settings.group_wait = 10s;
    settings.max_retry_age = 5s;
    EXPECT_EQ(delivery_grouping(settings, 1s).group_wait, 2500ms);
    settings.max_retry_age = 20s;
    EXPECT_EQ(delivery_grouping(settings, 1s).group_wait, 10s);
}

TEST(DeliveryGrouping, TheStormWindowSpansOneWindowEachSideOfTheHead) {
    EXPECT_EQ(storm_window_around(k_now, 10min), (StormWindow{k_now - 10min, k_now + 10min}));
}

TEST(DeliveryGrouping, AlertmanagerNeverGroupsNorWaits) {
    EXPECT_TRUE(groups_at_delivery(Type::slack));
    EXPECT_TRUE(groups_at_delivery(Type::webhook));
    EXPECT_TRUE(groups_at_delivery(Type::pagerduty));
    EXPECT_FALSE(groups_at_delivery(Type::alertmanager));
    // Fifty queued rows, a storm of 50 identities, group_wait and group_interval not over: sent
    // one by one, at once.
    const auto rows = individual(50, k_now);
    EXPECT_EQ(decide_delivery(Type::alertmanager, rows, identities(50), k_now, k_now, grouping()),
              one(1));
    std::vector<QueuedMessage> grouped = rows;
    grouped.front().grouped = true;
    EXPECT_EQ(
        decide_delivery(Type::alertmanager, grouped, identities(50), k_now, k_now, grouping()),
        one(1));
}

TEST(DeliveryGrouping, AZeroStormWindowTurnsGroupingOff) {
    std::vector<QueuedMessage> rows = individual(20, k_now);
    const DeliveryGrouping off = grouping(10, 10s, 1min, 0s);
    for (const Type type : k_groupable_types) {
        EXPECT_EQ(decide_delivery(type, rows, identities(20), k_now, k_now, off), one(1));
    }
    rows.front().grouped = true; // a grouped row is sent as it is, at once
    EXPECT_EQ(decide_delivery(Type::slack, rows, identities(20), k_now, k_now, off), one(1));
}

TEST(DeliveryGrouping, GroupWaitHoldsTheHeadUntilItsEnd) {
    const auto rows = individual(3, k_now);
    for (const Type type : k_groupable_types) {
        EXPECT_EQ(decide_delivery(type, rows, identities(0), std::nullopt, k_now, grouping()),
                  wait_until(k_now + 10s));
        EXPECT_EQ(
            decide_delivery(type, rows, identities(0), std::nullopt, k_now + 9999ms, grouping()),
            wait_until(k_now + 10s));
        // At created_at + group_wait exactly it is due.
        EXPECT_EQ(decide_delivery(type, rows, identities(1), std::nullopt, k_now + 10s, grouping()),
                  one(1));
    }
}

TEST(DeliveryGrouping, GroupWaitZeroHoldsNothing) {
    const auto rows = individual(2, k_now);
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(2), std::nullopt, k_now, grouping(10, 0s)),
        one(1));
    // A storm is grouped at once too.
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(11), std::nullopt, k_now, grouping(10, 0s)),
        group({1, 2}));
}

TEST(DeliveryGrouping, ExactlyTheThresholdIsNoStormOneMoreIs) {
    const auto rows = individual(12, k_now);
    const TimePoint now = k_now + 10s;
    for (const Type type : k_groupable_types) {
        EXPECT_EQ(decide_delivery(type, rows, identities(10), std::nullopt, now, grouping()),
                  one(1));
        EXPECT_EQ(decide_delivery(type, rows, identities(11), std::nullopt, now, grouping()),
                  group(ids(1, 12)));
    }
    // The threshold is the setting's, not a constant.
    EXPECT_EQ(decide_delivery(Type::webhook, rows, identities(3), std::nullopt, now, grouping(2)),
              group(ids(1, 12)));
    EXPECT_EQ(decide_delivery(Type::webhook, rows, identities(3), std::nullopt, now, grouping(3)),
              one(1));
}

TEST(DeliveryGrouping, AGroupedRowInTheWindowIsAStorm) {
    // A batch of more than group_threshold identities was queued as one grouped row near the
    // head: the few rows around it belong to the same storm.
    const auto rows = individual(3, k_now);
    EXPECT_EQ(decide_delivery(Type::slack, rows, StormActivity{2, true}, std::nullopt, k_now + 10s,
                              grouping()),
              group({1, 2, 3}));
    EXPECT_EQ(decide_delivery(Type::slack, rows, StormActivity{2, false}, std::nullopt, k_now + 10s,
                              grouping()),
              one(1));
}

TEST(DeliveryGrouping, AGroupedHeadIsHeldAndMergedWithTheRowsBehindIt) {
    std::vector<QueuedMessage> rows = individual(4, k_now + 1s, 2);
    rows.insert(rows.begin(), QueuedMessage{1, true, k_now});
    for (const Type type : k_groupable_types) {
        // group_wait holds it like any row.
        EXPECT_EQ(decide_delivery(type, rows, identities(0), std::nullopt, k_now, grouping()),
                  wait_until(k_now + 10s));
        // Then it is a storm whatever the count says: one group with the rows behind it.
        EXPECT_EQ(decide_delivery(type, rows, identities(0), std::nullopt, k_now + 10s, grouping()),
                  group(ids(1, 5)));
        // Alone, it is sent as it is, as part of the storm.
        EXPECT_EQ(decide_delivery(type, std::span(rows).first(1), identities(0), std::nullopt,
                                  k_now + 10s, grouping()),
                  one(1, true));
    }
}

TEST(DeliveryGrouping, GroupsMixIndividualAndGroupedRowsInIdOrder) {
    // 1..3 individual, 4 grouped, 5..6 individual: one group, in id order, so that every
    // identity's events keep their order across messages.
    std::vector<QueuedMessage> rows = individual(3, k_now, 1);
    rows.push_back(QueuedMessage{4, true, k_now});
    for (const auto& row : individual(2, k_now, 5)) {
        rows.push_back(row);
    }
    EXPECT_EQ(
        decide_delivery(Type::webhook, rows, identities(20), std::nullopt, k_now + 10s, grouping()),
        group(ids(1, 6)));
}

TEST(DeliveryGrouping, GroupIntervalSpacesTheMessagesOfAStorm) {
    const auto rows = individual(5, k_now, 100);
    const TimePoint last = k_now - 30s;
    // 40 s after the last group, group_interval 1m: wait until last + 1m.
    EXPECT_EQ(decide_delivery(Type::pagerduty, rows, identities(40), last, k_now + 10s, grouping()),
              wait_until(last + 1min));
    EXPECT_EQ(
        decide_delivery(Type::pagerduty, rows, identities(40), last, last + 1min - 1ms, grouping()),
        wait_until(last + 1min));
    EXPECT_EQ(decide_delivery(Type::pagerduty, rows, identities(40), last, last + 1min, grouping()),
              group(ids(100, 104)));
    // No storm: the interval does not matter.
    EXPECT_EQ(decide_delivery(Type::pagerduty, rows, identities(4), last, k_now + 10s, grouping()),
              one(100));
    // A grouped head waits for it too.
    std::vector<QueuedMessage> grouped = rows;
    grouped.front().grouped = true;
    EXPECT_EQ(
        decide_delivery(Type::pagerduty, grouped, identities(0), last, k_now + 10s, grouping()),
        wait_until(last + 1min));
}

TEST(DeliveryGrouping, AStormWithOneQueuedRowSendsItAloneAfterGroupInterval) {
    const auto rows = individual(1, k_now, 42);
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(50), std::nullopt, k_now + 10s, grouping()),
        one(42, true));
    const TimePoint last = k_now - 5s;
    EXPECT_EQ(decide_delivery(Type::slack, rows, identities(50), last, k_now + 10s, grouping()),
              wait_until(last + 1min));
    EXPECT_EQ(decide_delivery(Type::slack, rows, identities(50), last, last + 1min, grouping()),
              one(42, true));
}

TEST(DeliveryGrouping, AGroupCarriesAtMostMaxGroupRows) {
    const auto rows = individual(1500, k_now);
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(1500), std::nullopt, k_now + 10s, grouping()),
        group(ids(1, 1000)));
    DeliveryGrouping small = grouping();
    small.max_group_rows = 3;
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(1500), std::nullopt, k_now + 10s, small),
        group({1, 2, 3}));
    small.max_group_rows = 1;
    EXPECT_EQ(
        decide_delivery(Type::slack, rows, identities(1500), std::nullopt, k_now + 10s, small),
        one(1, true));
}

TEST(DeliveryGrouping, OnlyTheHeadsGroupWaitCounts) {
    // The head is old enough; the rows behind it were queued just now and join the group.
    std::vector<QueuedMessage> rows = individual(1, k_now - 10s, 1);
    for (const auto& row : individual(3, k_now, 2)) {
        rows.push_back(row);
    }
    EXPECT_EQ(decide_delivery(Type::slack, rows, identities(11), std::nullopt, k_now, grouping()),
              group({1, 2, 3, 4}));
}

TEST(DeliveryGrouping, APagerdutyResolveGoesAloneAndAtOnce) {
    // An identity's resolve must carry its own dedup_key: never held, never merged.
    auto queue = individual(30, k_now);
    queue[0].resolves = true;
    EXPECT_EQ(
        decide_delivery(Type::pagerduty, queue, identities(30), std::nullopt, k_now, grouping()),
        one(1));
    // Other sinks group it like any row.
    EXPECT_EQ(
        decide_delivery(Type::slack, queue, identities(30), std::nullopt, k_now + 10s, grouping()),
        group(ids(1, 30)));
}

TEST(DeliveryGrouping, APagerdutyGroupStopsBeforeTheFirstResolve) {
    auto queue = individual(30, k_now);
    queue[5].resolves = true; // row 6
    queue[20].resolves = true;
    EXPECT_EQ(decide_delivery(Type::pagerduty, queue, identities(30), std::nullopt, k_now + 10s,
                              grouping()),
              group(ids(1, 5)));
    // A resolve right behind the head leaves the head alone, as a storm's single row.
    queue[1].resolves = true;
    EXPECT_EQ(decide_delivery(Type::pagerduty, queue, identities(30), std::nullopt, k_now + 10s,
                              grouping()),
              one(1, true));
}

TEST(DeliveryGrouping, AnEmptyQueueWaitsForever) {
    EXPECT_EQ(decide_delivery(Type::slack, {}, identities(0), std::nullopt, k_now, grouping()),
              wait_until(TimePoint::max()));
}

} // namespace
} // namespace dkimwatch
