#include "alert/alertmanager_payload.hpp"

#include "alert/alert_json.hpp"
#include "alert/alert_text.hpp"
#include "alert/alert_time.hpp"
#include "alert/json_request.hpp"
#include "alert/ses_event_builder.hpp"
#include "alert/text_truncation.hpp"

#include <algorithm>
#include <chrono>

namespace dkimwatch {

namespace {

constexpr const char* k_revocation_warning = "DKIMRevocationWarning";
constexpr const char* k_revoked = "DKIMRevoked";
constexpr const char* k_pending_overdue = "DKIMPendingOverdue";
constexpr const char* k_monitoring_blind = "DKIMMonitoringBlind";
constexpr const char* k_test = "DKIMTest";
constexpr const char* k_unknown = "DKIMEvent";
constexpr const char* k_ses_failed = "DKIMSesFailed";
constexpr const char* k_ses_temporary_failure = "DKIMSesTemporaryFailure";
constexpr const char* k_ses_signing_disabled = "DKIMSesSigningDisabled";
constexpr const char* k_ses_email_identity_unsigned = "DKIMSesEmailIdentityUnsigned";
constexpr const char* k_ses_identity_removed = "DKIMSesIdentityRemoved";
constexpr const char* k_ses_sync_failing = "DKIMSesSyncFailing";

// How long a test alert (or one of an unknown kind) fires before Alertmanager resolves it by
// itself: nothing would ever resolve it otherwise.
constexpr std::chrono::minutes k_self_expiring_lifetime{5};

// Each record field (expected, observed, fix) is shortened to this many bytes.
constexpr std::size_t k_annotation_field_limit = 500;

// Notices without a condition that ends them (SES's email_identity_unsigned and
// identity_removed) expire by themselves too; the Prometheus rules keep the lasting conditions.
bool self_expiring(const AlertEvent& event) {
    return is_test_alert(event) || !is_known_alert_kind(event.kind) ||
           event.kind == "email_identity_unsigned" || event.kind == "identity_removed";
}

// The severity label: fixed per alertname so that a resolve matches what fired.
std::string severity_label(const std::string& alertname, const AlertEvent& event) {
    if (alertname == k_revocation_warning || alertname == k_revoked) {
        return "critical";
    }
    if (alertname == k_pending_overdue || alertname == k_monitoring_blind) {
        return "warning";
    }
    if (alertname == k_ses_failed || alertname == k_ses_signing_disabled) {
        return "critical";
    }
    if (alertname == k_ses_temporary_failure || alertname == k_ses_email_identity_unsigned ||
        alertname == k_ses_sync_failing) {
        return "warning";
    }
    if (alertname == k_ses_identity_removed) {
        return "info";
    }
    return event_severity_name(event.severity);
}

// One line per failing record (at most k_description_record_cap, then "and N more"), each
// made by `line`; "" when none.
template <typename Line>
std::string record_lines(const std::vector<AlertRecord>& records, Line line) {
    std::string out;
    const std::size_t shown = std::min(k_description_record_cap, records.size());
    for (std::size_t i = 0; i < shown; ++i) {
        out += (i == 0 ? "" : "\n") + line(records[i]);
    }
    if (records.size() > shown) {
        out += "\nand " + std::to_string(records.size() - shown) + " more";
    }
    return out;
}

std::string field(const std::string& text) {
    return truncate_utf8(text, k_annotation_field_limit);
}

Json annotations(const AlertEvent& event) {
    const std::string records = record_lines(event.records, [](const AlertRecord& record) {
        return record.verdict + " " + record.type + " " + record.name + ": expected " +
               field(record.expected) + "; observed " +
               (record.observed ? field(*record.observed) : std::string("nothing"));
    });
    const std::string fix = record_lines(event.records, [](const AlertRecord& record) {
        return record.name + ": " + field(record.message);
    });
    return {{"title", alert_condition_title(event)},
            {"summary", alert_event_summary_time_free(event)},
            {"description", alert_explanation_time_free(event)},
            {"identity", identity_phrase(event.key)},
            {"state", event.key.domain.empty() ? "" : identity_state_name(event.state)},
            {"deadline", event.deadline ? format_utc(*event.deadline) : std::string()},
            {"records", records},
            {"fix", fix}};
}

Json alert_json(const std::string& alertname, const AlertEvent& event,
                std::optional<TimePoint> ends_at) {
    Json alert;
    alert["labels"] = {{"alertname", alertname},
                       {"account", event.key.account},
                       {"region", event.key.region},
                       {"domain", event.key.domain},
                       {"severity", severity_label(alertname, event)}};
    alert["annotations"] = annotations(event);
    alert["startsAt"] = format_utc(event.at);
    if (ends_at) {
        alert["endsAt"] = format_utc(*ends_at);
    }
    return alert;
}

void append_alerts(Json& alerts, const AlertEvent& event, TimePoint now) {
    if (self_expiring(event)) {
        alerts.push_back(
            alert_json(alertmanager_alertname(event), event, now + k_self_expiring_lifetime));
    } else if (alertmanager_fires(event)) {
        alerts.push_back(alert_json(alertmanager_alertname(event), event, std::nullopt));
    }
    for (const std::string& name : alertmanager_resolved_alertnames(event)) {
        alerts.push_back(alert_json(name, event, now));
    }
}

HttpRequest alerts_request(const AlertSinkConfig& sink, const Json& alerts) {
    return json_post_request(alertmanager_alerts_url(sink.url), dump_json(alerts), {200});
}

} // namespace

std::string alertmanager_alertname(const AlertEvent& event) {
    const std::string& kind = event.kind;
    if (is_test_alert(event)) {
        return k_test;
    }
    if (kind == "revocation_warning" || kind == "reminder" || kind == "recovered" ||
        kind == "config_changed") {
        return k_revocation_warning;
    }
    if (kind == "revoked" || kind == "still_revoked_records_back") {
        return k_revoked;
    }
    if (kind == "pending_overdue" || kind == "verified") {
        return k_pending_overdue;
    }
    if (kind == "monitoring_blind") {
        return k_monitoring_blind;
    }
    if (kind == "ses_status_changed") {
        return event.ses_to == "TEMPORARY_FAILURE" ? k_ses_temporary_failure : k_ses_failed;
    }
    if (kind == "signing_disabled") {
        return k_ses_signing_disabled;
    }
    if (kind == "email_identity_unsigned") {
        return k_ses_email_identity_unsigned;
    }
    if (kind == "identity_removed") {
        return k_ses_identity_removed;
    }
    if (kind == "ses_sync_failing" || kind == "ses_sync_recovered") {
        return k_ses_sync_failing;
    }
    return k_unknown;
}

bool alertmanager_fires(const AlertEvent& event) {
    if (self_expiring(event)) {
        return false;
    }
    const std::string& kind = event.kind;
    if (kind == "ses_status_changed") {
        return event.ses_to == "FAILED" || event.ses_to == "TEMPORARY_FAILURE";
    }
    if (kind == "signing_disabled") {
        return event.severity != EventSeverity::resolved;
    }
    return kind != "recovered" && kind != "verified" && kind != "config_changed" &&
           kind != "ses_sync_recovered";
}

std::vector<std::string> alertmanager_resolved_alertnames(const AlertEvent& event) {
    if (is_test_alert(event)) {
        return {};
    }
    const std::string& kind = event.kind;
    if (kind == "revocation_warning" || kind == "still_revoked_records_back") {
        return {k_monitoring_blind};
    }
    if (kind == "revoked") {
        return {k_revocation_warning, k_monitoring_blind};
    }
    if (kind == "recovered") {
        return {k_revocation_warning, k_monitoring_blind};
    }
    if (kind == "verified") {
        return {k_pending_overdue, k_monitoring_blind};
    }
    if (kind == "config_changed") {
        return {k_revocation_warning, k_revoked, k_pending_overdue, k_monitoring_blind};
    }
    if (kind == "ses_status_changed") {
        if (event.ses_to == "FAILED") {
            return {k_ses_temporary_failure};
        }
        if (event.ses_to == "TEMPORARY_FAILURE") {
            return {k_ses_failed};
        }
        return {k_ses_failed, k_ses_temporary_failure};
    }
    if (kind == "signing_disabled" && event.severity == EventSeverity::resolved) {
        return {k_ses_signing_disabled};
    }
    if (kind == "ses_sync_recovered") {
        return {k_ses_sync_failing};
    }
    if (kind == "identity_removed") {
        return {k_revocation_warning,  k_revoked,    k_pending_overdue,
                k_monitoring_blind,    k_ses_failed, k_ses_temporary_failure,
                k_ses_signing_disabled};
    }
    return {};
}

std::string alertmanager_alerts_url(const std::string& url) {
    std::string base = url;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return base + "/api/v2/alerts";
}

HttpRequest render_alertmanager_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                        TimePoint now) {
    Json alerts = Json::array();
    if (const auto* event = std::get_if<AlertEvent>(&message)) {
        append_alerts(alerts, *event, now);
    } else {
        for (const AlertEvent& member : std::get<AlertGroup>(message).events) {
            append_alerts(alerts, member, now);
        }
    }
    return alerts_request(sink, alerts);
}

HttpRequest render_alertmanager_firing(const AlertSinkConfig& sink,
                                       const std::vector<AlertEvent>& firing, TimePoint /*now*/) {
    Json alerts = Json::array();
    for (const AlertEvent& event : firing) {
        if (alertmanager_fires(event)) {
            alerts.push_back(alert_json(alertmanager_alertname(event), event, std::nullopt));
        }
    }
    return alerts_request(sink, alerts);
}

} // namespace dkimwatch
