#include "config/config.hpp"

namespace dkimwatch {

const char* alert_sink_type_name(AlertSinkConfig::Type type) {
    switch (type) {
    case AlertSinkConfig::Type::slack:
        return "slack";
    case AlertSinkConfig::Type::webhook:
        return "webhook";
    case AlertSinkConfig::Type::alertmanager:
        return "alertmanager";
    case AlertSinkConfig::Type::pagerduty:
        return "pagerduty";
    }
    return "unknown";
}

} // namespace dkimwatch
