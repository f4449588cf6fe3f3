#pragma once
// The per-identity state machine: a pure function from (previous status, one input, policy) to
// (next status, events). Inputs are a check result (on_check), the passage of time (on_tick) and
// a configuration change (on_config). No clock, no I/O: the caller passes the time, persists the
// returned status and delivers the returned events.
//
//   pending ──all ok──> verified ──error on `confirmations` checks──> revocation_warning
//      ^                   ^                                            │          │
//      │                   └──────ok on `confirmations` checks──────────┘          │
//      │                                               error check at/after deadline
//      │                                                                           v
//      └──────────── fingerprint change (from any state) ───────────────────── revoked (sticky)
//
// Rules common to every state:
// - A check's worst severity decides: ok and warning count as "all records ok" (warnings such as
//   weak_key or testing_mode never change state), error is a definite problem, indeterminate
//   (dns_error and no error) is no information: it neither counts as a failure nor resets a run,
//   and never moves an identity toward revoked.
// - A call moves an identity by at most one state. Each event carries from/to; for events that
//   do not change state (pending_overdue, reminder, monitoring_blind, still_revoked_records_back)
//   from == to.
// - Once-only events are guarded by flags in the status, so repeating a tick at the same time
//   produces nothing new.
// Thread-safety: every function is pure and reentrant.

#include "core/duration.hpp"
#include "core/identity.hpp"
#include "core/verdict.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// Wall-clock time (it is persisted across restarts), with millisecond precision so that it
// round-trips exactly through the store's integer milliseconds since the Unix epoch. From the
// system clock: std::chrono::floor<Milliseconds>(std::chrono::system_clock::now()).
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Milliseconds>;

enum class IdentityState {
    pending,            // configured, never yet seen with all records ok
    verified,           // all records ok (as far as dkimwatch last knew)
    revocation_warning, // a confirmed definite problem; SES may have stopped signing
    revoked,            // the problem outlived the deadline; SES needs the setup redone
};

// "pending", "verified", "revocation_warning", "revoked": a public contract (store, metrics
// labels, JSON); never rename one.
const char* identity_state_name(IdentityState state);
// Inverse of identity_state_name(); nullopt for any other text.
std::optional<IdentityState> parse_identity_state(std::string_view name);

enum class StateEventKind {
    verified,                   // pending -> verified
    pending_overdue,            // still pending pending_timeout after entering pending
    revocation_warning,         // verified -> revocation_warning
    reminder,                   // revocation_warning: a reminder threshold before the deadline
    recovered,                  // revocation_warning -> verified
    revoked,                    // revocation_warning -> revoked
    monitoring_blind,           // only indeterminate checks for longer than blind_after
    still_revoked_records_back, // revoked, and the records are all ok again
    config_changed,             // the fingerprint changed: any state -> pending
};

// The kind names above, e.g. "revocation_warning": a public contract, never rename one.
const char* state_event_kind_name(StateEventKind kind);
// Inverse of state_event_kind_name(); nullopt for any other text.
std::optional<StateEventKind> parse_state_event_kind(std::string_view name);

// How an event should be treated by alert sinks. `resolved` closes an earlier critical alert
// (the revocation warning) for the same identity.
enum class EventSeverity { info, warning, critical, resolved };

// "info", "warning", "critical", "resolved".
const char* event_severity_name(EventSeverity severity);
// verified, still_revoked_records_back, config_changed: info; pending_overdue,
// monitoring_blind: warning; revocation_warning, reminder, revoked: critical; recovered:
// resolved.
EventSeverity event_severity(StateEventKind kind);

inline constexpr int k_default_confirmations = 2;
inline constexpr Milliseconds k_default_pending_timeout = std::chrono::hours{72};
inline constexpr Milliseconds k_default_revocation_window = std::chrono::hours{120};
inline constexpr Milliseconds k_default_blind_after = std::chrono::hours{1};

struct StateMachinePolicy {
    // Consecutive determinate checks needed both to confirm a problem (verified ->
    // revocation_warning) and to confirm a recovery (revocation_warning -> verified). Must be
    // >= 1; the functions treat smaller values as 1.
    int confirmations = k_default_confirmations;
    // How long an identity may stay pending, from entered_pending_at, before pending_overdue
    // (SES gives up verifying after 72 hours and marks the identity FAILED).
    Milliseconds pending_timeout = k_default_pending_timeout;
    // The revocation deadline is the first failing check of the confirming run plus this.
    Milliseconds revocation_window = k_default_revocation_window;
    // monitoring_blind is raised once the current run of indeterminate checks is strictly
    // longer than this, measured from its first check. Must be >= 0.
    Milliseconds blind_after = k_default_blind_after;
    // Time left before the deadline at which a reminder is raised while in revocation_warning.
    // Order and duplicates do not matter; values <= 0 are ignored. Empty: no reminders.
    std::vector<Milliseconds> reminders{std::chrono::hours{48}, std::chrono::hours{24},
                                        std::chrono::hours{6}, std::chrono::hours{1}};

    bool operator==(const StateMachinePolicy&) const = default;
};

// The first problem with a policy as a sentence fragment naming the field, e.g.
// "confirmations must be at least 1 (got 0)"; nullopt when the policy is valid.
std::optional<std::string> policy_error(const StateMachinePolicy& policy);

