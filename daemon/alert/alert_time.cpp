#include "alert/alert_time.hpp"

#include "core/duration.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace dkimwatch {

std::string format_utc(TimePoint time) {
    return format_utc_timestamp(time);
}

std::int64_t unix_seconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

Milliseconds time_between(TimePoint from, TimePoint to) {
    std::int64_t gap = 0;
    if (__builtin_sub_overflow(to.time_since_epoch().count(), from.time_since_epoch().count(),
                               &gap)) {
        return to > from ? Milliseconds::max() : Milliseconds::min();
    }
    return Milliseconds{gap};
}

std::string format_span(Milliseconds span) {
    struct Unit {
        const char* name;
        std::int64_t seconds;
    };
    constexpr std::array<Unit, 4> k_units{{{"d", 86'400}, {"h", 3'600}, {"m", 60}, {"s", 1}}};
    std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(span).count();
    if (seconds < 0) {
        seconds = -seconds; // at most max()/1000 in magnitude: cannot overflow
    }
    for (std::size_t i = 0; i < k_units.size(); ++i) {
        const std::int64_t major = seconds / k_units[i].seconds;
        if (major == 0 && i + 1 < k_units.size()) {
            continue;
        }
        std::string out = std::to_string(major) + k_units[i].name;
        if (i + 1 < k_units.size()) {
            const std::int64_t minor = (seconds % k_units[i].seconds) / k_units[i + 1].seconds;
            if (minor != 0) {
                out += std::to_string(minor) + k_units[i + 1].name;
            }
        }
        return out;
    }
    return "0s";
}

std::string format_relative(TimePoint time, TimePoint now) {
    const Milliseconds delta = time_between(now, time);
    if (delta < std::chrono::seconds{1} && delta > -std::chrono::seconds{1}) {
        return "now";
    }
    return delta > Milliseconds::zero() ? "in " + format_span(delta) : format_span(delta) + " ago";
}

} // namespace dkimwatch
