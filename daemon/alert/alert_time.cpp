#include "alert/alert_time.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace dkimwatch {

std::string format_utc(TimePoint time) {
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{std::chrono::floor<std::chrono::seconds>(time - day)};
    std::array<char, 48> text{};
    std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return text.data();
}

std::int64_t unix_seconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::string format_span(Milliseconds span) {
    struct Unit {
        const char* name;
        std::int64_t seconds;
    };
    constexpr std::array<Unit, 4> k_units{{{"d", 86'400}, {"h", 3'600}, {"m", 60}, {"s", 1}}};
    std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(span).count();
    if (seconds < 0) {
        seconds = -seconds;
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
    const Milliseconds delta = time - now;
    if (delta < std::chrono::seconds{1} && delta > -std::chrono::seconds{1}) {
        return "now";
    }
    return delta > Milliseconds::zero() ? "in " + format_span(delta) : format_span(delta) + " ago";
}

} // namespace dkimwatch
