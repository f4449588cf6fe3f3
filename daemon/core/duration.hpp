#pragma once
// Durations as users write them in the configuration: "250ms", "30s", "10m", "72h", "1h30m",
// "2d". Units: ms, s, m, h, d. Each unit at most once, largest first. No sign, no spaces.

#include "core/result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace dkimwatch {

using Milliseconds = std::chrono::milliseconds;

// Error messages are complete sentences fragments such as
// "\"10x\" is not a duration: unknown unit \"x\" (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)".
Result<Milliseconds> parse_duration(std::string_view text);

// The shortest form parse_duration() reads back: "1h30m", "250ms", "0s".
std::string format_duration(Milliseconds duration);

// A moment in messages meant to be read: "2026-11-30 12:00:00 UTC" (whole seconds, rounded
// down).
std::string format_readable_utc(std::chrono::sys_seconds time);

// A moment in machine-read output (JSON, Alertmanager): RFC 3339 in UTC, whole seconds rounded
// down, "2026-11-26T12:00:00Z".
std::string format_utc_timestamp(std::chrono::sys_seconds time);

// The same for a moment of any resolution (milliseconds from the state database, nanoseconds
// from system_clock::now()). The moment is floored to whole seconds in its own resolution, so a
// far-off time read from a damaged file or a hostile answer is never widened into a finer
// resolution that cannot hold it.
template <class Duration>
std::string format_readable_utc(std::chrono::sys_time<Duration> time) {
    return format_readable_utc(std::chrono::floor<std::chrono::seconds>(time));
}

template <class Duration>
std::string format_utc_timestamp(std::chrono::sys_time<Duration> time) {
    return format_utc_timestamp(std::chrono::floor<std::chrono::seconds>(time));
}

} // namespace dkimwatch
