#pragma once
// From the SES source's events (core/ses_view.hpp) to alerts. Pure.

#include "alert/alert_event.hpp"
#include "core/ses_view.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// The alert for the SES event `event` of `key`; `state` and `state_since` are the identity's
// dkimwatch state (an SES event does not change it). For ses_sync_failing/ses_sync_recovered,
// which concern an account/region, pass key.domain == "" (state and state_since are then not
// shown). The alert carries kind, severity, time and reason of the event, and from/to as
// ses_from/ses_to; it has no records.
AlertEvent make_ses_alert_event(const IdentityKey& key, const SesEvent& event, IdentityState state,
                                TimePoint state_since);

// The SES conditions that are firing for an identity as SES reports it now, for the
// Alertmanager re-sends (the daemon's firing snapshot, next to firing_conditions()): SES's
// status FAILED (critical) or TEMPORARY_FAILURE (warning) as a ses_status_changed alert with
// ses_to set, and signing switched off as a signing_disabled alert (critical). `since` is when
// the daemon first saw the condition (the alert's startsAt). Empty when SES reports neither.
std::vector<AlertEvent> ses_firing_conditions(const IdentityKey& key,
                                              const SesDomainIdentity& identity,
                                              IdentityState state, TimePoint state_since,
                                              TimePoint since);

// The firing ses_sync_failing alert of an account/region whose syncs fail since `since`, with
// `reason` (the last error), for the same re-sends.
AlertEvent ses_sync_failing_condition(const std::string& account, const std::string& region,
                                      TimePoint since, std::string reason);

// The SES event kind named `kind` (ses_event_kind_name), or nullopt.
std::optional<SesEventKind> parse_ses_event_kind(std::string_view kind);

// Whether `kind` is an alert kind this build knows: a state event kind, an SES event kind, or
// "test".
bool is_known_alert_kind(std::string_view kind);

} // namespace dkimwatch
