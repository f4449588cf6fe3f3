#include "alert/event_builder.hpp"

namespace dkimwatch {

std::vector<AlertRecord> failing_records(const std::vector<RecordVerdict>& records) {
    std::vector<AlertRecord> out;
    for (const auto& record : records) {
        if (record.code == VerdictCode::ok) {
            continue;
        }
        out.push_back({record.name, record.type, verdict_code_name(record.code), record.expected,
                       record.observed, record.message});
    }
    return out;
}

AlertEvent make_alert_event(const IdentityKey& key, const IdentityStatus& status,
                            const StateEvent& event, const std::vector<RecordVerdict>& records) {
    AlertEvent alert;
    alert.kind = state_event_kind_name(event.kind);
    alert.severity = event_severity(event.kind);
    alert.key = key;
    alert.state = status.state;
    alert.state_since = status.since;
    alert.deadline = event.deadline ? event.deadline : status.deadline;
    alert.reminder_threshold = event.reminder_threshold;
    alert.at = event.at;
    alert.reason = event.reason;
    alert.records = failing_records(records);
    return alert;
}

std::vector<AlertEvent> firing_conditions(const IdentityKey& key, const IdentityStatus& status,
                                          const std::vector<RecordVerdict>& records) {
    std::vector<AlertEvent> firing;
    const auto add = [&](StateEventKind kind, TimePoint since, std::string reason) {
        AlertEvent alert;
        alert.kind = state_event_kind_name(kind);
        alert.severity = event_severity(kind);
        alert.key = key;
        alert.state = status.state;
        alert.state_since = status.since;
        alert.deadline = status.deadline;
        alert.at = since;
        alert.reason = std::move(reason);
        alert.records = failing_records(records);
        firing.push_back(std::move(alert));
    };
    switch (status.state) {
    case IdentityState::revocation_warning:
        if (status.consecutive_successes > 0) {
            break; // recovering: see the header (a replica must not re-fire a resolved alert)
        }
        add(StateEventKind::revocation_warning, status.since,
            "a DKIM record has been failing since the warning began; SES may already have "
            "stopped signing");
        break;
    case IdentityState::revoked:
        add(StateEventKind::revoked, status.since,
            "SES has most likely revoked DKIM; the setup must be started again with new tokens");
        break;
    case IdentityState::pending:
        if (status.pending_overdue_raised) {
            add(StateEventKind::pending_overdue, status.entered_pending_at,
                "still pending after the pending timeout: SES will have marked the identity "
                "FAILED");
        }
        break;
    case IdentityState::verified:
        break;
    }
    if (status.blind_raised && status.indeterminate_since) {
        add(StateEventKind::monitoring_blind, *status.indeterminate_since,
            "only indeterminate DNS results for longer than blind_after: dkimwatch cannot see "
            "the records");
    }
    return firing;
}

} // namespace dkimwatch
