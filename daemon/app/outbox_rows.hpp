#pragma once
// The alert outbox rows that events give under the configured sinks: the daemon saves them with
// the events that caused them, in one transaction.

#include "alert/alert_event.hpp"
#include "config/config.hpp"
#include "core/state_machine.hpp"
#include "store/state_store.hpp"

#include <vector>

namespace dkimwatch {

// The outbox rows for `events` under `settings` (severity filters, storm control) at `now`.
// Empty when there are no sinks or no events.
std::vector<OutboxRowInsert> outbox_rows(const AlertSettings& settings,
                                         const std::vector<AlertEvent>& events, TimePoint now);

} // namespace dkimwatch
