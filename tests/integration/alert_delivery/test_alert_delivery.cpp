// Alert delivery end to end: the outbox in a real state database, the dispatcher's workers, the
// libcurl client and a real HTTP receiver (receiver.py) on a free loopback port. Times are real;
// the bounds are loose enough for a loaded machine and a sanitizer build.

#include "alert/alert_dispatcher.hpp"
#include "alert/alert_message.hpp"
#include "alert/http_client.hpp"
#include "delivery_test_support.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store_test_support.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <thread>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using delivery_test::LogCapture;
using delivery_test::passthrough_rendering;
using delivery_test::ReceivedRequest;
using delivery_test::Receiver;
using delivery_test::rows_for;
using delivery_test::sample;
using delivery_test::sink_config;
using delivery_test::wait_until;
using delivery_test::wall_now;
using store_test::open_store;
using store_test::TempDir;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;
using Type = AlertSinkConfig::Type;

std::vector<std::string> bodies_of(const std::vector<ReceivedRequest>& requests) {
    std::vector<std::string> bodies;
    for (const auto& request : requests) {
        bodies.push_back(request.body);
    }
    return bodies;
}

std::vector<OutboxStatus> statuses_of(const std::vector<OutboxRow>& rows) {
    std::vector<OutboxStatus> statuses;
    for (const auto& row : rows) {
        statuses.push_back(row.status);
    }
    return statuses;
}

// A loopback port nobody listens on (bound, then closed again).
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

AlertEvent sample_event(std::string domain, std::string kind, EventSeverity severity) {
    AlertEvent event;
    event.kind = std::move(kind);
    event.severity = severity;
    event.key = IdentityKey{"111122223333", "us-east-1", std::move(domain)};
    event.state = IdentityState::revocation_warning;
    event.state_since = wall_now() - 1h;
    event.deadline = wall_now() + 119h;
    event.at = wall_now() - 1h;
    event.reason = "1 record missing";
    event.records.push_back(AlertRecord{"tok1._domainkey." + event.key.domain, "CNAME", "missing",
                                        "tok1.dkim.amazonses.com", std::nullopt,
                                        "the CNAME is missing: add it"});
    return event;
}

class AlertDelivery : public ::testing::Test {
protected:
    void SetUp() override {
        auto started = DaemonMetrics::start("127.0.0.1:0", "test");
        ASSERT_TRUE(started.ok()) << started.error();
        m_metrics = std::move(started).value();
        m_store = open_store(m_dir.db());
        ASSERT_NE(m_store, nullptr);
    }

    static AlertSettings settings(std::vector<AlertSinkConfig> sinks,
                                  Milliseconds max_retry_age = 24h) {
        AlertSettings settings;
        settings.sinks = std::move(sinks);
        settings.max_retry_age = max_retry_age;
        return settings;
    }

    std::unique_ptr<AlertDispatcher> start(AlertSettings settings,
                                           AlertRendering rendering = passthrough_rendering(),
                                           FiringSnapshot firing = {}) {
        auto dispatcher = std::make_unique<AlertDispatcher>(
            std::move(settings), m_dir.db(), *m_metrics, std::move(firing), std::move(rendering));
        dispatcher->start();
        return dispatcher;
    }

    void queue(const std::string& sink, const std::vector<std::string>& bodies,
               TimePoint created_at = wall_now()) {
        auto queued = m_store->outbox_insert(rows_for(sink, bodies, created_at));
        ASSERT_TRUE(queued.ok()) << queued.error();
    }

    std::vector<OutboxRow> rows(const std::string& sink) {
        auto rows = m_store->outbox_rows(sink);
        EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error());
        return rows.ok() ? std::move(rows).value() : std::vector<OutboxRow>{};
    }

    bool all_done(const std::string& sink, std::size_t count) {
        const auto current = rows(sink);
        return current.size() == count &&
               std::all_of(current.begin(), current.end(),
                           [](const OutboxRow& row) { return row.status != OutboxStatus::queued; });
    }

    std::optional<double> metric(const std::string& name, const std::string& sink) {
        return sample(m_metrics->render(), name, sink);
    }

    TempDir m_dir;
    std::unique_ptr<DaemonMetrics> m_metrics;
    std::unique_ptr<StateStore> m_store;
};

