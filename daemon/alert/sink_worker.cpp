#include "alert/sink_worker.hpp"

#include "alert/alert_message.hpp"
#include "alert/alert_severity.hpp"
#include "alert/alertmanager_payload.hpp"
#include "alert/delivery_grouping.hpp"
#include "alert/delivery_order.hpp"
#include "alert/http_client.hpp"
#include "alert/outbox_plan.hpp"
#include "alert/pagerduty_payload.hpp"
#include "alert/retry_policy.hpp"
#include "core/log_value.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_store.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <spdlog/spdlog.h>

namespace dkimwatch {
namespace {

using SteadyClock = std::chrono::steady_clock;

// After a store error (cannot open, locked for too long), try again this much later.
constexpr Milliseconds k_store_retry_delay = std::chrono::seconds{5};
// The longest single wait; the loop simply looks again after it.
constexpr Milliseconds k_max_wait = std::chrono::minutes{10};

TimePoint wall_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

// The failure of one attempt, for logs and last_error: no URL beyond its display.
std::string describe_failure(const HttpRequest& request, const HttpResponse& response) {
    if (response.status == 0) {
        return response.error.empty() ? "no response" : response.error;
    }
    std::string text = "HTTP " + std::to_string(response.status);
    if (!request.display.empty()) {
        text += " from " + request.display;
    }
    return text;
}

std::string identity_label(const IdentityKey& key) {
    return is_group_key(key) ? std::string("(group)") : key.to_string();
}

// One worker thread's state: its own store connection and HTTP client.
class Delivery {
public:
    Delivery(const DeliveryLane& lane, const DeliveryContext& context, std::stop_token stop)
        : m_sink(lane.sink), m_key(lane.outbox_key), m_context(context), m_stop(std::move(stop)),
          m_random(std::random_device{}()), m_send_interval(min_send_interval(lane.sink.type)) {
        if (resends()) {
            m_next_resend = SteadyClock::now() + lane.sink.resend_interval;
        }
    }

