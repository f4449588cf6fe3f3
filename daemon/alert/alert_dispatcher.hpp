#pragma once
// Alert delivery that loses nothing. The daemon queues alert messages in the state database's
// outbox in the same transaction as the transitions that caused them
// (StateStore::save(batch, alerts)) and then calls notify(); the dispatcher delivers them.
//
// - One worker thread per delivery lane (delivery_lanes.hpp: one per URL of a sink; an
//   alertmanager sink with `urls: [...]` has several, each with its own outbox rows) and
//   sink_worker.hpp, each with its own StateStore connection and HTTP client: a slow or dead
//   sink or URL never delays the checks or another sink or URL. A message of a multi-URL sink
//   is delivered once one lane delivered it; the other lanes keep their rows and retry.
// - At least once, in order per identity and sink: a worker sends its sink's rows most severe
//   first without reordering one identity's rows (delivery_order.hpp: a critical alert never
//   waits behind less severe alerts of other identities), and marks one sent only after the
//   sink accepted it; a row that keeps failing holds back the ones after it (head-of-line
//   waiting).
// - Retries (retry_policy.hpp): connection errors, timeouts, 408, 429 and 5xx, with
//   exponential backoff and jitter from 1 s to 5 min, or the server's Retry-After. Other
//   statuses are not retried: the row is dropped and the response body logged (200 bytes).
//   After max_retry_age a row is dropped too. Dropped rows stay in the outbox, and their events
//   in the history.
// - Rate limits per sink (min_send_interval): Slack 1 message/s, PagerDuty 2/s.
// - Alertmanager sinks also get the currently firing alerts again every resend_interval
//   (the firing snapshot rendered by render_alertmanager_firing), so that Alertmanager never
//   resolves a still-firing alert by timeout; resolutions come through the outbox.
// - Metrics (DaemonMetrics): dkimwatch_alerts_sent_total, dkimwatch_alert_failures_total,
//   dkimwatch_alerts_dropped_total, dkimwatch_alert_queue_depth and
//   dkimwatch_alert_oldest_queued_timestamp_seconds, per lane (labels sink and url).
// - Secrets never appear in logs or metrics: sinks are named by name and display only, and
//   response bodies, errors and reasons are redacted (alert_secret_redactor) before they are
//   logged or stored.
//
// - Storm control at delivery (delivery_grouping.hpp): slack, webhook and pagerduty sinks hold
//   a new individual row for group_wait and, when more than group_threshold identities changed
//   within the storm window (one check_interval), send the queued rows as one grouped message
//   at most every group_interval. dkimwatch_alerts_sent_total counts messages: a group is one.
//
// Rows of a sink that is no longer configured stay queued; if the sink comes back, the ones
// older than max_retry_age are dropped and the rest delivered. An alertmanager sink that goes
// from one URL to several or back changes its outbox keys (delivery_lanes.hpp): start() and
// reconfigure() first move the rows queued under its old keys to its current lanes
// (plan_lane_rekeying, StateStore::rekey_queued; logged event=outbox_rekeyed), so that no alert
// is lost; only the rows of a URL removed from the sink stay under their key (logged
// event=outbox_stranded), delivered if it comes back. For this, start() and reconfigure() open
// the state database once on the caller's thread when an alertmanager sink is configured; if
// that fails (logged event=outbox_rekey_failed) the rows stay until the next reload or start.
//
// Thread-safety: notify() may be called from any thread at any time. start(), reconfigure()
// and the destructor are for the daemon's thread. The firing snapshot is called from worker
// threads. `metrics` must outlive the dispatcher.

#include "alert/alert_event.hpp"
#include "alert/alert_message.hpp"
#include "alert/http_exchange.hpp"
#include "alert/sink_worker.hpp"
#include "config/config.hpp"

#include <filesystem>
#include <memory>

namespace dkimwatch {

class DaemonMetrics;

class AlertDispatcher {
public:
    // `state_db`: the state database file (its outbox). `firing_snapshot`: the identities
    // currently in an alerting condition (may be empty: no re-sends). `rendering`: how messages
    // become requests, the real renderers unless a test substitutes its own. `storm_window`: the
    // daemon's check_interval, within which more than group_threshold identities make a storm;
    // zero turns grouping at delivery off (no group_wait either: every row is sent alone, or
    // as plan_outbox grouped it).
    AlertDispatcher(AlertSettings settings, std::filesystem::path state_db, DaemonMetrics& metrics,
                    FiringSnapshot firing_snapshot,
                    AlertRendering rendering = default_alert_rendering(),
                    Milliseconds storm_window = Milliseconds{0});
    // Stops and joins the workers, within about a second.
    ~AlertDispatcher();
    AlertDispatcher(const AlertDispatcher&) = delete;
    AlertDispatcher& operator=(const AlertDispatcher&) = delete;

    // Moves rows queued under old keys of alertmanager sinks to their lanes (see above), declares
    // the lanes to the metrics and starts one worker per lane; each looks at its queue at once
    // (rows left by an earlier run are delivered). Calling it again does nothing.
    void start();
    // Rows were committed to the outbox: wake the workers. Cheap; never blocks on I/O.
    void notify();
    // The configuration was reloaded: workers of removed lanes (sinks or URLs) stop, those of
    // new lanes start, a lane whose settings changed gets a new worker (a request in flight is cut
    // short and its row sent again), after the rows queued under old keys of alertmanager sinks
    // moved to their new lanes (see above); max_retry_age, the grouping settings and `storm_window`
    // (as in the constructor) apply to every worker from now on.
    void reconfigure(AlertSettings settings, Milliseconds storm_window = Milliseconds{0});

    // For `dkimwatch test-alert`: renders `message` for `sink` at `now` and sends it once (no
    // outbox, no retry), waiting at most k_http_request_timeout; returns the response, its body
    // and error without the sink's secrets (alert_sink_secrets).
    static HttpResponse send_once(const AlertSinkConfig& sink, const AlertMessage& message,
                                  TimePoint now);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
