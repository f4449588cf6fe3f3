#pragma once
// Times as alert messages show them: absolute in UTC, relative to the delivery time. Pure.

#include "core/state_machine.hpp"

#include <cstdint>
#include <string>

namespace dkimwatch {

// RFC 3339 in UTC, to the second (milliseconds dropped): "2024-01-06T00:10:00Z".
std::string format_utc(TimePoint time);

// Whole seconds since the Unix epoch, rounded down.
std::int64_t unix_seconds(TimePoint time);

// `to - from`, saturated at Milliseconds' range instead of overflowing: the times of a message
// read back from the outbox may be anything a damaged state file holds.
Milliseconds time_between(TimePoint from, TimePoint to);

// A span for people, at most two units, rounded down: "4d21h", "4d", "23h59m", "5m30s", "45s",
// "0s". Negative spans are shown by their magnitude.
std::string format_span(Milliseconds span);

// `time` relative to `now`: "in 4d21h", "2h ago", or "now" when less than a second apart.
std::string format_relative(TimePoint time, TimePoint now);

} // namespace dkimwatch
