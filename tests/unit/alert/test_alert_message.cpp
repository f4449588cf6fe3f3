#include "alert/alert_message.hpp"
#include "alert/alert_text.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using test::k_now;
using test::sample_event;

AlertMessage round_trip(const AlertMessage& message) {
    const auto parsed = alert_message_from_json(alert_message_to_json(message));
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error());
    return parsed.ok() ? *parsed : AlertMessage{};
}

std::string parse_error(const std::string& json) {
    const auto parsed = alert_message_from_json(json);
    EXPECT_FALSE(parsed.ok()) << json;
    return parsed.ok() ? "" : parsed.error();
}

TEST(AlertMessageJson, EveryKindRoundTrips) {
    for (const std::string& kind : test::k_all_kinds) {
        const AlertMessage message = sample_event(kind);
        EXPECT_EQ(round_trip(message), message) << kind;
    }
}

TEST(AlertMessageJson, OptionalsAndOddValuesRoundTrip) {
    AlertEvent event = sample_event("reminder");
    ASSERT_TRUE(event.reminder_threshold.has_value());
    event.at += 123ms; // milliseconds are kept
    event.records = {test::wrong_target_cname(), test::missing_cname()};
    event.records[0].observed = std::string("\"quoted\" \\ tab\t é \xF0\x9F\x94\x91");
    event.reason = "line\nbreak";
    EXPECT_EQ(round_trip(event), AlertMessage{event});

    AlertEvent bare;
    bare.kind = "verified";
    EXPECT_EQ(round_trip(bare), AlertMessage{bare});

    AlertEvent negative = sample_event("revocation_warning");
    negative.state_since = TimePoint{Milliseconds{-5}};
    EXPECT_EQ(round_trip(negative), AlertMessage{negative});
}

TEST(AlertMessageJson, GroupRoundTrips) {
    AlertGroup group;
    group.total = 42;
    group.at = k_now + 7ms;
    for (const std::string& kind : test::k_all_kinds) {
        group.events.push_back(sample_event(kind));
    }
    EXPECT_EQ(round_trip(group), AlertMessage{group});
    EXPECT_EQ(round_trip(AlertGroup{}), AlertMessage{AlertGroup{}});
}

TEST(AlertMessageJson, StableFormat) {
    AlertEvent event = sample_event("verified");
    event.records = {test::missing_cname()};
    EXPECT_EQ(
        alert_message_to_json(event),
        R"({"version":1,"type":"event","event":{"kind":"verified","severity":"info",)"
        R"("account":"111122223333","region":"us-east-1","domain":"example.com","state":"verified",)"
        R"("state_since":1704067200000,"deadline":null,"reminder_threshold":null,)"
        R"("at":1704067200000,"reason":"all records correct","records":[{"name":)"
        R"("tok1._domainkey.example.com","type":"CNAME","verdict":"missing","expected":)"
        R"("tok1.dkim.amazonses.com","observed":null,"message":"no CNAME at )"
        R"(tok1._domainkey.example.com: add it, pointing at tok1.dkim.amazonses.com"}],)"
        R"("test":false}})");
}

TEST(AlertMessageJson, ErrorsAreValues) {
    EXPECT_EQ(parse_error("not json"), "alert message is not valid JSON");
    EXPECT_EQ(parse_error("[]"), "alert message: not a JSON object");
    EXPECT_EQ(parse_error(R"({"version":2,"type":"event"})"),
              "alert message: unsupported version 2");
    EXPECT_EQ(parse_error(R"({"version":1,"type":"other"})"),
              "alert message: unknown type \"other\"");

    nlohmann::json good = nlohmann::json::parse(alert_message_to_json(sample_event("revoked")));
    auto with = [&](const char* field, nlohmann::json value) {
        nlohmann::json copy = good;
        copy["event"][field] = std::move(value);
        return parse_error(copy.dump());
    };
    EXPECT_EQ(with("kind", "exploded"), "alert message: unknown event kind \"exploded\"");
    EXPECT_EQ(with("severity", "loud"), "alert message: unknown severity \"loud\"");
    EXPECT_EQ(with("state", "gone"), "alert message: unknown state \"gone\"");
    EXPECT_EQ(with("records", "none"), "alert message: \"records\" is not an array");
    EXPECT_EQ(with("at", 1.5), "alert message: expected an integer");
    EXPECT_EQ(with("deadline", "soon"), "alert message: expected an integer or null");
    EXPECT_NE(with("domain", 5).find("alert message: [json.exception.type_error.302]"),
              std::string::npos);
    nlohmann::json missing = good;
    missing["event"].erase("reason");
    EXPECT_NE(parse_error(missing.dump()).find("key 'reason' not found"), std::string::npos);
}

TEST(AlertSummary, EventAndGroup) {
    EXPECT_EQ(alert_summary(sample_event("verified"), k_now),
              alert_event_summary(sample_event("verified"), k_now));
    AlertGroup group;
    group.total = 11;
    group.events = {sample_event("verified")};
    EXPECT_EQ(alert_summary(group, k_now),
              "11 DKIM alerts, most severe info: example.com and 10 more");
}

TEST(RenderAlertRequest, DispatchesOnSinkType) {
    const AlertEvent event = sample_event("revoked");
    const HttpRequest slack =
        render_alert_request(test::sink(AlertSinkConfig::Type::slack), event, k_now);
    EXPECT_TRUE(nlohmann::json::parse(slack.body).contains("blocks"));
    EXPECT_EQ(slack.success_statuses, std::vector<int>{200});
    const HttpRequest webhook =
        render_alert_request(test::sink(AlertSinkConfig::Type::webhook), event, k_now);
    EXPECT_EQ(nlohmann::json::parse(webhook.body)["version"], 1);
    const HttpRequest am =
        render_alert_request(test::sink(AlertSinkConfig::Type::alertmanager), event, k_now);
    EXPECT_EQ(am.url, "http://127.0.0.1:9093/api/v2/alerts");
    const HttpRequest pd =
        render_alert_request(test::sink(AlertSinkConfig::Type::pagerduty), event, k_now);
    EXPECT_EQ(nlohmann::json::parse(pd.body)["event_action"], "trigger");
    for (const HttpRequest* request : {&slack, &webhook, &am, &pd}) {
        EXPECT_EQ(request->display.find("SECRET"), std::string::npos) << request->display;
    }
}

// A row read back from a damaged state file may hold any times: every sink still renders, with
// the far moments shown within four-digit years (under UBSan this test fails on an overflow).
TEST(RenderAlertRequest, FarTimesFromADamagedRowRender) {
    for (const Milliseconds far : {Milliseconds::max(), Milliseconds::min()}) {
        AlertEvent event = sample_event("revocation_warning");
        event.deadline = TimePoint{far};
        event.state_since = TimePoint{far};
        event.at = TimePoint{far};
        const AlertMessage message = round_trip(event);
        for (const auto type :
             {AlertSinkConfig::Type::slack, AlertSinkConfig::Type::webhook,
              AlertSinkConfig::Type::alertmanager, AlertSinkConfig::Type::pagerduty}) {
            const HttpRequest request = render_alert_request(test::sink(type), message, k_now);
            EXPECT_NE(request.body.find(far > Milliseconds::zero() ? "9999-12-31T23:59:59Z"
                                                                   : "0000-01-01T00:00:00Z"),
                      std::string::npos)
                << request.body;
        }
    }
}

} // namespace
} // namespace dkimwatch
