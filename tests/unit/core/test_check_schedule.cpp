#include "core/check_schedule.hpp"

#include <algorithm>
#include <gtest/gtest.h>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

std::vector<IdentityKey> keys(int count) {
    std::vector<IdentityKey> out;
    for (int i = 0; i < count; ++i) {
        out.push_back({"1", "us-east-1", "d" + std::to_string(i) + ".test"});
    }
    return out;
}

const TimePoint k_start{Milliseconds{1'800'000'000'000}};

TEST(CheckSchedule, NewIdentitiesAreSpreadEvenlyOverTheInterval) {
    CheckSchedule schedule(42);
    schedule.add(keys(600), k_start, 10min);
    // Every 10-second bucket of the 10-minute interval gets exactly its share (10 of 600).
    for (int bucket = 0; bucket < 60; ++bucket) {
        const auto due = schedule.take_due(k_start + (bucket + 1) * 10s - 1ms, 1000);
        EXPECT_EQ(due.size(), 10u) << "bucket " << bucket;
    }
    EXPECT_EQ(schedule.size(), 0u);
}

TEST(CheckSchedule, NothingIsDueBeforeItsTimeAndEarliestComesFirst) {
    CheckSchedule schedule(1);
    schedule.add(keys(3), k_start, 3s);
    ASSERT_TRUE(schedule.next_due().has_value());
    EXPECT_GE(*schedule.next_due(), k_start);
    EXPECT_LT(*schedule.next_due(), k_start + 1s);
    const auto all = schedule.take_due(k_start + 3s, 10);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].domain, "d0.test");
    EXPECT_EQ(all[2].domain, "d2.test");
    EXPECT_FALSE(schedule.next_due().has_value());
}

TEST(CheckSchedule, TakeDueHonoursTheLimit) {
    CheckSchedule schedule(7);
    schedule.add(keys(10), k_start, 1s);
    EXPECT_EQ(schedule.take_due(k_start + 1s, 4).size(), 4u);
    EXPECT_EQ(schedule.take_due(k_start + 1s, 100).size(), 6u);
}

TEST(CheckSchedule, RestartKeepsTheRhythmOfEarlierChecks) {
    CheckSchedule schedule(3);
    const auto all = keys(2);
    std::map<IdentityKey, TimePoint> last{{all[0], k_start - 4min}, {all[1], k_start - 20min}};
    schedule.add(all, k_start, 10min, last);
    EXPECT_EQ(schedule.due_time(all[0]), k_start + 6min);
    // Overdue: spread into the coming interval rather than all at once.
    EXPECT_GE(*schedule.due_time(all[1]), k_start);
    EXPECT_LT(*schedule.due_time(all[1]), k_start + 10min);
}

TEST(CheckSchedule, AddKeepsAlreadyScheduledIdentities) {
    CheckSchedule schedule(5);
    const auto all = keys(2);
    schedule.add({all[0]}, k_start, 10min);
    const auto first_due = schedule.due_time(all[0]);
    schedule.add(all, k_start + 1min, 10min);
    EXPECT_EQ(schedule.due_time(all[0]), first_due);
    EXPECT_TRUE(schedule.due_time(all[1]).has_value());
}

TEST(CheckSchedule, RescheduleUsesTheIntervalWithinFivePercent) {
    CheckSchedule schedule(9);
    const auto key = keys(1)[0];
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
    const auto all = keys(3);
    schedule.add(all, k_start, 1s);
    schedule.remove(all[1]);
    const auto due = schedule.take_due(k_start + 2s, 10);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_TRUE(std::none_of(due.begin(), due.end(), [&](const auto& k) { return k == all[1]; }));
}

} // namespace
