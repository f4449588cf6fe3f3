#pragma once
// What changed between two views SES gave of one identity (events for the alert sinks, next to
// the state machine's), the health of the syncs of one account/region, and when a change in
// SES's view calls for an immediate DNS re-check. Pure: the caller passes the time, keeps the
// returned health and delivers the returned events. Thread-safe.

#include "core/ses_view.hpp"
#include "core/state_machine.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

// The events between `before` (the previous sync's view; nullptr: the identity is seen for the
// first time) and `after`, all at `now`, in this order:
// - ses_status_changed when SES's status changed, with from/to SES status names; first sight of
//   a status other than SUCCESS raises it with from "". Severity: critical to FAILED, resolved
//   to SUCCESS, warning to TEMPORARY_FAILURE, info otherwise. Two statuses SES added later
//   (both UNKNOWN) count as no change.
// - signing_disabled (critical) when SigningEnabled went from true to false, or is false at
//   first sight; signing_disabled (resolved) when it went from false back to true.
// - email_identity_unsigned (warning) naming the EMAIL_ADDRESS identities under the domain that
//   `before` did not list (every one at first sight); one event for all of them.
// Reasons name the domain, the cause and the fix.
std::vector<SesEvent> ses_identity_events(const SesDomainIdentity* before,
                                          const SesDomainIdentity& after, TimePoint now);

// Failed syncs in a row of one account/region before ses_sync_failing is raised.
inline constexpr int k_ses_sync_failures_to_raise = 3;

// The sync health of one account/region.
struct SesSyncHealth {
    int consecutive_failures = 0; // failed syncs since the last good one
    bool failing_raised = false;  // ses_sync_failing raised since the last good sync
    std::optional<TimePoint> last_success;
    bool operator==(const SesSyncHealth&) const = default;
};

struct SesSyncOutcome {
    SesSyncHealth health; // the next health, to keep
    std::vector<SesEvent> events;
};

// One sync of the account/region ended at `now`, `ok` or failing with `error` (one line; the
// caller makes sure it holds no secret). ses_sync_failing (warning, naming the error) is raised
// once, at the k_ses_sync_failures_to_raise-th failure in a row; the next good sync raises
// ses_sync_recovered (resolved) when it was raised, and resets the run.
SesSyncOutcome on_sync_result(const SesSyncHealth& health, bool ok, TimePoint now,
                              const std::string& error);

// True when SES's view changed to FAILED (or is FAILED at first sight) while dkimwatch has the
// identity verified: the records are to be checked again now, not at the next due time.
bool ses_wants_recheck(const SesDomainIdentity* before, const SesDomainIdentity& after,
                       IdentityState state);

} // namespace dkimwatch
