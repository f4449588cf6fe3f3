#pragma once
// What an alert says, independent of where it goes. Built by the daemon from a state machine
// event (or several, for a grouped message), stored as JSON in the outbox in the same
// transaction as the transition, and rendered for each sink when it is sent, so that relative
// times ("deadline in 4d21h") are true at delivery time.

#include "core/identity.hpp"
#include "core/state_machine.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

struct AlertRecord {
    std::string name;    // canonical record name
    std::string type;    // "CNAME" or "TXT"
    std::string verdict; // verdict code name, e.g. "missing"
    std::string expected;
    std::optional<std::string> observed;
    std::string message; // what is wrong and how to fix it

    bool operator==(const AlertRecord&) const = default;
};

struct AlertEvent {
    // state_event_kind_name() of the event ("revocation_warning", "reminder", "recovered",
    // "revoked", "verified", "pending_overdue", "monitoring_blind",
    // "still_revoked_records_back", "config_changed"), ses_event_kind_name() of an SES event
    // ("ses_status_changed", "signing_disabled", "email_identity_unsigned", "identity_removed",
    // "ses_sync_failing", "ses_sync_recovered"; see alert/ses_event_builder.hpp), or "test" for
    // `dkimwatch test-alert`. The SES sync events concern an account/region, not an identity:
    // their key.domain is "" and they are rendered as "SES sync of <account>/<region>".
    std::string kind;
    EventSeverity severity = EventSeverity::info;
    IdentityKey key;
    IdentityState state = IdentityState::pending; // the identity's state after the event
    TimePoint state_since{};                      // when that state was entered
    std::optional<TimePoint> deadline;            // expected revocation, when relevant
    std::optional<Milliseconds> reminder_threshold;
    TimePoint at{};                   // when the event happened
    std::string reason;               // the state machine's one-line reason
    std::vector<AlertRecord> records; // the failing records (non-ok verdicts) at the event
    bool test = false;                // a sample sent by `dkimwatch test-alert`
    // ses_status_changed: SES's DKIM status names before ("" when first seen) and after;
    // "" for every other kind.
    std::string ses_from;
    std::string ses_to;

    bool operator==(const AlertEvent&) const = default;
};

// Several identities' events delivered as one message (storm control): when more than
// group_threshold identities change state within one batch, Slack, webhook and PagerDuty sinks
// get one of these instead of one message each. Alertmanager always gets individual alerts.
struct AlertGroup {
    std::vector<AlertEvent> events; // at most k_alert_group_cap, the most severe first
    std::size_t total = 0;          // how many events the group stands for (>= events.size())
    TimePoint at{};

    bool operator==(const AlertGroup&) const = default;
};

inline constexpr std::size_t k_alert_group_cap = 20;

// The outbox key of a grouped message (AlertGroup): entirely empty. An SES sync event
// (ses_sync_failing, ses_sync_recovered) has an empty domain but an account and a region: it is
// one event, not a group.
inline bool is_group_key(const IdentityKey& key) {
    return key.domain.empty() && key.account.empty() && key.region.empty();
}

} // namespace dkimwatch
