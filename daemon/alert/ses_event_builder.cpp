#include "alert/ses_event_builder.hpp"

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