TEST_F(AlertDelivery, RetryAfterThenServerErrorThenDeliveredExactlyOnce) {
    LogCapture logs;
    Receiver receiver(m_dir.path(), "429:2,500,200");
    queue("hook", {"message-1"});
    auto dispatcher = start(settings({sink_config("hook", Type::webhook, receiver)}));
    dispatcher->notify();

    ASSERT_TRUE(wait_until([&] { return all_done("hook", 1); }, 15s));
    std::this_thread::sleep_for(500ms); // nothing more may arrive
    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(bodies_of(requests), (std::vector<std::string>(3, "message-1")));
    EXPECT_EQ(requests[0].path, "/hook/SECRET-TOKEN");
    EXPECT_EQ(requests[0].method, "POST");
    // Retry-After: 2 wins over the first backoff (1-2 s) ...
    const double first_wait = requests[1].time - requests[0].time;
    EXPECT_GE(first_wait, 1.95);
    EXPECT_LE(first_wait, 3.5);
    // ... then the backoff after the second failure (2-4 s).
    const double second_wait = requests[2].time - requests[1].time;
    EXPECT_GE(second_wait, 1.95);
    EXPECT_LE(second_wait, 5.0);

    const auto row = rows("hook").at(0);
    EXPECT_EQ(row.status, OutboxStatus::sent);
    EXPECT_EQ(row.attempts, 2);
    EXPECT_EQ(row.last_error, "HTTP 500 from " + receiver.display());
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "hook"), 1);
    EXPECT_EQ(metric("dkimwatch_alert_failures_total", "hook"), 2);
    EXPECT_EQ(metric("dkimwatch_alerts_dropped_total", "hook"), 0);
    ASSERT_TRUE(wait_until([&] { return metric("dkimwatch_alert_queue_depth", "hook") == 0; }, 2s));
    EXPECT_EQ(metric("dkimwatch_alert_oldest_queued_timestamp_seconds", "hook"), std::nullopt);

    const auto retries = logs.lines_with("event=alert_retry");
    ASSERT_EQ(retries.size(), 2u);
    EXPECT_THAT(retries[0], HasSubstr("sink=hook to=" + receiver.display() +
                                      " id=1 attempt=1 "
                                      "error=\"HTTP 429 from " +
                                      receiver.display() + "\" retry_in_ms=2000"));
    EXPECT_THAT(logs.lines_with("event=alert_sent"),
                ElementsAre(HasSubstr("sink=hook to=" + receiver.display() +
                                      " id=1 identity=111122223333/us-east-1/a.example "
                                      "attempts=3")));
    EXPECT_THAT(logs.text(), Not(HasSubstr("SECRET")));
    EXPECT_THAT(m_metrics->render(), Not(HasSubstr("SECRET")));
}

TEST_F(AlertDelivery, MessagesQueuedWhileTheReceiverIsDownAreAllDeliveredInOrder) {
    LogCapture logs;
    const std::uint16_t port = closed_port();
    AlertSinkConfig sink;
    sink.name = "hook";
    sink.type = Type::webhook;
    sink.display = "http://127.0.0.1:" + std::to_string(port);
    sink.url = sink.display + "/hook/SECRET-TOKEN";
    const TimePoint first = wall_now();
    queue("hook", {"m1", "m2", "m3"}, first);
    auto dispatcher = start(settings({sink}));

    // Refused: the head row is retried, the others wait behind it.
    ASSERT_TRUE(wait_until(
        [&] { return metric("dkimwatch_alert_failures_total", "hook").value_or(0) >= 1; }, 5s));
    queue("hook", {"m4", "m5"});
    dispatcher->notify();
    ASSERT_TRUE(wait_until([&] { return metric("dkimwatch_alert_queue_depth", "hook") == 5; }, 2s));
    EXPECT_EQ(metric("dkimwatch_alert_oldest_queued_timestamp_seconds", "hook"),
              std::chrono::duration<double>(first.time_since_epoch()).count());
    const auto head = rows("hook").at(0);
    EXPECT_EQ(head.status, OutboxStatus::queued);
    EXPECT_GE(head.attempts, 1);
    EXPECT_EQ(head.last_error, "connection refused to " + sink.display);
    EXPECT_EQ(rows("hook").at(1).attempts, 0);

    Receiver receiver(m_dir.path(), "200", port);
    ASSERT_EQ(receiver.port(), port);
    ASSERT_TRUE(wait_until([&] { return all_done("hook", 5); }, 20s));
    EXPECT_EQ(bodies_of(receiver.requests()),
              (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
    EXPECT_EQ(statuses_of(rows("hook")), std::vector<OutboxStatus>(5, OutboxStatus::sent));
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "hook"), 5);
    EXPECT_EQ(metric("dkimwatch_alerts_dropped_total", "hook"), 0);
    ASSERT_TRUE(wait_until([&] { return metric("dkimwatch_alert_queue_depth", "hook") == 0; }, 2s));
    EXPECT_EQ(metric("dkimwatch_alert_oldest_queued_timestamp_seconds", "hook"), std::nullopt);
    EXPECT_THAT(logs.text(), Not(HasSubstr("SECRET")));
}

