#pragma once
// What the outbox holds for one sink: a single identity's event or a grouped message, with
// JSON (de)serialization for the outbox's message column, and the rendering of an HTTP request
// for each sink type. Pure: the time is passed in, nothing is sent.

#include "alert/alert_event.hpp"
#include "alert/http_exchange.hpp"
#include "config/config.hpp"
#include "core/result.hpp"

#include <string>
#include <variant>

namespace dkimwatch {

using AlertMessage = std::variant<AlertEvent, AlertGroup>;

// Stable JSON for the outbox (round-trips exactly: from_json(to_json(m)) == m).
std::string alert_message_to_json(const AlertMessage& message);
Result<AlertMessage> alert_message_from_json(const std::string& json);

// The one-line summary that reads well in a phone notification, e.g.
// "DKIM revocation warning: example.com (111122223333, us-east-1): 1 record missing; SES
// revokes DKIM in 4d21h". `now` makes the relative parts true at delivery time.
std::string alert_summary(const AlertMessage& message, TimePoint now);

// The HTTP request that delivers `message` to `sink` at `now`: Slack Block Kit, the versioned
// webhook document (signed when the sink has a secret), Alertmanager's POST /api/v2/alerts, or a
// PagerDuty Events API v2 event. For alertmanager a group is rendered as its individual alerts.
HttpRequest render_alert_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                 TimePoint now);

} // namespace dkimwatch
