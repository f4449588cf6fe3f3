#include "alert/alert_text.hpp"
#include "alert/pagerduty_payload.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::k_now;
using test::sample_event;

json pd_body(const AlertMessage& message) {
    return json::parse(
        render_pagerduty_request(test::sink(AlertSinkConfig::Type::pagerduty), message, k_now)
            .body);
}

TEST(PagerdutyRequest, TriggerShape) {
    const AlertEvent event = sample_event("revocation_warning");
    const json body = pd_body(event);
    EXPECT_EQ(body["routing_key"], "R0UTINGKEY");
    EXPECT_EQ(body["event_action"], "trigger");
    EXPECT_EQ(body["dedup_key"], "dkimwatch:111122223333:us-east-1:example.com:revocation");
    const json& payload = body["payload"];
    EXPECT_EQ(payload["summary"], alert_event_summary(event, k_now));
    EXPECT_EQ(payload["source"], "dkimwatch");
    EXPECT_EQ(payload["severity"], "critical");
    EXPECT_EQ(payload["timestamp"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(payload["component"], "example.com");
    EXPECT_EQ(payload["group"], "111122223333/us-east-1");
    EXPECT_EQ(payload["class"], "revocation_warning");
    const json& details = payload["custom_details"];
    EXPECT_EQ(details["explanation"], alert_explanation(event, k_now));
    EXPECT_EQ(details["state"], "revocation_warning");
    EXPECT_EQ(details["state_since"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(details["deadline"], "2024-01-06T00:00:00Z (in 4d21h)");
    EXPECT_EQ(details["reason"], event.reason);
    ASSERT_EQ(details["records"].size(), 1u);
    EXPECT_EQ(details["records"][0]["verdict"], "missing");
    EXPECT_TRUE(details["records"][0]["observed"].is_null());
    EXPECT_EQ(details["test"], false);
}

TEST(PagerdutyRequest, ResolveCarriesOnlyTheKey) {
    EXPECT_EQ(pd_body(sample_event("recovered")),
              json({{"routing_key", "R0UTINGKEY"},
                    {"event_action", "resolve"},
                    {"dedup_key", "dkimwatch:111122223333:us-east-1:example.com:revocation"}}));
    EXPECT_EQ(pd_body(sample_event("verified"))["dedup_key"],
              "dkimwatch:111122223333:us-east-1:example.com:pending");
    EXPECT_EQ(pd_body(sample_event("config_changed"))["event_action"], "resolve");
}

TEST(PagerdutyDedupKey, FamiliesAndActions) {
    const std::string prefix = "dkimwatch:111122223333:us-east-1:example.com:";
    const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
        {"revocation_warning", "revocation", "trigger"},
        {"reminder", "revocation", "trigger"},
        {"revoked", "revocation", "trigger"},
        {"still_revoked_records_back", "revocation", "trigger"},
        {"recovered", "revocation", "resolve"},
        {"config_changed", "revocation", "resolve"},
        {"pending_overdue", "pending", "trigger"},
        {"verified", "pending", "resolve"},
        {"monitoring_blind", "blind", "trigger"},
        {"test", "test", "trigger"}};
    for (const auto& [kind, family, action] : expected) {
        EXPECT_EQ(pagerduty_dedup_key(sample_event(kind)), prefix + family) << kind;
        EXPECT_EQ(std::string(pagerduty_event_action(sample_event(kind))), action) << kind;
    }
    AlertEvent sample = sample_event("recovered");
    sample.test = true; // a test sample never touches a real incident
    EXPECT_EQ(pagerduty_dedup_key(sample), prefix + "test");
    EXPECT_EQ(std::string(pagerduty_event_action(sample)), "trigger");
}

// Two replicas (ha: true) send PagerDuty direct the same condition with their own times: event
// time, state_since, deadline, reason and delivery time differ. PagerDuty deduplicates by
// dedup_key, so the triggers must share one key, and either replica's resolve must end it.
TEST(PagerdutyDedupKey, StableAcrossReplicas) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::pagerduty);
    const auto replica_b = [](AlertEvent event) {
        event.at += 6s;
        event.state_since += 6s;
        if (event.deadline) {
            *event.deadline += 5s;
        }
        event.reason += " (seen 6s later)";
        return event;
    };
    for (const auto& [trigger_kind, resolve_kind] :
         std::vector<std::pair<std::string, std::string>>{{"revocation_warning", "recovered"},
                                                          {"reminder", "recovered"},
                                                          {"revoked", "config_changed"},
                                                          {"pending_overdue", "verified"}}) {
        const AlertEvent a = sample_event(trigger_kind);
        const AlertEvent b = replica_b(a);
        const json trigger_a = json::parse(render_pagerduty_request(sink, a, k_now).body);
        const json trigger_b = json::parse(render_pagerduty_request(sink, b, k_now + 41s).body);
        EXPECT_EQ(trigger_a["event_action"], "trigger") << trigger_kind;
        EXPECT_EQ(trigger_b["event_action"], "trigger") << trigger_kind;
        EXPECT_EQ(trigger_a["dedup_key"], trigger_b["dedup_key"]) << trigger_kind;
        EXPECT_NE(trigger_a["payload"]["timestamp"], trigger_b["payload"]["timestamp"]);
        // The resolve of either replica, at its own time, ends the same incident.
        AlertEvent resolve_a = sample_event(resolve_kind);
        resolve_a.at = k_now + 1h;
        const AlertEvent resolve_b = replica_b(resolve_a);
        for (const AlertEvent& resolve : {resolve_a, resolve_b}) {
            const json body = json::parse(render_pagerduty_request(sink, resolve, k_now + 2h).body);
            EXPECT_EQ(body["event_action"], "resolve") << resolve_kind;
            EXPECT_EQ(body["dedup_key"], trigger_a["dedup_key"]) << trigger_kind;
        }
    }
}

TEST(PagerdutyDedupKey, TooLongBecomesAHash) {
    AlertEvent event = sample_event("revoked");
    event.key.domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(61, 'd');
    const std::string key = pagerduty_dedup_key(event);
    EXPECT_LE(key.size(), 255u);
    EXPECT_EQ(key.rfind("dkimwatch:sha256:", 0), 0u);
    EXPECT_EQ(key.size(), std::string("dkimwatch:sha256:").size() + 64 + 11);
    EXPECT_EQ(key.substr(key.size() - 11), ":revocation");
    AlertEvent other = event;
    other.key.region = "eu-west-1";
    EXPECT_NE(pagerduty_dedup_key(other), key);
    EXPECT_EQ(pagerduty_dedup_key(event), key);
}

TEST(PagerdutyRequest, SummaryIsAtMost1024Characters) {
    AlertEvent event = sample_event("recovered");
    event.kind = "future_kind"; // falls back to the reason
    event.reason = std::string(3000, 'r');
    const std::string summary = pd_body(event)["payload"]["summary"];
    EXPECT_EQ(summary.size(), 1024u);
    EXPECT_EQ(summary.substr(summary.size() - 3), "…");
}

TEST(PagerdutyRequest, TestAlertAndSeverities) {
    EXPECT_EQ(pd_body(sample_event("test"))["payload"]["custom_details"]["test"], true);
    EXPECT_EQ(pd_body(sample_event("monitoring_blind"))["payload"]["severity"], "warning");
    EXPECT_EQ(pd_body(sample_event("still_revoked_records_back"))["payload"]["severity"], "info");
}

TEST(PagerdutyRequest, GroupIsOneTriggerOfTheStormIncident) {
    AlertGroup group;
    group.total = 12;
    group.at = k_now;
    group.events = {sample_event("pending_overdue"), sample_event("recovered")};
    const json body = pd_body(group);
    EXPECT_EQ(body["event_action"], "trigger");
    // Every group of a storm lands in one incident, whatever its time.
    EXPECT_EQ(body["dedup_key"], "dkimwatch:storm");
    EXPECT_EQ(body["payload"]["severity"], "warning");
    EXPECT_EQ(body["payload"]["summary"], alert_group_summary(group));
    EXPECT_EQ(body["payload"]["class"], "group");
    EXPECT_EQ(body["payload"]["custom_details"]["total"], 12);
    ASSERT_EQ(body["payload"]["custom_details"]["events"].size(), 2u);
    EXPECT_EQ(body["payload"]["custom_details"]["events"][1],
              json({{"account", "111122223333"},
                    {"region", "us-east-1"},
                    {"domain", "example.com"},
                    {"event", "recovered"},
                    {"severity", "resolved"},
                    {"summary", alert_event_summary(sample_event("recovered"), k_now)}}));
}

TEST(PagerdutyRequest, AGroupOfOnlyResolvesResolvesTheStormIncident) {
    AlertGroup group;
    group.total = 30;
    group.at = k_now;
    group.events = {sample_event("recovered"), sample_event("verified"),
                    sample_event("config_changed")};
    const auto sink = test::sink(AlertSinkConfig::Type::pagerduty);
    const json expected{{"routing_key", sink.routing_key},
                        {"event_action", "resolve"},
                        {"dedup_key", "dkimwatch:storm"}};
    EXPECT_EQ(pd_body(group), expected);
    const HttpRequest storm_resolve = render_pagerduty_storm_resolve(sink);
    EXPECT_EQ(json::parse(storm_resolve.body), expected);
    EXPECT_EQ(storm_resolve.url, sink.url);
    EXPECT_EQ(storm_resolve.success_statuses, std::vector<int>{202});
}

TEST(PagerdutyRequest, UrlAndStatus) {
    const HttpRequest request = render_pagerduty_request(
        test::sink(AlertSinkConfig::Type::pagerduty), sample_event("revoked"), k_now);
    EXPECT_EQ(request.url, "https://events.pagerduty.com/v2/enqueue");
    EXPECT_EQ(request.display, "https://events.pagerduty.com");
    EXPECT_EQ(request.success_statuses, std::vector<int>{202});
}

} // namespace
} // namespace dkimwatch
