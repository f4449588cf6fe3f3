#include "alert/alert_time.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using test::utc;

TEST(FormatUtc, SecondsPrecisionWithZ) {
    EXPECT_EQ(format_utc(utc(2024, 1, 6, 0, 10, 0)), "2024-01-06T00:10:00Z");
    EXPECT_EQ(format_utc(utc(2024, 12, 31, 23, 59, 59) + 999ms), "2024-12-31T23:59:59Z");
    EXPECT_EQ(format_utc(TimePoint{}), "1970-01-01T00:00:00Z");
}

TEST(UnixSeconds, RoundsDown) {
    EXPECT_EQ(unix_seconds(utc(2024, 1, 6, 0, 10, 0) + 999ms), 1704499800);
    EXPECT_EQ(unix_seconds(TimePoint{}), 0);
}

TEST(FormatSpan, AtMostTwoUnits) {
    EXPECT_EQ(format_span(117h + 30min), "4d21h");
    EXPECT_EQ(format_span(96h + 5min), "4d");
    EXPECT_EQ(format_span(23h + 59min + 59s), "23h59m");
    EXPECT_EQ(format_span(2h), "2h");
    EXPECT_EQ(format_span(5min + 30s + 500ms), "5m30s");
    EXPECT_EQ(format_span(45s), "45s");
    EXPECT_EQ(format_span(999ms), "0s");
    EXPECT_EQ(format_span(0ms), "0s");
    EXPECT_EQ(format_span(-(2h + 1min)), "2h1m");
}

TEST(FormatRelative, FutureNowAndPast) {
    const TimePoint now = utc(2024, 1, 1);
    EXPECT_EQ(format_relative(now + 117h + 30min, now), "in 4d21h");
    EXPECT_EQ(format_relative(now - 2h, now), "2h ago");
    EXPECT_EQ(format_relative(now + 999ms, now), "now");
    EXPECT_EQ(format_relative(now - 999ms, now), "now");
    EXPECT_EQ(format_relative(now + 1s, now), "in 1s");
}

// Times read back from a damaged outbox row can be anywhere in Milliseconds' range: the gap
// saturates, the moment is shown within four-digit years, and nothing overflows (the fuzz
// harness fuzz_alert_message found the widening into nanoseconds that used to overflow here).
TEST(TimeBetween, SaturatesInsteadOfOverflowing) {
    const TimePoint now = utc(2024, 1, 1);
    EXPECT_EQ(time_between(now, now + 2h), Milliseconds{2h});
    EXPECT_EQ(time_between(now + 2h, now), -Milliseconds{2h});
    EXPECT_EQ(time_between(TimePoint{Milliseconds::min()}, now), Milliseconds::max());
    EXPECT_EQ(time_between(now, TimePoint{Milliseconds::min()}), Milliseconds::min());
    EXPECT_EQ(time_between(TimePoint{Milliseconds::min()}, TimePoint{Milliseconds::max()}),
              Milliseconds::max());
}

TEST(FormatRelative, FarMomentsFromADamagedRow) {
    const TimePoint now = utc(2024, 1, 1);
    EXPECT_EQ(format_utc(TimePoint{Milliseconds::max()}), "9999-12-31T23:59:59Z");
    EXPECT_EQ(format_utc(TimePoint{Milliseconds::min()}), "0000-01-01T00:00:00Z");
    EXPECT_EQ(format_relative(TimePoint{Milliseconds::min()}, now), "106751991167d7h ago");
    EXPECT_EQ(format_relative(TimePoint{Milliseconds::max()}, now).substr(0, 3), "in ");
}

} // namespace
} // namespace dkimwatch
