#include "core/state_machine.hpp"

#include "core/status_repair.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <openssl/evp.h>
#include <stdexcept>
#include <utility>

namespace dkimwatch {

namespace {

constexpr std::array<IdentityState, 4> k_states{IdentityState::pending, IdentityState::verified,
                                                IdentityState::revocation_warning,
                                                IdentityState::revoked};

constexpr std::array<StateEventKind, 9> k_event_kinds{
    StateEventKind::verified,           StateEventKind::pending_overdue,
    StateEventKind::revocation_warning, StateEventKind::reminder,
    StateEventKind::recovered,          StateEventKind::revoked,
    StateEventKind::monitoring_blind,   StateEventKind::still_revoked_records_back,
    StateEventKind::config_changed};

// "2024-01-06T00:10:00Z": UTC, to the second (milliseconds are dropped).
std::string format_time(TimePoint time) {
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss clock{std::chrono::floor<std::chrono::seconds>(time - day)};
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return text;
}

// A duration for a reason text, to the second: "23h59m", "0s".
std::string format_span(Milliseconds span) {
    return format_duration(std::chrono::floor<std::chrono::seconds>(span));
}

std::string plural(int count, const char* singular, const char* plural_form) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural_form);
}

int effective_confirmations(const StateMachinePolicy& policy) {
    return std::max(1, policy.confirmations);
}

// The smallest positive reminder threshold that `left` has reached (left <= threshold).
std::optional<Milliseconds> smallest_crossed_reminder(const StateMachinePolicy& policy,
                                                      Milliseconds left) {
    std::optional<Milliseconds> smallest;
    for (const Milliseconds threshold : policy.reminders) {
        if (threshold > Milliseconds::zero() && left <= threshold &&
            (!smallest || threshold < *smallest)) {
            smallest = threshold;
        }
    }
    return smallest;
}

// Appends an event and moves the status to `to` (a no-op move when to == status.state).
void raise(Transition& transition, StateEventKind kind, TimePoint at, IdentityState to,
           std::string reason, std::optional<TimePoint> deadline = std::nullopt) {
    StateEvent event;
    event.kind = kind;
    event.at = at;
    event.from = transition.status.state;
    event.to = to;
    event.reason = std::move(reason);
    event.deadline = deadline;
    if (to != transition.status.state) {
        transition.status.state = to;
        transition.status.since = at;
    }
    transition.events.push_back(std::move(event));
}

void apply_time_rules(Transition& transition, TimePoint now, const StateMachinePolicy& policy) {
    IdentityStatus& status = transition.status;
    const IdentityState state = status.state;

    if (state == IdentityState::pending && !status.pending_overdue_raised &&
        now - status.entered_pending_at >= policy.pending_timeout) {
        status.pending_overdue_raised = true;
        raise(transition, StateEventKind::pending_overdue, now, state,
              "still pending " + format_span(now - status.entered_pending_at) + " after " +
                  format_time(status.entered_pending_at) + ": SES gives up verifying after " +
                  format_span(policy.pending_timeout) +
                  " and has probably marked DKIM verification FAILED; publish the records, "
                  "then restart DKIM verification in SES");
    }

    if (status.indeterminate_since && !status.blind_raised &&
        now - *status.indeterminate_since > policy.blind_after) {
        status.blind_raised = true;
        raise(transition, StateEventKind::monitoring_blind, now, state,
              "no conclusive DNS answer for " + format_span(now - *status.indeterminate_since) +
                  " (since " + format_time(*status.indeterminate_since) +
                  "): dkimwatch cannot tell whether the records are in place; the state stays " +
                  identity_state_name(state));
    }

    if (state == IdentityState::revocation_warning && status.deadline && now < *status.deadline) {
        const Milliseconds left = *status.deadline - now;
        const auto threshold = smallest_crossed_reminder(policy, left);
        if (threshold && (!status.reminder_covered || *threshold < *status.reminder_covered)) {
            status.reminder_covered = threshold;
            raise(transition, StateEventKind::reminder, now, state,
                  "DKIM revocation expected in " + format_span(left) + " (at " +
                      format_time(*status.deadline) +
                      ") unless the records are restored; reminder " + format_duration(*threshold) +
                      " before the deadline",
                  status.deadline);
            transition.events.back().reminder_threshold = threshold;
        }
    }
}