// Everything the state machine knows about one identity, keyed by (account, region, domain)
// outside this struct. Plain data: the store persists every field and restores it as is; two
// statuses are equal exactly when every field is. All TimePoints are wall-clock times in the
// same clock as the calls that produced them.
struct IdentityStatus {
    // identity_fingerprint() of the configuration this status belongs to. A different
    // fingerprint (on_config) restarts the identity at pending.
    std::string fingerprint;

    IdentityState state = IdentityState::pending;
    // When `state` was entered.
    TimePoint since{};
    // When the identity last entered pending (first configured, or last fingerprint change).
    // Kept after leaving pending, for display; pending_timeout counts from here.
    TimePoint entered_pending_at{};
    // The revocation deadline: set exactly while state == revocation_warning. The first
    // failing check of the confirming run plus revocation_window; it never moves while in
    // revocation_warning, however the checks flap.
    std::optional<TimePoint> deadline;

    // The current run of determinate checks, in every state. An error check increments
    // consecutive_failures (setting first_failure_at when the run starts) and zeroes
    // consecutive_successes; an ok or warning check increments consecutive_successes, zeroes
    // consecutive_failures and clears first_failure_at. Indeterminate checks change none of
    // the three.
    int consecutive_failures = 0;
    std::optional<TimePoint> first_failure_at;
    int consecutive_successes = 0;

    // Time of the first check of the current run of indeterminate checks; nullopt once a
    // determinate check arrives.
    std::optional<TimePoint> indeterminate_since;

    // Once-only guards.
    // pending_overdue raised during the current pending spell (reset on entering pending).
    bool pending_overdue_raised = false;
    // monitoring_blind raised for the current indeterminate run (reset by a determinate check).
    bool blind_raised = false;
    // In revoked: still_revoked_records_back raised since the last error check (reset by an
    // error check and on entering revoked).
    bool records_back_raised = false;
    // In revocation_warning: the smallest reminder threshold already announced in this warning,
    // by a reminder event or by the revocation_warning event itself (thresholds already
    // crossed when the warning starts are not announced separately). nullopt: none yet.
    std::optional<Milliseconds> reminder_covered;

    // Lifetime counters for this identity key: monotonic, kept across fingerprint changes
    // (they feed *_total metrics). Every check; error checks; indeterminate checks.
    std::uint64_t checks_total = 0;
    std::uint64_t failures_total = 0;
    std::uint64_t indeterminate_total = 0;

    // The latest check of the current configuration: its time and worst severity. nullopt
    // before the first check and after a fingerprint change.
    std::optional<TimePoint> last_check_at;
    std::optional<Severity> last_worst;

    bool operator==(const IdentityStatus&) const = default;
};

struct StateEvent {
    StateEventKind kind = StateEventKind::verified;
    TimePoint at{};                              // the time passed to the call that raised it
    IdentityState from = IdentityState::pending; // state before the event
    IdentityState to = IdentityState::pending;   // state after it (== from unless it transitions)
    std::string reason;                          // one line, for humans; no trailing period
    // The revocation deadline, for revocation_warning, reminder, recovered (the deadline that
    // was avoided) and revoked (the deadline that passed); nullopt for the other kinds.
    std::optional<TimePoint> deadline;
    // For reminder only: the policy threshold (time before the deadline) that was crossed.
    std::optional<Milliseconds> reminder_threshold;

    bool operator==(const StateEvent&) const = default;
};

struct Transition {
    IdentityStatus status;          // the next status, to persist
    std::vector<StateEvent> events; // in the order they happened; often empty
};

// "2024-01-06T00:10:00Z": UTC, to the second (milliseconds are dropped), as reasons show times.
// Times outside the years 0000..9999 are shown as "<N> ms since 1970".
std::string format_state_time(TimePoint time);

// A newly configured identity: pending since `now`, everything else zero.
IdentityStatus initial_status(std::string fingerprint, TimePoint now);

// Applies one check whose worst record severity is `worst` (IdentityReport::worst), made at
// `at`; then applies the time-based rules of on_tick() at `at` to the result. Hence
// on_tick(on_check(s, w, t).status, t, p) never raises anything new.
Transition on_check(const IdentityStatus& status, Severity worst, TimePoint at,
                    const StateMachinePolicy& policy);

// The time-based rules, for the daemon to call periodically between checks: pending_overdue,
// monitoring_blind and reminders. Never changes state (a tick alone never revokes: that needs
// an error check at or after the deadline).
Transition on_tick(const IdentityStatus& status, TimePoint now, const StateMachinePolicy& policy);

// The identity's configuration now has `fingerprint`. Same fingerprint: the status unchanged,
// no events. Different: a fresh initial_status(fingerprint, now) that keeps the lifetime
// counters, and a config_changed event naming what changed and the state left.
Transition on_config(const IdentityStatus& status, const std::string& fingerprint, TimePoint now);

// A stable text that changes exactly when the records SES expects change:
//   "easy_dkim tokens=<t1>,<t2>,<t3> zone=<signing hosted zone>" (tokens sorted), or
//   "byodkim selector=<selector, lowercase> key_sha256=<64 lowercase hex digits of the DER>".
// Domain, account and region are the identity's key, not part of the fingerprint.
std::string identity_fingerprint(const Identity& identity);

} // namespace dkimwatch
