#include "alert/alert_text.hpp"
#include "alert/alertmanager_payload.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::k_now;
using test::sample_event;

json alerts_of(const AlertMessage& message, TimePoint now = k_now) {
    return json::parse(
        render_alertmanager_request(test::sink(AlertSinkConfig::Type::alertmanager), message, now)
            .body);
}

// (alertname, severity label, endsAt or "" when absent) of each alert.
std::vector<std::tuple<std::string, std::string, std::string>> outline(const json& alerts) {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const json& alert : alerts) {
        out.emplace_back(alert["labels"]["alertname"], alert["labels"]["severity"],
                         alert.contains("endsAt") ? alert["endsAt"].get<std::string>() : "");
    }
    return out;
}

TEST(AlertmanagerAlertname, PerKind) {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"revocation_warning", "DKIMRevocationWarning"},
        {"reminder", "DKIMRevocationWarning"},
        {"revoked", "DKIMRevoked"},
        {"recovered", "DKIMRevocationWarning"},
        {"verified", "DKIMPendingOverdue"},
        {"pending_overdue", "DKIMPendingOverdue"},
        {"monitoring_blind", "DKIMMonitoringBlind"},
        {"still_revoked_records_back", "DKIMRevoked"},
        {"config_changed", "DKIMRevocationWarning"},
        {"test", "DKIMTest"}};
    for (const auto& [kind, name] : expected) {
        EXPECT_EQ(alertmanager_alertname(sample_event(kind)), name) << kind;
    }
    AlertEvent sample = sample_event("revoked");
    sample.test = true;
    EXPECT_EQ(alertmanager_alertname(sample), "DKIMTest");
    AlertEvent unknown = sample_event("verified");
    unknown.kind = "future_kind";
    EXPECT_EQ(alertmanager_alertname(unknown), "DKIMEvent");
}

TEST(AlertmanagerRequest, UrlAndStatus) {
    AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::alertmanager);
    HttpRequest request = render_alertmanager_request(sink, sample_event("revoked"), k_now);
    EXPECT_EQ(request.url, "http://127.0.0.1:9093/api/v2/alerts");
    EXPECT_EQ(request.display, "http://127.0.0.1:9093");
    EXPECT_EQ(request.success_statuses, std::vector<int>{200});
    sink.url = "https://am.example/prefix";
    EXPECT_EQ(render_alertmanager_request(sink, sample_event("revoked"), k_now).url,
              "https://am.example/prefix/api/v2/alerts");
    EXPECT_EQ(alertmanager_alerts_url("http://am//"), "http://am/api/v2/alerts");
}

TEST(AlertmanagerRequest, FiringAlertShape) {
    const AlertEvent event = sample_event("revocation_warning");
    const json alerts = alerts_of(event);
    ASSERT_EQ(alerts.size(), 2u);
    const json& alert = alerts[0];
    EXPECT_EQ(alert["labels"], json({{"alertname", "DKIMRevocationWarning"},
                                     {"account", "111122223333"},
                                     {"region", "us-east-1"},
                                     {"domain", "example.com"},
                                     {"severity", "critical"}}));
    EXPECT_EQ(alert["annotations"], json({{"summary", alert_event_summary(event, k_now)},
                                          {"description", alert_description(event, k_now)},
                                          {"deadline", "2024-01-06T00:00:00Z"}}));
    EXPECT_EQ(alert["startsAt"], "2024-01-01T00:00:00Z");
    EXPECT_FALSE(alert.contains("endsAt"));
    // The warning means checks were conclusive again: blindness (if any) is over.
    EXPECT_EQ(alerts[1]["labels"]["alertname"], "DKIMMonitoringBlind");
    EXPECT_EQ(alerts[1]["labels"]["severity"], "warning");
    EXPECT_EQ(alerts[1]["endsAt"], "2024-01-01T02:30:00Z");
}

