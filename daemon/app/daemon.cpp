#include "app/daemon.hpp"

#include "alert/alert_dispatcher.hpp"
#include "alert/alert_message.hpp"
#include "alert/event_builder.hpp"
#include "alert/outbox_plan.hpp"
#include "app/check_report.hpp"
#include "app/resolver_setup.hpp"
#include "app/service_notifier.hpp"
#include "config/config_loader.hpp"
#include "core/check_schedule.hpp"
#include "core/log_value.hpp"
#include "core/state_machine.hpp"
#include "core/sweep.hpp"
#include "dns/async_resolver.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_store.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <map>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>

namespace dkimwatch {
namespace {

// Identities checked in one batch at most; the resolver's max_inflight bounds the network.
constexpr std::size_t k_max_batch = 2048;
// Longest sleep of the loop, so time-based events (reminders, overdue, blind) are noticed.
constexpr Milliseconds k_max_tick = std::chrono::seconds{10};
constexpr Milliseconds k_min_tick = std::chrono::seconds{1};

TimePoint wall_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

std::string utc(TimePoint time) {
    return format_utc_timestamp(std::chrono::system_clock::time_point(time));
}

sigset_t control_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

bool stop_requested_pending() {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

struct TrackedIdentity {
    Identity identity;
    std::string fingerprint;
    IdentityStatus status;
    std::vector<RecordVerdict> records; // of the latest check, for metrics
};

class Daemon {
public:
    explicit Daemon(DaemonOptions options) : m_options(std::move(options)) {}

    int run() {
        const sigset_t signals = control_signals();
        // Blocked in every thread (civetweb's included, created later), taken by sigtimedwait.
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);

        auto loaded = load_config_file(m_options.config_path);
        if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
            for (const auto& error : *errors) {
                std::cerr << error.to_string() << "\n";
            }
            return 1;
        }
        m_config = std::move(std::get<Config>(loaded));
        if (!open_state() || !make_resolver(m_config.dns)) {
            return 1;
        }
        const TimePoint now = wall_now();
        if (!adopt_config(m_config, now, /*initial=*/true)) {
            return 1;
        }
        // /metrics answers 503 until every identity is published, so that no scrape ever sees a
        // partial inventory (which would resolve and re-fire alerts built on the metrics).
        if (!start_metrics()) {
            return 1;
        }
        for (const auto& [key, tracked] : m_tracked) {
            publish(key, tracked);
        }
        m_metrics->set_config_reload(true, now);
        m_metrics->set_ready();
        m_dispatcher = std::make_unique<AlertDispatcher>(
            m_config.alerts, m_store->path(), *m_metrics, [this] { return firing_snapshot(); },
            default_alert_rendering(), m_config.daemon.check_interval);
        m_dispatcher->start();
        spdlog::info("event=started identities={} state_db={} metrics=127.0.0.1:{} "
                     "check_interval={} recheck_interval={}",
                     m_tracked.size(), quote_log_value(m_store->path().string()), m_metrics->port(),
                     format_duration(m_config.daemon.check_interval),
                     format_duration(m_config.daemon.recheck_interval));
        m_notifier.ready(summary());
        m_last_summary = summary();

        auto next_tick = now;
        m_next_watchdog = std::chrono::steady_clock::now();
        for (;;) {
            ping_watchdog_if_due();
            TimePoint current = wall_now();
            if (current >= next_tick) {
                tick(current);
                next_tick = current + tick_interval();
            }
            if (!check_due(current)) {
                break; // a stop signal arrived during the batch
            }
            const std::string now_summary = summary();
            if (now_summary != m_last_summary) {
                m_notifier.status(now_summary);
                m_last_summary = now_summary;
            }

            // Sleep until the next check, tick or watchdog ping, or until a signal.
            current = wall_now();
            TimePoint wake = next_tick;
            if (auto due = m_schedule.next_due(); due && *due < wake) {
                wake = *due;
            }
            Milliseconds sleep = wake > current ? wake - current : Milliseconds{0};
            if (m_notifier.watchdog_ping_interval()) {
                const auto until_ping = std::chrono::duration_cast<Milliseconds>(
                    m_next_watchdog - std::chrono::steady_clock::now());
                sleep = std::min(sleep, std::max(until_ping, Milliseconds{0}));
            }
            const int signal = wait_for_signal(signals, sleep);
            if (signal == SIGTERM || signal == SIGINT) {
                break;
            }
            if (signal == SIGHUP) {
                reload();
            }
        }
        m_notifier.stopping();
        spdlog::info("event=stopping identities={}", m_tracked.size());
        m_dispatcher.reset(); // stops the delivery workers; queued alerts stay in the outbox
        return 0;
    }

private:
    // Sends WATCHDOG=1 when half of WatchdogSec= has passed since the last ping. Called by the
    // loop and, through the resolver's interrupt check, during long DNS batches.
    void ping_watchdog_if_due() {
        const auto interval = m_notifier.watchdog_ping_interval();
        if (!interval || std::chrono::steady_clock::now() < m_next_watchdog) {
            return;
        }
        m_notifier.watchdog();
        m_next_watchdog =
            std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(*interval);
    }

