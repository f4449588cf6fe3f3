#include "alert/alert_text.hpp"
#include "alert/alertmanager_payload.hpp"
#include "alert_test_support.hpp"

#include <algorithm>
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
    EXPECT_EQ(
        alert["annotations"],
        json({{"title", "DKIM revocation warning"},
              {"summary",
               "DKIM revocation warning: example.com (111122223333, us-east-1): 1 record missing"},
              {"description", "SES may already have stopped DKIM-signing mail for example.com. "
                              "Revocation is expected at the deadline unless the records are "
                              "restored."},
              {"identity", "example.com (111122223333, us-east-1)"},
              {"state", "revocation_warning"},
              {"deadline", "2024-01-06T00:00:00Z"},
              {"records", "missing CNAME tok1._domainkey.example.com: expected "
                          "tok1.dkim.amazonses.com; observed nothing"},
              {"fix", "tok1._domainkey.example.com: no CNAME at tok1._domainkey.example.com: "
                      "add it, pointing at tok1.dkim.amazonses.com"}}));
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
              "DKIM revocation warning: example.com (111122223333, us-east-1): 1 record missing");
    EXPECT_EQ(render_alertmanager_firing(sink, {}, k_now).body, "[]");
}

// Two replicas with the same configuration observe one condition a few seconds apart: their
// event times, state_since, first failures (in the reason), deadlines and delivery times differ.
AlertEvent as_replica_b(AlertEvent event) {
    event.at += 7s;
    event.state_since += 7s;
    if (event.deadline) {
        *event.deadline += 4s;
    }
    event.reason = "DKIM records failing since 2023-12-31T23:59:04Z (2 checks) and SES will "
                   "revoke DKIM at about 2024-01-06T00:00:04Z";
    return event;
}

// Labels and annotations of each alert, with the deadline annotation taken out.
std::vector<json> without_deadline(const json& alerts) {
    std::vector<json> out;
    for (json alert : alerts) {
        alert["annotations"].erase("deadline");
        out.push_back(json{{"labels", alert["labels"]}, {"annotations", alert["annotations"]}});
    }
    return out;
}

TEST(AlertmanagerReplicas, SameConditionGivesIdenticalLabelsAndAnnotationsButDeadline) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::alertmanager);
    for (const std::string kind :
         {"revocation_warning", "reminder", "revoked", "still_revoked_records_back", "recovered",
          "pending_overdue", "verified", "monitoring_blind", "config_changed"}) {
        AlertEvent a = sample_event(kind);
        a.records = {test::missing_cname(), test::wrong_target_cname()};
        const AlertEvent b = as_replica_b(a);
        const json from_a = alerts_of(a, k_now);
        const json from_b = alerts_of(b, k_now + 3min + 11s);
        ASSERT_FALSE(from_a.empty()) << kind;
        EXPECT_EQ(without_deadline(from_a), without_deadline(from_b)) << kind;
        EXPECT_NE(from_a.dump(), from_b.dump()) << kind; // the times do differ
        if (a.deadline) {
            EXPECT_EQ(from_a[0]["annotations"]["deadline"], "2024-01-06T00:00:00Z") << kind;
            EXPECT_EQ(from_b[0]["annotations"]["deadline"], "2024-01-06T00:00:04Z") << kind;
        }
        // The re-sends, a day apart, and against the first send.
        const json resend_a = json::parse(render_alertmanager_firing(sink, {a}, k_now + 24h).body);
        const json resend_b =
            json::parse(render_alertmanager_firing(sink, {b}, k_now + 24h + 9s).body);
        EXPECT_EQ(without_deadline(resend_a), without_deadline(resend_b)) << kind;
        if (alertmanager_fires(a)) {
            ASSERT_EQ(resend_a.size(), 1u) << kind;
            EXPECT_EQ(resend_a[0]["annotations"], from_a[0]["annotations"]) << kind;
        }
    }
}