TEST_F(AlertDelivery, AClientErrorIsNotRetriedButDroppedAndCounted) {
    LogCapture logs;
    const std::string error_body = "invalid_payload: " + std::string(300, 'x');
    Receiver receiver(m_dir.path(), "400,200", 0, error_body);
    queue("hook", {"bad", "good"});
    auto dispatcher = start(settings({sink_config("hook", Type::webhook, receiver)}));

    ASSERT_TRUE(wait_until([&] { return all_done("hook", 2); }, 10s));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(bodies_of(receiver.requests()), (std::vector<std::string>{"bad", "good"}));
    const auto outbox = rows("hook");
    EXPECT_EQ(statuses_of(outbox),
              (std::vector<OutboxStatus>{OutboxStatus::dropped, OutboxStatus::sent}));
    const std::string excerpt = error_body.substr(0, 197) + "\xE2\x80\xA6";
    EXPECT_EQ(outbox[0].last_error,
              "rejected: HTTP 400 from " + receiver.display() + ": " + excerpt);
    EXPECT_TRUE(outbox[0].done_at.has_value());
    EXPECT_EQ(metric("dkimwatch_alerts_dropped_total", "hook"), 1);
    EXPECT_EQ(metric("dkimwatch_alert_failures_total", "hook"), 1);
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "hook"), 1);
    EXPECT_THAT(logs.lines_with("event=alert_rejected"),
                ElementsAre(HasSubstr("sink=hook to=" + receiver.display() +
                                      " id=1 status=400 body=\"" + excerpt + "\"")));
    EXPECT_THAT(logs.lines_with("event=alert_dropped"),
                ElementsAre(StartsWith("level=error event=alert_dropped sink=hook")));
}

// Issue 12: a receiver that echoes the request puts the URL's secret path (or a routing key, an
// HMAC key) into its error body; the worker logs and stores it only redacted.
TEST_F(AlertDelivery, AnEchoedSecretIsRedactedFromTheLogAndTheOutbox) {
    LogCapture logs;
    Receiver receiver(m_dir.path(), "400", 0,
                      "Cannot POST /hook/SECRET-TOKEN (signed with hmac-SECRET-key)");
    AlertSinkConfig sink = sink_config("hook", Type::webhook, receiver);
    sink.secret = "hmac-SECRET-key";
    ASSERT_THAT(sink.url, HasSubstr("/hook/SECRET-TOKEN"));
    queue("hook", {"m1"});
    auto dispatcher = start(settings({sink}));
    ASSERT_TRUE(wait_until([&] { return all_done("hook", 1); }, 10s));
    EXPECT_EQ(rows("hook").at(0).last_error,
              "rejected: HTTP 400 from " + receiver.display() +
                  ": Cannot POST /[redacted] (signed with [redacted])");
    EXPECT_THAT(
        logs.lines_with("event=alert_rejected"),
        ElementsAre(HasSubstr("body=\"Cannot POST /[redacted] (signed with [redacted])\"")));
    EXPECT_THAT(logs.lines_with("event=alert_dropped"),
                ElementsAre(HasSubstr("Cannot POST /[redacted]")));
    EXPECT_THAT(logs.text(), Not(HasSubstr("SECRET")));
}

TEST_F(AlertDelivery, AnUnrenderableMessageIsDropped) {
    Receiver receiver(m_dir.path(), "200");
    queue("hook", {"unrenderable", "fine"});
    auto dispatcher = start(settings({sink_config("hook", Type::webhook, receiver)}));
    ASSERT_TRUE(wait_until([&] { return all_done("hook", 2); }, 10s));
    EXPECT_EQ(bodies_of(receiver.requests()), (std::vector<std::string>{"fine"}));
    EXPECT_EQ(rows("hook").at(0).last_error, "cannot render the message: not a message");
    EXPECT_EQ(metric("dkimwatch_alerts_dropped_total", "hook"), 1);
    EXPECT_EQ(metric("dkimwatch_alert_failures_total", "hook"), 0);
}

TEST_F(AlertDelivery, GivesUpAfterMaxRetryAge) {
    LogCapture logs;
    Receiver receiver(m_dir.path(), "503");
    // Already too old when the dispatcher starts: dropped without an attempt.
    queue("hook", {"stale"}, wall_now() - 10s);
    queue("hook", {"doomed"});
    auto dispatcher = start(settings({sink_config("hook", Type::webhook, receiver)}, 2500ms));

    ASSERT_TRUE(wait_until([&] { return all_done("hook", 2); }, 10s));
    const auto outbox = rows("hook");
    EXPECT_EQ(statuses_of(outbox), std::vector<OutboxStatus>(2, OutboxStatus::dropped));
    EXPECT_THAT(outbox[0].last_error.value_or(""),
                testing::MatchesRegex("expired: queued 10s[0-9]*m?s? ago, longer than "
                                      "max_retry_age 2s500ms"));
    EXPECT_THAT(outbox[1].last_error.value_or(""),
                testing::MatchesRegex("gave up after [0-9]+ attempts in [0-9ms]+ \\(max_retry_age "
                                      "2s500ms\\): HTTP 503 from http://127.0.0.1:[0-9]+"));
    const auto requests = receiver.requests();
    EXPECT_GE(requests.size(), 1u);
    EXPECT_EQ(bodies_of(requests), std::vector<std::string>(requests.size(), "doomed"));
    EXPECT_EQ(metric("dkimwatch_alerts_dropped_total", "hook"), 2);
    EXPECT_EQ(metric("dkimwatch_alert_failures_total", "hook"),
              static_cast<double>(requests.size()));
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "hook"), 0);
    EXPECT_EQ(logs.lines_with("event=alert_dropped").size(), 2u);
    // Nothing more is tried.
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(receiver.requests().size(), requests.size());
}

