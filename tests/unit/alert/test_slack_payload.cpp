#include "alert/alert_text.hpp"
#include "alert/slack_payload.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::k_now;
using test::sample_event;

json slack_body(const AlertMessage& message, TimePoint now = k_now) {
    return json::parse(
        render_slack_request(test::sink(AlertSinkConfig::Type::slack), message, now).body);
}

std::vector<std::string> block_types(const json& body) {
    std::vector<std::string> out;
    for (const json& block : body["blocks"]) {
        out.push_back(block["type"]);
    }
    return out;
}

// Characters (UTF-8 code points), as Slack counts them.
std::size_t characters(const std::string& text) {
    std::size_t count = 0;
    for (const char c : text) {
        count += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
    }
    return count;
}

std::size_t bullets(const std::string& text) {
    std::size_t count = 0;
    for (std::size_t at = text.find("• "); at != std::string::npos; at = text.find("• ", at + 1)) {
        ++count;
    }
    return count;
}

void expect_within_slack_limits(const json& body) {
    for (const json& block : body["blocks"]) {
        if (block["type"] == "header") {
            EXPECT_LE(characters(block["text"]["text"]), 150u);
        } else if (block["type"] == "section") {
            EXPECT_LT(characters(block["text"]["text"]), 3000u);
        } else if (block["type"] == "context") {
            for (const json& element : block["elements"]) {
                EXPECT_LT(characters(element["text"]), 3000u);
            }
        }
    }
}

TEST(SlackPayload, EventBlocks) {
    const AlertEvent event = sample_event("revocation_warning");
    const json body = slack_body(event);
    EXPECT_EQ(body["text"], alert_event_summary(event, k_now));
    EXPECT_EQ(block_types(body),
              (std::vector<std::string>{"header", "section", "section", "section", "context"}));
    const json& blocks = body["blocks"];
    EXPECT_EQ(blocks[0]["text"], json({{"type", "plain_text"},
                                       {"text", "DKIM revocation warning: example.com"},
                                       {"emoji", false}}));
    EXPECT_EQ(blocks[1]["text"]["type"], "mrkdwn");
    EXPECT_EQ(blocks[1]["text"]["text"],
              "*Domain:* example.com\n*Account:* 111122223333\n*Region:* us-east-1\n"
              "*State:* revocation_warning since 2024-01-01T00:00:00Z (2h30m ago)\n"
              "*Deadline:* 2024-01-06T00:00:00Z (in 4d21h)");
    EXPECT_EQ(blocks[2]["text"]["text"],
              "SES may already have stopped DKIM-signing mail for example.com. Revocation is "
              "expected at 2024-01-06T00:00:00Z (in 4d21h) unless the records are restored.\n"
              "*Reason:* " +
                  event.reason);
    EXPECT_EQ(blocks[3]["text"]["text"],
              "*Failing records (1):*\n"
              "• `tok1._domainkey.example.com` CNAME *missing*\n"
              "      expected `tok1.dkim.amazonses.com`\n"
              "      observed _nothing_\n"
              "      no CNAME at tok1._domainkey.example.com: add it, pointing at "
              "tok1.dkim.amazonses.com\n");
    EXPECT_EQ(blocks[4]["elements"],
              json::parse(R"([{"type":"mrkdwn","text":"dkimwatch · event `revocation_warning` · )"
                          R"(severity critical · 2024-01-01T00:00:00Z"}])"));
}

TEST(SlackPayload, NoRecordsNoRecordsSection) {
    EXPECT_EQ(block_types(slack_body(sample_event("verified"))),
              (std::vector<std::string>{"header", "section", "section", "context"}));
    EXPECT_EQ(slack_body(sample_event("verified"))["blocks"][1]["text"]["text"],
              "*Domain:* example.com\n*Account:* 111122223333\n*Region:* us-east-1\n"
              "*State:* verified since 2024-01-01T00:00:00Z (2h30m ago)\n*Deadline:* none");
}

TEST(SlackPayload, TestAlertSaysTestInTextAndHeader) {
    const json body = slack_body(sample_event("test"));
    EXPECT_EQ(body["text"].get<std::string>().rfind("TEST: ", 0), 0u);
    EXPECT_EQ(body["blocks"][0]["text"]["text"], "TEST: dkimwatch test alert: example.com");
}