    // Does what is due now and returns when to look again (nullopt: at once).
    std::optional<SteadyClock::time_point> step() {
        const auto steady_now = SteadyClock::now();
        if (m_store == nullptr && !open_store(steady_now)) {
            return m_store_retry_at;
        }
        auto deadline = steady_now + k_max_wait;
        if (resends()) {
            if (steady_now >= m_next_resend) {
                resend();
                m_next_resend = SteadyClock::now() + m_sink.resend_interval;
                return std::nullopt;
            }
            deadline = std::min(deadline, m_next_resend);
        }
        const DeliveryGrouping grouping = current_grouping();
        const bool grouping_on =
            groups_at_delivery(m_sink.type) && grouping.storm_window > Milliseconds{0};
        auto queued = m_store->outbox_queued(
            m_key, std::max(k_delivery_order_window,
                            grouping_on ? grouping.max_group_rows : std::size_t{1}));
        if (!queued) {
            return store_failed(queued.error());
        }
        publish_depth();
        if (queued->empty()) {
            return deadline;
        }
        const OutboxRow& oldest = queued->front();
        const TimePoint now = wall_now();
        const Milliseconds max_age = max_retry_age();
        if (now - oldest.created_at > max_age) {
            drop({&oldest}, now,
                 "expired: queued " + format_duration(now - oldest.created_at) +
                     " ago, longer than max_retry_age " + format_duration(max_age) +
                     (oldest.last_error ? "; last error: " + *oldest.last_error : std::string()));
            return std::nullopt;
        }
        // Also wake when the oldest row expires (the head may be waiting for a Retry-After or
        // group_wait).
        const auto expiry = steady_now + (oldest.created_at + max_age - now) + Milliseconds{1};
        // The most severe first, each identity's rows in order (delivery_order.hpp).
        const std::vector<OutboxRow> rows = in_delivery_order(std::move(*queued));
        const OutboxRow& head = rows.front();

        StormActivity activity;
        if (grouping_on && !is_grouped(head) && now >= head.created_at + grouping.group_wait) {
            const StormWindow window = storm_window_around(head.created_at, grouping.storm_window);
            auto found = m_store->outbox_activity(m_key, window.from, window.to);
            if (!found) {
                return store_failed(found.error());
            }
            activity = StormActivity{found->identities, found->grouped_rows > 0};
        }
        std::vector<QueuedMessage> messages;
        messages.reserve(rows.size());
        for (const OutboxRow& row : rows) {
            messages.push_back(
                QueuedMessage{row.id, is_grouped(row), row.created_at, resolves_alone(row)});
        }
        const DeliveryDecision decision =
            decide_delivery(m_sink.type, messages, activity, m_last_group_sent, now, grouping);
        if (const auto* wait = std::get_if<WaitUntil>(&decision)) {
            const Milliseconds until = wait->at - now >= k_max_wait
                                           ? k_max_wait
                                           : std::max(Milliseconds{0}, wait->at - now);
            return std::min({deadline, steady_now + until, expiry});
        }

        // Whatever is sent, its head's retry state and the sink's rate limit apply.
        auto ready = steady_now + std::max(Milliseconds{0}, head.next_attempt_at - now);
        if (m_last_send) {
            ready = std::max(ready, *m_last_send + m_send_interval);
        }
        if (ready > steady_now) {
            return std::min({deadline, ready, expiry});
        }
        if (const auto* group = std::get_if<SendGroup>(&decision)) {
            // The group is the first group->ids.size() rows of the queue (delivery_grouping.hpp).
            std::vector<const OutboxRow*> members;
            for (std::size_t i = 0; i < group->ids.size() && i < rows.size(); ++i) {
                members.push_back(&rows[i]);
            }
            attempt_group(members);
        } else {
            attempt(head, std::get<SendOne>(decision).storm); // SendOne: always the head
        }
        return std::nullopt;
    }

private:
    bool resends() const {
        return m_sink.type == AlertSinkConfig::Type::alertmanager && m_context.firing_snapshot &&
               m_sink.resend_interval > Milliseconds{0};
    }

    // `queued` (in id order) in delivery order. The rows' ranks are cached by id (a row's
    // message never changes); the cache keeps the rows of this queue only.
    std::vector<OutboxRow> in_delivery_order(std::vector<OutboxRow> queued) {
        std::map<std::int64_t, int> ranks;
        std::vector<OrderedRow> ordered;
        ordered.reserve(queued.size());
        std::map<std::int64_t, std::size_t> index;
        for (std::size_t i = 0; i < queued.size(); ++i) {
            const OutboxRow& row = queued[i];
            const auto cached = m_ranks.find(row.id);
            const int rank = cached != m_ranks.end() ? cached->second : message_rank(row);
            ranks.emplace(row.id, rank);
            ordered.push_back(OrderedRow{row.id, row.key, rank});
            index.emplace(row.id, i);
        }
        m_ranks = std::move(ranks);
        std::vector<OutboxRow> rows;
        rows.reserve(queued.size());
        for (const std::int64_t id : delivery_order(ordered)) {
            rows.push_back(std::move(queued[index.at(id)]));
        }
        return rows;
    }

    // attention_rank of a row's severity; a group's: the highest of its events. A row that
    // cannot be parsed ranks lowest (it is dropped when its turn comes).
    static int message_rank(const OutboxRow& row) {
        auto message = alert_message_from_json(row.message_json);
        if (!message) {
            return 0;
        }
        if (const auto* event = std::get_if<AlertEvent>(&*message)) {
            return attention_rank(event->severity);
        }
        int rank = 0;
        for (const AlertEvent& event : std::get<AlertGroup>(*message).events) {
            rank = std::max(rank, attention_rank(event.severity));
        }
        return rank;
    }