TEST_F(AlertDelivery, ASlowSinkDelaysNoOtherAndShutdownInterruptsIt) {
    Receiver slow(m_dir.path(), "200@8");
    Receiver fast(m_dir.path(), "200");
    auto dispatcher = start(settings(
        {sink_config("slow", Type::webhook, slow), sink_config("fast", Type::webhook, fast)}));
    queue("slow", {"s1"});
    dispatcher->notify();
    ASSERT_EQ(slow.wait_for(1, 5s).size(), 1u); // the slow sink is now stuck in its request

    const auto queued_at = delivery_test::SteadyClock::now();
    queue("fast", {"f1", "f2"});
    dispatcher->notify();
    ASSERT_TRUE(wait_until([&] { return all_done("fast", 2); }, 5s));
    EXPECT_LT(delivery_test::SteadyClock::now() - queued_at, 2s);
    EXPECT_EQ(bodies_of(fast.requests()), (std::vector<std::string>{"f1", "f2"}));

    // Stopping does not wait for the slow request; its row stays queued for the next run.
    const auto stopping = delivery_test::SteadyClock::now();
    dispatcher.reset();
    EXPECT_LT(delivery_test::SteadyClock::now() - stopping, 2s);
    EXPECT_EQ(rows("slow").at(0).status, OutboxStatus::queued);
    EXPECT_EQ(rows("slow").at(0).attempts, 0);
    EXPECT_EQ(metric("dkimwatch_alert_failures_total", "slow"), 0);
}

// Issue 12: behind a slow sink, a critical alert waited behind the info alerts of other
// identities queued before it. It now goes first, after only its own identity's older row.
TEST_F(AlertDelivery, BehindASlowSinkACriticalAlertOvertakesInfoAlertsOfOtherIdentities) {
    Receiver slow(m_dir.path(), "200@0.5");
    std::vector<OutboxRowInsert> inserts;
    const TimePoint now = wall_now();
    const auto add = [&](const std::string& domain, const std::string& kind,
                         EventSeverity severity) {
        const AlertEvent event = sample_event(domain, kind, severity);
        inserts.push_back(OutboxRowInsert{"hook", event.key, alert_message_to_json(event), now});
    };
    add("a.example", "verified", EventSeverity::info);
    add("b.example", "verified", EventSeverity::info);
    add("e.example", "config_changed", EventSeverity::info);
    add("c.example", "verified", EventSeverity::info);
    add("d.example", "verified", EventSeverity::info);
    add("e.example", "revocation_warning", EventSeverity::critical);
    add("f.example", "verified", EventSeverity::info);
    ASSERT_TRUE(m_store->outbox_insert(inserts).ok());
    auto dispatcher = start(settings({sink_config("hook", Type::webhook, slow)}));
    ASSERT_TRUE(wait_until([&] { return all_done("hook", inserts.size()); }, 20s));

    std::vector<std::string> received;
    for (const auto& request : slow.requests()) {
        const auto message = alert_message_from_json(request.body);
        ASSERT_TRUE(message.ok()) << message.error() << ": " << request.body;
        const AlertEvent& event = std::get<AlertEvent>(*message);
        received.push_back(event.key.domain + " " + event.kind);
    }
    // e's older info row first (order per identity), then its critical, then the rest in order.
    EXPECT_EQ(received, (std::vector<std::string>{
                            "e.example config_changed", "e.example revocation_warning",
                            "a.example verified", "b.example verified", "c.example verified",
                            "d.example verified", "f.example verified"}));
}

TEST_F(AlertDelivery, SlackGetsAtMostOneMessagePerSecond) {
    Receiver receiver(m_dir.path(), "200");
    std::vector<OutboxRowInsert> alerts;
    for (int n = 1; n <= 5; ++n) {
        const AlertMessage message = sample_event("d" + std::to_string(n) + ".example",
                                                  "revocation_warning", EventSeverity::critical);
        alerts.push_back(OutboxRowInsert{"slack", std::get<AlertEvent>(message).key,
                                         alert_message_to_json(message), wall_now()});
    }
    ASSERT_TRUE(m_store->outbox_insert(alerts).ok());
    // The real rendering: Slack Block Kit, success status 200.
    auto dispatcher =
        start(settings({sink_config("slack", Type::slack, receiver)}), default_alert_rendering());
    ASSERT_TRUE(wait_until([&] { return all_done("slack", 5); }, 15s));
    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 5u);
    EXPECT_GE(requests[4].time - requests[0].time, 3.9);
    for (std::size_t i = 1; i < requests.size(); ++i) {
        EXPECT_GE(requests[i].time - requests[i - 1].time, 0.95) << i;
        EXPECT_THAT(requests[i].body, HasSubstr("d" + std::to_string(i + 1) + ".example"));
    }
    EXPECT_EQ(requests[0].headers.value("Content-Type", ""), "application/json");
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "slack"), 5);
}

