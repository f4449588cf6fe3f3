#pragma once
// From the state machine to alerts: the AlertEvent a state event becomes, and the alerting
// conditions an identity is in right now (what Alertmanager must keep seeing as firing). Pure.

#include "alert/alert_event.hpp"
#include "core/verdict.hpp"

#include <vector>

namespace dkimwatch {

// The alert for `event`, which moved identity `key` to `status`; `records` are the verdicts of
// the latest check (only the non-ok ones are carried).
AlertEvent make_alert_event(const IdentityKey& key, const IdentityStatus& status,
                            const StateEvent& event, const std::vector<RecordVerdict>& records);

// The conditions that are firing for an identity: revocation_warning (critical) while in
// revocation_warning, revoked (critical) while revoked, pending_overdue (warning) while pending
// past the timeout, monitoring_blind (warning) during a blind spell. Empty when all is well.
// A revocation_warning whose latest determinate check was ok (status.consecutive_successes > 0)
// is left out: it is recovering, and its alert is neither re-asserted nor resolved here until
// the recovery is confirmed (the recovered event resolves it) or a failing check puts it back.
// Why: with replicas, one may confirm the recovery and resolve the alert in Alertmanager while
// another, which has seen the record back but not yet confirmed, would otherwise re-send it as
// firing every resend_interval: a duplicate firing and a second resolved notification.
std::vector<AlertEvent> firing_conditions(const IdentityKey& key, const IdentityStatus& status,
                                          const std::vector<RecordVerdict>& records);

// The non-ok records of a check, as alerts carry them.
std::vector<AlertRecord> failing_records(const std::vector<RecordVerdict>& records);

} // namespace dkimwatch