void apply_check(Transition& transition, Severity worst, TimePoint at,
                 const StateMachinePolicy& policy) {
    IdentityStatus& status = transition.status;
    const int confirmations = effective_confirmations(policy);

    // A revocation_warning always has a deadline, except in a damaged state database (the
    // daemon repairs those when it loads them, see core/status_repair.hpp): then the
    // conservative repaired deadline, never earlier than the real one, from the run as stored.
    if (status.state == IdentityState::revocation_warning && !status.deadline) {
        status.deadline = repaired_deadline(status, policy);
    }

    ++status.checks_total;
    status.last_check_at = at;
    status.last_worst = worst;

    if (worst == Severity::indeterminate) {
        ++status.indeterminate_total;
        if (!status.indeterminate_since) {
            status.indeterminate_since = at;
        }
        return;
    }
    status.indeterminate_since.reset();
    status.blind_raised = false;

    const bool all_ok = worst == Severity::ok || worst == Severity::warning;
    if (all_ok) {
        ++status.consecutive_successes;
        status.consecutive_failures = 0;
        status.first_failure_at.reset();
    } else {
        ++status.failures_total;
        ++status.consecutive_failures;
        status.consecutive_successes = 0;
        if (!status.first_failure_at) {
            status.first_failure_at = at;
        }
    }

    switch (status.state) {
    case IdentityState::pending:
        if (all_ok) {
            raise(transition, StateEventKind::verified, at, IdentityState::verified,
                  worst == Severity::ok
                      ? "all DKIM records are correct: verified"
                      : "all DKIM records are in place (with warnings, see the record "
                        "verdicts): verified");
        }
        break;

    case IdentityState::verified:
        if (!all_ok && status.consecutive_failures >= confirmations) {
            const TimePoint first = status.first_failure_at.value_or(at); // set above
            const TimePoint deadline = first + policy.revocation_window;
            std::string reason = "DKIM records failing since " + format_time(first) + " (" +
                                 plural(status.consecutive_failures, "check", "checks") +
                                 "): SES may already have stopped DKIM-signing mail";
            if (at < deadline) {
                reason += " and will revoke DKIM at about " + format_time(deadline) +
                          " unless the records are restored";
            } else {
                reason += ", and the revocation deadline " + format_time(deadline) +
                          " has passed: DKIM may already be revoked";
            }
            status.deadline = deadline;
            // Thresholds already crossed are covered by this event, which states the deadline.
            status.reminder_covered = smallest_crossed_reminder(policy, deadline - at);
            raise(transition, StateEventKind::revocation_warning, at,
                  IdentityState::revocation_warning, std::move(reason), deadline);
        }
        break;

    case IdentityState::revocation_warning: {
        const TimePoint deadline = status.deadline.value_or(status.since); // set above
        if (all_ok && status.consecutive_successes >= confirmations) {
            std::string reason = "DKIM records correct again (" +
                                 plural(status.consecutive_successes, "check", "checks") + ") ";
            if (at < deadline) {
                reason += "before the revocation deadline " + format_time(deadline) + ": verified";
            } else {
                reason += "after the revocation deadline " + format_time(deadline) +
                          ": verified, but check in SES that DKIM signing is still enabled";
            }
            status.deadline.reset();
            status.reminder_covered.reset();
            raise(transition, StateEventKind::recovered, at, IdentityState::verified,
                  std::move(reason), deadline);
        } else if (!all_ok && at >= deadline) {
            status.deadline.reset();
            status.reminder_covered.reset();
            status.records_back_raised = false;
            raise(transition, StateEventKind::revoked, at, IdentityState::revoked,
                  "DKIM records still failing at or after the revocation deadline " +
                      format_time(deadline) +
                      ": SES has revoked DKIM; the DKIM setup must be redone in SES (new "
                      "records, new configuration) before SES signs again",
                  deadline);
        }
        break;
    }

    case IdentityState::revoked:
        if (!all_ok) {
            status.records_back_raised = false;
        } else if (!status.records_back_raised) {
            status.records_back_raised = true;
            raise(transition, StateEventKind::still_revoked_records_back, at,
                  IdentityState::revoked,
                  "the DKIM records are correct again, but SES revoked DKIM at " +
                      format_time(status.since) +
                      "; it stays revoked until the DKIM setup is redone in SES and the "
                      "configuration updated");
        }
        break;
    }
}

