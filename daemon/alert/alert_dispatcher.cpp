#include "alert/alert_dispatcher.hpp"

#include "alert/delivery_grouping.hpp"
#include "alert/delivery_lanes.hpp"
#include "alert/http_client.hpp"
#include "alert/sink_secrets.hpp"
#include "core/log_value.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <spdlog/spdlog.h>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {
namespace {

std::vector<AlertLaneLabels> lane_labels(const std::vector<DeliveryLane>& lanes) {
    std::vector<AlertLaneLabels> labels;
    for (const auto& lane : lanes) {
        labels.push_back(AlertLaneLabels{lane.outbox_key, lane.sink.name, lane.sink.display});
    }
    return labels;
}

} // namespace

struct AlertDispatcher::Impl {
    DeliveryContext context;
    AlertSettings settings;
    bool started = false;
    // Guards `workers` (notify() comes from any thread).
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<SinkWorker>> workers; // by lane outbox key

    Impl(AlertSettings settings_, std::filesystem::path state_db, DaemonMetrics& metrics,
         FiringSnapshot firing_snapshot, AlertRendering rendering, Milliseconds storm_window)
        : context{std::move(state_db), metrics, std::move(firing_snapshot), std::move(rendering),
                  settings_.max_retry_age.count()},
          settings(std::move(settings_)) {
        publish_settings(storm_window);
    }

    // this->settings and `storm_window` to the workers.
    void publish_settings(Milliseconds storm_window) {
        const DeliveryGrouping grouping = delivery_grouping(settings, storm_window);
        context.max_retry_age_ms.store(settings.max_retry_age.count(), std::memory_order_relaxed);
        context.group_threshold.store(grouping.group_threshold, std::memory_order_relaxed);
        context.group_wait_ms.store(grouping.group_wait.count(), std::memory_order_relaxed);
        context.group_interval_ms.store(grouping.group_interval.count(), std::memory_order_relaxed);
        context.storm_window_ms.store(grouping.storm_window.count(), std::memory_order_relaxed);
        context.redactor.store(
            std::make_shared<const SecretRedactor>(alert_secret_redactor(settings)));
    }

    // Moves the rows queued under old outbox keys of the configured alertmanager sinks to their
    // current lanes (plan_lane_rekeying, StateStore::rekey_queued), logging each move and each
    // key left where it is. Called before the workers of the new lanes start and after those of
    // the old keys stopped. A store that cannot be opened or written is logged and leaves the
    // rows where they are (moved by a later reload or restart). Returns whether a row moved.
    bool rekey_outbox() const {
        if (std::none_of(settings.sinks.begin(), settings.sinks.end(), [](const auto& sink) {
                return sink.type == AlertSinkConfig::Type::alertmanager;
            })) {
            return false; // nothing to move: no store to open
        }
        const auto failed = [](const std::string& error) {
            spdlog::error("event=outbox_rekey_failed error={}", quote_log_value(error));
            return false;
        };
        auto opened = StateStore::open(context.state_db, StateStore::Mode::read_write);
        if (!opened) {
            return failed(opened.error());
        }
        StateStore& store = **opened;
        auto keys = store.outbox_queued_sinks();
        if (!keys) {
            return failed(keys.error());
        }
        const LaneRekeyPlan plan = plan_lane_rekeying(*keys, settings.sinks);
        bool moved_any = false;
        for (const LaneRekeying& move : plan.moves) {
            auto moved = store.rekey_queued(move.from_key, move.to_keys);
            if (!moved) {
                spdlog::error("event=outbox_rekey_failed sink={} from={} error={}", move.sink,
                              move.from_key, quote_log_value(moved.error()));
                continue;
            }
            for (const std::string& to : move.to_keys) {
                spdlog::info("event=outbox_rekeyed sink={} from={} to={} rows={}", move.sink,
                             move.from_key, to, *moved);
            }
            moved_any = moved_any || *moved > 0;
        }
        for (const StrandedLaneKey& stranded : plan.stranded) {
            auto depth = store.outbox_depth(stranded.key);
            spdlog::warn("event=outbox_stranded sink={} key={} rows={} note={}", stranded.sink,
                         stranded.key, depth ? std::to_string(depth->count) : std::string("?"),
                         quote_log_value("its URL is no longer one of the sink's: the rows stay "
                                         "queued, delivered if it comes back"));
        }
        return moved_any;
    }

