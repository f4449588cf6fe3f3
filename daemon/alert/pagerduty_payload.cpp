#include "alert/pagerduty_payload.hpp"

#include "alert/alert_json.hpp"
#include "alert/alert_severity.hpp"
#include "alert/alert_text.hpp"
#include "alert/alert_time.hpp"
#include "alert/json_request.hpp"
#include "alert/text_truncation.hpp"

#include <algorithm>
#include <array>
#include <openssl/evp.h>
#include <stdexcept>

namespace dkimwatch {

namespace {

constexpr std::size_t k_dedup_key_limit = 255;

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed in OpenSSL");
    }
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4U];
        out += k_hex[digest[i] & 0x0FU];
    }
    return out;
}

std::string dedup_family(const AlertEvent& event) {
    if (is_test_alert(event)) {
        return "test";
    }
    const std::string& kind = event.kind;
    if (kind == "revocation_warning" || kind == "reminder" || kind == "revoked" ||
        kind == "recovered" || kind == "still_revoked_records_back" || kind == "config_changed") {
        return "revocation";
    }
    if (kind == "pending_overdue" || kind == "verified") {
        return "pending";
    }
    if (kind == "monitoring_blind") {
        return "blind";
    }
    if (kind == "ses_status_changed") {
        return "ses_status";
    }
    if (kind == "signing_disabled") {
        return "ses_signing";
    }
    if (kind == "email_identity_unsigned") {
        return "ses_email_identity";
    }
    if (kind == "identity_removed") {
        return "ses_removed";
    }
    if (kind == "ses_sync_failing" || kind == "ses_sync_recovered") {
        return "ses_sync";
    }
    return kind;
}

const char* pagerduty_severity(EventSeverity severity) {
    switch (severity) {
    case EventSeverity::critical:
        return "critical";
    case EventSeverity::warning:
        return "warning";
    case EventSeverity::info:
    case EventSeverity::resolved:
        return "info";
    }
    return "info";
}

Json event_trigger(const AlertSinkConfig& sink, const AlertEvent& event, TimePoint now) {
    Json details;
    details["explanation"] = alert_explanation(event, now);
    details["state"] = identity_state_name(event.state);
    if (!event.ses_to.empty()) {
        details["ses_status"] = {
            {"from", event.ses_from.empty() ? Json(nullptr) : Json(event.ses_from)},
            {"to", event.ses_to}};
    }
    details["state_since"] = format_utc(event.state_since);
    details["deadline"] = event.deadline ? Json(deadline_phrase(event, now)) : Json(nullptr);
    details["reason"] = event.reason;
    details["records"] = records_json(event.records);
    details["test"] = is_test_alert(event);

    Json payload;
    payload["summary"] = truncate_utf8(alert_event_summary(event, now), k_pagerduty_summary_limit);
    payload["source"] = "dkimwatch";
    payload["severity"] = pagerduty_severity(event.severity);
    payload["timestamp"] = format_utc(event.at);
    payload["component"] = alert_subject(event.key);
    payload["group"] = event.key.account + "/" + event.key.region;
    payload["class"] = event.kind;
    payload["custom_details"] = std::move(details);

    Json body;
    body["routing_key"] = sink.routing_key;
    body["event_action"] = "trigger";
    body["dedup_key"] = pagerduty_dedup_key(event);
    body["payload"] = std::move(payload);
    return body;
}

Json event_resolve(const AlertSinkConfig& sink, const AlertEvent& event) {
    return {{"routing_key", sink.routing_key},
            {"event_action", "resolve"},
            {"dedup_key", pagerduty_dedup_key(event)}};
}

Json group_trigger(const AlertSinkConfig& sink, const AlertGroup& group, TimePoint now) {
    EventSeverity worst = EventSeverity::info;
    Json events = Json::array();
    for (const AlertEvent& event : group.events) {
        if (attention_rank(event.severity) > attention_rank(worst)) {
            worst = event.severity;
        }
        events.push_back({{"account", event.key.account},
                          {"region", event.key.region},
                          {"domain", event.key.domain},
                          {"event", event.kind},
                          {"severity", event_severity_name(event.severity)},
                          {"summary", alert_event_summary(event, now)}});
    }
    Json payload;
    payload["summary"] = truncate_utf8(alert_group_summary(group), k_pagerduty_summary_limit);
    payload["source"] = "dkimwatch";
    payload["severity"] = pagerduty_severity(worst);
    payload["timestamp"] = format_utc(group.at);
    payload["class"] = "group";
    payload["custom_details"] = {{"total", group.total}, {"events", std::move(events)}};

    Json body;
    body["routing_key"] = sink.routing_key;
    body["event_action"] = "trigger";
    body["dedup_key"] = k_pagerduty_storm_dedup_key;
    body["payload"] = std::move(payload);
    return body;
}

} // namespace

std::string pagerduty_dedup_key(const AlertEvent& event) {
    const std::string family = dedup_family(event);
    std::string key = "dkimwatch:" + event.key.account + ":" + event.key.region + ":" +
                      event.key.domain + ":" + family;
    if (key.size() <= k_dedup_key_limit) {
        return key;
    }
    std::string identity = event.key.account;
    identity += '\0';
    identity += event.key.region;
    identity += '\0';
    identity += event.key.domain;
    return "dkimwatch:sha256:" + sha256_hex(identity) + ":" + truncate_utf8(family, 64);
}

const char* pagerduty_event_action(const AlertEvent& event) {
    if (is_test_alert(event)) {
        return "trigger";
    }
    const std::string& kind = event.kind;
    if (kind == "ses_status_changed") {
        // FAILED and TEMPORARY_FAILURE trigger one incident; any other status ends it.
        return event.severity == EventSeverity::critical || event.severity == EventSeverity::warning
                   ? "trigger"
                   : "resolve";
    }
    if (kind == "signing_disabled") {
        return event.severity == EventSeverity::resolved ? "resolve" : "trigger";
    }
    return kind == "recovered" || kind == "verified" || kind == "config_changed" ||
                   kind == "ses_sync_recovered"
               ? "resolve"
               : "trigger";
}

HttpRequest render_pagerduty_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                     TimePoint now) {
    Json body;
    if (const auto* event = std::get_if<AlertEvent>(&message)) {
        body = std::string(pagerduty_event_action(*event)) == "resolve"
                   ? event_resolve(sink, *event)
                   : event_trigger(sink, *event, now);
    } else {
        const auto& group = std::get<AlertGroup>(message);
        const bool triggers =
            std::any_of(group.events.begin(), group.events.end(), [](const AlertEvent& event) {
                return std::string(pagerduty_event_action(event)) == "trigger";
            });
        if (!triggers) {
            return render_pagerduty_storm_resolve(sink);
        }
        body = group_trigger(sink, group, now);
    }
    return json_post_request(sink.url, dump_json(body), {202});
}

HttpRequest render_pagerduty_storm_resolve(const AlertSinkConfig& sink) {
    const Json body{{"routing_key", sink.routing_key},
                    {"event_action", "resolve"},
                    {"dedup_key", k_pagerduty_storm_dedup_key}};
    return json_post_request(sink.url, dump_json(body), {202});
}

} // namespace dkimwatch