TEST(SlackPayload, EscapesMarkup) {
    AlertEvent event = sample_event("revoked");
    event.reason = "<!channel> & <https://evil.example|click>";
    const json body = slack_body(event);
    EXPECT_EQ(body["blocks"][2]["text"]["text"].get<std::string>().substr(
                  std::string(alert_explanation(event, k_now)).size()),
              "\n*Reason:* &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
    EXPECT_EQ(slack_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
}

TEST(SlackPayload, FortyRecordsWithHugeMessagesStayUnder3000Characters) {
    AlertEvent event = sample_event("revocation_warning");
    const std::string key = "p=" + std::string(392, 'A');
    event.records.clear();
    for (int i = 0; i < 40; ++i) {
        AlertRecord record = test::missing_cname("tok" + std::to_string(i));
        record.type = "TXT";
        record.expected = key;
        record.observed = "p=" + std::string(392, 'B') + "é";
        record.message = std::string(10'000, 'm') + "<&>";
        event.records.push_back(record);
    }
    const json body = slack_body(event);
    expect_within_slack_limits(body);
    const std::string records = body["blocks"][3]["text"]["text"];
    EXPECT_EQ(records.rfind("*Failing records (40):*\n", 0), 0u);
    const std::size_t listed = bullets(records);
    EXPECT_GE(listed, 2u);
    const std::string more = "and " + std::to_string(40 - listed) + " more records\n";
    EXPECT_EQ(records.substr(records.size() - more.size()), more);
    // Long values are shortened with an ellipsis, never cut inside a character.
    EXPECT_NE(records.find("AAA…`"), std::string::npos);
    EXPECT_NE(records.find("mmm…"), std::string::npos);
    EXPECT_TRUE(json::parse(body.dump()).is_object());
}

AlertEvent with_records(std::size_t count) {
    AlertEvent event = sample_event("revocation_warning");
    event.records.clear();
    for (std::size_t i = 0; i < count; ++i) {
        AlertRecord record = test::missing_cname("tok" + std::to_string(i));
        record.message = std::string(380, 'm');
        event.records.push_back(record);
    }
    return event;
}

TEST(SlackPayload, OneRecordTooManyIsSingular) {
    // How many such records fit, then one more than that.
    const std::size_t capacity = bullets(slack_body(with_records(20))["blocks"][3]["text"]["text"]);
    ASSERT_GE(capacity, 3u);
    ASSERT_LT(capacity, 20u);
    const std::string records = slack_body(with_records(capacity + 1))["blocks"][3]["text"]["text"];
    EXPECT_EQ(bullets(records), capacity);
    const std::string tail = "\nand 1 more record\n";
    EXPECT_EQ(records.substr(records.size() - tail.size()), tail);
    const std::string all = slack_body(with_records(capacity))["blocks"][3]["text"]["text"];
    EXPECT_EQ(all.find("more record"), std::string::npos);
}

TEST(SlackPayload, HugeReasonAndDomainAreTruncated) {
    AlertEvent event = sample_event("revoked");
    event.reason = std::string(5000, 'r');
    event.key.domain =
        std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(63, 'f') + ".example";
    const json body = slack_body(event);
    expect_within_slack_limits(body);
    const std::string header = body["blocks"][0]["text"]["text"];
    EXPECT_EQ(header.size(), 150u);
    EXPECT_EQ(header.substr(header.size() - 3), "…");
}

AlertGroup big_group(std::size_t total, std::size_t domain_length) {
    AlertGroup group;
    group.total = total;
    group.at = k_now;
    for (std::size_t i = 0; i < std::min<std::size_t>(total, k_alert_group_cap); ++i) {
        AlertEvent event = sample_event(i == 0 ? "revoked" : "revocation_warning");
        event.key.domain = std::to_string(i) + std::string(domain_length, 'x') + ".example";
        group.events.push_back(event);
    }
    return group;
}

TEST(SlackPayload, GroupListsIdentitiesAndCountsTheRest) {
    const json body = slack_body(big_group(25, 1));
    EXPECT_EQ(block_types(body), (std::vector<std::string>{"header", "section", "context"}));
    EXPECT_EQ(body["text"], alert_group_summary(big_group(25, 1)));
    EXPECT_EQ(body["blocks"][0]["text"]["text"], "25 DKIM alerts");
    const std::string list = body["blocks"][1]["text"]["text"];
    EXPECT_EQ(list.rfind("*Many identities changed at once; the most severe first:*\n"
                         "• DKIM revoked: 0x.example (111122223333, us-east-1): SES has most "
                         "likely revoked DKIM; the setup must be started again with new tokens\n"
                         "• DKIM revocation warning: 1x.example",
                         0),
              0u);
    const std::string tail = "\nand 5 more\n";
    EXPECT_EQ(list.substr(list.size() - tail.size()), tail);
    EXPECT_EQ(body["blocks"][2]["elements"][0]["text"],
              "dkimwatch · 25 events grouped · 2024-01-01T02:30:00Z");
}

TEST(SlackPayload, GroupOfLongLinesStaysUnder3000Characters) {
    const json body = slack_body(big_group(100, 240));
    expect_within_slack_limits(body);
    const std::string list = body["blocks"][1]["text"]["text"];
    const std::size_t listed = bullets(list);
    EXPECT_LT(listed, 20u);
    const std::string tail = "\nand " + std::to_string(100 - listed) + " more\n";
    EXPECT_EQ(list.substr(list.size() - tail.size()), tail);
}

TEST(SlackRequest, UrlDisplayAndStatus) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::slack);
    const HttpRequest request = render_slack_request(sink, sample_event("verified"), k_now);
    EXPECT_EQ(request.url, sink.url);
    EXPECT_EQ(request.display, "https://hooks.slack.com");
    EXPECT_EQ(request.success_statuses, std::vector<int>{200});
}

} // namespace
} // namespace dkimwatch
