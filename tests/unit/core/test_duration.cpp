#include "core/duration.hpp"

#include <chrono>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

Milliseconds parsed(std::string_view text) {
    auto result = parse_duration(text);
    EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error());
    return result.ok() ? *result : Milliseconds{-1};
}

std::string parse_error(std::string_view text) {
    auto result = parse_duration(text);
    EXPECT_FALSE(result.ok()) << text << " parsed as " << (result.ok() ? result->count() : 0);
    return result.ok() ? std::string() : result.error();
}

TEST(ParseDuration, SingleUnits) {
    EXPECT_EQ(parsed("250ms"), 250ms);
    EXPECT_EQ(parsed("30s"), 30s);
    EXPECT_EQ(parsed("10m"), 10min);
    EXPECT_EQ(parsed("72h"), 72h);
    EXPECT_EQ(parsed("2d"), 48h);
}

TEST(ParseDuration, CombinedUnitsLargestFirst) {
    EXPECT_EQ(parsed("1h30m"), 90min);
    EXPECT_EQ(parsed("1d2h3m4s5ms"), 24h + 2h + 3min + 4s + 5ms);
    EXPECT_EQ(parsed("1s500ms"), 1500ms);
    EXPECT_EQ(parsed("1m0s"), 60s);
}

TEST(ParseDuration, LargeValuesInOneUnitAreFine) {
    EXPECT_EQ(parsed("90m"), 90min);
    EXPECT_EQ(parsed("120h"), 120h);
    EXPECT_EQ(parsed("1500ms"), 1500ms);
}

TEST(ParseDuration, ZeroIsAllowed) {
    EXPECT_EQ(parsed("0s"), 0ms);
    EXPECT_EQ(parsed("0ms"), 0ms);
}

TEST(ParseDuration, ErrorsNameTheProblemAndTheAllowedUnits) {
    const std::string hint = " (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)";
    EXPECT_EQ(parse_error(""), "\"\" is not a duration: it is empty" + hint);
    EXPECT_EQ(parse_error("10"), "\"10\" is not a duration: the number 10 has no unit" + hint);
    EXPECT_EQ(parse_error("-5s"), "\"-5s\" is not a duration: a sign is not allowed" + hint);
    EXPECT_EQ(parse_error("+5s"), "\"+5s\" is not a duration: a sign is not allowed" + hint);
    EXPECT_EQ(parse_error("1.5h"),
              "\"1.5h\" is not a duration: fractions are not allowed (write 1h30m, not 1.5h)" +
                  hint);
    EXPECT_EQ(parse_error("30m1h"),
              "\"30m1h\" is not a duration: units must appear largest first, each at most once" +
                  hint);
    EXPECT_EQ(parse_error("1h1h"),
              "\"1h1h\" is not a duration: units must appear largest first, each at most once" +
                  hint);
    EXPECT_EQ(parse_error("5 s"), "\"5 s\" is not a duration: spaces are not allowed" + hint);
    EXPECT_EQ(parse_error(" 5s"), "\" 5s\" is not a duration: spaces are not allowed" + hint);
    EXPECT_EQ(parse_error("10x"), "\"10x\" is not a duration: unknown unit \"x\"" + hint);
    EXPECT_EQ(parse_error("10S"), "\"10S\" is not a duration: unknown unit \"S\"" + hint);
    EXPECT_EQ(parse_error("10sec"), "\"10sec\" is not a duration: unknown unit \"sec\"" + hint);
    EXPECT_EQ(parse_error("s"), "\"s\" is not a duration: expected a number at \"s\"" + hint);
    EXPECT_EQ(parse_error("1h30"), "\"1h30\" is not a duration: the number 30 has no unit" + hint);
    EXPECT_EQ(parse_error("5s!"), "\"5s!\" is not a duration: expected a number at \"!\"" + hint);
}