    // A pre-grouped row (plan_outbox's AlertGroup) has no identity.
    static bool is_grouped(const OutboxRow& row) { return is_group_key(row.key); }

    // PagerDuty: an identity's event that resolves its incident (never merged into a group).
    bool resolves_alone(const OutboxRow& row) const {
        if (m_sink.type != AlertSinkConfig::Type::pagerduty || is_grouped(row)) {
            return false;
        }
        auto message = alert_message_from_json(row.message_json);
        const AlertEvent* event = message ? std::get_if<AlertEvent>(&*message) : nullptr;
        return event != nullptr && std::string(pagerduty_event_action(*event)) == "resolve";
    }

    // PagerDuty: keeps track of the storm incident from what was just delivered, and resolves
    // it after an identity's resolve once nothing this sink would trigger on is firing.
    void after_pagerduty_delivery(const HttpRequest& request, const OutboxRow& head, bool many) {
        const auto body = nlohmann::json::parse(request.body, nullptr, false);
        if (body.is_object() && body.value("dedup_key", "") == k_pagerduty_storm_dedup_key) {
            m_storm_may_be_open = body.value("event_action", "") == "trigger";
            return;
        }
        if (many || !m_storm_may_be_open || !resolves_alone(head) || !m_context.firing_snapshot ||
            !m_context.rendering.storm_resolve) {
            return;
        }
        const auto firing = m_context.firing_snapshot();
        const bool quiet =
            std::none_of(firing.begin(), firing.end(), [this](const AlertEvent& event) {
                return event.severity != EventSeverity::resolved &&
                       passes_min_severity(event.severity, m_sink.min_severity) &&
                       std::string(pagerduty_event_action(event)) == "trigger";
            });
        if (!quiet) {
            return;
        }
        const HttpRequest resolve = m_context.rendering.storm_resolve(m_sink);
        const HttpResponse response = exchange(resolve);
        if (classify_delivery(resolve, response) == DeliveryOutcome::delivered) {
            m_storm_may_be_open = false;
            spdlog::info("event=alert_storm_resolved sink={} to={}", m_sink.name, resolve.display);
            return;
        }
        if (!(response.status == 0 && m_stop.stop_requested())) {
            m_context.metrics.count_alert_failure(m_key);
            spdlog::warn("event=alert_storm_resolve_failed sink={} to={} error={} note={}",
                         m_sink.name, resolve.display,
                         quote_log_value(describe_failure(resolve, response)),
                         quote_log_value("tried again after the next resolve"));
        }
    }

    // `text` without the configured secrets (DeliveryContext::redactor).
    std::string redact(std::string_view text) const {
        return m_context.redactor.load()->redact(text);
    }

    // Sends `request` (it counts for the rate limit from now) and returns the response with its
    // body and transport error redacted: nothing after this point sees an echoed secret.
    HttpResponse exchange(const HttpRequest& request) {
        m_last_send = SteadyClock::now();
        HttpResponse response = m_client.send(request, k_http_request_timeout, m_stop);
        const std::shared_ptr<const SecretRedactor> redactor = m_context.redactor.load();
        response.body = redactor->redact(response.body);
        response.error = redactor->redact(response.error);
        return response;
    }

    Milliseconds max_retry_age() const {
        return Milliseconds{m_context.max_retry_age_ms.load(std::memory_order_relaxed)};
    }

    DeliveryGrouping current_grouping() const {
        DeliveryGrouping grouping;
        grouping.group_threshold = m_context.group_threshold.load(std::memory_order_relaxed);
        grouping.group_wait = Milliseconds{m_context.group_wait_ms.load(std::memory_order_relaxed)};
        grouping.group_interval =
            Milliseconds{m_context.group_interval_ms.load(std::memory_order_relaxed)};
        grouping.storm_window =
            Milliseconds{m_context.storm_window_ms.load(std::memory_order_relaxed)};
        return grouping;
    }

