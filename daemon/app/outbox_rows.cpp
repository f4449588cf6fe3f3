#include "app/outbox_rows.hpp"

#include "alert/alert_message.hpp"
#include "alert/outbox_plan.hpp"

namespace dkimwatch {

std::vector<OutboxRowInsert> outbox_rows(const AlertSettings& settings,
                                         const std::vector<AlertEvent>& events, TimePoint now) {
    std::vector<OutboxRowInsert> rows;
    if (settings.sinks.empty() || events.empty()) {
        return rows;
    }
    for (auto& planned : plan_outbox(settings, events, now)) {
        rows.push_back({std::move(planned.sink), std::move(planned.key),
                        alert_message_to_json(planned.message), planned.created_at});
    }
    return rows;
}

} // namespace dkimwatch
