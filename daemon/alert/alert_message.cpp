#include "alert/alert_message.hpp"

#include "alert/alert_json.hpp"
#include "alert/alert_severity.hpp"
#include "alert/alert_text.hpp"
#include "alert/alertmanager_payload.hpp"
#include "alert/pagerduty_payload.hpp"
#include "alert/ses_event_builder.hpp"
#include "alert/slack_payload.hpp"
#include "alert/webhook_payload.hpp"

#include <cstdint>

namespace dkimwatch {

// The outbox format, version 1. Times are integer milliseconds since the Unix epoch (exact),
// durations integer milliseconds, optionals null when absent:
//   {"version": 1, "type": "event", "event": <event>}
//   {"version": 1, "type": "group", "total": N, "at": ms, "events": [<event>, ...]}
//   <event> = {"kind", "severity", "account", "region", "domain", "state", "state_since",
//              "deadline", "reminder_threshold", "at", "reason", "records": [...], "test",
//              "ses_from", "ses_to"}
// "ses_from" and "ses_to" are written only when one is not empty (SES events): rows written
// before they existed read as "".
namespace {

constexpr int k_outbox_format_version = 1;

std::int64_t to_ms(TimePoint time) {
    return time.time_since_epoch().count();
}

TimePoint from_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

Json event_json(const AlertEvent& event) {
    Json out;
    out["kind"] = event.kind;
    out["severity"] = event_severity_name(event.severity);
    out["account"] = event.key.account;
    out["region"] = event.key.region;
    out["domain"] = event.key.domain;
    out["state"] = identity_state_name(event.state);
    out["state_since"] = to_ms(event.state_since);
    out["deadline"] = event.deadline ? Json(to_ms(*event.deadline)) : Json(nullptr);
    out["reminder_threshold"] =
        event.reminder_threshold ? Json(event.reminder_threshold->count()) : Json(nullptr);
    out["at"] = to_ms(event.at);
    out["reason"] = event.reason;
    out["records"] = records_json(event.records);
    out["test"] = event.test;
    if (!event.ses_from.empty() || !event.ses_to.empty()) {
        out["ses_from"] = event.ses_from;
        out["ses_to"] = event.ses_to;
    }
    return out;
}

// The parsers below throw nlohmann::json exceptions on a missing field or a wrong type; the
// public function turns them into an Error.
std::optional<std::string> optional_string(const Json& value) {
    if (value.is_null()) {
        return std::nullopt;
    }
    return value.get<std::string>();
}

std::optional<std::int64_t> optional_int(const Json& value) {
    if (value.is_null()) {
        return std::nullopt;
    }
    if (!value.is_number_integer()) {
        throw std::invalid_argument("expected an integer or null");
    }
    return value.get<std::int64_t>();
}

std::int64_t required_int(const Json& value) {
    if (!value.is_number_integer()) {
        throw std::invalid_argument("expected an integer");
    }
    return value.get<std::int64_t>();
}

Result<AlertEvent> parse_event(const Json& in) {
    AlertEvent event;
    event.kind = in.at("kind").get<std::string>();
    if (!is_known_alert_kind(event.kind)) {
        return Error{"unknown event kind \"" + event.kind + "\""};
    }
    const auto severity = parse_event_severity(in.at("severity").get<std::string>());
    if (!severity) {
        return Error{"unknown severity \"" + in.at("severity").get<std::string>() + "\""};
    }
    event.severity = *severity;
    event.key.account = in.at("account").get<std::string>();
    event.key.region = in.at("region").get<std::string>();
    event.key.domain = in.at("domain").get<std::string>();
    const auto state = parse_identity_state(in.at("state").get<std::string>());
    if (!state) {
        return Error{"unknown state \"" + in.at("state").get<std::string>() + "\""};
    }
    event.state = *state;
    event.state_since = from_ms(required_int(in.at("state_since")));
    if (const auto deadline = optional_int(in.at("deadline"))) {
        event.deadline = from_ms(*deadline);
    }
    if (const auto threshold = optional_int(in.at("reminder_threshold"))) {
        event.reminder_threshold = Milliseconds{*threshold};
    }
    event.at = from_ms(required_int(in.at("at")));
    event.reason = in.at("reason").get<std::string>();
    if (!in.at("records").is_array()) {
        return Error{"\"records\" is not an array"};
    }
    for (const Json& record : in.at("records")) {
        event.records.push_back(AlertRecord{
            record.at("name").get<std::string>(), record.at("type").get<std::string>(),
            record.at("verdict").get<std::string>(), record.at("expected").get<std::string>(),
            optional_string(record.at("observed")), record.at("message").get<std::string>()});
    }
    event.test = in.at("test").get<bool>();
    if (const auto from = in.find("ses_from"); from != in.end()) {
        event.ses_from = from->get<std::string>();
    }
    if (const auto to = in.find("ses_to"); to != in.end()) {
        event.ses_to = to->get<std::string>();
    }
    return event;
}

Result<AlertMessage> parse_message(const Json& in) {
    if (!in.is_object()) {
        return Error{"not a JSON object"};
    }
    if (required_int(in.at("version")) != k_outbox_format_version) {
        return Error{"unsupported version " + in.at("version").dump()};
    }
    const std::string type = in.at("type").get<std::string>();
    if (type == "event") {
        auto event = parse_event(in.at("event"));
        if (!event) {
            return Error{event.error()};
        }
        return AlertMessage{std::move(event).value()};
    }
    if (type == "group") {
        AlertGroup group;
        const std::int64_t total = required_int(in.at("total"));
        if (total < 0) {
            return Error{"negative total"};
        }
        group.total = static_cast<std::size_t>(total);
        group.at = from_ms(required_int(in.at("at")));
        const Json& events = in.at("events");
        if (!events.is_array()) {
            return Error{"\"events\" is not an array"};
        }
        for (const Json& member : events) {
            auto event = parse_event(member);
            if (!event) {
                return Error{event.error()};
            }
            group.events.push_back(std::move(event).value());
        }
        return AlertMessage{std::move(group)};
    }
    return Error{"unknown type \"" + type + "\""};
}

} // namespace

std::string alert_message_to_json(const AlertMessage& message) {
    Json out;
    out["version"] = k_outbox_format_version;
    if (const auto* event = std::get_if<AlertEvent>(&message)) {
        out["type"] = "event";
        out["event"] = event_json(*event);
    } else {
        const auto& group = std::get<AlertGroup>(message);
        out["type"] = "group";
        out["total"] = group.total;
        out["at"] = to_ms(group.at);
        Json events = Json::array();
        for (const AlertEvent& member : group.events) {
            events.push_back(event_json(member));
        }
        out["events"] = std::move(events);
    }
    return dump_json(out);
}

Result<AlertMessage> alert_message_from_json(const std::string& json) {
    const Json parsed = Json::parse(json, nullptr, false);
    if (parsed.is_discarded()) {
        return Error{"alert message is not valid JSON"};
    }
    try {
        auto message = parse_message(parsed);
        if (!message) {
            return Error{"alert message: " + message.error()};
        }
        return message;
    } catch (const std::exception& e) { // nlohmann::json::exception or std::invalid_argument
        return Error{std::string("alert message: ") + e.what()};
    }
}

std::string alert_summary(const AlertMessage& message, TimePoint now) {
    if (const auto* event = std::get_if<AlertEvent>(&message)) {
        return alert_event_summary(*event, now);
    }
    return alert_group_summary(std::get<AlertGroup>(message));
}

HttpRequest render_alert_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                 TimePoint now) {
    switch (sink.type) {
    case AlertSinkConfig::Type::slack:
        return render_slack_request(sink, message, now);
    case AlertSinkConfig::Type::webhook:
        return render_webhook_request(sink, message, now);
    case AlertSinkConfig::Type::alertmanager:
        return render_alertmanager_request(sink, message, now);
    case AlertSinkConfig::Type::pagerduty:
        return render_pagerduty_request(sink, message, now);
    }
    return render_webhook_request(sink, message, now);
}

} // namespace dkimwatch
