#pragma once
// Which messages a batch of state machine events becomes, per sink: severity filtering and storm
// control. Pure; the daemon inserts the result into the outbox in the same transaction as the
// transitions.

#include "alert/alert_message.hpp"

#include <vector>

namespace dkimwatch {

struct OutboxInsert {
    std::string
        sink; // the lane's outbox key (delivery_lanes.hpp): the sink's name if it has one URL
    IdentityKey key; // the identity, or empty for a grouped message
    AlertMessage message;
    TimePoint created_at{};
};

// For each sink: the events at or above its min_severity (resolved events always pass). When
// more than settings.group_threshold distinct identities have events that pass the sink's
// filter, slack, webhook and pagerduty sinks get one AlertGroup (capped at k_alert_group_cap
// events, most severe first, total = all of them) instead of one message each; alertmanager
// sinks always get individual events. Output order: sinks in configuration order, events in
// input order. Each message is inserted once per lane of its sink (one row per URL), lanes in
// endpoint order.
std::vector<OutboxInsert> plan_outbox(const AlertSettings& settings,
                                      const std::vector<AlertEvent>& events, TimePoint now);

// The grouped message standing for `events` (in their order) at `at`: the first
// k_alert_group_cap of them once stably sorted most severe first (attention_rank), total = all.
// plan_outbox's groups and those formed at delivery (delivery_grouping.hpp) are both made here.
AlertGroup make_alert_group(const std::vector<AlertEvent>& events, TimePoint at);

} // namespace dkimwatch