// Fingerprint fields: the method, then name=value pairs.
struct FingerprintParts {
    std::string method;
    std::map<std::string, std::string> fields;
};

std::optional<FingerprintParts> split_fingerprint(const std::string& fingerprint) {
    FingerprintParts parts;
    std::size_t start = 0;
    bool first = true;
    while (start <= fingerprint.size()) {
        std::size_t end = fingerprint.find(' ', start);
        if (end == std::string::npos) {
            end = fingerprint.size();
        }
        const std::string word = fingerprint.substr(start, end - start);
        if (first) {
            if (word.empty() || word.find('=') != std::string::npos) {
                return std::nullopt;
            }
            parts.method = word;
            first = false;
        } else {
            const std::size_t equals = word.find('=');
            if (equals == std::string::npos || equals == 0 ||
                !parts.fields.emplace(word.substr(0, equals), word.substr(equals + 1)).second) {
                return std::nullopt;
            }
        }
        start = end + 1;
    }
    if (parts.fields.empty()) {
        return std::nullopt; // not made by identity_fingerprint()
    }
    return parts;
}

std::string field_phrase(const std::string& name) {
    if (name == "zone") {
        return "signing hosted zone";
    }
    if (name == "key_sha256") {
        return "public key";
    }
    return name;
}

// "the configured tokens changed", "the DKIM method changed from easy_dkim to byodkim", ...
std::string describe_change(const std::string& before, const std::string& after) {
    const auto old_parts = split_fingerprint(before);
    const auto new_parts = split_fingerprint(after);
    if (!old_parts || !new_parts) {
        return "the configured DKIM setup changed";
    }
    if (old_parts->method != new_parts->method) {
        return "the DKIM method changed from " + old_parts->method + " to " + new_parts->method;
    }
    std::vector<std::string> changed;
    for (const auto& [name, value] : new_parts->fields) {
        const auto old = old_parts->fields.find(name);
        if (old == old_parts->fields.end() || old->second != value) {
            changed.push_back(field_phrase(name));
        }
    }
    for (const auto& [name, value] : old_parts->fields) {
        if (!new_parts->fields.contains(name)) {
            changed.push_back(field_phrase(name));
        }
    }
    if (changed.empty()) {
        return "the configured DKIM setup changed";
    }
    std::string list;
    for (std::size_t i = 0; i < changed.size(); ++i) {
        if (i > 0) {
            list += i + 1 == changed.size() ? " and " : ", ";
        }
        list += changed[i];
    }
    return "the configured " + list + " changed";
}

std::string sha256_hex(const std::vector<unsigned char>& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed"); // fatal: no SHA-256
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += k_hex[digest[i] >> 4];
        hex += k_hex[digest[i] & 0x0f];
    }
    return hex;
}

std::string lowercase(std::string text) {
    for (char& c : text) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return text;
}

} // namespace

const char* identity_state_name(IdentityState state) {
    switch (state) {
    case IdentityState::pending:
        return "pending";
    case IdentityState::verified:
        return "verified";
    case IdentityState::revocation_warning:
        return "revocation_warning";
    case IdentityState::revoked:
        return "revoked";
    }
    return "unknown";
}

std::optional<IdentityState> parse_identity_state(std::string_view name) {
    for (const IdentityState state : k_states) {
        if (name == identity_state_name(state)) {
            return state;
        }
    }
    return std::nullopt;
}

const char* state_event_kind_name(StateEventKind kind) {
    switch (kind) {
    case StateEventKind::verified:
        return "verified";
    case StateEventKind::pending_overdue:
        return "pending_overdue";
    case StateEventKind::revocation_warning:
        return "revocation_warning";
    case StateEventKind::reminder:
        return "reminder";
    case StateEventKind::recovered:
        return "recovered";
    case StateEventKind::revoked:
        return "revoked";
    case StateEventKind::monitoring_blind:
        return "monitoring_blind";
    case StateEventKind::still_revoked_records_back:
        return "still_revoked_records_back";
    case StateEventKind::config_changed:
        return "config_changed";
    }
    return "unknown";
}

std::optional<StateEventKind> parse_state_event_kind(std::string_view name) {
    for (const StateEventKind kind : k_event_kinds) {
        if (name == state_event_kind_name(kind)) {
            return kind;
        }
    }
    return std::nullopt;
}

