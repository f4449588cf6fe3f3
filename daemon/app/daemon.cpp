#include "app/daemon.hpp"

#include "alert/alert_dispatcher.hpp"
#include "alert/event_builder.hpp"
#include "app/daemon_dns_metrics.hpp"
#include "app/daemon_ses.hpp"
#include "app/daemon_signals.hpp"
#include "app/daemon_state_saving.hpp"
#include "app/daemon_zone_watch.hpp"
#include "app/dns_checking.hpp"
#include "app/outbox_rows.hpp"
#include "app/service_notifier.hpp"
#include "app/tracked_identity.hpp"
#include "config/config_loader.hpp"
#include "core/check_capacity.hpp"
#include "core/check_schedule.hpp"
#include "core/duration.hpp"
#include "core/inventory_adoption.hpp"
#include "core/log_value.hpp"
#include "core/state_machine.hpp"
#include "core/status_repair.hpp"
#include "core/sweep.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_dir_lock.hpp"
#include "store/state_store.hpp"

#include <array>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>
#include <system_error>

namespace dkimwatch {
namespace {

// Identities checked in one batch at most; the resolver's max_inflight bounds the network.
constexpr std::size_t k_max_batch = 2048;
// Longest sleep of the loop, so time-based events (reminders, overdue, blind) are noticed.
constexpr Milliseconds k_max_tick = std::chrono::seconds{10};
constexpr Milliseconds k_min_tick = std::chrono::seconds{1};
// With an ses: section, the longest sleep before a finished SES listing is taken up.
constexpr Milliseconds k_ses_poll = Milliseconds{200};
// Identities due this little ahead of time join the current batch (at most a tenth of the
// recheck and check intervals), so that a batch is not one or two identities.
constexpr Milliseconds k_max_batch_lead = Milliseconds{500};

TimePoint wall_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

std::string utc(TimePoint time) {
    return format_utc_timestamp(time);
}

// What the configuration accepted but deserves a look (Config::warnings), one line each.
void log_config_warnings(const Config& config) {
    for (const auto& warning : config.warnings) {
        spdlog::warn("event=config_warning warning={}", quote_log_value(warning.to_string()));
    }
}

class Daemon {
public:
    explicit Daemon(DaemonOptions options) : m_options(std::move(options)) {}

    int run() {
        // Buffers of 1 MiB or more (a scrape's text is 25 MB at 100,000 identities) get their
        // own mapping, returned to the system when freed. By default glibc raises this threshold
        // after the first such free, and every later scrape would leave its buffer in the heap.
        mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
        const sigset_t signals = control_signals();
        // Blocked in every thread (civetweb's included, created later), taken by sigtimedwait.
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);

        auto loaded = load_config_or_report(m_options.config_path, std::cerr);
        if (!loaded) {
            return 1;
        }
        m_config = std::move(*loaded);
        log_config_warnings(m_config);
        if (!open_state() || !make_dns(m_config.dns)) {
            return 1;
        }
        // /metrics answers 503 until every identity is published (adopt_config() does that), so
        // that no scrape ever sees a partial inventory (which would resolve and re-fire alerts
        // built on the metrics).
        if (!start_metrics()) {
            return 1;
        }
        m_saving = std::make_unique<DaemonStateSaving>(*m_store, *m_metrics, [this] {
            if (m_dispatcher) {
                m_dispatcher->notify();
            }
        });
        const TimePoint now = wall_now();
        m_ses = std::make_unique<DaemonSes>(*m_store, *m_metrics);
        if (!m_ses->restore()) {
            return 1;
        }
        m_ses->configure(m_config.ses);
        m_ses->set_shard(m_config.daemon.shard);
        m_ses->publish_sources();
        m_ses->commit(m_ses->merge(m_config), now);
        if (!adopt_config(m_config, now, /*initial=*/true)) {
            return 1;
        }
        refresh_ses_findings(now);
        release_free_memory();
        m_metrics->set_config_reload(true, now);
        m_metrics->set_ready();
        m_dispatcher = std::make_unique<AlertDispatcher>(
            m_config.alerts, m_store->path(), *m_metrics, [this] { return firing_snapshot(); },
            default_alert_rendering(), m_config.daemon.check_interval);
        m_dispatcher->start();
        m_ses->start_syncing(m_config.ses);
        spdlog::info("event=started identities={} state_db={} metrics=127.0.0.1:{} "
                     "check_interval={} recheck_interval={}",
                     m_tracked.size(), quote_log_value(m_store->path().string()), m_metrics->port(),
                     format_duration(m_config.daemon.check_interval),
                     format_duration(m_config.daemon.recheck_interval));
        m_notifier.ready(summary());
        m_started = true;
        m_announced_counts = m_state_counts;