TEST_F(AlertDelivery, AlertmanagerGetsTheFiringAlertsAgainEveryResendInterval) {
    Receiver receiver(m_dir.path(), "200");
    AlertSinkConfig sink = sink_config("am", Type::alertmanager, receiver);
    sink.url = receiver.display();
    sink.resend_interval = 400ms;
    sink.min_severity = EventSeverity::critical;
    std::atomic<int> snapshots{0};
    FiringSnapshot firing = [&snapshots] {
        ++snapshots;
        return std::vector<AlertEvent>{
            sample_event("firing.example", "revocation_warning", EventSeverity::critical),
            // Below the sink's min_severity: never sent to it.
            sample_event("blind.example", "monitoring_blind", EventSeverity::warning)};
    };
    // The outbox message goes out at once, through the real rendering.
    const AlertMessage resolved =
        sample_event("resolved.example", "recovered", EventSeverity::resolved);
    ASSERT_TRUE(m_store
                    ->outbox_insert(
                        std::vector{OutboxRowInsert{"am", std::get<AlertEvent>(resolved).key,
                                                    alert_message_to_json(resolved), wall_now()}})
                    .ok());
    const auto started = delivery_test::SteadyClock::now();
    auto dispatcher = start(settings({sink}), default_alert_rendering(), firing);

    const auto requests = receiver.wait_for(3, 5s);
    ASSERT_GE(requests.size(), 3u);
    EXPECT_LT(delivery_test::SteadyClock::now() - started, 3s);
    for (const auto& request : requests) {
        EXPECT_EQ(request.path, "/api/v2/alerts");
    }
    EXPECT_THAT(requests[0].body, HasSubstr("resolved.example"));
    EXPECT_THAT(requests[0].body, HasSubstr("endsAt"));
    for (std::size_t i = 1; i < requests.size(); ++i) {
        EXPECT_THAT(requests[i].body, HasSubstr("firing.example"));
        EXPECT_THAT(requests[i].body, HasSubstr("DKIMRevocationWarning"));
        EXPECT_THAT(requests[i].body, Not(HasSubstr("blind.example")));
        EXPECT_THAT(requests[i].body, Not(HasSubstr("endsAt")));
    }
    // About one resend_interval apart.
    const double gap = requests[2].time - requests[1].time;
    EXPECT_GE(gap, 0.35);
    EXPECT_LE(gap, 1.5);
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "am"), 1); // re-sends are not messages
    EXPECT_GE(snapshots.load(), 2);
}

TEST_F(AlertDelivery, APagerdutyStormIsOneIncidentResolvedWhenNothingFiresAnyMore) {
    Receiver receiver(m_dir.path(), "202");
    AlertSinkConfig sink = sink_config("pd", Type::pagerduty, receiver);
    sink.routing_key = "routing-key";
    AlertSettings config = settings({sink});
    config.group_threshold = 2;
    config.group_wait = 0s;
    config.group_interval = 1s;
    std::atomic<bool> c_firing{true};
    std::atomic<int> snapshots{0}; // the worker asks after each identity's resolve it delivered
    FiringSnapshot firing = [&c_firing, &snapshots] {
        ++snapshots;
        std::vector<AlertEvent> events;
        if (c_firing) {
            events.push_back(
                sample_event("c.example", "revocation_warning", EventSeverity::critical));
        }
        return events;
    };
    const auto queue_events = [this](const std::vector<AlertEvent>& events) {
        std::vector<OutboxRowInsert> rows;
        for (const AlertEvent& event : events) {
            rows.push_back({"pd", event.key, alert_message_to_json(event), wall_now()});
        }
        ASSERT_TRUE(m_store->outbox_insert(rows).ok());
    };
    const auto action_and_key = [](const ReceivedRequest& request) {
        const auto body = nlohmann::json::parse(request.body);
        return body["event_action"].get<std::string>() + " " + body["dedup_key"].get<std::string>();
    };
    // Three identities warned at once (more than group_threshold 2): one storm incident.
    queue_events({sample_event("a.example", "revocation_warning", EventSeverity::critical),
                  sample_event("b.example", "revocation_warning", EventSeverity::critical),
                  sample_event("c.example", "revocation_warning", EventSeverity::critical)});
    AlertDispatcher dispatcher(config, m_dir.db(), *m_metrics, firing, default_alert_rendering(),
                               10min);
    dispatcher.start();
    auto requests = receiver.wait_for(1, 5s);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(action_and_key(requests[0]), "trigger dkimwatch:storm");

    // a and b recover while c still fails: each identity's own resolve, the storm stays open.
    queue_events({sample_event("a.example", "recovered", EventSeverity::resolved),
                  sample_event("b.example", "recovered", EventSeverity::resolved)});
    dispatcher.notify();
    requests = receiver.wait_for(3, 5s);
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(action_and_key(requests[1]),
              "resolve dkimwatch:111122223333:us-east-1:a.example:revocation");
    EXPECT_EQ(action_and_key(requests[2]),
              "resolve dkimwatch:111122223333:us-east-1:b.example:revocation");

    // The receiver sees b's resolve before the worker has handled its answer: c stops firing
    // only once the worker has looked at what fires after b's resolve (else the storm could be
    // resolved before c's resolve, as happened under ASan on a loaded machine).
    const auto asked_by = std::chrono::steady_clock::now() + 5s;
    while (snapshots.load() < 2 && std::chrono::steady_clock::now() < asked_by) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_GE(snapshots.load(), 2);
    // c recovers, and nothing fires any more: its resolve, then the storm incident's.
    c_firing = false;
    queue_events({sample_event("c.example", "recovered", EventSeverity::resolved)});
    dispatcher.notify();
    requests = receiver.wait_for(5, 5s);
    ASSERT_EQ(requests.size(), 5u);
    EXPECT_EQ(action_and_key(requests[3]),
              "resolve dkimwatch:111122223333:us-east-1:c.example:revocation");
    EXPECT_EQ(action_and_key(requests[4]), "resolve dkimwatch:storm");
    std::this_thread::sleep_for(1500ms); // nothing more (the storm resolve is sent once)
    EXPECT_EQ(receiver.requests().size(), 5u);
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "pd"), 4); // messages; not the storm resolve
}

