// The SES source's alerts: make_ses_alert_event, the outbox JSON round trip (and old rows), and
// their rendering by every sink (text, Slack, webhook, Alertmanager, PagerDuty).

#include "alert/alert_message.hpp"
#include "alert/alert_text.hpp"
#include "alert/alertmanager_payload.hpp"
#include "alert/pagerduty_payload.hpp"
#include "alert/ses_event_builder.hpp"
#include "alert/slack_payload.hpp"
#include "alert/webhook_payload.hpp"
#include "alert_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tuple>

namespace dkimwatch {
namespace {

using json = nlohmann::json;
using test::k_now;
using test::k_t0;
using testing::HasSubstr;
using testing::Not;

SesEvent ses_event(SesEventKind kind, EventSeverity severity, std::string from = "",
                   std::string to = "", std::string reason = "") {
    SesEvent event;
    event.kind = kind;
    event.severity = severity;
    event.at = k_t0 + std::chrono::minutes{5};
    event.from = std::move(from);
    event.to = std::move(to);
    event.reason = std::move(reason);
    return event;
}

AlertEvent status_changed(const std::string& from, const std::string& to, EventSeverity severity) {
    return make_ses_alert_event(test::sample_key(),
                                ses_event(SesEventKind::ses_status_changed, severity, from, to,
                                          "SES reports " + to + " while every record is ok"),
                                IdentityState::verified, k_t0);
}

AlertEvent signing(EventSeverity severity) {
    return make_ses_alert_event(test::sample_key(),
                                ses_event(SesEventKind::signing_disabled, severity, "", "",
                                          severity == EventSeverity::resolved
                                              ? "SES signs with DKIM again"
                                              : "SigningEnabled is false in SES"),
                                IdentityState::verified, k_t0);
}

AlertEvent email_unsigned() {
    return make_ses_alert_event(test::sample_key(),
                                ses_event(SesEventKind::email_identity_unsigned,
                                          EventSeverity::warning, "", "",
                                          "mary@example.com is verified on its own"),
                                IdentityState::verified, k_t0);
}

AlertEvent removed() {
    return make_ses_alert_event(test::sample_key(),
                                ses_event(SesEventKind::identity_removed, EventSeverity::info, "",
                                          "", "SES no longer lists example.com"),
                                IdentityState::verified, k_t0);
}

const IdentityKey k_source{"111122223333", "us-east-1", ""};

AlertEvent sync_failing() {
    return make_ses_alert_event(k_source,
                                ses_event(SesEventKind::ses_sync_failing, EventSeverity::warning,
                                          "", "", "403 AccessDenied: ses:ListEmailIdentities"),
                                IdentityState::pending, TimePoint{});
}

AlertEvent sync_recovered() {
    return make_ses_alert_event(k_source,
                                ses_event(SesEventKind::ses_sync_recovered, EventSeverity::resolved,
                                          "", "", "listing works"),
                                IdentityState::pending, TimePoint{});
}

std::vector<AlertEvent> every_ses_alert() {
    return {status_changed("SUCCESS", "FAILED", EventSeverity::critical),
            status_changed("PENDING", "TEMPORARY_FAILURE", EventSeverity::warning),
            status_changed("FAILED", "SUCCESS", EventSeverity::resolved),
            status_changed("", "PENDING", EventSeverity::info),
            signing(EventSeverity::critical),
            signing(EventSeverity::resolved),
            email_unsigned(),
            removed(),
            sync_failing(),
            sync_recovered()};
}

// (alertname, severity label, endsAt or "") of each alert of the Alertmanager request.
std::vector<std::tuple<std::string, std::string, std::string>>
alertmanager_outline(const AlertEvent& event) {
    const json alerts = json::parse(
        render_alertmanager_request(test::sink(AlertSinkConfig::Type::alertmanager), event, k_now)
            .body);
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const json& alert : alerts) {
        out.emplace_back(alert["labels"]["alertname"], alert["labels"]["severity"],
                         alert.contains("endsAt") ? alert["endsAt"].get<std::string>() : "");
    }
    return out;
}

json pagerduty_body(const AlertEvent& event) {
    return json::parse(
        render_pagerduty_request(test::sink(AlertSinkConfig::Type::pagerduty), event, k_now).body);
}

TEST(SesEventBuilder, CarriesTheEventAndTheIdentityState) {
    const AlertEvent alert = status_changed("SUCCESS", "FAILED", EventSeverity::critical);
    EXPECT_EQ(alert.kind, "ses_status_changed");
    EXPECT_EQ(alert.severity, EventSeverity::critical);
    EXPECT_EQ(alert.key, test::sample_key());
    EXPECT_EQ(alert.state, IdentityState::verified);
    EXPECT_EQ(alert.state_since, k_t0);
    EXPECT_EQ(alert.at, k_t0 + std::chrono::minutes{5});
    EXPECT_EQ(alert.reason, "SES reports FAILED while every record is ok");
    EXPECT_EQ(alert.ses_from, "SUCCESS");
    EXPECT_EQ(alert.ses_to, "FAILED");
    EXPECT_TRUE(alert.records.empty());
    EXPECT_FALSE(alert.test);
    EXPECT_EQ(alert.deadline, std::nullopt);
}

TEST(SesEventBuilder, KnowsEveryKind) {
    for (const char* kind : {"ses_status_changed", "signing_disabled", "email_identity_unsigned",
                             "identity_removed", "ses_sync_failing", "ses_sync_recovered"}) {
        ASSERT_TRUE(parse_ses_event_kind(kind).has_value()) << kind;
        EXPECT_STREQ(ses_event_kind_name(*parse_ses_event_kind(kind)), kind);
        EXPECT_TRUE(is_known_alert_kind(kind)) << kind;
    }
    EXPECT_TRUE(is_known_alert_kind("revocation_warning"));
    EXPECT_TRUE(is_known_alert_kind("test"));
    EXPECT_FALSE(is_known_alert_kind("ses_something_new"));
    EXPECT_FALSE(parse_ses_event_kind("revoked").has_value());
}

TEST(SesEventBuilder, FiringConditionsFollowWhatSesReportsNow) {
    SesDomainIdentity identity;
    identity.domain = "example.com";
    identity.signing_enabled = true;
    identity.status = SesDkimStatus::success;
    const TimePoint since = k_t0 + std::chrono::hours{1};
    EXPECT_TRUE(
        ses_firing_conditions(test::sample_key(), identity, IdentityState::verified, k_t0, since)
            .empty());
    identity.status = SesDkimStatus::pending;
    EXPECT_TRUE(
        ses_firing_conditions(test::sample_key(), identity, IdentityState::verified, k_t0, since)
            .empty());

    identity.status = SesDkimStatus::failed;
    identity.signing_enabled = false;
    auto firing =
        ses_firing_conditions(test::sample_key(), identity, IdentityState::verified, k_t0, since);
    ASSERT_EQ(firing.size(), 2u);
    EXPECT_EQ(firing[0].kind, "ses_status_changed");
    EXPECT_EQ(firing[0].severity, EventSeverity::critical);
    EXPECT_EQ(firing[0].ses_to, "FAILED");
    EXPECT_EQ(firing[0].at, since);
    EXPECT_EQ(firing[0].state, IdentityState::verified);
    EXPECT_EQ(firing[1].kind, "signing_disabled");
    EXPECT_EQ(firing[1].severity, EventSeverity::critical);
    // What is re-sent is exactly what fired: same alertnames and labels.
    const json resent = json::parse(
        render_alertmanager_firing(test::sink(AlertSinkConfig::Type::alertmanager), firing, k_now)
            .body);
    ASSERT_EQ(resent.size(), 2u);
    EXPECT_EQ(resent[0]["labels"]["alertname"], "DKIMSesFailed");
    EXPECT_EQ(resent[0]["labels"]["severity"], "critical");
    EXPECT_EQ(resent[1]["labels"]["alertname"], "DKIMSesSigningDisabled");

    identity.status = SesDkimStatus::temporary_failure;
    identity.signing_enabled = true;
    firing =
        ses_firing_conditions(test::sample_key(), identity, IdentityState::verified, k_t0, since);
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_EQ(firing[0].severity, EventSeverity::warning);
    EXPECT_EQ(alertmanager_alertname(firing[0]), "DKIMSesTemporaryFailure");

    const AlertEvent sync =
        ses_sync_failing_condition("111122223333", "us-east-1", since, "403 AccessDenied");
    EXPECT_EQ(sync.kind, "ses_sync_failing");
    EXPECT_EQ(sync.key, k_source);
    EXPECT_EQ(sync.reason, "403 AccessDenied");
    EXPECT_TRUE(alertmanager_fires(sync));
    EXPECT_EQ(alertmanager_alertname(sync), "DKIMSesSyncFailing");
}

TEST(SesAlertJson, EverySesAlertRoundTrips) {
    for (const AlertEvent& event : every_ses_alert()) {
        const std::string text = alert_message_to_json(event);
        auto back = alert_message_from_json(text);
        ASSERT_TRUE(back.ok()) << back.error() << " in " << text;
        EXPECT_EQ(std::get<AlertEvent>(*back), event) << text;
    }
    AlertGroup group;
    group.events = every_ses_alert();
    group.total = 12;
    group.at = k_now;
    auto back = alert_message_from_json(alert_message_to_json(group));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(std::get<AlertGroup>(*back), group);
}

TEST(SesAlertJson, OldRowsWithoutSesFieldsStillLoad) {
    // An outbox row as written before the SES source (no ses_from/ses_to).
    const std::string old_row =
        R"({"version":1,"type":"event","event":{"kind":"recovered","severity":"resolved",)"
        R"("account":"111122223333","region":"us-east-1","domain":"example.com",)"
        R"("state":"verified","state_since":1704067200000,"deadline":null,)"
        R"("reminder_threshold":null,"at":1704067200000,"reason":"all ok","records":[],)"
        R"("test":false}})";
    auto loaded = alert_message_from_json(old_row);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    const auto& event = std::get<AlertEvent>(*loaded);
    EXPECT_EQ(event.kind, "recovered");
    EXPECT_EQ(event.ses_from, "");
    EXPECT_EQ(event.ses_to, "");
    // And a non-SES event is written exactly as before.
    EXPECT_EQ(alert_message_to_json(event), old_row);
}

TEST(SesAlertText, TitlesAndSummaries) {
    EXPECT_EQ(
        alert_event_summary(status_changed("SUCCESS", "FAILED", EventSeverity::critical), k_now),
        "SES DKIM status FAILED: example.com (111122223333, us-east-1): was SUCCESS; SES "
        "reports FAILED while every record is ok");
    EXPECT_EQ(alert_event_summary(status_changed("", "PENDING", EventSeverity::info), k_now),
              "SES DKIM status PENDING: example.com (111122223333, us-east-1): SES reports "
              "PENDING while every record is ok");
    EXPECT_EQ(alert_title(signing(EventSeverity::critical)), "SES DKIM signing disabled");
    EXPECT_EQ(alert_title(signing(EventSeverity::resolved)), "SES DKIM signing enabled again");
    EXPECT_EQ(alert_event_summary(email_unsigned(), k_now),
              "SES email identity sends unsigned mail: example.com (111122223333, us-east-1): "
              "mary@example.com is verified on its own");
    EXPECT_EQ(alert_title(removed()), "SES identity removed");
    EXPECT_EQ(alert_event_summary(sync_failing(), k_now),
              "SES sync failing: SES sync of 111122223333/us-east-1: 403 AccessDenied: "
              "ses:ListEmailIdentities");
    EXPECT_EQ(alert_event_summary(sync_recovered(), k_now),
              "SES sync recovered: SES sync of 111122223333/us-east-1: listing works");
}

TEST(SesAlertText, DescriptionsExplainAndGiveTheReason) {
    const std::string failed =
        alert_description(status_changed("SUCCESS", "FAILED", EventSeverity::critical), k_now);
    EXPECT_THAT(failed, HasSubstr("split-horizon DNS"));
    EXPECT_THAT(failed, HasSubstr("\nIdentity: example.com (account 111122223333, region "
                                  "us-east-1)"));
    EXPECT_THAT(failed, HasSubstr("\nSES status: SUCCESS -> FAILED"));
    EXPECT_THAT(failed, HasSubstr("\nReason: SES reports FAILED while every record is ok"));
    EXPECT_THAT(alert_description(status_changed("", "PENDING", EventSeverity::info), k_now),
                HasSubstr("\nSES status: (first seen) -> PENDING"));
    EXPECT_THAT(alert_description(signing(EventSeverity::critical), k_now),
                HasSubstr("Enable DKIM signing for the identity in SES."));
    EXPECT_THAT(alert_description(email_unsigned(), k_now),
                HasSubstr("Delete the address identity"));
    EXPECT_THAT(alert_description(removed(), k_now), HasSubstr("keeps its history"));
    const std::string sync = alert_description(sync_failing(), k_now);
    EXPECT_THAT(sync, HasSubstr("\nSource: SES sync of 111122223333/us-east-1"));
    EXPECT_THAT(sync, Not(HasSubstr("\nIdentity:")));
    EXPECT_THAT(sync, Not(HasSubstr("\nState:")));
    EXPECT_THAT(sync, HasSubstr("\nReason: 403 AccessDenied: ses:ListEmailIdentities"));
    for (const AlertEvent& event : every_ses_alert()) {
        EXPECT_FALSE(alert_explanation(event, k_now).empty()) << event.kind;
    }
}

TEST(SesAlertSlack, HeaderSubjectAndSesStatus) {
    const json body = json::parse(
        render_slack_request(test::sink(AlertSinkConfig::Type::slack),
                             status_changed("SUCCESS", "FAILED", EventSeverity::critical), k_now)
            .body);
    EXPECT_EQ(body["blocks"][0]["text"]["text"], "SES DKIM status FAILED: example.com");
    EXPECT_THAT(body["blocks"][1]["text"]["text"].get<std::string>(),
                HasSubstr("*SES status:* SUCCESS → FAILED"));
    EXPECT_THAT(body["blocks"][2]["text"]["text"].get<std::string>(),
                HasSubstr("*Reason:* SES reports FAILED while every record is ok"));

    const json sync = json::parse(
        render_slack_request(test::sink(AlertSinkConfig::Type::slack), sync_failing(), k_now).body);
    EXPECT_EQ(sync["blocks"][0]["text"]["text"],
              "SES sync failing: SES sync of 111122223333/us-east-1");
    const std::string facts = sync["blocks"][1]["text"]["text"];
    EXPECT_EQ(facts, "*Account:* 111122223333\n*Region:* us-east-1");
    EXPECT_THAT(sync["text"].get<std::string>(), HasSubstr("SES sync failing"));
}

TEST(SesAlertWebhook, DocumentCarriesKindAndSesStatus) {
    const json doc = json::parse(
        render_webhook_body(status_changed("SUCCESS", "FAILED", EventSeverity::critical), k_now));
    EXPECT_EQ(doc["event"], "ses_status_changed");
    EXPECT_EQ(doc["severity"], "critical");
    EXPECT_EQ(doc["ses_status"], json({{"from", "SUCCESS"}, {"to", "FAILED"}}));
    EXPECT_EQ(doc["reason"], "SES reports FAILED while every record is ok");
    const json first =
        json::parse(render_webhook_body(status_changed("", "PENDING", EventSeverity::info), k_now));
    EXPECT_EQ(first["ses_status"]["from"], nullptr);

    const json sync = json::parse(render_webhook_body(sync_failing(), k_now));
    EXPECT_EQ(sync["event"], "ses_sync_failing");
    EXPECT_EQ(sync["identity"],
              json({{"account", "111122223333"}, {"region", "us-east-1"}, {"domain", ""}}));
    EXPECT_FALSE(sync.contains("ses_status"));
    EXPECT_EQ(sync["summary"],
              "SES sync failing: SES sync of 111122223333/us-east-1: 403 AccessDenied: "
              "ses:ListEmailIdentities");
}

TEST(SesAlertAlertmanager, StatusChangesFireAndResolveByCondition) {
    using Outline = std::vector<std::tuple<std::string, std::string, std::string>>;
    const std::string now = "2024-01-01T02:30:00Z";
    EXPECT_EQ(
        alertmanager_outline(status_changed("SUCCESS", "FAILED", EventSeverity::critical)),
        (Outline{{"DKIMSesFailed", "critical", ""}, {"DKIMSesTemporaryFailure", "warning", now}}));
    EXPECT_EQ(
        alertmanager_outline(
            status_changed("PENDING", "TEMPORARY_FAILURE", EventSeverity::warning)),
        (Outline{{"DKIMSesTemporaryFailure", "warning", ""}, {"DKIMSesFailed", "critical", now}}));
    EXPECT_EQ(
        alertmanager_outline(status_changed("FAILED", "SUCCESS", EventSeverity::resolved)),
        (Outline{{"DKIMSesFailed", "critical", now}, {"DKIMSesTemporaryFailure", "warning", now}}));
    EXPECT_EQ(
        alertmanager_outline(status_changed("FAILED", "PENDING", EventSeverity::info)),
        (Outline{{"DKIMSesFailed", "critical", now}, {"DKIMSesTemporaryFailure", "warning", now}}));
}

TEST(SesAlertAlertmanager, ResolvesMatchWhatFired) {
    using Outline = std::vector<std::tuple<std::string, std::string, std::string>>;
    const std::string now = "2024-01-01T02:30:00Z";
    const std::string in_5m = "2024-01-01T02:35:00Z";
    EXPECT_EQ(alertmanager_outline(signing(EventSeverity::critical)),
              (Outline{{"DKIMSesSigningDisabled", "critical", ""}}));
    EXPECT_EQ(alertmanager_outline(signing(EventSeverity::resolved)),
              (Outline{{"DKIMSesSigningDisabled", "critical", now}}));
    EXPECT_EQ(alertmanager_outline(sync_failing()),
              (Outline{{"DKIMSesSyncFailing", "warning", ""}}));
    EXPECT_EQ(alertmanager_outline(sync_recovered()),
              (Outline{{"DKIMSesSyncFailing", "warning", now}}));
    EXPECT_EQ(alertmanager_outline(email_unsigned()),
              (Outline{{"DKIMSesEmailIdentityUnsigned", "warning", in_5m}}));
    EXPECT_EQ(alertmanager_outline(removed()),
              (Outline{{"DKIMSesIdentityRemoved", "info", in_5m},
                       {"DKIMRevocationWarning", "critical", now},
                       {"DKIMRevoked", "critical", now},
                       {"DKIMPendingOverdue", "warning", now},
                       {"DKIMMonitoringBlind", "warning", now},
                       {"DKIMSesFailed", "critical", now},
                       {"DKIMSesTemporaryFailure", "warning", now},
                       {"DKIMSesSigningDisabled", "critical", now}}));

    // The firing and the resolving alert of one condition carry the same labels.
    const auto labels = [](const AlertEvent& event) {
        const json alerts =
            json::parse(render_alertmanager_request(test::sink(AlertSinkConfig::Type::alertmanager),
                                                    event, k_now)
                            .body);
        return alerts.at(0)["labels"];
    };
    EXPECT_EQ(labels(sync_failing()), labels(sync_recovered()));
    EXPECT_EQ(labels(sync_failing()), json({{"alertname", "DKIMSesSyncFailing"},
                                            {"account", "111122223333"},
                                            {"region", "us-east-1"},
                                            {"domain", ""},
                                            {"severity", "warning"}}));
    EXPECT_EQ(labels(signing(EventSeverity::critical)), labels(signing(EventSeverity::resolved)));
    EXPECT_EQ(labels(status_changed("SUCCESS", "FAILED", EventSeverity::critical)),
              labels(status_changed("FAILED", "SUCCESS", EventSeverity::resolved)));
}

TEST(SesAlertAlertmanager, OnlyLastingConditionsAreResent) {
    EXPECT_TRUE(alertmanager_fires(status_changed("SUCCESS", "FAILED", EventSeverity::critical)));
    EXPECT_TRUE(
        alertmanager_fires(status_changed("SUCCESS", "TEMPORARY_FAILURE", EventSeverity::warning)));
    EXPECT_FALSE(alertmanager_fires(status_changed("FAILED", "SUCCESS", EventSeverity::resolved)));
    EXPECT_TRUE(alertmanager_fires(signing(EventSeverity::critical)));
    EXPECT_FALSE(alertmanager_fires(signing(EventSeverity::resolved)));
    EXPECT_TRUE(alertmanager_fires(sync_failing()));
    EXPECT_FALSE(alertmanager_fires(sync_recovered()));
    EXPECT_FALSE(alertmanager_fires(email_unsigned()));
    EXPECT_FALSE(alertmanager_fires(removed()));
    const json resent =
        json::parse(render_alertmanager_firing(test::sink(AlertSinkConfig::Type::alertmanager),
                                               every_ses_alert(), k_now)
                        .body);
    ASSERT_EQ(resent.size(), 4u);
    EXPECT_EQ(resent[0]["labels"]["alertname"], "DKIMSesFailed");
    EXPECT_EQ(resent[1]["labels"]["alertname"], "DKIMSesTemporaryFailure");
    EXPECT_EQ(resent[2]["labels"]["alertname"], "DKIMSesSigningDisabled");
    EXPECT_EQ(resent[3]["labels"]["alertname"], "DKIMSesSyncFailing");
}

TEST(SesAlertPagerDuty, TriggersAndResolvesOneIncidentPerCondition) {
    const json failed =
        pagerduty_body(status_changed("SUCCESS", "FAILED", EventSeverity::critical));
    EXPECT_EQ(failed["event_action"], "trigger");
    EXPECT_EQ(failed["dedup_key"], "dkimwatch:111122223333:us-east-1:example.com:ses_status");
    EXPECT_EQ(failed["payload"]["severity"], "critical");
    EXPECT_EQ(failed["payload"]["class"], "ses_status_changed");
    EXPECT_EQ(failed["payload"]["custom_details"]["ses_status"],
              json({{"from", "SUCCESS"}, {"to", "FAILED"}}));
    const json temporary =
        pagerduty_body(status_changed("PENDING", "TEMPORARY_FAILURE", EventSeverity::warning));
    EXPECT_EQ(temporary["event_action"], "trigger");
    EXPECT_EQ(temporary["payload"]["severity"], "warning");
    EXPECT_EQ(temporary["dedup_key"], failed["dedup_key"]);
    const json success =
        pagerduty_body(status_changed("FAILED", "SUCCESS", EventSeverity::resolved));
    EXPECT_EQ(success, json({{"routing_key", "R0UTINGKEY"},
                             {"event_action", "resolve"},
                             {"dedup_key", failed["dedup_key"]}}));

    const json disabled = pagerduty_body(signing(EventSeverity::critical));
    EXPECT_EQ(disabled["event_action"], "trigger");
    EXPECT_EQ(disabled["dedup_key"], "dkimwatch:111122223333:us-east-1:example.com:ses_signing");
    const json enabled = pagerduty_body(signing(EventSeverity::resolved));
    EXPECT_EQ(enabled["event_action"], "resolve");
    EXPECT_EQ(enabled["dedup_key"], disabled["dedup_key"]);

    const json failing = pagerduty_body(sync_failing());
    EXPECT_EQ(failing["event_action"], "trigger");
    EXPECT_EQ(failing["dedup_key"], "dkimwatch:111122223333:us-east-1::ses_sync");
    EXPECT_EQ(failing["payload"]["component"], "SES sync of 111122223333/us-east-1");
    EXPECT_EQ(failing["payload"]["group"], "111122223333/us-east-1");
    const json recovered = pagerduty_body(sync_recovered());
    EXPECT_EQ(recovered["event_action"], "resolve");
    EXPECT_EQ(recovered["dedup_key"], failing["dedup_key"]);

    const json unsigned_mail = pagerduty_body(email_unsigned());
    EXPECT_EQ(unsigned_mail["event_action"], "trigger");
    EXPECT_EQ(unsigned_mail["dedup_key"],
              "dkimwatch:111122223333:us-east-1:example.com:ses_email_identity");
    const json gone = pagerduty_body(removed());
    EXPECT_EQ(gone["event_action"], "trigger");
    EXPECT_EQ(gone["payload"]["severity"], "info");
    EXPECT_EQ(gone["dedup_key"], "dkimwatch:111122223333:us-east-1:example.com:ses_removed");
}

} // namespace
} // namespace dkimwatch
