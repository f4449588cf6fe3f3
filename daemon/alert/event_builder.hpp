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
std::vector<AlertEvent> firing_conditions(const IdentityKey& key, const IdentityStatus& status,
                                          const std::vector<RecordVerdict>& records);

// The non-ok records of a check, as alerts carry them.
std::vector<AlertRecord> failing_records(const std::vector<RecordVerdict>& records);

} // namespace dkimwatch