const char* event_severity_name(EventSeverity severity) {
    switch (severity) {
    case EventSeverity::info:
        return "info";
    case EventSeverity::warning:
        return "warning";
    case EventSeverity::critical:
        return "critical";
    case EventSeverity::resolved:
        return "resolved";
    }
    return "unknown";
}

EventSeverity event_severity(StateEventKind kind) {
    switch (kind) {
    case StateEventKind::verified:
    case StateEventKind::still_revoked_records_back:
    case StateEventKind::config_changed:
        return EventSeverity::info;
    case StateEventKind::pending_overdue:
    case StateEventKind::monitoring_blind:
        return EventSeverity::warning;
    case StateEventKind::revocation_warning:
    case StateEventKind::reminder:
    case StateEventKind::revoked:
        return EventSeverity::critical;
    case StateEventKind::recovered:
        return EventSeverity::resolved;
    }
    return EventSeverity::info;
}

std::optional<std::string> policy_error(const StateMachinePolicy& policy) {
    if (policy.confirmations < 1) {
        return "confirmations must be at least 1 (got " + std::to_string(policy.confirmations) +
               ")";
    }
    if (policy.pending_timeout <= Milliseconds::zero()) {
        return "pending_timeout must be positive (got " + format_duration(policy.pending_timeout) +
               ")";
    }
    if (policy.revocation_window <= Milliseconds::zero()) {
        return "revocation_window must be positive (got " +
               format_duration(policy.revocation_window) + ")";
    }
    if (policy.blind_after < Milliseconds::zero()) {
        return "blind_after must not be negative (got " + format_duration(policy.blind_after) + ")";
    }
    for (const Milliseconds reminder : policy.reminders) {
        if (reminder <= Milliseconds::zero()) {
            return "reminders must be positive (got " + format_duration(reminder) + ")";
        }
    }
    return std::nullopt;
}

std::string format_state_time(TimePoint time) {
    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in milliseconds since 1970.
    constexpr std::int64_t k_first_ms = -62'167'219'200'000;
    constexpr std::int64_t k_last_ms = 253'402'300'799'999;
    const std::int64_t ms = time.time_since_epoch().count();
    if (ms < k_first_ms || ms > k_last_ms) {
        return std::to_string(ms) + " ms since 1970";
    }
    return format_time(time);
}

IdentityStatus initial_status(std::string fingerprint, TimePoint now) {
    IdentityStatus status;
    status.fingerprint = std::move(fingerprint);
    status.state = IdentityState::pending;
    status.since = now;
    status.entered_pending_at = now;
    return status;
}

Transition on_check(const IdentityStatus& status, Severity worst, TimePoint at,
                    const StateMachinePolicy& policy) {
    Transition transition{status, {}};
    apply_check(transition, worst, at, policy);
    apply_time_rules(transition, at, policy);
    return transition;
}

Transition on_tick(const IdentityStatus& status, TimePoint now, const StateMachinePolicy& policy) {
    Transition transition{status, {}};
    apply_time_rules(transition, now, policy);
    return transition;
}

Transition on_config(const IdentityStatus& status, const std::string& fingerprint, TimePoint now) {
    if (fingerprint == status.fingerprint) {
        return Transition{status, {}};
    }
    IdentityStatus next = initial_status(fingerprint, now);
    next.checks_total = status.checks_total;
    next.failures_total = status.failures_total;
    next.indeterminate_total = status.indeterminate_total;

    StateEvent event;
    event.kind = StateEventKind::config_changed;
    event.at = now;
    event.from = status.state;
    event.to = IdentityState::pending;
    event.reason = describe_change(status.fingerprint, fingerprint) + " (was " +
                   identity_state_name(status.state) + "): restarting at pending";
    return Transition{std::move(next), {std::move(event)}};
}

std::string identity_fingerprint(const Identity& identity) {
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        std::array<std::string, 3> tokens = easy->tokens;
        std::sort(tokens.begin(), tokens.end());
        return "easy_dkim tokens=" + tokens[0] + "," + tokens[1] + "," + tokens[2] +
               " zone=" + easy->signing_hosted_zone;
    }
    const auto& byo = std::get<Byodkim>(identity.method);
    return "byodkim selector=" + lowercase(byo.selector) +
           " key_sha256=" + sha256_hex(byo.public_key_der);
}

} // namespace dkimwatch