        auto next_tick = now;
        m_next_watchdog = std::chrono::steady_clock::now();
        for (;;) {
            ping_watchdog_if_due();
            TimePoint current = wall_now();
            apply_ses_outcomes(current);
            if (current >= next_tick) {
                tick(current);
                next_tick = current + tick_interval();
            }
            if (m_dns->resolver().interrupted()) {
                break; // a stop signal arrived during a zone discovery (adoption)
            }
            if (m_zones.poll_due(current, m_config.dns) && !poll_zones(current)) {
                break;
            }
            if (!check_due(current)) {
                break; // a stop signal arrived during the batch
            }
            if (m_state_counts != m_announced_counts) {
                m_announced_counts = m_state_counts;
                m_notifier.status(summary());
            }

            // Sleep until the next check, tick or watchdog ping, or until a signal.
            current = wall_now();
            TimePoint wake = next_tick;
            if (auto due = m_schedule.next_due(); due && *due < wake) {
                wake = *due;
            }
            if (auto poll = m_zones.next_poll(m_config.dns); poll && *poll < wake) {
                wake = std::max(*poll, current);
            }
            Milliseconds sleep = wake > current ? wake - current : Milliseconds{0};
            if (m_ses->syncing()) {
                sleep = std::min(sleep, k_ses_poll);
            }
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
        m_ses->stop_syncing(); // cancels a listing in flight
        if (const auto& unsaved = m_saving->unsaved();
            !unsaved.empty() && !m_saving->save({}, {}, /*keep_on_failure=*/true)) {
            spdlog::error("event=unsaved_state_lost identities={} alerts={}", unsaved.identities(),
                          unsaved.alerts().size());
        }
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
        if (!m_started) {
            // Still starting (zone discovery of a large inventory runs at the query rate limit):
            // each ping also keeps systemd's start timeout a watchdog interval ahead.
            m_notifier.extend_start_timeout(*m_notifier.watchdog_interval());
        }
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
        auto lock = StateDirLock::take(dir, "give each daemon its own state_dir");
        if (!lock) {
            std::cerr << "dkimwatch: " << lock.error() << "\n";
            return false;
        }
        m_state_dir_lock = std::move(lock).value();
        auto store = StateStore::open(std::filesystem::path(m_config.daemon.state_dir) /
                                          std::string(k_state_db_file_name),
                                      StateStore::Mode::read_write);
        if (!store) {
            std::cerr << "dkimwatch: " << store.error() << "\n";
            return false;
        }
        m_store = std::move(store).value();
        for (const auto& finding : m_store->findings()) {
            spdlog::warn("event=state_inconsistent state_db={} problem={}",
                         quote_log_value(m_store->path().string()),
                         quote_log_value(state_finding_text(finding)));
        }
        return true;
    }

    // Makes the resolver, the lookup cache and the DNSSEC validator for `dns`. On failure the
    // previous ones (if any) stay in use.
    bool make_dns(const DnsSettings& dns) {
        auto made = DnsChecking::make(dns);
        if (!made) {
            std::cerr << "dkimwatch: " << made.error() << "\n";
            spdlog::error("event=resolver_setup_failed error={}", quote_log_value(made.error()));
            return false;
        }
        m_dns = std::move(made).value();
        AsyncResolver& resolver = m_dns->resolver();
        resolver.set_record_latencies(true);
        resolver.set_interrupt_check([this] {
            ping_watchdog_if_due();
            return stop_requested_pending();
        });
        m_dns_metrics.start(resolver);
        if (!dns.authoritative && m_metrics) { // no zones are watched before metrics start
            m_zones.clear(*m_metrics);
        }
        return true;
    }

