#include "alert/webhook_payload.hpp"

#include "alert/alert_json.hpp"
#include "alert/alert_severity.hpp"
#include "alert/alert_text.hpp"
#include "alert/alert_time.hpp"
#include "alert/json_request.hpp"
#include "alert/webhook_signature.hpp"

#include <algorithm>
#include <chrono>

namespace dkimwatch {

namespace {

Json event_document(const AlertEvent& event, TimePoint now) {
    Json deadline = nullptr;
    Json seconds_to_deadline = nullptr;
    if (event.deadline) {
        deadline = format_utc(*event.deadline);
        seconds_to_deadline =
            std::chrono::duration_cast<std::chrono::seconds>(time_between(now, *event.deadline))
                .count();
    }
    Json doc;
    doc["version"] = k_webhook_format_version;
    doc["type"] = "event";
    doc["event"] = event.kind;
    doc["severity"] = event_severity_name(event.severity);
    doc["summary"] = alert_event_summary(event, now);
    doc["test"] = is_test_alert(event);
    doc["identity"] = {
        {"account", event.key.account}, {"region", event.key.region}, {"domain", event.key.domain}};
    doc["state"] = identity_state_name(event.state);
    doc["state_since"] = format_utc(event.state_since);
    doc["deadline"] = deadline;
    doc["seconds_to_deadline"] = seconds_to_deadline;
    doc["reason"] = event.reason;
    doc["records"] = records_json(event.records);
    if (!event.ses_to.empty()) {
        doc["ses_status"] = {
            {"from", event.ses_from.empty() ? Json(nullptr) : Json(event.ses_from)},
            {"to", event.ses_to}};
    }
    doc["at"] = format_utc(event.at);
    doc["sent_at"] = format_utc(now);
    return doc;
}

Json group_document(const AlertGroup& group, TimePoint now) {
    EventSeverity worst = EventSeverity::info;
    bool any_test = false;
    Json events = Json::array();
    for (const AlertEvent& event : group.events) {
        if (attention_rank(event.severity) > attention_rank(worst)) {
            worst = event.severity;
        }
        any_test = any_test || is_test_alert(event);
        events.push_back(event_document(event, now));
    }
    Json doc;
    doc["version"] = k_webhook_format_version;
    doc["type"] = "group";
    doc["total"] = group.total;
    doc["severity"] = event_severity_name(worst);
    doc["summary"] = alert_group_summary(group);
    doc["test"] = any_test;
    doc["at"] = format_utc(group.at);
    doc["sent_at"] = format_utc(now);
    doc["events"] = std::move(events);
    return doc;
}

} // namespace

std::string render_webhook_body(const AlertMessage& message, TimePoint now) {
    if (const auto* event = std::get_if<AlertEvent>(&message)) {
        return dump_json(event_document(*event, now));
    }
    return dump_json(group_document(std::get<AlertGroup>(message), now));
}

HttpRequest render_webhook_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                   TimePoint now) {
    HttpRequest request =
        json_post_request(sink.url, render_webhook_body(message, now), {200, 201, 202, 204});
    if (!sink.secret.empty()) {
        request.headers.emplace_back(std::string(k_webhook_signature_header),
                                     webhook_signature(sink.secret, now, request.body));
    }
    return request;
}

} // namespace dkimwatch