TEST_F(AlertDelivery, ReconfigureStartsAndStopsWorkersAndTheirSeries) {
    Receiver first(m_dir.path(), "200");
    Receiver second(m_dir.path(), "200");
    auto dispatcher = start(settings({sink_config("one", Type::webhook, first)}));
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "one"), 0);
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "two"), std::nullopt);

    dispatcher->reconfigure(settings({sink_config("two", Type::webhook, second)}));
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "one"), std::nullopt);
    EXPECT_EQ(metric("dkimwatch_alerts_sent_total", "two"), 0);
    queue("one", {"for-one"});
    queue("two", {"for-two"});
    dispatcher->notify();
    ASSERT_TRUE(wait_until([&] { return all_done("two", 1); }, 5s));
    EXPECT_EQ(bodies_of(second.requests()), (std::vector<std::string>{"for-two"}));
    std::this_thread::sleep_for(300ms);
    EXPECT_TRUE(first.requests().empty()); // "one" is no longer configured
    EXPECT_EQ(rows("one").at(0).status, OutboxStatus::queued);

    // The sink comes back under a new URL: its queued row goes there.
    dispatcher->reconfigure(settings(
        {sink_config("two", Type::webhook, second), sink_config("one", Type::webhook, second)}));
    ASSERT_TRUE(wait_until([&] { return all_done("one", 1); }, 5s));
    EXPECT_EQ(bodies_of(second.requests()), (std::vector<std::string>{"for-two", "for-one"}));
}