    bool open_store(SteadyClock::time_point now) {
        if (now < m_store_retry_at) {
            return false;
        }
        auto opened = StateStore::open(m_context.state_db, StateStore::Mode::read_write);
        if (!opened) {
            spdlog::error("event=alert_store_failed sink={} error={}", m_sink.name,
                          quote_log_value(opened.error()));
            m_store_retry_at = now + k_store_retry_delay;
            return false;
        }
        m_store = std::move(opened).value();
        return true;
    }

    // Logs, closes the connection and asks to come back after k_store_retry_delay.
    SteadyClock::time_point store_failed(const std::string& error) {
        spdlog::error("event=alert_store_failed sink={} error={}", m_sink.name,
                      quote_log_value(error));
        m_store.reset();
        m_store_retry_at = SteadyClock::now() + k_store_retry_delay;
        return m_store_retry_at;
    }

    void publish_depth() {
        auto depth = m_store->outbox_depth(m_key);
        if (depth) {
            m_context.metrics.set_alert_queue(m_key, depth->count, depth->oldest);
        }
    }

    // One row alone, as it is. `storm`: it counts as a grouped send for group_interval.
    void attempt(const OutboxRow& row, bool storm) {
        const TimePoint now = wall_now();
        auto request = m_context.rendering.message(m_sink, row.message_json, now);
        if (!request) {
            drop({&row}, now, "cannot render the message: " + request.error());
            return;
        }
        send({&row}, *request, now, storm || is_grouped(row), 1);
    }

    // `rows` (at least two, the head first) as one AlertGroup: the events of the individual
    // rows and those listed by grouped rows; its total counts every event they stand for.
    void attempt_group(const std::vector<const OutboxRow*>& rows) {
        const TimePoint now = wall_now();
        std::vector<AlertEvent> events;
        std::size_t unlisted = 0; // events of grouped rows beyond the ones they list
        TimePoint at = rows.front()->created_at;
        for (const OutboxRow* row : rows) {
            auto message = alert_message_from_json(row->message_json);
            if (!message) {
                // Dropped alone; the group is formed again without it.
                drop({row}, now, "cannot render the message: " + message.error());
                return;
            }
            if (const auto* event = std::get_if<AlertEvent>(&*message)) {
                events.push_back(*event);
            } else {
                const AlertGroup& inner = std::get<AlertGroup>(*message);
                events.insert(events.end(), inner.events.begin(), inner.events.end());
                unlisted += inner.total - std::min(inner.total, inner.events.size());
            }
            at = std::max(at, row->created_at);
        }
        // `at` is the newest row's time: the same rows render the same group on a retry.
        AlertGroup group = make_alert_group(events, at);
        group.total += unlisted;
        std::set<IdentityKey> identities;
        for (const AlertEvent& event : events) {
            identities.insert(event.key);
        }
        auto request = m_context.rendering.message(m_sink, alert_message_to_json(group), now);
        if (!request) {
            drop(rows, now, "cannot render the group: " + request.error());
            return;
        }
        send(rows, *request, now, true, identities.size());
    }

