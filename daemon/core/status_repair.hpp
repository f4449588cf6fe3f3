#pragma once
// Repairs a status read from the state database so that it satisfies what the state machine
// relies on, always in the conservative direction: a repair never moves an identity toward
// revoked earlier than its records would, and never hides a problem (the state is kept, and the
// daemon logs each repair with event=state_repaired). What is repaired:
// - revocation_warning without a deadline, with one before 2000-01-01 or more than ten years
//   ahead, or with one not after the first failing check of its run: the deadline becomes
//   repaired_deadline(). The real deadline was the first failure of the confirming run plus
//   revocation_window, and that run began at or before `since` (when the warning began): the
//   repaired deadline is never earlier than the real one.
// - a deadline outside revocation_warning: cleared (it is set exactly in revocation_warning).
// - a run of failures without a plausible first failure (none, before 2000, or later than a
//   day ahead of `now`): the run restarts (consecutive_failures 0, no first failure), so a new
//   warning needs `confirmations` new failing checks and its deadline counts from the first.
// Pure; thread-safe.

#include "core/state_machine.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dkimwatch {

// The bounds of a plausible stored time, shared with the store's load checks
// (store/state_consistency.cpp). No dkimwatch state is older than 2000-01-01T00:00:00Z.
inline constexpr TimePoint k_earliest_state_time{Milliseconds{946'684'800'000}};
// Observations (since, first failure, last check, ...) may be this much ahead of the clock
// (a clock step between the run that wrote them and now) before they are implausible.
inline constexpr Milliseconds k_max_state_clock_ahead{std::chrono::hours{24}};
// A deadline is the first failure plus revocation_window: never this far ahead.
inline constexpr Milliseconds k_max_state_deadline_ahead{std::chrono::days{3653}};

struct StatusRepair {
    IdentityStatus status;
    // One line per repair, e.g. "deadline missing in revocation_warning: set to
    // 2026-01-06T00:10:00Z (the warning began at 2026-01-01T00:10:00Z, plus revocation_window)";
    // empty when the status needed none (status is then the input).
    std::vector<std::string> repairs;
};

StatusRepair repair_status(const IdentityStatus& status, TimePoint now,
                           const StateMachinePolicy& policy);

// The deadline of a revocation_warning whose stored deadline is unusable: the first failing
// check of the current run plus revocation_window when that check is at or before `since` (it
// is then the confirming run's), else `since` plus revocation_window.
TimePoint repaired_deadline(const IdentityStatus& status, const StateMachinePolicy& policy);

} // namespace dkimwatch