TEST(AlertmanagerRequest, WhatEachKindFiresAndResolves) {
    using Outline = std::vector<std::tuple<std::string, std::string, std::string>>;
    const std::string now = "2024-01-01T02:30:00Z";
    EXPECT_EQ(outline(alerts_of(sample_event("reminder"))),
              (Outline{{"DKIMRevocationWarning", "critical", ""}}));
    EXPECT_EQ(outline(alerts_of(sample_event("revoked"))),
              (Outline{{"DKIMRevoked", "critical", ""},
                       {"DKIMRevocationWarning", "critical", now},
                       {"DKIMMonitoringBlind", "warning", now}}));
    EXPECT_EQ(outline(alerts_of(sample_event("still_revoked_records_back"))),
              (Outline{{"DKIMRevoked", "critical", ""}, {"DKIMMonitoringBlind", "warning", now}}));
    EXPECT_EQ(outline(alerts_of(sample_event("recovered"))),
              (Outline{{"DKIMRevocationWarning", "critical", now},
                       {"DKIMMonitoringBlind", "warning", now}}));
    EXPECT_EQ(outline(alerts_of(sample_event("pending_overdue"))),
              (Outline{{"DKIMPendingOverdue", "warning", ""}}));
    EXPECT_EQ(
        outline(alerts_of(sample_event("verified"))),
        (Outline{{"DKIMPendingOverdue", "warning", now}, {"DKIMMonitoringBlind", "warning", now}}));
    EXPECT_EQ(outline(alerts_of(sample_event("monitoring_blind"))),
              (Outline{{"DKIMMonitoringBlind", "warning", ""}}));
    EXPECT_EQ(outline(alerts_of(sample_event("config_changed"))),
              (Outline{{"DKIMRevocationWarning", "critical", now},
                       {"DKIMRevoked", "critical", now},
                       {"DKIMPendingOverdue", "warning", now},
                       {"DKIMMonitoringBlind", "warning", now}}));
    EXPECT_EQ(outline(alerts_of(sample_event("test"))),
              (Outline{{"DKIMTest", "critical", "2024-01-01T02:35:00Z"}}));
}

TEST(AlertmanagerRequest, ResolveHasStartAtEventAndNoDeadlineAnnotationWhenNone) {
    const json alerts = alerts_of(sample_event("verified"));
    EXPECT_EQ(alerts[0]["startsAt"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(alerts[0]["annotations"]["deadline"], "");
}

TEST(AlertmanagerRequest, GroupRendersItsIndividualAlerts) {
    AlertGroup group;
    group.total = 2;
    group.at = k_now;
    group.events = {sample_event("pending_overdue"), sample_event("monitoring_blind")};
    EXPECT_EQ(outline(alerts_of(group)),
              (std::vector<std::tuple<std::string, std::string, std::string>>{
                  {"DKIMPendingOverdue", "warning", ""}, {"DKIMMonitoringBlind", "warning", ""}}));
}

TEST(AlertmanagerFiring, ReSendsOnlyFiringAlertsWithFreshAnnotations) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::alertmanager);
    const TimePoint later = k_now + 24h;
    const HttpRequest request =
        render_alertmanager_firing(sink,
                                   {sample_event("revocation_warning"), sample_event("recovered"),
                                    sample_event("test"), sample_event("revoked")},
                                   later);
    EXPECT_EQ(request.url, "http://127.0.0.1:9093/api/v2/alerts");
    const json alerts = json::parse(request.body);
    EXPECT_EQ(outline(alerts),
              (std::vector<std::tuple<std::string, std::string, std::string>>{
                  {"DKIMRevocationWarning", "critical", ""}, {"DKIMRevoked", "critical", ""}}));
    EXPECT_EQ(alerts[0]["startsAt"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(alerts[0]["annotations"]["summary"],
              "DKIM revocation warning: example.com (111122223333, us-east-1): 1 record missing; "
              "SES revokes DKIM in 3d21h");
    EXPECT_EQ(render_alertmanager_firing(sink, {}, k_now).body, "[]");
}

TEST(AlertmanagerFires, AndResolvedNames) {
    EXPECT_TRUE(alertmanager_fires(sample_event("revocation_warning")));
    EXPECT_TRUE(alertmanager_fires(sample_event("still_revoked_records_back")));
    EXPECT_FALSE(alertmanager_fires(sample_event("recovered")));
    EXPECT_FALSE(alertmanager_fires(sample_event("config_changed")));
    EXPECT_FALSE(alertmanager_fires(sample_event("test")));
    EXPECT_EQ(alertmanager_resolved_alertnames(sample_event("recovered")),
              (std::vector<std::string>{"DKIMRevocationWarning", "DKIMMonitoringBlind"}));
    EXPECT_TRUE(alertmanager_resolved_alertnames(sample_event("test")).empty());
}

} // namespace
} // namespace dkimwatch
