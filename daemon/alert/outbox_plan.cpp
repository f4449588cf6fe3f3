#include "alert/outbox_plan.hpp"

#include "alert/alert_severity.hpp"
#include "alert/delivery_lanes.hpp"

#include <algorithm>
#include <set>

namespace dkimwatch {

namespace {

bool groupable(AlertSinkConfig::Type type) {
    return type != AlertSinkConfig::Type::alertmanager;
}

AlertGroup make_group(const std::vector<const AlertEvent*>& events, TimePoint now) {
    std::vector<AlertEvent> copies;
    copies.reserve(events.size());
    for (const AlertEvent* event : events) {
        copies.push_back(*event);
    }
    return make_alert_group(copies, now);
}

} // namespace

AlertGroup make_alert_group(const std::vector<AlertEvent>& events, TimePoint at) {
    std::vector<const AlertEvent*> ordered;
    ordered.reserve(events.size());
    for (const AlertEvent& event : events) {
        ordered.push_back(&event);
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const AlertEvent* a, const AlertEvent* b) {
        return attention_rank(a->severity) > attention_rank(b->severity);
    });
    AlertGroup group;
    group.total = ordered.size();
    group.at = at;
    const std::size_t kept = std::min(ordered.size(), k_alert_group_cap);
    for (std::size_t i = 0; i < kept; ++i) {
        group.events.push_back(*ordered[i]);
    }
    return group;
}

std::vector<OutboxInsert> plan_outbox(const AlertSettings& settings,
                                      const std::vector<AlertEvent>& events, TimePoint now) {
    std::vector<OutboxInsert> out;
    for (const AlertSinkConfig& sink : settings.sinks) {
        std::vector<const AlertEvent*> passing;
        std::set<IdentityKey> identities;
        for (const AlertEvent& event : events) {
            if (passes_min_severity(event.severity, sink.min_severity)) {
                passing.push_back(&event);
                identities.insert(event.key);
            }
        }
        if (passing.empty()) {
            continue;
        }
        for (const DeliveryLane& lane : delivery_lanes(sink)) {
            if (groupable(sink.type) && identities.size() > settings.group_threshold) {
                out.push_back(
                    OutboxInsert{lane.outbox_key, IdentityKey{}, make_group(passing, now), now});
                continue;
            }
            for (const AlertEvent* event : passing) {
                out.push_back(OutboxInsert{lane.outbox_key, event->key, *event, now});
            }
        }
    }
    return out;
}

} // namespace dkimwatch
