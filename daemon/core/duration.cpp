#include "core/duration.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace dkimwatch {

namespace {

struct Unit {
    std::string_view name;
    std::int64_t milliseconds;
};

// Largest first: the order in which a duration must list them.
constexpr std::array<Unit, 5> k_units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::string_view k_hint = " (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Error not_a_duration(std::string_view text, const std::string& reason) {
    return Error{"\"" + std::string(text) + "\" is not a duration: " + reason +
                 std::string(k_hint)};
}

} // namespace

Result<Milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) {
        return not_a_duration(text, "it is empty");
    }
    constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();
    std::int64_t total = 0;
    std::size_t next_unit = 0; // index into k_units of the largest unit still allowed
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '-' || c == '+') {
            return not_a_duration(text, "a sign is not allowed");
        }
        if (c == ' ' || c == '\t') {
            return not_a_duration(text, "spaces are not allowed");
        }
        if (c == '.' || c == ',') {
            return not_a_duration(text, "fractions are not allowed (write 1h30m, not 1.5h)");
        }
        if (!is_digit(c)) {
            return not_a_duration(text,
                                  "expected a number at \"" + std::string(text.substr(i)) + "\"");
        }
        std::int64_t number = 0;
        bool overflow = false;
        const std::size_t number_start = i;
        while (i < text.size() && is_digit(text[i])) {
            const int digit = text[i] - '0';
            if (number > (k_max - digit) / 10) {
                overflow = true;
            } else {
                number = number * 10 + digit;
            }
            ++i;
        }
        const std::size_t unit_start = i;
        while (i < text.size() && is_letter(text[i])) {
            ++i;
        }
        const std::string_view unit_name = text.substr(unit_start, i - unit_start);
        if (unit_name.empty()) {
            if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
                return not_a_duration(text, "fractions are not allowed (write 1h30m, not 1.5h)");
            }
            if (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
                return not_a_duration(text, "spaces are not allowed");
            }
            if (i < text.size()) {
                return not_a_duration(
                    text, "unexpected \"" + std::string(text.substr(i, 1)) + "\" after " +
                              std::string(text.substr(number_start, i - number_start)));
            }
            return not_a_duration(text, "the number " + std::string(text.substr(number_start)) +
                                            " has no unit");
        }
        std::size_t unit_index = k_units.size();
        for (std::size_t u = 0; u < k_units.size(); ++u) {
            if (k_units[u].name == unit_name) {
                unit_index = u;
            }
        }
        if (unit_index == k_units.size()) {
            return not_a_duration(text, "unknown unit \"" + std::string(unit_name) + "\"");
        }
        if (unit_index < next_unit) {
            return not_a_duration(text, "units must appear largest first, each at most once");
        }
        next_unit = unit_index + 1;
        const std::int64_t factor = k_units[unit_index].milliseconds;
        if (overflow || number > (k_max - total) / factor) {
            return not_a_duration(text, "it is too large");
        }
        total += number * factor;
    }
    return Milliseconds{total};
}

std::string format_duration(Milliseconds duration) {
    const std::int64_t count = duration.count();
    if (count == 0) {
        return "0s";
    }
    // Negative durations never come from parse_duration; they are shown with a '-' for logs.
    std::uint64_t rest =
        count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
    std::string out = count < 0 ? "-" : "";
    for (const Unit& unit : k_units) {
        const auto factor = static_cast<std::uint64_t>(unit.milliseconds);
        if (rest >= factor) {
            out += std::to_string(rest / factor);
            out += unit.name;
            rest %= factor;
        }
    }
    return out;
}

namespace {

// `seconds` in UTC, laid out by `layout` (a printf format taking year, month, day, hours,
// minutes and seconds). Four-digit years only, as RFC 3339 has them: a moment before year 0 or
// after year 9999 (only ever read from a damaged file or a hostile answer) is shown as the first
// or last second of that range rather than as a wrapped-around date.
std::string format_utc_with(std::chrono::sys_seconds seconds, const char* layout) {
    using namespace std::chrono;
    constexpr sys_seconds k_earliest = sys_days{year{0} / January / 1};
    constexpr sys_seconds k_latest =
        sys_days{year{9999} / December / 31} + hours{23} + minutes{59} + std::chrono::seconds{59};
    seconds = std::clamp(seconds, k_earliest, k_latest);
    const auto day = floor<days>(seconds);
    const year_month_day date{day};
    const hh_mm_ss clock{seconds - day};
    char text[48];
    std::snprintf(text, sizeof text, layout, static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return text;
}

} // namespace

std::string format_readable_utc(std::chrono::sys_seconds time) {
    return format_utc_with(time, "%04d-%02u-%02u %02d:%02d:%02d UTC");
}

std::string format_utc_timestamp(std::chrono::sys_seconds time) {
    return format_utc_with(time, "%04d-%02u-%02uT%02d:%02d:%02dZ");
}

} // namespace dkimwatch