TEST(ParseDuration, OverflowIsAnError) {
    const std::string hint = " (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)";
    EXPECT_EQ(parse_error("9223372036854775808ms"),
              "\"9223372036854775808ms\" is not a duration: it is too large" + hint);
    EXPECT_EQ(parse_error("106751991168d"),
              "\"106751991168d\" is not a duration: it is too large" + hint);
    EXPECT_EQ(parse_error("99999999999999999999999999s"),
              "\"99999999999999999999999999s\" is not a duration: it is too large" + hint);
    // The largest value that fits, reached through a sum, then one millisecond more.
    EXPECT_EQ(parsed("9223372036854775807ms"), Milliseconds::max());
    EXPECT_EQ(parsed("106751991167d7h12m55s807ms"), Milliseconds::max());
    EXPECT_EQ(parse_error("106751991167d7h12m55s808ms"),
              "\"106751991167d7h12m55s808ms\" is not a duration: it is too large" + hint);
}

TEST(FormatDuration, ShortestCanonicalForm) {
    EXPECT_EQ(format_duration(0ms), "0s");
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(30s), "30s");
    EXPECT_EQ(format_duration(90min), "1h30m");
    EXPECT_EQ(format_duration(1500ms), "1s500ms");
    EXPECT_EQ(format_duration(72h), "3d");
    EXPECT_EQ(format_duration(25h + 1ms), "1d1h1ms");
    EXPECT_EQ(format_duration(-90s), "-1m30s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
    const Milliseconds values[] = {1ms,   999ms, 1000ms,     59s,        60s,  61s,
                                   3599s, 3600s, 86399999ms, 86400000ms, 120h, Milliseconds::max()};
    for (Milliseconds value : values) {
        const std::string text = format_duration(value);
        auto back = parse_duration(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error();
        EXPECT_EQ(*back, value) << text;
    }
}

} // namespace
} // namespace dkimwatch

namespace dkimwatch {
namespace {

TEST(FormatReadableUtc, WholeSecondsInUtc) {
    using namespace std::chrono;
    const sys_seconds moment = sys_days{year{2026} / 11 / 30} + hours{12} + minutes{5} + seconds{9};
    EXPECT_EQ(format_readable_utc(moment + milliseconds{999}), "2026-11-30 12:05:09 UTC");
    EXPECT_EQ(format_readable_utc(system_clock::time_point{}), "1970-01-01 00:00:00 UTC");
}

TEST(FormatUtcTimestamp, Rfc3339WholeSecondsRoundedDown) {
    using namespace std::chrono;
    const sys_seconds moment = sys_days{year{2026} / 11 / 26} + hours{12} + minutes{0} + seconds{7};
    EXPECT_EQ(format_utc_timestamp(moment + milliseconds{999}), "2026-11-26T12:00:07Z");
    EXPECT_EQ(format_utc_timestamp(system_clock::time_point{}), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_utc_timestamp(sys_days{year{2024} / 2 / 29} + hours{23} + minutes{59}),
              "2024-02-29T23:59:00Z");
}

// A millisecond moment from the state database may be anything a damaged file holds: it is
// floored in its own resolution (never widened into system_clock's nanoseconds, which overflow
// beyond 292 years from 1970) and shown within RFC 3339's four-digit years.
TEST(FormatUtcTimestamp, FarMillisecondMomentsStayWithinFourDigitYears) {
    using namespace std::chrono;
    using Moment = sys_time<milliseconds>;
    EXPECT_EQ(format_utc_timestamp(Moment{milliseconds::max()}), "9999-12-31T23:59:59Z");
    EXPECT_EQ(format_utc_timestamp(Moment{milliseconds::min()}), "0000-01-01T00:00:00Z");
    EXPECT_EQ(format_readable_utc(Moment{milliseconds{-1}}), "1969-12-31 23:59:59 UTC");
    EXPECT_EQ(format_utc_timestamp(Moment{sys_days{year{2500} / 1 / 1}.time_since_epoch()}),
              "2500-01-01T00:00:00Z");
}

} // namespace
} // namespace dkimwatch