    // Asks every watched zone's servers for its serial; a changed zone's identities are due at
    // once (their check goes through the authoritative servers, which know first). Returns
    // false when a stop signal interrupted it.
    bool poll_zones(TimePoint now) {
        const auto changed = m_zones.poll(*m_dns, *m_metrics, m_config.dns);
        if (!changed) {
            return false;
        }
        for (const auto& zone : *changed) {
            std::size_t due = 0;
            for (std::size_t index = 0; index < m_tracked.size(); ++index) {
                if (zone.members.contains(m_tracked[index].identity.key())) {
                    m_schedule.set_due(static_cast<ScheduleId>(index), now);
                    ++due;
                }
            }
            spdlog::info("event=zone_serial_changed zone={} identities={}",
                         quote_log_value(zone.zone), due);
        }
        m_dns_metrics.publish(m_dns->resolver(), *m_metrics);
        return true;
    }

    // Makes `config`'s identities the tracked set: stored statuses are resumed, changed
    // fingerprints restart at pending, new identities start at pending, removed ones stop being
    // reported. Everything is saved before it is acted on. The identities are moved out of
    // `config` (the tracked set holds the only copy); on failure the tracked set is unchanged.
    bool adopt_config(Config& config, TimePoint now, bool initial) {
        auto stored = m_store->load_statuses();
        if (!stored) {
            std::cerr << "dkimwatch: " << stored.error() << "\n";
            spdlog::error("event=state_load_failed error={}", quote_log_value(stored.error()));
            return false;
        }
        std::vector<TrackedEntry> current; // m_tracked as adopt_inventory() reads it
        current.reserve(m_tracked.size());
        for (std::size_t index = 0; index < m_tracked.size(); ++index) {
            const TrackedIdentity& old = m_tracked[index];
            current.push_back({old.identity.key(), &old.status, identity_fingerprint(old.identity),
                               m_schedule.due_time(static_cast<ScheduleId>(index))});
        }
        AdoptionPlan plan =
            adopt_inventory({current, &*stored, config.identities, config.policy, now});
        current = {};
        for (const auto& repair : plan.repairs) {
            for (const auto& text : repair.repairs) {
                spdlog::warn("event=state_repaired identity={} repair={}", repair.key.to_string(),
                             quote_log_value(text));
            }
        }
        std::vector<AlertEvent> alerts;
        alerts.reserve(plan.alerts.size());
        for (const auto& alert : plan.alerts) {
            alerts.push_back(
                make_alert_event(alert.key, plan.identities[alert.index].status, alert.event, {}));
        }
        std::vector<CheckToSave> to_save;
        to_save.reserve(plan.to_save.size());
        for (auto& row : plan.to_save) {
            CheckToSave item{
                std::move(row.key), std::move(row.status), std::move(row.events), {}, now};
            item.keep_records = row.keep_records;
            to_save.push_back(std::move(item));
        }
        plan.to_save.clear();
        std::vector<TrackedIdentity> next;
        next.reserve(config.identities.size());
        std::vector<IdentityKey> keys;
        keys.reserve(config.identities.size());
        for (std::size_t index = 0; index < config.identities.size(); ++index) {
            AdoptedIdentity& adopted = plan.identities[index];
            TrackedIdentity item{
                std::move(config.identities[index]), std::move(adopted.status), {}};
            if (adopted.kept_from && !adopted.restarted) {
                item.problems = m_tracked[*adopted.kept_from].problems;
            }
            keys.push_back(item.identity.key());
            next.push_back(std::move(item));
        }
        // From here on the identities are in `next`, not in `config`: a failure below leaves
        // `config` unusable, which both callers accept (start-up exits, a reload is dropped).
        // A configuration is adopted only once saved, together with whatever is still unsaved.
        std::vector<std::pair<IdentityKey, std::vector<StateEvent>>> to_log;
        for (const auto& item : to_save) {
            if (!item.events.empty()) {
                to_log.emplace_back(item.key, item.events);
            }
        }
        if (auto saved = m_saving->save(std::move(to_save), outbox_rows(config.alerts, alerts, now),
                                        /*keep_on_failure=*/false);
            !saved) {
            std::cerr << "dkimwatch: " << saved.error() << "\n";
            return false;
        }
        if (auto active = m_store->set_active_identities(keys); !active) {
            spdlog::error("event=state_save_failed error={}", quote_log_value(active.error()));
            return false;
        }
        for (const auto& [key, events] : to_log) {
            log_events(key, events);
        }

        // The schedule is renumbered: kept identities keep their due time, restarted ones are
        // checked soon (spread like new ones), identities seen before a restart keep their
        // rhythm.
        CheckSchedule schedule;
        for (const auto& [id, due] : plan.kept_due) {
            schedule.set_due(id, due);
        }
        for (const auto& key : plan.removed) {
            m_metrics->remove_identity(key);
            // Its SES series too: an identity SES still lists leaves the tracked set when
            // another shard owns it now (a reload with a changed shard).
            m_ses->forget(key);
            {
                std::lock_guard lock(m_firing_mutex);
                m_firing.erase(key);
            }
            spdlog::info("event=identity_removed identity={}", key.to_string());
        }
        if (initial) {
            // After a restart, show the last known problems until the first check.
            if (auto problems = m_store->problem_records(); problems && !problems->empty()) {
                std::map<IdentityKey, std::size_t> index_of;
                for (std::size_t index = 0; index < keys.size(); ++index) {
                    index_of.emplace(keys[index], index);
                }
                for (auto& problem : *problems) {
                    auto found = index_of.find(problem.key);
                    if (found != index_of.end() && !plan.identities[found->second].restarted) {
                        next[found->second].problems.push_back(std::move(problem.verdict));
                    }
                }
            } else if (!problems) {
                spdlog::error("event=state_load_failed error={}",
                              quote_log_value(problems.error()));
            }
        }
        for (auto& tracked : next) {
            std::string().swap(tracked.status.fingerprint);
        }
        m_tracked = std::move(next);
        config.identities.clear();
        config.identities.shrink_to_fit();
        m_state_counts = {};
        for (auto& tracked : m_tracked) {
            tracked.firing_held =
                initial && tracked.status.state == IdentityState::revocation_warning;
            ++m_state_counts[state_index(tracked.status.state)];
            publish(tracked);
        }
        if (m_dispatcher) {
            m_dispatcher->notify();
        }
        m_schedule = std::move(schedule);
        m_schedule.add(plan.to_spread, now, config.daemon.check_interval);
        for (std::size_t index = 0; index < m_tracked.size(); ++index) {
            if (m_tracked[index].firing_held) {
                m_schedule.set_due(static_cast<ScheduleId>(index), now);
            }
        }
        m_metrics->set_shard(config.daemon.shard);
        if (!is_whole_inventory(config.daemon.shard)) {
            // Identities other shards own are not watched, shown or exported; their rows in the
            // state database are kept (inactive, like identities removed from the config).
            spdlog::info("event=shard_skipped shard={} identities={} owned={}",
                         shard_text(config.daemon.shard), m_ses->shard_skipped(), m_tracked.size());
        }
        refresh_watched_zones(config.dns);
        warn_if_rate_cannot_keep_up(config);
        return true;
    }