    bool start_metrics() {
        auto metrics = DaemonMetrics::start(m_config.daemon.metrics_listen, DKIMWATCH_VERSION,
                                            /*ready=*/false);
        if (!metrics) {
            std::cerr << "dkimwatch: " << metrics.error() << "\n";
            return false;
        }
        m_metrics = std::move(metrics).value();
        return true;
    }

    // Creates state_dir, makes sure no other daemon uses it, and opens the state database.
    bool open_state() {
        const std::filesystem::path dir(m_config.daemon.state_dir);
        std::error_code error;
        std::filesystem::create_directories(dir, error);
        if (error) {
            std::cerr << "dkimwatch: state_dir " << dir.string()
                      << ": cannot create: " << error.message() << "\n";
            return false;
        }
        // Two daemons writing one database would record every transition and alert twice.
        const std::filesystem::path lock_path = dir / "dkimwatch.lock";
        m_lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_lock_fd < 0) {
            std::cerr << "dkimwatch: " << lock_path.string()
                      << ": cannot open: " << std::strerror(errno) << "\n";
            return false;
        }
        if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
            std::cerr << "dkimwatch: state_dir " << dir.string()
                      << " is in use by another running dkimwatch (it holds " << lock_path.string()
                      << "); give each daemon its own state_dir\n";
            return false;
        }
        auto store = StateStore::open(std::filesystem::path(m_config.daemon.state_dir) /
                                          std::string(k_state_db_file_name),
                                      StateStore::Mode::read_write);
        if (!store) {
            std::cerr << "dkimwatch: " << store.error() << "\n";
            return false;
        }
        m_store = std::move(store).value();
        return true;
    }

    bool make_resolver(const DnsSettings& dns) {
        auto settings = resolver_settings_for(dns);
        if (!settings) {
            std::cerr << "dkimwatch: " << settings.error() << "\n";
            spdlog::error("event=resolver_setup_failed error={}",
                          quote_log_value(settings.error()));
            return false;
        }
        m_resolver = std::make_unique<AsyncResolver>(std::move(settings).value());
        m_resolver->set_record_latencies(true);
        m_resolver->set_interrupt_check([this] {
            ping_watchdog_if_due();
            return stop_requested_pending();
        });
        m_last_stats = m_resolver->stats();
        return true;
    }

    // Makes `config`'s identities the tracked set: stored statuses are resumed, changed
    // fingerprints restart at pending, new identities start at pending, removed ones stop being
    // reported. Everything is saved before it is acted on.
    bool adopt_config(const Config& config, TimePoint now, bool initial) {
        auto stored = m_store->load_statuses();
        if (!stored) {
            std::cerr << "dkimwatch: " << stored.error() << "\n";
            spdlog::error("event=state_load_failed error={}", quote_log_value(stored.error()));
            return false;
        }
        std::map<IdentityKey, TrackedIdentity> next;
        std::vector<CheckToSave> to_save;
        std::vector<AlertEvent> alerts;
        std::vector<IdentityKey> restarted; // fingerprint changed: back to pending
        std::vector<IdentityKey> keys;
        std::map<IdentityKey, TimePoint> last_checks;
        for (const auto& identity : config.identities) {
            const IdentityKey key = identity.key();
            TrackedIdentity tracked{identity, identity_fingerprint(identity), {}, {}};
            auto kept = m_tracked.find(key);
            if (kept != m_tracked.end()) {
                tracked.status = kept->second.status;
                tracked.records = kept->second.records;
            } else if (auto found = stored->find(key); found != stored->end()) {
                tracked.status = found->second;
            } else {
                tracked.status = initial_status(tracked.fingerprint, now);
                to_save.push_back({key, tracked.status, {}, {}, now});
            }
            if (tracked.status.fingerprint != tracked.fingerprint) {
                auto transition = on_config(tracked.status, tracked.fingerprint, now);
                tracked.status = transition.status;
                tracked.records.clear();
                for (const auto& event : transition.events) {
                    alerts.push_back(make_alert_event(key, tracked.status, event, {}));
                }
                to_save.push_back({key, tracked.status, transition.events, {}, now});
                restarted.push_back(key);
            } else if (tracked.status.last_check_at) {
                last_checks.emplace(key, *tracked.status.last_check_at);
            }
            keys.push_back(key);
            next.emplace(key, std::move(tracked));
        }
        if (auto saved = m_store->save(to_save, outbox_rows(config.alerts, alerts, now)); !saved) {
            std::cerr << "dkimwatch: " << saved.error() << "\n";
            spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
            return false;
        }
        if (auto active = m_store->set_active_identities(keys); !active) {
            spdlog::error("event=state_save_failed error={}", quote_log_value(active.error()));
            return false;
        }
        for (const auto& saved : to_save) {
            log_events(saved.key, saved.events);
        }
        for (const auto& key : restarted) {
            m_schedule.remove(key); // check the new setup soon, spread like a new identity
        }
        for (const auto& [key, tracked] : m_tracked) {
            if (!next.contains(key)) {
                m_schedule.remove(key);
                if (m_metrics) {
                    m_metrics->remove_identity(key);
                }
                spdlog::info("event=identity_removed identity={}", key.to_string());
            }
        }
        if (initial) {
            // After a restart, show the last known problems until the first check.
            if (auto listed = m_store->list_identities()) {
                for (const auto& stored_identity : *listed) {
                    auto found = next.find(stored_identity.key);
                    if (found != next.end() &&
                        found->second.status.fingerprint == found->second.fingerprint) {
                        for (const auto& record : stored_identity.records) {
                            found->second.records.push_back(record.verdict);
                        }
                    }
                }
            }
        }
        for (const auto& [key, tracked] : m_tracked) {
            if (!next.contains(key)) {
                std::lock_guard lock(m_firing_mutex);
                m_firing.erase(key);
            }
        }
        m_tracked = std::move(next);
        for (const auto& [key, tracked] : m_tracked) {
            publish(key, tracked);
        }
        if (m_dispatcher) {
            m_dispatcher->notify();
        }
        m_schedule.add(keys, now, config.daemon.check_interval, last_checks);
        return true;
    }

    void reload() {
        m_notifier.reloading();
        const TimePoint now = wall_now();
        auto loaded = load_config_file(m_options.config_path);
        if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
            for (const auto& error : *errors) {
                spdlog::error("event=reload_failed error={}", quote_log_value(error.to_string()));
            }
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        Config config = std::move(std::get<Config>(loaded));
        if (config.daemon.metrics_listen != m_config.daemon.metrics_listen) {
            spdlog::warn("event=reload_partial note={}",
                         quote_log_value("metrics.listen changes take effect after a restart"));
        }
        if (config.daemon.state_dir != m_config.daemon.state_dir) {
            spdlog::warn("event=reload_partial note={}",
                         quote_log_value("state_dir changes take effect after a restart"));
        }
        config.daemon.metrics_listen = m_config.daemon.metrics_listen;
        config.daemon.state_dir = m_config.daemon.state_dir;
        const bool dns_changed = config.dns.resolvers != m_config.dns.resolvers ||
                                 config.dns.timeout != m_config.dns.timeout ||
                                 config.dns.attempts != m_config.dns.attempts ||
                                 config.dns.max_inflight != m_config.dns.max_inflight ||
                                 config.dns.max_qps != m_config.dns.max_qps;
        // A new resolver first: if it cannot be made, nothing of the new configuration is used.
        if ((dns_changed && !make_resolver(config.dns)) || !adopt_config(config, now, false)) {
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        m_config = std::move(config);
        m_dispatcher->reconfigure(m_config.alerts, m_config.daemon.check_interval);
        m_metrics->set_config_reload(true, now);
        spdlog::info("event=reloaded identities={}", m_tracked.size());
        m_notifier.ready(summary());
    }

    // Checks every identity that is due. Returns false when a stop signal interrupted it.
    bool check_due(TimePoint now) {
        const auto due = m_schedule.take_due(now, k_max_batch);
        if (due.empty()) {
            return true;
        }
        std::vector<Identity> batch;
        batch.reserve(due.size());
        for (const auto& key : due) {
            batch.push_back(m_tracked.at(key).identity);
        }
        const auto started = std::chrono::steady_clock::now();
        auto reports = run_sweep(batch, *m_resolver);
        if (m_resolver->interrupted()) {
            return false;
        }
        const auto elapsed = std::chrono::steady_clock::now() - started;

        // Transitions are computed first and applied only once they are saved: a transition
        // that is not in the database (with its alerts) must not be acted on.
        std::vector<CheckToSave> to_save;
        to_save.reserve(reports.size());
        std::vector<AlertEvent> alerts;
        for (auto& report : reports) {
            const IdentityKey key = report.identity->key();
            auto transition =
                on_check(m_tracked.at(key).status, report.worst, now, m_config.policy);
            for (const auto& event : transition.events) {
                alerts.push_back(make_alert_event(key, transition.status, event, report.records));
            }
            to_save.push_back({key, std::move(transition.status), std::move(transition.events),
                               std::move(report.records), now});
        }
        if (auto saved = m_store->save(to_save, outbox_rows(m_config.alerts, alerts, now));
            !saved) {
            spdlog::error(
                "event=state_save_failed identities={} error={} note={}", due.size(),
                quote_log_value(saved.error()),
                quote_log_value("the results of this batch are discarded and checked again"));
            for (const auto& key : due) {
                m_schedule.reschedule(key, now, m_config.daemon.recheck_interval);
            }
            return true;
        }
        for (auto& saved : to_save) {
            TrackedIdentity& tracked = m_tracked.at(saved.key);
            tracked.status = std::move(saved.status);
            tracked.records = std::move(saved.records);
            log_events(saved.key, saved.events);
            const Severity worst = tracked.status.last_worst.value_or(Severity::ok);
            m_metrics->observe_check(worst);
            const bool problem = worst == Severity::error || worst == Severity::indeterminate;
            m_schedule.reschedule(saved.key, now,
                                  problem ? m_config.daemon.recheck_interval
                                          : m_config.daemon.check_interval);
            publish(saved.key, tracked);
        }
        if (!alerts.empty()) {
            m_dispatcher->notify();
        }
        publish_dns_stats();
        m_metrics->set_sweep_duration(elapsed);
        spdlog::debug("event=batch_checked identities={} duration_ms={}", due.size(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
        return true;
    }

    // Time-based events: pending_overdue, monitoring_blind, reminders. Everything that changed
    // is saved in one transaction with the alerts it causes.
    void tick(TimePoint now) {
        std::vector<CheckToSave> to_save;
        std::vector<AlertEvent> alerts;
        for (const auto& [key, tracked] : m_tracked) {
            auto transition = on_tick(tracked.status, now, m_config.policy);
            if (transition.events.empty() && transition.status == tracked.status) {
                continue;
            }
            for (const auto& event : transition.events) {
                alerts.push_back(make_alert_event(key, transition.status, event, tracked.records));
            }
            const TimePoint checked_at = transition.status.last_check_at.value_or(now);
            to_save.push_back({key, std::move(transition.status), std::move(transition.events),
                               tracked.records, checked_at});
        }
        if (to_save.empty()) {
            return;
        }
        // Applied only once saved; a failed save is retried by the next tick.
        if (auto saved = m_store->save(to_save, outbox_rows(m_config.alerts, alerts, now));
            !saved) {
            spdlog::error("event=state_save_failed identities={} error={}", to_save.size(),
                          quote_log_value(saved.error()));
            return;
        }
        for (auto& saved : to_save) {
            TrackedIdentity& tracked = m_tracked.at(saved.key);
            tracked.status = std::move(saved.status);
            log_events(saved.key, saved.events);
            publish(saved.key, tracked);
        }
        if (!alerts.empty()) {
            m_dispatcher->notify();
        }
    }

    Milliseconds tick_interval() const {
        return std::clamp(m_config.daemon.recheck_interval, k_min_tick, k_max_tick);
    }

    // Exports the identity's metrics and its firing alert conditions.
    void publish(const IdentityKey& key, const TrackedIdentity& tracked) {
        if (m_metrics) {
            m_metrics->update_identity(key, tracked.status.state, tracked.status.deadline,
                                       tracked.status.last_check_at, tracked.records);
        }
        auto firing = firing_conditions(key, tracked.status, tracked.records);
        std::lock_guard lock(m_firing_mutex);
        if (firing.empty()) {
            m_firing.erase(key);
        } else {
            m_firing[key] = std::move(firing);
        }
    }

    // What Alertmanager sinks re-send. Called from delivery threads.
    std::vector<AlertEvent> firing_snapshot() const {
        std::lock_guard lock(m_firing_mutex);
        std::vector<AlertEvent> all;
        for (const auto& [key, events] : m_firing) {
            all.insert(all.end(), events.begin(), events.end());
        }
        return all;
    }

    // The outbox rows for `events` under `settings` (severity filters, storm control).
    static std::vector<OutboxRowInsert> outbox_rows(const AlertSettings& settings,
                                                    const std::vector<AlertEvent>& events,
                                                    TimePoint now) {
        std::vector<OutboxRowInsert> rows;
        if (settings.sinks.empty() || events.empty()) {
            return rows;
        }
        for (auto& planned : plan_outbox(settings, events, now)) {
            rows.push_back({std::move(planned.sink), std::move(planned.key),
                            alert_message_to_json(planned.message), planned.created_at});
        }
        return rows;
    }

    void publish_dns_stats() {
        const ResolverStats& now = m_resolver->stats();
        ResolverStats delta;
        delta.queries_sent = now.queries_sent - m_last_stats.queries_sent;
        delta.tcp_fallbacks = now.tcp_fallbacks - m_last_stats.tcp_fallbacks;
        for (const auto& [rcode, count] : now.answers_by_rcode) {
            const auto before = m_last_stats.answers_by_rcode.find(rcode);
            delta.answers_by_rcode[rcode] =
                count - (before == m_last_stats.answers_by_rcode.end() ? 0 : before->second);
        }
        delta.latencies = m_resolver->take_latencies();
        m_metrics->add_dns_stats(delta);
        m_last_stats = m_resolver->stats();
    }

    void log_events(const IdentityKey& key, const std::vector<StateEvent>& events) {
        for (const auto& event : events) {
            const auto severity = event_severity(event.kind);
            const auto level = severity == EventSeverity::critical  ? spdlog::level::err
                               : severity == EventSeverity::warning ? spdlog::level::warn
                                                                    : spdlog::level::info;
            spdlog::log(level, "event={} account={} region={} domain={} from={} to={}{} reason={}",
                        state_event_kind_name(event.kind), key.account, key.region, key.domain,
                        identity_state_name(event.from), identity_state_name(event.to),
                        event.deadline ? " deadline=" + utc(*event.deadline) : std::string(),
                        quote_log_value(event.reason));
        }
    }

    std::string summary() const {
        std::map<std::string, int> counts;
        for (const auto& [key, tracked] : m_tracked) {
            ++counts[identity_state_name(tracked.status.state)];
        }
        return status_summary(counts, m_tracked.size());
    }

    // Waits up to `timeout` for one of `signals`; returns it, or 0 on timeout.
    static int wait_for_signal(const sigset_t& signals, Milliseconds timeout) {
        timespec wait{};
        wait.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        wait.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
        const int signal = sigtimedwait(&signals, nullptr, &wait);
        return signal < 0 ? 0 : signal;
    }

    DaemonOptions m_options;
    Config m_config;
    int m_lock_fd = -1; // holds the flock on state_dir/dkimwatch.lock for the process's life
    std::chrono::steady_clock::time_point m_next_watchdog;
    ServiceNotifier m_notifier;
    std::unique_ptr<DaemonMetrics> m_metrics;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<AsyncResolver> m_resolver;
    ResolverStats m_last_stats;
    CheckSchedule m_schedule;
    std::map<IdentityKey, TrackedIdentity> m_tracked;
    std::string m_last_summary;
    // Alert delivery (its own threads) and what it re-sends to Alertmanager.
    std::unique_ptr<AlertDispatcher> m_dispatcher;
    mutable std::mutex m_firing_mutex;
    std::map<IdentityKey, std::vector<AlertEvent>> m_firing; // guarded by m_firing_mutex
};

} // namespace

int run_daemon(const DaemonOptions& options) {
    Daemon daemon(options);
    return daemon.run();
}

} // namespace dkimwatch