// Issue 13: one sink with two URLs is two lanes, each with its own rows, retries and series; a
// failing URL holds nothing back at the other. A reload that drops a URL stops its lane.
TEST_F(AlertDelivery, EachUrlOfASinkIsALaneWithItsOwnRetriesAndSeries) {
    Receiver good(m_dir.path(), "200");
    Receiver flaky(m_dir.path(), "500,500,200");
    AlertSinkConfig two = sink_config("multi", Type::webhook, good);
    two.endpoints = {{good.url(), good.display()}, {flaky.url(), flaky.display()}};
    const std::string good_key = "multi@" + good.display();
    const std::string flaky_key = "multi@" + flaky.display();
    const auto series = [&](const std::string& name, const std::string& display) {
        const std::string prefix = name + "{sink=\"multi\",url=\"" + display + "\"} ";
        const std::string text = m_metrics->render();
        const std::size_t at = text.find("\n" + prefix);
        return at == std::string::npos
                   ? std::optional<double>{}
                   : std::optional<double>{std::stod(text.substr(at + 1 + prefix.size()))};
    };
    queue(good_key, {"m1"});
    queue(flaky_key, {"m1"});
    auto dispatcher = start(settings({two}));
    ASSERT_TRUE(wait_until([&] { return all_done(good_key, 1); }, 5s));
    EXPECT_EQ(bodies_of(good.requests()), (std::vector<std::string>{"m1"}));
    EXPECT_EQ(series("dkimwatch_alerts_sent_total", good.display()), 1);
    ASSERT_TRUE(wait_until([&] { return all_done(flaky_key, 1); }, 15s));
    EXPECT_EQ(rows(flaky_key).at(0).status, OutboxStatus::sent);
    EXPECT_EQ(bodies_of(flaky.requests()), (std::vector<std::string>{"m1", "m1", "m1"}));
    EXPECT_EQ(series("dkimwatch_alert_failures_total", flaky.display()), 2);
    EXPECT_EQ(series("dkimwatch_alert_failures_total", good.display()), 0);
    EXPECT_EQ(series("dkimwatch_alerts_sent_total", flaky.display()), 1);
    EXPECT_EQ(good.requests().size(), 1U); // nothing sent twice

    // The flaky URL is removed: its lane and its series go; the other URL is the sink's only
    // one now, under the sink's name.
    AlertSinkConfig one = sink_config("multi", Type::webhook, good);
    dispatcher->reconfigure(settings({one}));
    EXPECT_EQ(series("dkimwatch_alerts_sent_total", flaky.display()), std::nullopt);
    EXPECT_EQ(series("dkimwatch_alerts_sent_total", good.display()), 0);
    queue("multi", {"m2"});
    dispatcher->notify();
    ASSERT_TRUE(wait_until([&] { return all_done("multi", 1); }, 5s));
    EXPECT_EQ(bodies_of(good.requests()), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_EQ(flaky.requests().size(), 3U);
}

// An alertmanager sink named "am" sending to the loopback `ports` (one URL: keyed "am").
AlertSinkConfig alertmanager_on(const std::vector<std::uint16_t>& ports) {
    AlertSinkConfig sink;
    sink.name = "am";
    sink.type = Type::alertmanager;
    for (const std::uint16_t port : ports) {
        const std::string display = "http://127.0.0.1:" + std::to_string(port);
        sink.endpoints.push_back({display + "/hook/SECRET-TOKEN", display});
    }
    sink.url = sink.endpoints.front().url;
    sink.display = sink.endpoints.front().display;
    return sink;
}

// The value of `name{sink="am",url="<display>"}`, or nullopt when absent.
std::optional<double> am_lane_sample(const std::string& text, const std::string& name,
                                     const std::string& display) {
    const std::string prefix = name + "{sink=\"am\",url=\"" + display + "\"} ";
    const std::size_t at = text.find("\n" + prefix);
    return at == std::string::npos
               ? std::optional<double>{}
               : std::optional<double>{std::stod(text.substr(at + 1 + prefix.size()))};
}

// Rows queued while an alertmanager sink had one URL (key "am") are not lost when a reload gives
// it two: both Alertmanagers get every one of them, in order.
TEST_F(AlertDelivery, RowsQueuedUnderOneUrlGoToEveryUrlAfterAReloadGivesSeveral) {
    LogCapture logs;
    const std::uint16_t port1 = closed_port();
    const std::uint16_t port2 = closed_port();
    ASSERT_NE(port1, port2);
    const AlertSinkConfig one = alertmanager_on({port1});
    const AlertSinkConfig two = alertmanager_on({port1, port2});
    const std::string key1 = "am@" + two.endpoints[0].display;
    const std::string key2 = "am@" + two.endpoints[1].display;
    const TimePoint first = wall_now() - 1min;
    queue("am", {"m1", "m2"}, first);
    auto dispatcher = start(settings({one}));
    ASSERT_TRUE(wait_until([&] { return rows("am").at(0).attempts >= 1; }, 5s));

    dispatcher->reconfigure(settings({two}));
    EXPECT_EQ(logs.lines_with("event=outbox_rekeyed"),
              (std::vector<std::string>{
                  "level=info event=outbox_rekeyed sink=am from=am to=" + key1 + " rows=2",
                  "level=info event=outbox_rekeyed sink=am from=am to=" + key2 + " rows=2"}));
    EXPECT_TRUE(rows("am").empty());
    for (const std::string& key : {key1, key2}) {
        const auto moved = rows(key);
        ASSERT_EQ(moved.size(), 2u) << key;
        EXPECT_EQ(moved[0].created_at, first);
        EXPECT_EQ(moved[1].created_at, first);
    }
    // Each lane's queue depth counts the moved rows.
    ASSERT_TRUE(wait_until(
        [&] {
            const std::string text = m_metrics->render();
            return am_lane_sample(text, "dkimwatch_alert_queue_depth", two.endpoints[0].display) ==
                       2 &&
                   am_lane_sample(text, "dkimwatch_alert_queue_depth", two.endpoints[1].display) ==
                       2;
        },
        5s))
        << m_metrics->render();
    EXPECT_EQ(am_lane_sample(m_metrics->render(), "dkimwatch_alert_oldest_queued_timestamp_seconds",
                             two.endpoints[1].display),
              std::chrono::duration<double>(first.time_since_epoch()).count());

    Receiver am1(m_dir.path(), "200", port1);
    Receiver am2(m_dir.path(), "200", port2);
    ASSERT_TRUE(wait_until([&] { return all_done(key1, 2) && all_done(key2, 2); }, 20s));
    EXPECT_EQ(bodies_of(am1.requests()), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_EQ(bodies_of(am2.requests()), (std::vector<std::string>{"m1", "m2"}));
    ASSERT_TRUE(wait_until(
        [&] {
            return am_lane_sample(m_metrics->render(), "dkimwatch_alert_queue_depth",
                                  two.endpoints[1].display) == 0;
        },
        2s));
    EXPECT_THAT(logs.text(), Not(HasSubstr("SECRET")));
}

// And back: after a restart with one of the two URLs, the rows queued for it go under the sink's
// name and are delivered there; those of the removed URL stay queued, and the log says so.
TEST_F(AlertDelivery, RowsQueuedForAKeptUrlGoToTheSinkNameWhenOneUrlIsLeft) {
    LogCapture logs;
    const std::uint16_t port1 = closed_port();
    const std::uint16_t port2 = closed_port();
    ASSERT_NE(port1, port2);
    const AlertSinkConfig two = alertmanager_on({port1, port2});
    const std::string key1 = "am@" + two.endpoints[0].display;
    const std::string key2 = "am@" + two.endpoints[1].display;
    const TimePoint first = wall_now() - 1min;
    queue(key1, {"m1", "m2"}, first);
    queue(key2, {"m1", "m2"}, first);
    auto dispatcher = start(settings({two}));
    ASSERT_TRUE(wait_until([&] { return rows(key1).at(0).attempts >= 1; }, 5s));
    dispatcher.reset();

    dispatcher = start(settings({alertmanager_on({port1})}));
    EXPECT_EQ(logs.lines_with("event=outbox_rekeyed"),
              (std::vector<std::string>{"level=info event=outbox_rekeyed sink=am from=" + key1 +
                                        " to=am rows=2"}));
    EXPECT_THAT(logs.lines_with("event=outbox_stranded"),
                ElementsAre(StartsWith("level=warning event=outbox_stranded sink=am key=" + key2 +
                                       " rows=2 note=")));
    ASSERT_TRUE(wait_until([&] { return metric("dkimwatch_alert_queue_depth", "am") == 2; }, 5s));
    EXPECT_EQ(rows("am").at(0).created_at, first);

    Receiver am1(m_dir.path(), "200", port1);
    ASSERT_TRUE(wait_until([&] { return all_done("am", 2); }, 20s));
    EXPECT_EQ(bodies_of(am1.requests()), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_TRUE(rows(key1).empty());
    EXPECT_EQ(statuses_of(rows(key2)), std::vector<OutboxStatus>(2, OutboxStatus::queued));
}

TEST_F(AlertDelivery, SendOnceUsesTheRealPathAndReportsTheResponse) {
    Receiver receiver(m_dir.path(), "200,404");
    const AlertSinkConfig sink = sink_config("slack", Type::slack, receiver);
    AlertEvent event = sample_event("test.example", "test", EventSeverity::info);
    event.test = true;
    const HttpResponse ok = AlertDispatcher::send_once(sink, event, wall_now());
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body, "ok");
    EXPECT_EQ(ok.error, "");
    const HttpResponse missing = AlertDispatcher::send_once(sink, event, wall_now());
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, "error 404");
    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].path, "/hook/SECRET-TOKEN");
    EXPECT_THAT(requests[0].body, HasSubstr("test.example"));
    EXPECT_THAT(requests[0].headers.value("User-Agent", ""), StartsWith("dkimwatch/"));
}

