#include "alert/webhook_payload.hpp"
#include "alert/webhook_signature.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::k_now;
using test::sample_event;

// Field order as sent (nlohmann::json would sort the keys).
std::vector<std::string> keys(const std::string& text) {
    const nlohmann::ordered_json object = nlohmann::ordered_json::parse(text);
    std::vector<std::string> out;
    for (auto it = object.begin(); it != object.end(); ++it) {
        out.push_back(it.key());
    }
    return out;
}

const std::vector<std::string> k_event_fields = {"version",
                                                 "type",
                                                 "event",
                                                 "severity",
                                                 "summary",
                                                 "test",
                                                 "identity",
                                                 "state",
                                                 "state_since",
                                                 "deadline",
                                                 "seconds_to_deadline",
                                                 "reason",
                                                 "records",
                                                 "at",
                                                 "sent_at"};

TEST(WebhookBody, EventDocumentVersion1) {
    const AlertEvent event = sample_event("revocation_warning");
    const json doc = json::parse(render_webhook_body(event, k_now));
    EXPECT_EQ(keys(render_webhook_body(event, k_now)), k_event_fields);
    EXPECT_EQ(doc["version"], 1);
    EXPECT_EQ(doc["type"], "event");
    EXPECT_EQ(doc["event"], "revocation_warning");
    EXPECT_EQ(doc["severity"], "critical");
    EXPECT_EQ(doc["summary"], "DKIM revocation warning: example.com (111122223333, us-east-1): 1 "
                              "record missing; SES revokes DKIM in 4d21h");
    EXPECT_EQ(doc["test"], false);
    EXPECT_EQ(
        doc["identity"],
        json({{"account", "111122223333"}, {"region", "us-east-1"}, {"domain", "example.com"}}));
    EXPECT_EQ(doc["state"], "revocation_warning");
    EXPECT_EQ(doc["state_since"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(doc["deadline"], "2024-01-06T00:00:00Z");
    EXPECT_EQ(doc["seconds_to_deadline"], (117 * 3600 + 30 * 60));
    EXPECT_EQ(doc["reason"], event.reason);
    EXPECT_EQ(doc["records"], json::parse(R"([{"name":"tok1._domainkey.example.com","type":"CNAME",
                "verdict":"missing","expected":"tok1.dkim.amazonses.com","observed":null,
                "message":"no CNAME at tok1._domainkey.example.com: add it, pointing at tok1.dkim.amazonses.com"}])"));
    EXPECT_EQ(doc["at"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(doc["sent_at"], "2024-01-01T02:30:00Z");
}

TEST(WebhookBody, NoDeadlineIsNullAndPassedDeadlineIsNegative) {
    const json verified = json::parse(render_webhook_body(sample_event("verified"), k_now));
    EXPECT_TRUE(verified["deadline"].is_null());
    EXPECT_TRUE(verified["seconds_to_deadline"].is_null());
    EXPECT_EQ(verified["records"], json::array());

    const json late = json::parse(
        render_webhook_body(sample_event("revocation_warning"), test::k_deadline + 90s));
    EXPECT_EQ(late["seconds_to_deadline"], -90);

    AlertEvent observed = sample_event("revocation_warning");
    observed.records = {test::wrong_target_cname()};
    EXPECT_EQ(json::parse(render_webhook_body(observed, k_now))["records"][0]["observed"],
              "tok2.dkim.example.net");
}

TEST(WebhookBody, TestAlertIsMarked) {
    const json doc = json::parse(render_webhook_body(sample_event("test"), k_now));
    EXPECT_EQ(doc["event"], "test");
    EXPECT_EQ(doc["test"], true);
    EXPECT_EQ(doc["summary"].get<std::string>().rfind("TEST: ", 0), 0u);
}

TEST(WebhookBody, GroupDocument) {
    AlertGroup group;
    group.total = 30;
    group.at = k_now - 1min;
    group.events = {sample_event("revoked"), sample_event("verified")};
    const json doc = json::parse(render_webhook_body(group, k_now));
    EXPECT_EQ(keys(render_webhook_body(group, k_now)),
              (std::vector<std::string>{"version", "type", "total", "severity", "summary", "test",
                                        "at", "sent_at", "events"}));
    EXPECT_EQ(doc["version"], 1);
    EXPECT_EQ(doc["type"], "group");
    EXPECT_EQ(doc["total"], 30);
    EXPECT_EQ(doc["severity"], "critical");
    EXPECT_EQ(doc["summary"],
              "30 DKIM alerts, most severe critical: example.com, example.com and 28 more");
    EXPECT_EQ(doc["test"], false);
    EXPECT_EQ(doc["at"], "2024-01-01T02:29:00Z");
    EXPECT_EQ(doc["sent_at"], "2024-01-01T02:30:00Z");
    ASSERT_EQ(doc["events"].size(), 2u);
    EXPECT_EQ(doc["events"][0], json::parse(render_webhook_body(sample_event("revoked"), k_now)));
    EXPECT_EQ(doc["events"][1]["event"], "verified");
}

TEST(WebhookRequest, UnsignedWithoutSecret) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::webhook);
    const HttpRequest request = render_webhook_request(sink, sample_event("verified"), k_now);
    EXPECT_EQ(request.url, sink.url);
    EXPECT_EQ(request.display, "https://receiver.example:8443");
    EXPECT_EQ(request.success_statuses, (std::vector<int>{200, 201, 202, 204}));
    EXPECT_EQ(request.body, render_webhook_body(sample_event("verified"), k_now));
    ASSERT_EQ(request.headers.size(), 2u);
    EXPECT_EQ(request.headers[0],
              (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
    EXPECT_EQ(request.headers[1].first, "User-Agent");
}

TEST(WebhookRequest, SignedWithSecretOverTheExactBody) {
    AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::webhook);
    sink.secret = "whsec_example";
    const HttpRequest request = render_webhook_request(sink, sample_event("revoked"), k_now);
    ASSERT_EQ(request.headers.size(), 3u);
    EXPECT_EQ(request.headers[2].first, "X-Dkimwatch-Signature");
    const std::string t = "1704076200"; // 2024-01-01T02:30:00Z
    EXPECT_EQ(request.headers[2].second,
              "t=" + t + ",v1=" + hmac_sha256_hex("whsec_example", t + "." + request.body));
}

} // namespace
} // namespace dkimwatch
