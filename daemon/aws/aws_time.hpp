#pragma once
// Timestamps as AWS APIs send them: ISO 8601 text (STS Expiration, moto's SES) or epoch
// seconds (SES v2 on AWS). Pure.

#include "core/state_machine.hpp"

#include <optional>
#include <string_view>

namespace dkimwatch {

// "2026-12-03T12:00:00Z", with optional fractional seconds ("...00.123Z") and a "Z", "+hh:mm"
// or "-hh:mm" zone (none counts as UTC). nullopt when it is not such a timestamp.
std::optional<TimePoint> parse_iso8601_timestamp(std::string_view text);

// Epoch seconds (may be fractional, as SES sends them) to a TimePoint; nullopt when negative,
// not finite or beyond year 9999.
std::optional<TimePoint> epoch_seconds_to_time(double seconds);

} // namespace dkimwatch
