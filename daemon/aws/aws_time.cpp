#include "aws/aws_time.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <string>

namespace dkimwatch {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> read_number(std::string_view text, std::size_t& pos, int digits) {
    if (pos + static_cast<std::size_t>(digits) > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (int i = 0; i < digits; ++i) {
        const char c = text[pos++];
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

constexpr double k_max_epoch_seconds = 253402300799.0; // 9999-12-31T23:59:59Z

} // namespace

std::optional<TimePoint> parse_iso8601_timestamp(std::string_view text) {
    std::size_t pos = 0;
    const auto year = read_number(text, pos, 4);
    if (!year || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto month = read_number(text, pos, 2);
    if (!month || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto day = read_number(text, pos, 2);
    if (!day || !(expect(text, pos, 'T') || expect(text, pos, 't'))) {
        return std::nullopt;
    }
    const auto hour = read_number(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto minute = read_number(text, pos, 2);
    if (!minute || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto second = read_number(text, pos, 2);
    if (!second || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{*year},
                                           std::chrono::month{static_cast<unsigned>(*month)},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    Milliseconds fraction{0};
    if (expect(text, pos, '.')) {
        int digits = 0;
        int millis = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
            if (digits < 3) {
                millis = millis * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0) {
            return std::nullopt;
        }
        for (int i = digits; i < 3; ++i) {
            millis *= 10;
        }
        fraction = Milliseconds{millis};
    }
    std::chrono::minutes offset{0};
    if (pos == text.size() || expect(text, pos, 'Z') || expect(text, pos, 'z')) {
        // UTC
    } else if (text[pos] == '+' || text[pos] == '-') {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const auto offset_hours = read_number(text, pos, 2);
        if (!offset_hours) {
            return std::nullopt;
        }
        expect(text, pos, ':');
        const auto offset_minutes = read_number(text, pos, 2);
        if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
            return std::nullopt;
        }
        offset = std::chrono::minutes{sign * (*offset_hours * 60 + *offset_minutes)};
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    const auto local = std::chrono::sys_days{date} + std::chrono::hours{*hour} +
                       std::chrono::minutes{*minute} + std::chrono::seconds{*second};
    return std::chrono::time_point_cast<Milliseconds>(local - offset) + fraction;
}

std::optional<TimePoint> epoch_seconds_to_time(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > k_max_epoch_seconds) {
        return std::nullopt;
    }
    return TimePoint{Milliseconds{static_cast<std::int64_t>(std::llround(seconds * 1000.0))}};
}

} // namespace dkimwatch
