#include "alert/alert_severity.hpp"

#include <array>

namespace dkimwatch {

namespace {

// info < warning < critical for filtering; `resolved` is handled separately.
int filter_rank(EventSeverity severity) {
    switch (severity) {
    case EventSeverity::info:
        return 0;
    case EventSeverity::warning:
        return 1;
    case EventSeverity::critical:
        return 2;
    case EventSeverity::resolved:
        return 3;
    }
    return 0;
}

} // namespace

std::optional<EventSeverity> parse_event_severity(std::string_view name) {
    constexpr std::array<EventSeverity, 4> k_all{EventSeverity::info, EventSeverity::warning,
                                                 EventSeverity::critical, EventSeverity::resolved};
    for (const EventSeverity severity : k_all) {
        if (name == event_severity_name(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

bool passes_min_severity(EventSeverity severity, EventSeverity min_severity) {
    if (severity == EventSeverity::resolved) {
        return true;
    }
    return filter_rank(severity) >= filter_rank(min_severity);
}

int attention_rank(EventSeverity severity) {
    switch (severity) {
    case EventSeverity::info:
        return 0;
    case EventSeverity::resolved:
        return 1;
    case EventSeverity::warning:
        return 2;
    case EventSeverity::critical:
        return 3;
    }
    return 0;
}

} // namespace dkimwatch
