#pragma once
// PagerDuty Events API v2: POST sink.url (default https://events.pagerduty.com/v2/enqueue),
// success status 202. Pure.
//
// A trigger:
//   {"routing_key", "event_action": "trigger", "dedup_key",
//    "payload": {"summary" (<= 1024 chars), "source": "dkimwatch",
//                "severity": "critical"|"warning"|"info", "timestamp": <UTC of the event>,
//                "component": <domain>, "group": "<account>/<region>", "class": <event kind>,
//                "custom_details": {explanation, state, state_since, deadline, reason, records}}}
// A resolve carries only routing_key, event_action "resolve" and dedup_key.
//
// dedup_key is stable per identity and event family, so that one incident follows one problem:
//   "dkimwatch:<account>:<region>:<domain>:revocation"  revocation_warning, reminder, revoked and
//       still_revoked_records_back trigger it; recovered and config_changed (the setup was
//       redone or changed: the old problem is gone) resolve it
//   "...:pending"  pending_overdue triggers it, verified resolves it
//   "...:blind"    monitoring_blind triggers it (resolve it by hand: no event ends blindness)
//   "...:test"     test alerts (kind "test" or event.test), always a trigger
//   The SES source's events (domain "" for the sync of an account/region, so
//   "dkimwatch:<account>:<region>::ses_sync"):
//   "...:ses_status"  ses_status_changed to FAILED (critical) or TEMPORARY_FAILURE (warning)
//       triggers it; a change to any other status (SUCCESS: resolved; info) resolves it
//   "...:ses_signing" signing_disabled triggers it; signing_disabled with severity resolved
//       (signing on again) resolves it
//   "...:ses_email_identity" email_identity_unsigned triggers it (resolve it by hand)
//   "...:ses_removed" identity_removed triggers it (info)
//   "...:ses_sync"    ses_sync_failing triggers it, ses_sync_recovered resolves it
//   Their custom_details gain "ses_status": {"from": <name> | null, "to": <name>} for
//   ses_status_changed; "component" is the domain, or "SES sync of <account>/<region>".
// A key longer than PagerDuty's 255 characters becomes
// "dkimwatch:sha256:<hex SHA-256 of account NUL region NUL domain>:<family>".
// Storm control: a group is one storm incident, dedup_key "dkimwatch:storm" (the routing key
// scopes it), so every group of one storm lands in the same incident instead of paging again:
//   - a group with a triggering event is a trigger listing its events in custom_details;
//   - a group of only resolving events resolves the storm incident;
//   - render_pagerduty_storm_resolve() resolves it too: the sink's worker sends it after an
//     identity's resolve once nothing is left firing (sink_worker.cpp).
// Resolving events are not grouped at delivery (delivery_grouping.hpp), so the incident of an
// identity triggered alone is resolved by its own key.

#include "alert/alert_message.hpp"

#include <cstddef>
#include <string>

namespace dkimwatch {

inline constexpr std::size_t k_pagerduty_summary_limit = 1024;
inline constexpr const char* k_pagerduty_storm_dedup_key = "dkimwatch:storm";

std::string pagerduty_dedup_key(const AlertEvent& event);

// "trigger" or "resolve".
const char* pagerduty_event_action(const AlertEvent& event);

HttpRequest render_pagerduty_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                     TimePoint now);
// The resolve of the storm incident.
HttpRequest render_pagerduty_storm_resolve(const AlertSinkConfig& sink);

} // namespace dkimwatch