    // Stops every worker at once, then joins them: about a second in all, not one per worker.
    static void stop_all(std::vector<std::unique_ptr<SinkWorker>>& stopping) {
        for (auto& worker : stopping) {
            worker->request_stop();
        }
        stopping.clear();
    }
};

AlertDispatcher::AlertDispatcher(AlertSettings settings, std::filesystem::path state_db,
                                 DaemonMetrics& metrics, FiringSnapshot firing_snapshot,
                                 AlertRendering rendering, Milliseconds storm_window)
    : m_impl(std::make_unique<Impl>(std::move(settings), std::move(state_db), metrics,
                                    std::move(firing_snapshot), std::move(rendering),
                                    storm_window)) {}

AlertDispatcher::~AlertDispatcher() {
    std::vector<std::unique_ptr<SinkWorker>> stopping;
    {
        const std::lock_guard lock(m_impl->mutex);
        for (auto& [name, worker] : m_impl->workers) {
            stopping.push_back(std::move(worker));
        }
        m_impl->workers.clear();
    }
    Impl::stop_all(stopping);
}

void AlertDispatcher::start() {
    if (m_impl->started) {
        return;
    }
    m_impl->started = true;
    const std::vector<DeliveryLane> lanes = delivery_lanes(m_impl->settings);
    m_impl->rekey_outbox();
    m_impl->context.metrics.set_alert_sinks(lane_labels(lanes));
    const std::lock_guard lock(m_impl->mutex);
    for (const auto& lane : lanes) {
        m_impl->workers.emplace(lane.outbox_key,
                                std::make_unique<SinkWorker>(lane, m_impl->context));
    }
}

void AlertDispatcher::notify() {
    const std::lock_guard lock(m_impl->mutex);
    for (auto& [name, worker] : m_impl->workers) {
        worker->wake();
    }
}

void AlertDispatcher::reconfigure(AlertSettings settings, Milliseconds storm_window) {
    m_impl->settings = std::move(settings);
    m_impl->publish_settings(storm_window);
    if (!m_impl->started) {
        return;
    }
    const std::vector<DeliveryLane> lanes = delivery_lanes(m_impl->settings);
    std::vector<std::unique_ptr<SinkWorker>> stopping;
    {
        const std::lock_guard lock(m_impl->mutex);
        std::map<std::string, std::unique_ptr<SinkWorker>> kept;
        for (const auto& lane : lanes) {
            auto old = m_impl->workers.find(lane.outbox_key);
            if (old != m_impl->workers.end() && old->second->lane() == lane) {
                kept.emplace(lane.outbox_key, std::move(old->second));
                m_impl->workers.erase(old);
            }
        }
        for (auto& [name, worker] : m_impl->workers) {
            stopping.push_back(std::move(worker));
        }
        m_impl->workers = std::move(kept);
    }
    // The old workers of changed lanes finish before their replacements start, so that one
    // lane never has two workers sending its rows.
    Impl::stop_all(stopping);
    // No worker sends the rows of an old key any more; those of new lanes start with their rows.
    const bool moved = m_impl->rekey_outbox();
    m_impl->context.metrics.set_alert_sinks(lane_labels(lanes));
    const std::lock_guard lock(m_impl->mutex);
    if (moved) {
        for (auto& [key, worker] : m_impl->workers) {
            worker->wake(); // a kept lane may have got rows (and its queue depth changed)
        }
    }
    for (const auto& lane : lanes) {
        if (!m_impl->workers.contains(lane.outbox_key)) {
            m_impl->workers.emplace(lane.outbox_key,
                                    std::make_unique<SinkWorker>(lane, m_impl->context));
        }
    }
}

HttpResponse AlertDispatcher::send_once(const AlertSinkConfig& sink, const AlertMessage& message,
                                        TimePoint now) {
    HttpClient client;
    HttpResponse response =
        client.send(render_alert_request(sink, message, now), k_http_request_timeout);
    const SecretRedactor redactor(alert_sink_secrets(sink));
    response.body = redactor.redact(response.body);
    response.error = redactor.redact(response.error);
    return response;
}

} // namespace dkimwatch
