#include "alert/ses_event_builder.hpp"

#include <utility>

namespace dkimwatch {

AlertEvent make_ses_alert_event(const IdentityKey& key, const SesEvent& event, IdentityState state,
                                TimePoint state_since) {
    AlertEvent alert;
    alert.kind = ses_event_kind_name(event.kind);
    alert.severity = event.severity;
    alert.key = key;
    alert.state = state;
    alert.state_since = state_since;
    alert.at = event.at;
    alert.reason = event.reason;
    alert.ses_from = event.from;
    alert.ses_to = event.to;
    return alert;
}

std::vector<AlertEvent> ses_firing_conditions(const IdentityKey& key,
                                              const SesDomainIdentity& identity,
                                              IdentityState state, TimePoint state_since,
                                              TimePoint since) {
    std::vector<AlertEvent> firing;
    if (identity.status == SesDkimStatus::failed ||
        identity.status == SesDkimStatus::temporary_failure) {
        SesEvent event;
        event.kind = SesEventKind::ses_status_changed;
        event.severity = identity.status == SesDkimStatus::failed ? EventSeverity::critical
                                                                  : EventSeverity::warning;
        event.at = since;
        event.to = ses_dkim_status_name(identity.status);
        event.reason = "SES reports " + event.to;
        firing.push_back(make_ses_alert_event(key, event, state, state_since));
    }
    if (!identity.signing_enabled) {
        SesEvent event;
        event.kind = SesEventKind::signing_disabled;
        event.severity = EventSeverity::critical;
        event.at = since;
        event.reason = "SES has DKIM signing switched off for the identity";
        firing.push_back(make_ses_alert_event(key, event, state, state_since));
    }
    return firing;
}

AlertEvent ses_sync_failing_condition(const std::string& account, const std::string& region,
                                      TimePoint since, std::string reason) {
    SesEvent event;
    event.kind = SesEventKind::ses_sync_failing;
    event.severity = EventSeverity::warning;
    event.at = since;
    event.reason = std::move(reason);
    return make_ses_alert_event(IdentityKey{account, region, ""}, event, IdentityState::pending,
                                TimePoint{});
}

std::optional<SesEventKind> parse_ses_event_kind(std::string_view kind) {
    for (auto candidate : {SesEventKind::ses_status_changed, SesEventKind::signing_disabled,
                           SesEventKind::email_identity_unsigned, SesEventKind::identity_removed,
                           SesEventKind::ses_sync_failing, SesEventKind::ses_sync_recovered}) {
        if (kind == ses_event_kind_name(candidate)) {
            return candidate;
        }
    }
    return std::nullopt;
}

bool is_known_alert_kind(std::string_view kind) {
    return kind == "test" || parse_state_event_kind(kind) || parse_ses_event_kind(kind);
}

} // namespace dkimwatch
