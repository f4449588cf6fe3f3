#include "core/check_schedule.hpp"

#include <algorithm>
#include <gtest/gtest.h>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

std::vector<ScheduleEntry> entries(int count) {
    std::vector<ScheduleEntry> out;
    for (int i = 0; i < count; ++i) {
        out.push_back({static_cast<ScheduleId>(i), std::nullopt});
    }
    return out;
}

const TimePoint k_start{Milliseconds{1'800'000'000'000}};

TEST(CheckSchedule, NewIdentitiesAreSpreadEvenlyOverTheInterval) {
    CheckSchedule schedule(42);
    schedule.add(entries(600), k_start, 10min);
    // Every 10-second bucket of the 10-minute interval gets exactly its share (10 of 600).
    for (int bucket = 0; bucket < 60; ++bucket) {
        const auto due = schedule.take_due(k_start + (bucket + 1) * 10s - 1ms, 1000);
        EXPECT_EQ(due.size(), 10u) << "bucket " << bucket;
    }
    EXPECT_EQ(schedule.size(), 0u);
}

TEST(CheckSchedule, NothingIsDueBeforeItsTimeAndEarliestComesFirst) {
    CheckSchedule schedule(1);
    schedule.add(entries(3), k_start, 3s);
    ASSERT_TRUE(schedule.next_due().has_value());
    EXPECT_GE(*schedule.next_due(), k_start);
    EXPECT_LT(*schedule.next_due(), k_start + 1s);
    const auto all = schedule.take_due(k_start + 3s, 10);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all, (std::vector<ScheduleId>{0, 1, 2}));
    EXPECT_FALSE(schedule.next_due().has_value());
}

TEST(CheckSchedule, TakeDueHonoursTheLimit) {
    CheckSchedule schedule(7);
    schedule.add(entries(10), k_start, 1s);
    EXPECT_EQ(schedule.take_due(k_start + 1s, 4).size(), 4u);
    EXPECT_EQ(schedule.take_due(k_start + 1s, 100).size(), 6u);
}

TEST(CheckSchedule, RestartKeepsTheRhythmOfEarlierChecks) {
    CheckSchedule schedule(3);
    const std::vector<ScheduleEntry> all{{0, k_start - 4min}, {1, k_start - 20min}};
    schedule.add(all, k_start, 10min);
    EXPECT_EQ(schedule.due_time(0), k_start + 6min);
    // Overdue: spread into the coming interval rather than all at once.
    EXPECT_GE(*schedule.due_time(1), k_start);
    EXPECT_LT(*schedule.due_time(1), k_start + 10min);
}

TEST(CheckSchedule, AddKeepsAlreadyScheduledIdentities) {
    CheckSchedule schedule(5);
    const auto all = entries(2);
    schedule.add(std::span(all).first(1), k_start, 10min);
    const auto first_due = schedule.due_time(0);
    schedule.add(all, k_start + 1min, 10min);
    EXPECT_EQ(schedule.due_time(0), first_due);
    EXPECT_TRUE(schedule.due_time(1).has_value());
    EXPECT_EQ(schedule.size(), 2u);
}

TEST(CheckSchedule, RescheduleUsesTheIntervalWithinFivePercent) {
    CheckSchedule schedule(9);
    const ScheduleId key = 5;
    for (int i = 0; i < 200; ++i) {
        schedule.reschedule(key, k_start, 100s);
        const auto due = *schedule.due_time(key);
        EXPECT_GE(due, k_start + 95s);
        EXPECT_LE(due, k_start + 105s);
    }
    EXPECT_EQ(schedule.size(), 1u);
    EXPECT_EQ(schedule.take_due(k_start + 106s, 10).size(), 1u) << "stale entries must not repeat";
    EXPECT_TRUE(schedule.take_due(k_start + 1000s, 10).empty());
}

TEST(CheckSchedule, RemovedIdentitiesAreNeverDue) {
    CheckSchedule schedule(11);
    schedule.add(entries(3), k_start, 1s);
    schedule.remove(1);
    schedule.remove(7); // unknown: ignored
    EXPECT_EQ(schedule.size(), 2u);
    const auto due = schedule.take_due(k_start + 2s, 10);
    EXPECT_EQ(due, (std::vector<ScheduleId>{0, 2}));
}

TEST(CheckSchedule, SetDueCarriesAnExactTimeAndReplacesAnEarlierOne) {
    CheckSchedule schedule(13);
    schedule.add(entries(2), k_start, 10min);
    schedule.set_due(1, k_start + 90s);
    schedule.set_due(4, k_start + 30s);
    EXPECT_EQ(schedule.due_time(1), k_start + 90s);
    EXPECT_EQ(schedule.size(), 3u);
    const auto due = schedule.take_due(k_start + 90s, 10);
    // 0 is due somewhere in the first 10 minutes, so it may or may not be among them.
    ASSERT_GE(due.size(), 2u);
    EXPECT_EQ(std::count(due.begin(), due.end(), 1u), 1);
    EXPECT_EQ(std::count(due.begin(), due.end(), 4u), 1);
    EXPECT_LT(std::find(due.begin(), due.end(), 4u), std::find(due.begin(), due.end(), 1u));
}

} // namespace

namespace {

TEST(CheckScheduleLag, ZeroWhenNothingIsOverdueOrScheduled) {
    CheckSchedule schedule(5);
    EXPECT_EQ(schedule.lag(k_start), Milliseconds{0});
    schedule.set_due(0, k_start + 10s);
    EXPECT_EQ(schedule.lag(k_start), Milliseconds{0});
    EXPECT_EQ(schedule.lag(k_start + 10s), Milliseconds{0}); // due now is not behind
}

TEST(CheckScheduleLag, IsTheDelayOfTheMostOverdueIdentity) {
    CheckSchedule schedule(5);
    schedule.set_due(0, k_start + 10s);
    schedule.set_due(1, k_start + 4s);
    schedule.set_due(2, k_start + 7s);
    EXPECT_EQ(schedule.lag(k_start + 12s), 8s);
    // Taken for checking, the most overdue no longer counts; the next one does.
    EXPECT_EQ(schedule.take_due(k_start + 12s, 1), (std::vector<ScheduleId>{1}));
    EXPECT_EQ(schedule.lag(k_start + 12s), 5s);
    schedule.remove(2);
    EXPECT_EQ(schedule.lag(k_start + 12s), 2s);
    schedule.reschedule(0, k_start + 12s, 60s);
    EXPECT_EQ(schedule.lag(k_start + 12s), Milliseconds{0});
}

} // namespace
