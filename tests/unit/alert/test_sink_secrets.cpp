#include "alert/sink_secrets.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

AlertSinkConfig sink(AlertSinkConfig::Type type, std::string url) {
    AlertSinkConfig config;
    config.name = "s";
    config.type = type;
    config.url = std::move(url);
    return config;
}

TEST(AlertSinkSecrets, SlackUrlAndItsPath) {
    EXPECT_EQ(alert_sink_secrets(sink(AlertSinkConfig::Type::slack,
                                      "https://hooks.slack.com/services/T0/B0/XXXXSECRET")),
              (std::vector<std::string>{"https://hooks.slack.com/services/T0/B0/XXXXSECRET",
                                        "services/T0/B0/XXXXSECRET"}));
}

TEST(AlertSinkSecrets, WebhookUrlPathQueryAndHmacSecret) {
    auto config =
        sink(AlertSinkConfig::Type::webhook, "https://hooks.example/catch/123/abc?token=T0K3N");
    config.secret = "hmac-key-material";
    EXPECT_EQ(alert_sink_secrets(config),
              (std::vector<std::string>{"https://hooks.example/catch/123/abc?token=T0K3N",
                                        "catch/123/abc", "token=T0K3N", "hmac-key-material"}));
}

TEST(AlertSinkSecrets, PagerDutyRoutingKey) {
    auto config = sink(AlertSinkConfig::Type::pagerduty, "https://events.pagerduty.com/v2/enqueue");
    config.routing_key = "R0UTINGKEY0123456789abcdef012345";
    const auto secrets = alert_sink_secrets(config);
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), config.routing_key), secrets.end());
}

TEST(AlertSinkSecrets, AlertmanagerPathIsPublicButCredentialsAreNot) {
    EXPECT_EQ(alert_sink_secrets(sink(AlertSinkConfig::Type::alertmanager,
                                      "http://admin:hunter22@127.0.0.1:9093/api/v2/alerts")),
              (std::vector<std::string>{"http://admin:hunter22@127.0.0.1:9093/api/v2/alerts",
                                        "admin:hunter22"}));
}

TEST(AlertSinkSecrets, EveryUrlOfAnAlertmanagerSinkWithUrls) {
    auto config =
        sink(AlertSinkConfig::Type::alertmanager, "http://admin:hunter22@127.0.0.1:9093/");
    config.endpoints = {{config.url, "http://127.0.0.1:9093"},
                        {"https://ops:s3cret@am2.example/", "https://am2.example"}};
    EXPECT_EQ(alert_sink_secrets(config),
              (std::vector<std::string>{"http://admin:hunter22@127.0.0.1:9093/", "admin:hunter22",
                                        "https://ops:s3cret@am2.example/", "ops:s3cret"}));
}

TEST(AlertSecretRedactor, RedactsTheSecretsOfEverySink) {
    AlertSettings settings;
    settings.sinks.push_back(
        sink(AlertSinkConfig::Type::slack, "https://hooks.slack.com/services/T0/B0/XXXXSECRET"));
    auto pagerduty =
        sink(AlertSinkConfig::Type::pagerduty, "https://events.pagerduty.com/v2/enqueue");
    pagerduty.routing_key = "R0UTINGKEY0123456789abcdef012345";
    settings.sinks.push_back(pagerduty);
    const SecretRedactor redactor = alert_secret_redactor(settings);
    EXPECT_EQ(redactor.redact("Cannot POST /services/T0/B0/XXXXSECRET; key "
                              "R0UTINGKEY0123456789abcdef012345 invalid"),
              "Cannot POST /[redacted]; key [redacted] invalid");
}

} // namespace
} // namespace dkimwatch