    // Sends `request`, standing for `rows` (the head first) and `identities` distinct
    // identities, and records the outcome: all rows sent, the head's retry state, or all rows
    // dropped. `grouped`: a grouped send, for group_interval.
    void send(const std::vector<const OutboxRow*>& rows, const HttpRequest& request,
              TimePoint rendered_at, bool grouped, std::size_t identities) {
        const OutboxRow& head = *rows.front();
        const bool many = rows.size() > 1;
        const HttpResponse response = exchange(request);
        if (response.status == 0 && m_stop.stop_requested()) {
            return; // shutting down: the rows stay queued and are sent again later
        }
        const TimePoint done = wall_now();
        const int attempts = head.attempts + 1;
        const std::string rows_field = many ? " rows=" + std::to_string(rows.size()) : "";
        switch (classify_delivery(request, response)) {
        case DeliveryOutcome::delivered: {
            std::vector<std::int64_t> ids;
            for (const OutboxRow* row : rows) {
                ids.push_back(row->id);
            }
            if (auto marked = m_store->outbox_mark_sent(ids, done); !marked) {
                store_failed(marked.error()); // delivered but not marked: sent again later
                return;
            }
            m_context.metrics.count_alert_sent(m_key);
            if (grouped) {
                m_last_group_sent = rendered_at;
            }
            if (m_sink.type == AlertSinkConfig::Type::pagerduty) {
                after_pagerduty_delivery(request, head, many);
            }
            if (many) {
                spdlog::info("event=alert_group_sent sink={} to={} rows={} identities={} "
                             "attempts={}",
                             m_sink.name, request.display, rows.size(), identities, attempts);
            } else {
                spdlog::info("event=alert_sent sink={} to={} id={} identity={} attempts={}",
                             m_sink.name, request.display, head.id, identity_label(head.key),
                             attempts);
            }
            return;
        }
        case DeliveryOutcome::retry: {
            m_context.metrics.count_alert_failure(m_key);
            const std::string failure = describe_failure(request, response);
            std::uniform_real_distribution<double> jitter(0.0, 1.0);
            const Milliseconds delay =
                retry_delay(attempts, jitter(m_random), response.retry_after);
            const TimePoint next = done + delay;
            if (next - head.created_at > max_retry_age()) {
                drop(rows, done,
                     "gave up after " + std::to_string(attempts) + " attempts in " +
                         format_duration(done - head.created_at) + " (max_retry_age " +
                         format_duration(max_retry_age()) + "): " + failure);
                return;
            }
            if (auto retried = m_store->outbox_retry(head.id, attempts, next, redact(failure));
                !retried) {
                store_failed(retried.error());
                return;
            }
            spdlog::warn("event=alert_retry sink={} to={} id={}{} attempt={} error={} "
                         "retry_in_ms={}",
                         m_sink.name, request.display, head.id, rows_field, attempts,
                         quote_log_value(failure), delay.count());
            return;
        }
        case DeliveryOutcome::rejected: {
            m_context.metrics.count_alert_failure(m_key);
            const std::string excerpt = log_excerpt(response.body);
            spdlog::error("event=alert_rejected sink={} to={} id={}{} status={} body={}",
                          m_sink.name, request.display, head.id, rows_field, response.status,
                          quote_log_value(excerpt));
            drop(rows, done,
                 "rejected: " + describe_failure(request, response) +
                     (excerpt.empty() ? std::string() : ": " + excerpt));
            return;
        }
        }
    }

    // Marks the rows dropped in one transaction (their events stay in the history), counts and
    // logs each.
    void drop(const std::vector<const OutboxRow*>& rows, TimePoint at,
              const std::string& unredacted_reason) {
        const std::string reason = redact(unredacted_reason);
        std::vector<std::int64_t> ids;
        for (const OutboxRow* row : rows) {
            ids.push_back(row->id);
        }
        if (auto dropped = m_store->outbox_drop(ids, at, reason); !dropped) {
            store_failed(dropped.error());
            return;
        }
        for (const OutboxRow* row : rows) {
            m_context.metrics.count_alert_dropped(m_key);
            spdlog::error("event=alert_dropped sink={} to={} id={} identity={} reason={}",
                          m_sink.name, m_sink.display, row->id, identity_label(row->key),
                          quote_log_value(reason));
        }
    }

