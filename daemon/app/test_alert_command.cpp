#include "app/test_alert_command.hpp"

#include "alert/alert_message.hpp"
#include "alert/delivery_lanes.hpp"
#include "alert/http_client.hpp"
#include "alert/sink_secrets.hpp"
#include "config/config_loader.hpp"

#include <algorithm>
#include <iostream>

namespace dkimwatch {
namespace {

// A sample that looks like the real thing: a revocation warning with one missing record.
AlertEvent sample_event(const Config& config, TimePoint now) {
    AlertEvent event;
    event.kind = "test";
    event.test = true;
    event.severity = EventSeverity::critical;
    event.key = config.identities.empty() ? IdentityKey{"111122223333", "us-east-1", "example.com"}
                                          : config.identities.front().key();
    event.state = IdentityState::revocation_warning;
    event.state_since = now;
    event.deadline = now + config.policy.revocation_window;
    event.at = now;
    event.reason = "TEST: a sample alert sent by `dkimwatch test-alert` to check the wiring; "
                   "nothing is wrong";
    AlertRecord record;
    record.name = "sample._domainkey." + event.key.domain;
    record.type = "CNAME";
    record.verdict = "missing";
    record.expected = "sample.dkim.amazonses.com";
    record.message = "TEST: this record is made up for the sample.";
    event.records.push_back(record);
    return event;
}

} // namespace

int run_test_alert_command(const TestAlertOptions& options) {
    const auto loaded = load_config_or_report(options.config_path, std::cerr);
    if (!loaded) {
        return 3;
    }
    const Config& config = *loaded;
    std::vector<const AlertSinkConfig*> sinks;
    for (const auto& sink : config.alerts.sinks) {
        if (!options.sink || sink.name == *options.sink) {
            sinks.push_back(&sink);
        }
    }
    if (sinks.empty()) {
        std::cerr << "dkimwatch test-alert: "
                  << (options.sink ? "no alert sink named \"" + *options.sink + "\""
                                   : std::string("no alerts configured"))
                  << " in " << options.config_path << "\n";
        return 3;
    }
    const TimePoint now = std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
    const AlertMessage message = sample_event(config, now);
    HttpClient client;
    // What a receiver sends back may echo the request (its path, its body with a routing key).
    const SecretRedactor redactor = alert_secret_redactor(config.alerts);
    int failures = 0;
    std::vector<DeliveryLane> lanes; // every URL of every chosen sink
    for (const auto* chosen : sinks) {
        for (DeliveryLane& lane : delivery_lanes(*chosen)) {
            lanes.push_back(std::move(lane));
        }
    }
    for (const DeliveryLane& lane : lanes) {
        const AlertSinkConfig* sink = &lane.sink;
        const HttpRequest request = render_alert_request(*sink, message, now);
        const HttpResponse response = client.send(request, std::chrono::seconds{10});
        const bool delivered =
            std::find(request.success_statuses.begin(), request.success_statuses.end(),
                      response.status) != request.success_statuses.end();
        std::cout << sink->name << " (" << alert_sink_type_name(sink->type) << ", " << sink->display
                  << "): ";
        if (response.status == 0) {
            std::cout << "failed: " << redactor.redact(response.error) << "\n";
        } else {
            std::cout << "HTTP " << response.status << (delivered ? " delivered" : " rejected");
            if (!delivered && !response.body.empty()) {
                std::cout << ": " << log_excerpt(redactor.redact(response.body));
            }
            std::cout << "\n";
        }
        failures += delivered ? 0 : 1;
    }
    return failures == 0 ? 0 : 1;
}

} // namespace dkimwatch