TEST_F(AlertDelivery, TheClientTimesOutAndIsCancelledQuickly) {
    Receiver receiver(m_dir.path(), "200@5");
    HttpRequest request;
    request.url = receiver.url();
    request.display = receiver.display();
    request.body = "{}";
    HttpClient client;
    auto begun = delivery_test::SteadyClock::now();
    const HttpResponse timed_out = client.send(request, 700ms);
    EXPECT_EQ(timed_out.status, 0);
    EXPECT_EQ(timed_out.error, "timeout after 700 ms to " + receiver.display());
    EXPECT_LT(delivery_test::SteadyClock::now() - begun, 2s);

    std::stop_source stop;
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(300ms);
        stop.request_stop();
    });
    begun = delivery_test::SteadyClock::now();
    const HttpResponse cancelled = client.send(request, 10s, stop.get_token());
    const auto took = delivery_test::SteadyClock::now() - begun;
    stopper.join();
    EXPECT_EQ(cancelled.status, 0);
    EXPECT_EQ(cancelled.error, "cancelled to " + receiver.display());
    EXPECT_LT(took, 2s);
}

TEST_F(AlertDelivery, TheClientReadsRetryAfterAndCapsTheBody) {
    Receiver receiver(m_dir.path(), "429:7", 0, std::string(100 * 1024, 'b'));
    HttpRequest request;
    request.url = receiver.url();
    request.display = receiver.display();
    request.headers = {{"Content-Type", "application/json"}, {"X-Extra", "1"}};
    request.body = std::string(5000, 'a'); // larger than curl's Expect: 100-continue threshold
    HttpClient client;
    const HttpResponse limited = client.send(request);
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.retry_after, 7s);
    EXPECT_EQ(limited.body.size(), k_http_max_body);
    EXPECT_EQ(limited.error, "");
    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].body, request.body);
    EXPECT_EQ(requests[0].headers.value("X-Extra", ""), "1");
    EXPECT_EQ(requests[0].headers.value("Content-Type", ""), "application/json");
    EXPECT_FALSE(requests[0].headers.contains("Expect"));
}

} // namespace
} // namespace dkimwatch