// One replica re-sends the warning it raised, the other the reminder it raised later (its own
// reminder_interval ran out first): both are DKIMRevocationWarning and must read the same.
TEST(AlertmanagerReplicas, ReminderIsSentAsTheWarningItRepeats) {
    const AlertSinkConfig sink = test::sink(AlertSinkConfig::Type::alertmanager);
    AlertEvent warning = sample_event("revocation_warning");
    warning.records = {test::missing_cname()};
    AlertEvent reminder = warning;
    reminder.kind = "reminder";
    reminder.at += 24h;
    const json from_warning = alerts_of(warning, k_now);
    const json from_reminder = alerts_of(reminder, k_now + 24h);
    // The warning also resolves DKIMMonitoringBlind (a second alert); the firing one is first.
    ASSERT_FALSE(from_warning.empty());
    ASSERT_EQ(from_reminder.size(), 1u);
    EXPECT_EQ(from_reminder[0]["labels"], from_warning[0]["labels"]);
    EXPECT_EQ(from_reminder[0]["annotations"], from_warning[0]["annotations"]);
    EXPECT_EQ(from_reminder[0]["annotations"]["title"], "DKIM revocation warning");
    const json resend = json::parse(render_alertmanager_firing(sink, {reminder}, k_now).body);
    ASSERT_EQ(resend.size(), 1u);
    EXPECT_EQ(resend[0]["annotations"], from_warning[0]["annotations"]);
    // Direct sinks still say what it is.
    EXPECT_EQ(alert_title(reminder), "DKIM revocation reminder");
}

TEST(AlertmanagerReplicas, AnnotationsCarryEveryFailingRecordAndItsFix) {
    AlertEvent event = sample_event("revocation_warning");
    event.records = {test::missing_cname(), test::wrong_target_cname()};
    const json annotations = alerts_of(event)[0]["annotations"];
    EXPECT_EQ(annotations["summary"], "DKIM revocation warning: example.com (111122223333, "
                                      "us-east-1): 2 records failing (missing, wrong_target)");
    EXPECT_EQ(annotations["records"],
              "missing CNAME tok1._domainkey.example.com: expected tok1.dkim.amazonses.com; "
              "observed nothing\n"
              "wrong_target CNAME tok2._domainkey.example.com: expected tok2.dkim.amazonses.com; "
              "observed tok2.dkim.example.net");
    EXPECT_EQ(annotations["fix"],
              "tok1._domainkey.example.com: no CNAME at tok1._domainkey.example.com: add it, "
              "pointing at tok1.dkim.amazonses.com\n"
              "tok2._domainkey.example.com: the CNAME points at tok2.dkim.example.net: change it "
              "to tok2.dkim.amazonses.com");
    event.records.clear();
    for (std::size_t i = 0; i < k_description_record_cap + 2; ++i) {
        event.records.push_back(test::missing_cname("t" + std::to_string(i)));
    }
    const json capped = alerts_of(event)[0]["annotations"];
    const std::string records = capped["records"];
    EXPECT_EQ(std::count(records.begin(), records.end(), '\n'),
              static_cast<long>(k_description_record_cap));
    EXPECT_TRUE(records.ends_with("\nand 2 more")) << records;
    EXPECT_TRUE(capped["fix"].get<std::string>().ends_with("\nand 2 more"));
}

TEST(AlertmanagerReplicas, SesSyncFailureSaysNothingThatVaries) {
    AlertEvent a = sample_event("ses_sync_failing");
    a.key.domain = "";
    a.reason = "AccessDenied after 3 attempts at 2024-01-01T00:00:00Z";
    AlertEvent b = a;
    b.reason = "timeout after 4 attempts at 2024-01-01T00:00:09Z";
    b.at += 9s;
    EXPECT_EQ(without_deadline(alerts_of(a)), without_deadline(alerts_of(b, k_now + 1h)));
    const json annotations = alerts_of(a)[0]["annotations"];
    EXPECT_EQ(annotations["summary"], "SES sync failing: SES sync of 111122223333/us-east-1");
    EXPECT_EQ(annotations["state"], "");
    EXPECT_NE(annotations["description"].get<std::string>().find("log names the error"),
              std::string::npos);
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
