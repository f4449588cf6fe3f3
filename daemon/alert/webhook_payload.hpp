#pragma once
// The generic webhook: a documented, versioned JSON document (docs/alerts.md), POSTed to the
// sink's URL, signed with X-Dkimwatch-Signature when the sink has a secret. Pure.
//
// One event (version 1):
//   {"version": 1, "type": "event", "event": <kind>, "severity": "info|warning|critical|resolved",
//    "summary": <one line>, "test": <bool>,
//    "identity": {"account", "region", "domain"},
//    "state": <state after the event>, "state_since": <UTC>,
//    "deadline": <UTC> | null, "seconds_to_deadline": <int, negative once passed> | null,
//    "reason": <the state machine's reason>,
//    "records": [{"name", "type", "verdict", "expected", "observed": <string> | null, "message"}],
//    "at": <UTC of the event>, "sent_at": <UTC of delivery>}
//   SES events (event "ses_status_changed", "signing_disabled", "email_identity_unsigned",
//   "identity_removed", "ses_sync_failing", "ses_sync_recovered") use the same document;
//   ses_status_changed adds "ses_status": {"from": <SES status> | null, "to": <SES status>}
//   (before "at"), and the sync events have identity.domain "".
// A group (storm control):
//   {"version": 1, "type": "group", "total": <events it stands for>,
//    "severity": <most severe>, "summary", "test", "at", "sent_at",
//    "events": [<event documents as above, at most 20, most severe first>]}
// UTC times are RFC 3339 to the second ("2024-01-06T00:10:00Z"). New fields may be added
// within a version; a field is never removed or changed in meaning without a new version.

#include "alert/alert_message.hpp"

#include <string>

namespace dkimwatch {

inline constexpr int k_webhook_format_version = 1;

// The document above, compact.
std::string render_webhook_body(const AlertMessage& message, TimePoint now);

// POST render_webhook_body() to sink.url; success statuses 200, 201, 202, 204. With a
// sink.secret, adds X-Dkimwatch-Signature: webhook_signature(secret, now, body).
HttpRequest render_webhook_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                   TimePoint now);

} // namespace dkimwatch