    // At start and on reload: says so when max_qps cannot check every identity once per
    // check_interval (a lower bound: healthy records, no retries).
    void warn_if_rate_cannot_keep_up(const Config& config) const {
        std::uint64_t queries = 0;
        for (const auto& tracked : m_tracked) {
            const IdentityKey key = tracked.identity.key();
            queries += queries_per_check(tracked.identity,
                                         config.dns.authoritative ? m_zones.server_count(key) : 0);
        }
        const CheckCapacity capacity = check_capacity(m_tracked.size(), queries, config.dns.max_qps,
                                                      config.daemon.check_interval);
        if (capacity.keeps_up()) {
            return;
        }
        const auto seconds = std::chrono::ceil<std::chrono::seconds>(capacity.needed);
        spdlog::warn("event=rate_cannot_keep_up identities={} queries_per_check={:g} max_qps={} "
                     "seconds_needed={} check_interval={} note={}",
                     capacity.identities, capacity.queries_per_identity(), capacity.max_qps,
                     seconds.count(), format_duration(capacity.check_interval),
                     quote_log_value("identities x queries per check / max_qps exceeds "
                                     "check_interval: checks fall behind; raise dns.max_qps or "
                                     "daemon.check_interval"));
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
        log_config_warnings(config);
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
        const bool dns_changed = config.dns != m_config.dns;
        m_ses->configure(config.ses);
        DaemonSes::WatchedViews views = m_ses->merge(config);
        // A new resolver first: if it cannot be made, nothing of the new configuration is used.
        if (dns_changed && !make_dns(config.dns)) {
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        m_ses->commit(std::move(views), now);
        if (!adopt_config(config, now, false)) {
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        m_config = std::move(config);
        m_ses->set_shard(m_config.daemon.shard);
        refresh_ses_findings(now);
        // Every SES source is listed again at once (a reload is also how to ask for that).
        m_ses->start_syncing(m_config.ses);
        m_dispatcher->reconfigure(m_config.alerts, m_config.daemon.check_interval);
        m_metrics->set_config_reload(true, now);
        spdlog::info("event=reloaded identities={}", m_tracked.size());
        release_free_memory();
        m_notifier.ready(summary());
    }

    // Gives the heap's free memory back to the system. After loading a configuration the parsed
    // file, the stored statuses and the previous tracked set are gone, but glibc would keep their
    // pages as the daemon's resident high-water mark (hundreds of MB at 100,000 identities).
    static void release_free_memory() { malloc_trim(0); }

    // Checks every identity that is due. Returns false when a stop signal interrupted it.
    bool check_due(TimePoint now) {
        m_metrics->set_check_lag(m_schedule.lag(now));
        const Milliseconds lead = std::min({k_max_batch_lead, m_config.daemon.recheck_interval / 10,
                                            m_config.daemon.check_interval / 10});
        const auto due = m_schedule.take_due(now + lead, k_max_batch);
        if (due.empty()) {
            return true;
        }
        std::vector<Identity> batch;
        batch.reserve(due.size());
        for (const ScheduleId id : due) {
            batch.push_back(m_tracked[id].identity);
        }
        const auto started = std::chrono::steady_clock::now();
        auto reports = run_sweep(batch, m_dns->lookups(), m_dns->sweep_options(wall_now()));
        if (m_dns->resolver().interrupted()) {
            return false;
        }
        const auto elapsed = std::chrono::steady_clock::now() - started;

        // Each transition is applied at once, in memory (state, metrics, logs), and then saved
        // with its alerts. When the save fails it stays unsaved (m_saving) and is written by the
        // next successful save: the first failing check observed is never lost, so the deadline
        // counted from it never moves, whatever the storage outage.
        std::vector<CheckToSave> to_save;
        to_save.reserve(reports.size());
        std::vector<AlertEvent> alerts;
        for (std::size_t index = 0; index < reports.size(); ++index) {
            auto& report = reports[index];
            TrackedIdentity& tracked = m_tracked[due[index]];
            IdentityKey key = tracked.identity.key();
            auto transition = on_check(tracked.status, report.worst, now, m_config.policy);
            for (const auto& event : transition.events) {
                alerts.push_back(make_alert_event(key, transition.status, event, report.records));
            }
            log_events(key, transition.events);
            to_save.push_back({std::move(key),
                               with_fingerprint(transition.status, tracked.identity),
                               std::move(transition.events), report.records, now});
            set_status(tracked, std::move(transition.status));
            m_ses->update_findings(tracked.identity, tracked.status, &report.records, m_config,
                                   now);
            m_zones.learn(tracked.identity.key(), report.records);
            publish_record_evidence(report.records, *m_metrics);
            tracked.problems = problems_of(std::move(report.records));
            const Severity worst = tracked.status.last_worst.value_or(Severity::ok);
            m_metrics->observe_check(worst);
            const bool problem = worst == Severity::error || worst == Severity::indeterminate;
            m_schedule.reschedule(due[index], now,
                                  problem ? m_config.daemon.recheck_interval
                                          : m_config.daemon.check_interval);
            tracked.firing_held = false;
            publish(tracked);
        }
        (void)m_saving->save(std::move(to_save), outbox_rows(m_config.alerts, alerts, now),
                             /*keep_on_failure=*/true);
        m_dns_metrics.publish(m_dns->resolver(), *m_metrics);
        m_metrics->set_sweep_duration(elapsed);
        spdlog::debug("event=batch_checked identities={} duration_ms={}", due.size(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
        return true;
    }

    // After the tracked set changed: zones keep only identities still tracked, and the zones of
    // new ones are found now (not at their first check, up to check_interval away).
    void refresh_watched_zones(const DnsSettings& dns) {
        std::vector<const Identity*> identities;
        identities.reserve(m_tracked.size());
        for (const auto& tracked : m_tracked) {
            identities.push_back(&tracked.identity);
        }
        m_zones.refresh(identities, *m_dns, *m_metrics, dns);
    }

    // Time-based events: pending_overdue, monitoring_blind, reminders. Everything that changed
    // is applied, then saved in one transaction with the alerts it causes and with whatever
    // earlier saves could not write.
    void tick(TimePoint now) {
        // Checks allocate and free in small pieces; hand whole free pages back now and then so
        // that the resident size stays close to what is in use.
        release_free_memory();
        std::vector<CheckToSave> to_save;
        std::vector<AlertEvent> alerts;
        for (std::size_t index = 0; index < m_tracked.size(); ++index) {
            TrackedIdentity& tracked = m_tracked[index];
            auto transition = on_tick(tracked.status, now, m_config.policy);
            if (transition.events.empty() && transition.status == tracked.status) {
                continue;
            }
            IdentityKey key = tracked.identity.key();
            for (const auto& event : transition.events) {
                alerts.push_back(make_alert_event(key, transition.status, event, tracked.problems));
            }
            log_events(key, transition.events);
            CheckToSave save{std::move(key),
                             with_fingerprint(transition.status, tracked.identity),
                             std::move(transition.events),
                             {},
                             now};
            save.keep_records = true;
            to_save.push_back(std::move(save));
            // Applied at once, like a check's transition (see check_due()).
            set_status(tracked, std::move(transition.status));
            publish(tracked);
        }
        // Also when nothing changed: this retries what earlier saves could not write.
        if (to_save.empty() && m_saving->unsaved().empty()) {
            return;
        }
        (void)m_saving->save(std::move(to_save), outbox_rows(m_config.alerts, alerts, now),
                             /*keep_on_failure=*/true);
    }

    // Replaces the identity's status, keeping the count per state.
    void set_status(TrackedIdentity& tracked, IdentityStatus&& status) {
        --m_state_counts[state_index(tracked.status.state)];
        ++m_state_counts[state_index(status.state)];
        tracked.status = std::move(status);
        std::string().swap(tracked.status.fingerprint); // see TrackedIdentity
    }

    Milliseconds tick_interval() const {
        return std::clamp(m_config.daemon.recheck_interval, k_min_tick, k_max_tick);
    }

    // Exports the identity's metrics and its firing alert conditions (none while firing_held).
    void publish(const TrackedIdentity& tracked) {
        const IdentityKey key = tracked.identity.key();
        m_metrics->update_identity(key, tracked.status.state, tracked.status.deadline,
                                   tracked.status.last_check_at, tracked.problems);
        std::vector<AlertEvent> firing;
        if (!tracked.firing_held) {
            firing = firing_conditions(key, tracked.status, tracked.problems);
        }
        auto ses = m_ses->firing_conditions(key, tracked.status);
        firing.insert(firing.end(), std::make_move_iterator(ses.begin()),
                      std::make_move_iterator(ses.end()));
        std::lock_guard lock(m_firing_mutex);
        if (firing.empty()) {
            m_firing.erase(key);
        } else {
            m_firing[key] = std::move(firing);
        }
    }

    // What Alertmanager sinks re-send. Called from delivery threads.
    std::vector<AlertEvent> firing_snapshot() const {
        std::vector<AlertEvent> all;
        {
            std::lock_guard lock(m_firing_mutex);
            for (const auto& [key, events] : m_firing) {
                all.insert(all.end(), events.begin(), events.end());
            }
        }
        auto failing = m_ses->sync_failing_conditions();
        all.insert(all.end(), std::make_move_iterator(failing.begin()),
                   std::make_move_iterator(failing.end()));
        return all;
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
        for (std::size_t state = 0; state < k_state_count; ++state) {
            counts[identity_state_name(static_cast<IdentityState>(state))] =
                static_cast<int>(m_state_counts[state]);
        }
        return status_summary(counts, m_tracked.size());
    }

    // ---- The SES source ----------------------------------------------------------------

    // Every tracked identity's SES cross-check, with the problems kept from its last check.
    void refresh_ses_findings(TimePoint now) {
        for (const auto& tracked : m_tracked) {
            m_ses->update_findings(tracked.identity, tracked.status,
                                   tracked.status.last_check_at ? &tracked.problems : nullptr,
                                   m_config, now);
            publish(tracked);
        }
    }

    // Takes up the listings the SES thread finished: saves each good inventory, raises and
    // records the SES events, adopts the watched set again when SES's identities changed
    // (new ones pending, gone ones removed with identity_removed), re-checks at once what SES
    // turned FAILED while verified, and refreshes every finding.
    void apply_ses_outcomes(TimePoint now) {
        std::map<IdentityKey, std::size_t> index_of;
        const auto reindex = [&] {
            index_of.clear();
            for (std::size_t index = 0; index < m_tracked.size(); ++index) {
                index_of.emplace(m_tracked[index].identity.key(), index);
            }
        };
        const auto tracked_index = [&](const IdentityKey& key) -> std::optional<std::size_t> {
            const auto found = index_of.find(key);
            return found == index_of.end() ? std::nullopt : std::optional(found->second);
        };
        bool indexed = false;
        auto intake =
            m_ses->take_outcomes(now, [&](const IdentityKey& key) -> std::optional<IdentityState> {
                if (!indexed) {
                    reindex();
                    indexed = true;
                }
                const auto index = tracked_index(key);
                return index ? std::optional(m_tracked[*index].status.state) : std::nullopt;
            });
        if (!intake) {
            return;
        }

        // The views always change (statuses, flags); the tracked set only when readopt.
        std::set<IdentityKey> discovered_before;
        std::map<IdentityKey, IdentityState> state_before;
        for (const auto& tracked : m_tracked) {
            if (tracked.identity.source == IdentitySource::ses) {
                discovered_before.insert(tracked.identity.key());
                state_before.emplace(tracked.identity.key(), tracked.status.state);
            }
        }
        Config next = m_config; // its identities are empty: they live in m_tracked
        next.identities = m_ses->configured();
        m_ses->commit(m_ses->merge(next), now);
        if (intake->readopt && !adopt_config(next, now, /*initial=*/false)) {
            spdlog::error("event=ses_adopt_failed note={}",
                          quote_log_value("the identities SES lists could not be adopted (see "
                                          "the error above); the previous set is kept"));
        }
        reindex(); // the tracked set was renumbered when readopt
        if (intake->readopt) {
            for (const auto& key : discovered_before) {
                if (!index_of.contains(key)) {
                    intake->events.push_back(m_ses->identity_gone(key, now));
                }
            }
        }

        // Each event with its alert, in one transaction (history and outbox).
        const auto state_since = [&](const IdentityKey& key) {
            if (const auto index = tracked_index(key)) {
                return std::pair(m_tracked[*index].status.state, m_tracked[*index].status.since);
            }
            const auto before = state_before.find(key);
            return std::pair(before == state_before.end() ? IdentityState::pending : before->second,
                             now);
        };
        if (m_ses->record_events(intake->events, state_since, m_config.alerts, now) &&
            m_dispatcher) {
            m_dispatcher->notify();
        }
        for (const auto& key : intake->recheck) {
            if (const auto index = tracked_index(key)) {
                spdlog::info("event=ses_recheck identity={} note={}", key.to_string(),
                             quote_log_value("SES reports FAILED while dkimwatch has the "
                                             "identity verified: checking the records now"));
                m_schedule.set_due(static_cast<ScheduleId>(*index), now);
            }
        }
        refresh_ses_findings(now);
    }

    DaemonOptions m_options;
    Config m_config;
    std::unique_ptr<StateDirLock> m_state_dir_lock; // held for the process's life
    std::chrono::steady_clock::time_point m_next_watchdog;
    ServiceNotifier m_notifier;
    std::unique_ptr<DaemonMetrics> m_metrics;
    std::unique_ptr<StateStore> m_store;
    std::unique_ptr<DnsChecking> m_dns;     // resolver, lookup cache, DNSSEC validator
    DaemonDnsMetrics m_dns_metrics;         // the resolver's counters published so far
    DaemonZoneWatch m_zones;                // the zone serial watch of the tracked identities
    bool m_started = false;                 // READY=1 sent once
    CheckSchedule m_schedule;               // ScheduleId = index in m_tracked
    std::vector<TrackedIdentity> m_tracked; // in configuration order
    std::array<std::size_t, k_state_count> m_state_counts{};     // identities per IdentityState
    std::array<std::size_t, k_state_count> m_announced_counts{}; // as of the last STATUS=
    // Saving with what earlier saves could not write; made once the store and metrics are.
    std::unique_ptr<DaemonStateSaving> m_saving;

    // Alert delivery (its own threads) and what it re-sends to Alertmanager.
    std::unique_ptr<AlertDispatcher> m_dispatcher;
    mutable std::mutex m_firing_mutex;
    std::map<IdentityKey, std::vector<AlertEvent>> m_firing; // guarded by m_firing_mutex
    // The SES side; made once the store and the metrics are (last: its sync thread uses them).
    std::unique_ptr<DaemonSes> m_ses;
};

} // namespace

int run_daemon(const DaemonOptions& options) {
    Daemon daemon(options);
    return daemon.run();
}

} // namespace dkimwatch
