#include "alert/slack_payload.hpp"

#include "alert/alert_json.hpp"
#include "alert/alert_text.hpp"
#include "alert/alert_time.hpp"
#include "alert/json_request.hpp"
#include "alert/text_truncation.hpp"

#include <algorithm>

namespace dkimwatch {

namespace {

// Per-field limits inside the records section (raw bytes, before escaping), so that a few
// records fit even when one carries a 2048-bit key or a huge message.
constexpr std::size_t k_value_limit = 200;
constexpr std::size_t k_message_limit = 400;
constexpr std::size_t k_group_line_limit = 300;
// Room kept at the end of a list section for its "and N more" line.
constexpr std::size_t k_more_line_room = 40;

// Text inside `...`: Slack has no escape for a backtick there.
std::string code_span(std::string_view text, std::size_t limit) {
    std::string value = truncate_utf8(text, limit);
    std::replace(value.begin(), value.end(), '`', '\'');
    return "`" + slack_escape(value) + "`";
}

Json text_object(const char* type, std::string text) {
    return {{"type", type}, {"text", std::move(text)}};
}

Json header_block(std::string_view text) {
    Json header = text_object("plain_text", truncate_utf8(text, k_slack_header_limit));
    header["emoji"] = false;
    return {{"type", "header"}, {"text", std::move(header)}};
}

Json section_block(std::string_view mrkdwn) {
    return {{"type", "section"},
            {"text", text_object("mrkdwn", truncate_utf8(mrkdwn, k_slack_section_limit))}};
}

Json context_block(std::string_view mrkdwn) {
    return {{"type", "context"},
            {"elements",
             Json::array({text_object("mrkdwn", truncate_utf8(mrkdwn, k_slack_section_limit))})}};
}

std::string record_entry(const AlertRecord& record) {
    std::string entry = "• " + code_span(record.name, k_value_limit) + " " +
                        slack_escape(record.type) + " *" + slack_escape(record.verdict) + "*\n";
    entry += "      expected " + code_span(record.expected, k_value_limit) + "\n";
    entry +=
        "      observed " +
        (record.observed ? code_span(*record.observed, k_value_limit) : std::string("_nothing_")) +
        "\n";
    entry += "      " + slack_escape(truncate_utf8(record.message, k_message_limit)) + "\n";
    return entry;
}

// Lines appended while they fit in the section, then "and N more[ record(s)]" when the entries
// do not all fit or stand for more (represented_total).
std::string bounded_list(std::string text, const std::vector<std::string>& entries,
                         std::size_t represented_total, bool records) {
    std::size_t listed = 0;
    for (const std::string& entry : entries) {
        if (text.size() + entry.size() + k_more_line_room > k_slack_section_limit) {
            break;
        }
        text += entry;
        ++listed;
    }
    if (represented_total > listed) {
        const std::size_t more = represented_total - listed;
        text += "and " + std::to_string(more) + " more" +
                (records ? (more == 1 ? " record" : " records") : "") + "\n";
    }
    return text;
}

Json event_payload(const AlertEvent& event, TimePoint now) {
    const std::string summary = alert_event_summary(event, now);
    Json blocks = Json::array();
    blocks.push_back(header_block(alert_title(event) + ": " + alert_subject(event.key)));
    std::string facts;
    if (event.key.domain.empty()) { // an SES sync event: an account/region, no identity
        facts = "*Account:* " + slack_escape(event.key.account) + "\n*Region:* " +
                slack_escape(event.key.region);
    } else {
        facts = "*Domain:* " + slack_escape(event.key.domain) + "\n*Account:* " +
                slack_escape(event.key.account) + "\n*Region:* " + slack_escape(event.key.region) +
                "\n*State:* " + slack_escape(state_phrase(event, now)) + "\n*Deadline:* " +
                slack_escape(deadline_phrase(event, now));
    }
    if (!event.ses_to.empty()) {
        facts += "\n*SES status:* " +
                 slack_escape(event.ses_from.empty() ? "(first seen)" : event.ses_from) + " → " +
                 slack_escape(event.ses_to);
    }
    blocks.push_back(section_block(facts));
    std::string meaning = slack_escape(alert_explanation(event, now));
    if (!event.reason.empty()) {
        meaning += "\n*Reason:* " + slack_escape(event.reason);
    }
    blocks.push_back(section_block(meaning));
    if (!event.records.empty()) {
        std::vector<std::string> entries;
        for (const AlertRecord& record : event.records) {
            entries.push_back(record_entry(record));
        }
        blocks.push_back(section_block(
            bounded_list("*Failing records (" + std::to_string(event.records.size()) + "):*\n",
                         entries, event.records.size(), true)));
    }
    blocks.push_back(context_block("dkimwatch · event `" + slack_escape(event.kind) +
                                   "` · severity " + event_severity_name(event.severity) + " · " +
                                   format_utc(event.at)));
    return {{"text", slack_escape(summary)}, {"blocks", std::move(blocks)}};
}

Json group_payload(const AlertGroup& group, TimePoint now) {
    const std::string title = alert_group_title(group);
    Json blocks = Json::array();
    blocks.push_back(header_block(title));
    std::vector<std::string> entries;
    for (const AlertEvent& event : group.events) {
        entries.push_back(
            "• " +
            slack_escape(truncate_utf8(alert_event_summary(event, now), k_group_line_limit)) +
            "\n");
    }
    blocks.push_back(
        section_block(bounded_list("*Many identities changed at once; the most severe first:*\n",
                                   entries, group.total, false)));
    blocks.push_back(context_block("dkimwatch · " + std::to_string(group.total) +
                                   " events grouped · " + format_utc(group.at)));
    return {{"text", slack_escape(alert_group_summary(group))}, {"blocks", std::move(blocks)}};
}

} // namespace

std::string slack_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

HttpRequest render_slack_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                 TimePoint now) {
    const Json payload = std::holds_alternative<AlertEvent>(message)
                             ? event_payload(std::get<AlertEvent>(message), now)
                             : group_payload(std::get<AlertGroup>(message), now);
    return json_post_request(sink.url, dump_json(payload), {200});
}

} // namespace dkimwatch
