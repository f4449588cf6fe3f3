#include "aws/aws_time.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

// 2026-12-03T12:00:00Z
constexpr std::int64_t k_noon = 1796299200;

TimePoint at_seconds(std::int64_t seconds) {
    return TimePoint{std::chrono::seconds{seconds}};
}

TEST(ParseIso8601Timestamp, AcceptsTheFormsAwsSends) {
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T12:00:00Z"), at_seconds(k_noon));
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T12:00:00"), at_seconds(k_noon));
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T12:00:00.250Z"),
              at_seconds(k_noon) + Milliseconds{250});
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T12:00:00.5Z"),
              at_seconds(k_noon) + Milliseconds{500});
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T12:00:00.123456Z"),
              at_seconds(k_noon) + Milliseconds{123});
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T14:00:00+02:00"), at_seconds(k_noon));
    EXPECT_EQ(parse_iso8601_timestamp("2026-12-03T07:30:00-0430"), at_seconds(k_noon));
}

TEST(ParseIso8601Timestamp, RejectsAnythingElse) {
    for (const char* text :
         {"", "2026-12-03", "2026-12-03 12:00:00Z", "2026-13-03T12:00:00Z", "2026-02-30T12:00:00Z",
          "2026-12-03T24:00:00Z", "2026-12-03T12:00:00ZZ", "2026-12-03T12:00:00.Z",
          "2026-12-03T12:00:00+2", "1796299200", "26-12-03T12:00:00Z"}) {
        EXPECT_EQ(parse_iso8601_timestamp(text), std::nullopt) << text;
    }
}

TEST(EpochSecondsToTime, AcceptsFractionsAndRejectsNonsense) {
    EXPECT_EQ(epoch_seconds_to_time(static_cast<double>(k_noon)), at_seconds(k_noon));
    EXPECT_EQ(epoch_seconds_to_time(1.5), TimePoint{Milliseconds{1500}});
    EXPECT_EQ(epoch_seconds_to_time(-1), std::nullopt);
    EXPECT_EQ(epoch_seconds_to_time(1e300), std::nullopt);
    EXPECT_EQ(epoch_seconds_to_time(std::numeric_limits<double>::quiet_NaN()), std::nullopt);
}

} // namespace
} // namespace dkimwatch
