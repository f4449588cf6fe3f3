// Prints one example request per sink type, for docs/alerts.md. Not a check: run it by hand with
//   dkimwatch_alert_tests --gtest_also_run_disabled_tests --gtest_filter='*AlertExamples*'
// and paste the output into the documentation when a payload changes.

#include "alert/alert_message.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>
#include <iostream>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

void print_request(const char* title, const HttpRequest& request) {
    std::cout << "### " << title << "\n\n```http\nPOST " << request.url << "\n";
    for (const auto& [name, value] : request.headers) {
        std::cout << name << ": " << value << "\n";
    }
    std::cout << "\n" << nlohmann::ordered_json::parse(request.body).dump(2) << "\n```\n\n";
}

TEST(AlertExamples, DISABLED_PrintOnePerSink) {
    AlertEvent event = test::sample_event("revocation_warning");
    event.records.push_back(test::wrong_target_cname());
    AlertSinkConfig webhook = test::sink(AlertSinkConfig::Type::webhook);
    webhook.url = "https://receiver.example/hooks/dkimwatch";
    webhook.secret = "whsec_example";
    AlertSinkConfig slack = test::sink(AlertSinkConfig::Type::slack);
    slack.url = "https://hooks.slack.com/services/T000/B000/XXXX";
    AlertSinkConfig pagerduty = test::sink(AlertSinkConfig::Type::pagerduty);
    pagerduty.routing_key = "YOUR_ROUTING_KEY";

    print_request("Slack", render_alert_request(slack, event, test::k_now));
    print_request("Webhook", render_alert_request(webhook, event, test::k_now));
    print_request(
        "Alertmanager",
        render_alert_request(test::sink(AlertSinkConfig::Type::alertmanager), event, test::k_now));
    print_request("PagerDuty", render_alert_request(pagerduty, event, test::k_now));
    print_request("PagerDuty resolve",
                  render_alert_request(pagerduty, test::sample_event("recovered"), test::k_now));

    AlertGroup group;
    group.total = 14;
    group.at = test::k_now;
    group.events = {event, test::sample_event("pending_overdue")};
    group.events[1].key.domain = "example.org";
    group.events[1].records = {test::missing_cname("tok1", "example.org"),
                               test::missing_cname("tok2", "example.org"),
                               test::missing_cname("tok3", "example.org")};
    print_request("Webhook group", render_alert_request(webhook, group, test::k_now));
}

} // namespace
} // namespace dkimwatch
