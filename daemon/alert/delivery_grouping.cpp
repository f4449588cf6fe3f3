#include "alert/delivery_grouping.hpp"

#include <algorithm>

namespace dkimwatch {

DeliveryGrouping delivery_grouping(const AlertSettings& settings, Milliseconds storm_window) {
    DeliveryGrouping grouping;
    grouping.group_threshold = settings.group_threshold;
    // A row held past max_retry_age would be dropped unsent.
    grouping.group_wait = std::min(settings.group_wait, settings.max_retry_age / 2);
    grouping.group_interval = settings.group_interval;
    grouping.storm_window = storm_window;
    return grouping;
}

bool groups_at_delivery(AlertSinkConfig::Type type) {
    return type != AlertSinkConfig::Type::alertmanager;
}

StormWindow storm_window_around(TimePoint head_created_at, Milliseconds storm_window) {
    return StormWindow{head_created_at - storm_window, head_created_at + storm_window};
}

DeliveryDecision decide_delivery(AlertSinkConfig::Type type, std::span<const QueuedMessage> queue,
                                 const StormActivity& activity,
                                 std::optional<TimePoint> last_group_sent, TimePoint now,
                                 const DeliveryGrouping& grouping) {
    if (queue.empty()) {
        return WaitUntil{TimePoint::max()};
    }
    const QueuedMessage& head = queue.front();
    // Rule 1.
    const bool pagerduty = type == AlertSinkConfig::Type::pagerduty;
    if (!groups_at_delivery(type) || grouping.storm_window <= Milliseconds{0} ||
        (pagerduty && head.resolves)) {
        return SendOne{head.id, false};
    }
    // Rule 2.
    if (now < head.created_at + grouping.group_wait) {
        return WaitUntil{head.created_at + grouping.group_wait};
    }
    // Rule 4.
    const bool storm =
        head.grouped || activity.grouped || activity.identities > grouping.group_threshold;
    if (!storm) {
        return SendOne{head.id, false};
    }
    // Rule 3.
    if (last_group_sent && now < *last_group_sent + grouping.group_interval) {
        return WaitUntil{*last_group_sent + grouping.group_interval};
    }
    std::size_t count = std::min(queue.size(), std::max<std::size_t>(grouping.max_group_rows, 1));
    if (pagerduty) {
        // A resolve goes alone, after the rows before it (order per identity).
        count = static_cast<std::size_t>(
            std::find_if(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count),
                         [](const QueuedMessage& message) { return message.resolves; }) -
            queue.begin());
    }
    if (count == 1) {
        return SendOne{head.id, true};
    }
    std::vector<std::int64_t> ids;
    ids.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        ids.push_back(queue[i].id);
    }
    return SendGroup{std::move(ids)};
}

} // namespace dkimwatch