    // Alertmanager: the firing alerts again, so that none resolves by timeout while it lasts.
    void resend() {
        std::vector<AlertEvent> firing = m_context.firing_snapshot();
        std::erase_if(firing, [this](const AlertEvent& event) {
            return event.severity == EventSeverity::resolved ||
                   event.severity < m_sink.min_severity;
        });
        if (firing.empty()) {
            return;
        }
        const HttpRequest request = m_context.rendering.firing(m_sink, firing, wall_now());
        const HttpResponse response = exchange(request);
        if (response.status == 0 && m_stop.stop_requested()) {
            return;
        }
        if (classify_delivery(request, response) == DeliveryOutcome::delivered) {
            spdlog::debug("event=alert_resent sink={} to={} alerts={}", m_sink.name,
                          request.display, firing.size());
            return;
        }
        m_context.metrics.count_alert_failure(m_key);
        spdlog::warn("event=alert_resend_failed sink={} to={} alerts={} error={}", m_sink.name,
                     request.display, firing.size(),
                     quote_log_value(describe_failure(request, response)));
    }

    const AlertSinkConfig& m_sink; // as this lane sends: its URL and display
    const std::string& m_key;      // the lane's outbox key, also its metrics key
    const DeliveryContext& m_context;
    std::stop_token m_stop;
    HttpClient m_client;
    std::unique_ptr<StateStore> m_store;
    SteadyClock::time_point m_store_retry_at{};
    std::mt19937_64 m_random;
    const Milliseconds m_send_interval;
    std::optional<SteadyClock::time_point> m_last_send; // start of the last request
    SteadyClock::time_point m_next_resend{};
    // When the last group, grouped row or storm's single row was sent (wall time; not kept
    // across restarts).
    std::optional<TimePoint> m_last_group_sent;
    // PagerDuty: a storm incident is open (a group trigger was delivered and its resolve not
    // yet). In memory only: after a restart in the middle of a storm its incident is resolved
    // by the next storm's end, or by hand.
    bool m_storm_may_be_open = false;
    // delivery order: attention ranks of the queued rows by id (in_delivery_order).
    std::map<std::int64_t, int> m_ranks;
};

} // namespace

AlertRendering default_alert_rendering() {
    AlertRendering rendering;
    rendering.message = [](const AlertSinkConfig& sink, const std::string& message_json,
                           TimePoint now) -> Result<HttpRequest> {
        auto message = alert_message_from_json(message_json);
        if (!message) {
            return Error{message.error()};
        }
        return render_alert_request(sink, *message, now);
    };
    rendering.firing = [](const AlertSinkConfig& sink, const std::vector<AlertEvent>& firing,
                          TimePoint now) { return render_alertmanager_firing(sink, firing, now); };
    rendering.storm_resolve = [](const AlertSinkConfig& sink) {
        return render_pagerduty_storm_resolve(sink);
    };
    return rendering;
}

SinkWorker::SinkWorker(DeliveryLane lane, const DeliveryContext& context)
    : m_lane(std::move(lane)), m_context(context),
      m_thread([this](std::stop_token stop) { run(std::move(stop)); }) {}

SinkWorker::~SinkWorker() {
    m_thread.request_stop();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void SinkWorker::wake() {
    {
        const std::lock_guard lock(m_mutex);
        ++m_wakeups;
    }
    m_wakeup.notify_all();
}

void SinkWorker::request_stop() {
    m_thread.request_stop(); // also wakes a wait on m_wakeup (it waits with the stop token)
}

void SinkWorker::run(std::stop_token stop) {
    spdlog::info("event=alert_sink_started sink={} type={} to={}", m_lane.sink.name,
                 alert_sink_type_name(m_lane.sink.type), m_lane.sink.display);
    Delivery delivery(m_lane, m_context, stop);
    while (!stop.stop_requested()) {
        std::uint64_t seen = 0;
        {
            // Read before looking at the queue: a wake() after the look is then not missed.
            const std::lock_guard lock(m_mutex);
            seen = m_wakeups;
        }
        const auto next = delivery.step();
        if (!next) {
            continue;
        }
        std::unique_lock lock(m_mutex);
        m_wakeup.wait_until(lock, stop, *next, [&] { return m_wakeups != seen; });
    }
}

} // namespace dkimwatch
