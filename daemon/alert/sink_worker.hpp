#pragma once
// One delivery lane's thread (alert/delivery_lanes.hpp: one URL of an alert sink; a sink with
// one URL has one lane, keyed by the sink's name): it delivers the lane's outbox rows in delivery
// order (delivery_order.hpp: the most severe first, each identity's rows in id order; at least
// once: a row is marked sent only after the sink accepted it), retries failures with backoff
// (retry_policy.hpp), waits at the head of the queue while its row fails, gives up after
// max_retry_age, keeps the sink's rate limit, and for alertmanager re-sends the firing alerts
// every resend_interval. It has its own StateStore connection and HttpClient, so a slow or dead
// sink delays nothing else. Internal to the AlertDispatcher.
//
// Storm control (delivery_grouping.hpp): slack, webhook and pagerduty workers hold a new row
// for group_wait and, during a storm, send the queued rows (individual ones and plan_outbox's
// grouped ones) as one AlertGroup (built by make_alert_group from the rows' messages, rendered
// like any message) at most every group_interval. A group is one message: one attempt, one
// alerts_sent_total, one failure per failed attempt; its retry state (attempts, next_attempt_at,
// last_error) is kept on its first row, the head, and it is formed again at the next attempt
// (maybe with more rows). When it is delivered every row is marked sent in one transaction; when
// it is rejected or given up on every row is dropped (alerts_dropped_total counts rows). A row
// whose message cannot be parsed is dropped alone and the group formed without it.
//
// Secrets: every response body, transport error and failure reason goes through the context's
// SecretRedactor (the secrets of every configured sink, sink_secrets.hpp) before it is logged or
// stored as an outbox row's last_error, so a receiver that echoes the request path or body
// ("Cannot POST /services/T0/B0/XXXX") leaks nothing.
//
// Log lines (key=value, no secrets: the sink is named by its name and display only):
//   event=alert_sent sink=S to=D id=N identity=I attempts=K
//   event=alert_group_sent sink=S to=D rows=N identities=K attempts=A
//   event=alert_retry sink=S to=D id=N [rows=R] attempt=K error="..." retry_in_ms=M
//   event=alert_rejected sink=S to=D id=N [rows=R] status=400 body="<first 200 bytes, redacted>"
//   event=alert_dropped sink=S to=D id=N reason="..."
//   event=alert_resend_failed sink=S to=D alerts=N error="..."
// (rows=R: a group of R rows, named by its head's id.)

#include "alert/alert_event.hpp"
#include "alert/delivery_lanes.hpp"
#include "alert/http_exchange.hpp"
#include "config/config.hpp"
#include "core/duration.hpp"
#include "core/result.hpp"
#include "core/secret_redactor.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace dkimwatch {

class DaemonMetrics;

// The identities currently in an alerting condition, one event each (the event that raised the
// condition, as it would be sent now). Called from the alertmanager workers' threads: it must be
// thread-safe.
using FiringSnapshot = std::function<std::vector<AlertEvent>()>;

// How messages become requests. default_alert_rendering() is the real path
// (alert_message_from_json + render_alert_request, render_alertmanager_firing); tests may
// substitute their own.
struct AlertRendering {
    // An outbox row's message (its JSON) for `sink` at `now`. An error means the row can never
    // be sent: it is dropped.
    std::function<Result<HttpRequest>(const AlertSinkConfig& sink, const std::string& message_json,
                                      TimePoint now)>
        message;
    // The alertmanager re-send of the firing alerts.
    std::function<HttpRequest(const AlertSinkConfig& sink, const std::vector<AlertEvent>& firing,
                              TimePoint now)>
        firing;
    // pagerduty: the resolve of the storm incident (pagerduty_payload.hpp). May be empty: the
    // storm incident is then never resolved by the worker.
    std::function<HttpRequest(const AlertSinkConfig& sink)> storm_resolve;
};

AlertRendering default_alert_rendering();

// What every worker of a dispatcher shares. Immutable once workers run, except the atomics,
// which a reload changes (each is read on its own: a worker may see a mix of old and new values
// for one decision, which is harmless).
struct DeliveryContext {
    std::filesystem::path state_db;
    DaemonMetrics& metrics;
    FiringSnapshot firing_snapshot; // may be empty: no re-sends
    AlertRendering rendering;
    std::atomic<Milliseconds::rep> max_retry_age_ms;
    // delivery_grouping.hpp's DeliveryGrouping, field by field. storm_window_ms 0: no grouping.
    std::atomic<std::size_t> group_threshold{10};
    std::atomic<Milliseconds::rep> group_wait_ms{0};
    std::atomic<Milliseconds::rep> group_interval_ms{0};
    std::atomic<Milliseconds::rep> storm_window_ms{0};
    // The secrets of every configured sink (alert_secret_redactor); a reload replaces it.
    std::atomic<std::shared_ptr<const SecretRedactor>> redactor{
        std::make_shared<const SecretRedactor>()};
};

class SinkWorker {
public:
    // Starts the thread. `context` must outlive the worker.
    SinkWorker(DeliveryLane lane, const DeliveryContext& context);
    // Stops and joins: within about a second (an HTTP request in flight is aborted and its row
    // stays queued, to be sent again).
    ~SinkWorker();
    SinkWorker(const SinkWorker&) = delete;
    SinkWorker& operator=(const SinkWorker&) = delete;

    // New rows may be queued: look at the queue now. Thread-safe.
    void wake();
    // Asks the thread to stop without waiting for it (the destructor waits). Thread-safe.
    void request_stop();

    const DeliveryLane& lane() const { return m_lane; }

private:
    void run(std::stop_token stop);

    const DeliveryLane m_lane;
    const DeliveryContext& m_context;
    std::mutex m_mutex;
    std::condition_variable_any m_wakeup;
    std::uint64_t m_wakeups = 0; // guarded by m_mutex; wake() increments it
    std::jthread m_thread;       // last: started once everything above exists
};

} // namespace dkimwatch
