#include "app/daemon.hpp"

#include "alert/alert_dispatcher.hpp"
#include "alert/alert_message.hpp"
#include "alert/event_builder.hpp"
#include "alert/outbox_plan.hpp"
#include "alert/ses_event_builder.hpp"
#include "app/check_report.hpp"
#include "app/dns_checking.hpp"
#include "app/service_notifier.hpp"
#include "app/ses_sync_thread.hpp"
#include "app/ses_tracker.hpp"
#include "app/watched_set.hpp"
#include "app/zone_serial_poll.hpp"
#include "config/config_loader.hpp"
#include "core/check_capacity.hpp"
#include "core/check_schedule.hpp"
#include "core/inventory_adoption.hpp"
#include "core/log_value.hpp"
#include "core/ses_findings.hpp"
#include "core/shard_selection.hpp"
#include "core/state_machine.hpp"
#include "core/status_repair.hpp"
#include "core/sweep.hpp"
#include "core/zone_watch.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_dir_lock.hpp"
#include "store/state_store.hpp"
#include "store/unsaved_changes.hpp"

#include <array>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>
#include <system_error>
#include <tuple>

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
    return format_utc_timestamp(std::chrono::system_clock::time_point(time));
}

// What the configuration accepted but deserves a look (Config::warnings), one line each.
void log_config_warnings(const Config& config) {
    for (const auto& warning : config.warnings) {
        spdlog::warn("event=config_warning warning={}", quote_log_value(warning.to_string()));
    }
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

// The records of `records` whose severity is not ok.
std::vector<RecordVerdict> problems_of(std::vector<RecordVerdict>&& records) {
    std::vector<RecordVerdict> problems;
    for (auto& record : records) {
        if (record.severity != Severity::ok) {
            problems.push_back(std::move(record));
        }
    }
    return problems;
}

// One identity of the running inventory. Memory matters (platforms watch 100,000 identities
// or more): this is the only copy of the configured identity, and only the records that are
// not ok are kept (metrics and alerts show only those; every record is in the state database).
struct TrackedIdentity {
    Identity identity;
    // status.fingerprint is left empty in memory (about 200 bytes an identity): it is always
    // identity_fingerprint(identity), which adopt_config() makes sure of, and is filled in only
    // for saving (with_fingerprint()).
    IdentityStatus status;
    std::vector<RecordVerdict> problems; // of the latest check, in check order; usually empty
    // Restored from the database at start in revocation_warning: its firing alert is not
    // re-sent to Alertmanager until its first check in this process, which is due at once. The
    // records may have come back while this process was down and another replica may have
    // resolved the alert; re-sending the stored warning would fire it again.
    bool firing_held = false;
};

constexpr std::size_t k_state_count = 4; // IdentityState's values

// `status` as it is saved: with the fingerprint of `identity`.
IdentityStatus with_fingerprint(IdentityStatus status, const Identity& identity) {
    status.fingerprint = identity_fingerprint(identity);
    return status;
}

std::size_t state_index(IdentityState state) {
    return static_cast<std::size_t>(state);
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
        const TimePoint now = wall_now();
        if (!restore_ses_inventories()) {
            return 1;
        }
        m_ses.configure(m_config.ses);
        // The saved listings' age is on /metrics from the start, so that a restart while the
        // API is unreachable still shows (and alerts on) how old they are.
        for (const auto& inventory : m_ses.inventories()) {
            m_metrics->set_ses_source(inventory.account, inventory.region, inventory.domains.size(),
                                      inventory.synced_at);
        }
        commit_views(merge_with_ses(m_config), now);
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
        start_ses_thread();
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
            if (zone_poll_due(current) && !poll_zones(current)) {
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
            if (m_config.dns.zone_poll_interval > Milliseconds{0} &&
                m_zone_watch.zone_count() > 0 && m_next_zone_poll < wake) {
                wake = std::max(m_next_zone_poll, current);
            }
            Milliseconds sleep = wake > current ? wake - current : Milliseconds{0};
            if (m_ses_thread) {
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
        m_ses_thread.reset(); // cancels a listing in flight
        if (!m_unsaved.empty() && !save_with_unsaved({}, {}, /*keep_on_failure=*/true)) {
            spdlog::error("event=unsaved_state_lost identities={} alerts={}",
                          m_unsaved.identities(), m_unsaved.alerts().size());
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
        m_last_stats = resolver.stats();
        if (!dns.authoritative) {
            forget_zones(m_zone_watch.clear());
        }
        return true;
    }

    // Asks every watched zone's servers for its serial; a changed zone's identities are due at
    // once (their check goes through the authoritative servers, which know first). Returns
    // false when a stop signal interrupted it.
    bool poll_zones(TimePoint now) {
        const auto changed =
            poll_zone_serials(m_zone_watch, m_dns->lookups(), m_config.dns.authoritative_port);
        if (m_dns->resolver().interrupted()) {
            return false;
        }
        std::set<std::tuple<std::string, std::string, std::string>> published;
        for (const auto& reading : m_zone_watch.readings()) {
            m_metrics->set_zone_serial(reading.zone, reading.server, reading.address,
                                       reading.serial);
            published.emplace(reading.zone, reading.server, reading.address);
        }
        // A server that left its zone's NS set loses its series.
        for (const auto& [zone, server, address] : m_serial_series) {
            if (!published.contains({zone, server, address})) {
                m_metrics->remove_zone_server(zone, server, address);
            }
        }
        m_serial_series = std::move(published);
        if (!changed.empty()) {
            m_dns->clear_cache();
        }
        for (const auto& zone : changed) {
            std::set<IdentityKey> members;
            for (auto& key : m_zone_watch.members(zone)) {
                members.insert(std::move(key));
            }
            std::size_t due = 0;
            for (std::size_t index = 0; index < m_tracked.size(); ++index) {
                if (members.contains(m_tracked[index].identity.key())) {
                    m_schedule.set_due(static_cast<ScheduleId>(index), now);
                    ++due;
                }
            }
            spdlog::info("event=zone_serial_changed zone={} identities={}", quote_log_value(zone),
                         due);
        }
        publish_dns_stats();
        return true;
    }

    void forget_zones(const std::vector<std::string>& zones) {
        for (const auto& zone : zones) {
            m_metrics->remove_zone(zone);
        }
    }

    // What a check's records add to the DNS metrics: the earliest signature expiry per zone, and
    // records whose authoritative servers could not be reached at all.
    void publish_record_evidence(const std::vector<RecordVerdict>& records) {
        std::uint64_t unreachable = 0;
        for (const auto& record : records) {
            if (record.authoritative_indeterminate) {
                ++unreachable;
            }
            if (record.dnssec_expiry) {
                m_metrics->set_dnssec_expiry(record.zone.empty() ? record.dnssec_expiry_zone
                                                                 : record.zone,
                                             *record.dnssec_expiry);
            }
        }
        if (unreachable > 0) {
            m_metrics->add_authoritative_unreachable(unreachable);
        }
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
        if (auto saved =
                save_with_unsaved(std::move(to_save), outbox_rows(config.alerts, alerts, now),
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
            m_metrics->remove_ses_identity(key);
            m_findings.erase(key);
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
                         shard_text(config.daemon.shard), m_shard_skipped, m_tracked.size());
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
            queries += queries_per_check(
                tracked.identity, config.dns.authoritative ? m_zone_watch.server_count(key) : 0);
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
        m_ses.configure(config.ses);
        WatchedViews views = merge_with_ses(config);
        // A new resolver first: if it cannot be made, nothing of the new configuration is used.
        if (dns_changed && !make_dns(config.dns)) {
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        commit_views(std::move(views), now);
        if (!adopt_config(config, now, false)) {
            m_metrics->set_config_reload(false, now);
            m_notifier.ready(summary());
            return;
        }
        m_config = std::move(config);
        refresh_ses_findings(now);
        // Every SES source is listed again at once (a reload is also how to ask for that).
        start_ses_thread();
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
        // with its alerts. When the save fails it stays in m_unsaved and is written by the next
        // successful save: the first failing check observed is never lost, so the deadline
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
            update_findings(tracked, &report.records, now);
            m_zone_watch.learn(tracked.identity.key(), report.records);
            publish_record_evidence(report.records);
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
        (void)save_with_unsaved(std::move(to_save), outbox_rows(m_config.alerts, alerts, now),
                                /*keep_on_failure=*/true);
        publish_dns_stats();
        m_metrics->set_sweep_duration(elapsed);
        spdlog::debug("event=batch_checked identities={} duration_ms={}", due.size(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
        return true;
    }

    // True when the serial watch is on, has zones, and its interval has passed (the next poll
    // is then scheduled one interval on).
    bool zone_poll_due(TimePoint now) {
        const Milliseconds interval = m_config.dns.zone_poll_interval;
        if (interval <= Milliseconds{0} || m_zone_watch.zone_count() == 0 ||
            now < m_next_zone_poll) {
            return false;
        }
        m_next_zone_poll = now + interval;
        return true;
    }

    // After the tracked set changed: zones keep only identities still tracked, and the zones of
    // new ones are found now (not at their first check, up to check_interval away).
    void refresh_watched_zones(const DnsSettings& dns) {
        std::set<IdentityKey> keys;
        std::vector<const Identity*> identities;
        for (const auto& tracked : m_tracked) {
            keys.insert(tracked.identity.key());
            identities.push_back(&tracked.identity);
        }
        forget_zones(m_zone_watch.retain(keys));
        if (dns.authoritative && dns.zone_poll_interval > Milliseconds{0}) {
            discover_watched_zones(m_zone_watch, identities, m_dns->lookups(),
                                   dns.authoritative_port);
            spdlog::debug("event=zones_watched zones={}", m_zone_watch.zone_count());
        }
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
        if (to_save.empty() && m_unsaved.empty()) {
            return;
        }
        (void)save_with_unsaved(std::move(to_save), outbox_rows(m_config.alerts, alerts, now),
                                /*keep_on_failure=*/true);
    }

    // Saves what is unsaved followed by `items` and `alerts`, in one transaction, and wakes the
    // alert workers when rows were queued. On success nothing is unsaved any more. On failure
    // (counted and logged) the items and alerts stay unsaved when `keep_on_failure` (they were
    // applied in memory: the next save writes them); otherwise (a configuration, adopted only
    // once saved) they are dropped and what was unsaved stays as it was.
    Result<StoreOk> save_with_unsaved(std::vector<CheckToSave> items,
                                      std::vector<OutboxRowInsert> alerts, bool keep_on_failure) {
        // Kept changes go straight into m_unsaved (no copy of what a long outage accumulated);
        // a configuration is tried on a copy, so that a failure leaves m_unsaved as it was.
        std::optional<UnsavedChanges> trial;
        if (keep_on_failure) {
            m_unsaved.add(std::move(items), std::move(alerts));
        } else {
            trial = m_unsaved;
            trial->add(std::move(items), std::move(alerts));
        }
        const UnsavedChanges& next = trial ? *trial : m_unsaved;
        if (next.empty()) {
            return StoreOk{};
        }
        auto saved = m_store->save(next.items(), next.alerts());
        if (saved) {
            if (m_save_failures_in_a_row > 0) {
                spdlog::info("event=state_saved identities={} alerts={} failed_saves={} note={}",
                             next.identities(), next.alerts().size(), m_save_failures_in_a_row,
                             quote_log_value("the changes kept in memory while the state "
                                             "database could not be written are saved"));
            }
            const bool queued = !next.alerts().empty();
            m_save_failures_in_a_row = 0;
            m_unsaved.clear();
            if (queued && m_dispatcher) {
                m_dispatcher->notify();
            }
        } else {
            ++m_save_failures_in_a_row;
            m_metrics->count_state_save_failure();
            spdlog::error(
                "event=state_save_failed unsaved_identities={} unsaved_alerts={} "
                "error={} note={}",
                m_unsaved.identities(), m_unsaved.alerts().size(), quote_log_value(saved.error()),
                quote_log_value(keep_on_failure ? "applied in memory, saved at the next successful "
                                                  "write; a stop before then loses it"
                                                : "not applied"));
        }
        m_metrics->set_unsaved_identities(m_unsaved.identities());
        return saved;
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
        if (const auto view = m_ses_views.find(key); view != m_ses_views.end()) {
            const auto since = m_ses_condition_since.find(key);
            auto ses = ses_firing_conditions(
                key, view->second, tracked.status.state, tracked.status.since,
                since == m_ses_condition_since.end() ? tracked.status.since : since->second);
            firing.insert(firing.end(), std::make_move_iterator(ses.begin()),
                          std::make_move_iterator(ses.end()));
        }
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
        for (const auto& [source, failing] : m_sync_failing) {
            all.push_back(ses_sync_failing_condition(source.first, source.second, failing.first,
                                                     failing.second));
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
        AsyncResolver& resolver = m_dns->resolver();
        const ResolverStats& now = resolver.stats();
        ResolverStats delta;
        delta.queries_sent = now.queries_sent - m_last_stats.queries_sent;
        delta.tcp_fallbacks = now.tcp_fallbacks - m_last_stats.tcp_fallbacks;
        for (const auto& [rcode, count] : now.answers_by_rcode) {
            const auto before = m_last_stats.answers_by_rcode.find(rcode);
            delta.answers_by_rcode[rcode] =
                count - (before == m_last_stats.answers_by_rcode.end() ? 0 : before->second);
        }
        delta.latencies = resolver.take_latencies();
        m_metrics->add_dns_stats(delta);
        m_last_stats = resolver.stats();
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

    // Waits up to `timeout` for one of `signals`; returns it, or 0 on timeout.
    static int wait_for_signal(const sigset_t& signals, Milliseconds timeout) {
        timespec wait{};
        wait.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        wait.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
        const int signal = sigtimedwait(&signals, nullptr, &wait);
        return signal < 0 ? 0 : signal;
    }

    // ---- The SES source ----------------------------------------------------------------

    // The watched set's SES side, computed before an adoption and committed with it.
    struct WatchedViews {
        std::vector<Identity> configured;
        std::map<IdentityKey, SesDomainIdentity> views;
        std::set<std::pair<std::string, std::string>> covered;
        // Identities of the inventory that other shards own (left out of the watched set).
        std::size_t shard_skipped = 0;
    };

    // With an ses: section, replaces config.identities by the watched set: the configuration's
    // identities merged with the last good SES inventories (the configuration's key material
    // wins). In every case only the identities config.daemon.shard owns are kept (in
    // config.identities and in the views); out.shard_skipped counts the others.
    WatchedViews merge_with_ses(Config& config) const {
        WatchedViews out;
        if (config.ses.accounts.empty()) {
            OwnedIdentities owned =
                owned_identities(config.daemon.shard, std::move(config.identities));
            config.identities = std::move(owned.owned);
            out.shard_skipped = owned.skipped;
            return out;
        }
        out.configured = config.identities;
        WatchedSet watched = build_watched_set(std::move(config.identities), m_ses.inventories(),
                                               config.daemon.shard);
        for (const auto& [key, view] : watched.merged.ses_view) {
            out.views.emplace(key, *view);
        }
        out.covered = watched.merged.covered;
        out.shard_skipped = watched.shard_skipped;
        config.identities = std::move(watched.merged.identities);
        return out;
    }

    void commit_views(WatchedViews&& views, TimePoint now) {
        m_shard_skipped = views.shard_skipped;
        m_configured = std::move(views.configured);
        m_ses_views = std::move(views.views);
        m_ses_covered = std::move(views.covered);
        for (auto it = m_ses_condition_since.begin(); it != m_ses_condition_since.end();) {
            it =
                m_ses_views.count(it->first) == 0 ? m_ses_condition_since.erase(it) : std::next(it);
        }
        for (const auto& [key, view] : m_ses_views) {
            const bool firing = !view.signing_enabled || view.status == SesDkimStatus::failed ||
                                view.status == SesDkimStatus::temporary_failure;
            if (!firing) {
                m_ses_condition_since.erase(key);
            } else {
                m_ses_condition_since.emplace(key, now);
            }
        }
    }

    // The inventories of the last good listings, so that a start without API access watches
    // everything SES had.
    bool restore_ses_inventories() {
        auto inventories = m_store->load_ses_inventories();
        if (!inventories) {
            std::cerr << "dkimwatch: " << inventories.error() << "\n";
            spdlog::error("event=state_load_failed error={}", quote_log_value(inventories.error()));
            return false;
        }
        m_ses.restore(std::move(inventories).value());
        return true;
    }

    void start_ses_thread() {
        m_ses_thread.reset();
        if (m_config.ses.accounts.empty()) {
            return;
        }
        DaemonMetrics* metrics = m_metrics.get();
        m_ses_thread = std::make_unique<SesSyncThread>(
            m_config.ses, AwsEnvironment::from_process(),
            [metrics](const std::string& account, const std::string& region,
                      const SesApiRequest& request) {
                metrics->count_ses_api_request(account, region, request.operation, request.code);
            });
    }

    // The SES cross-check of one tracked identity, after a check (`latest`: its verdicts) or a
    // listing (nullptr: the problems kept from the last check stand for them). Saves and
    // exports what changed.
    void update_findings(const TrackedIdentity& tracked, const std::vector<RecordVerdict>* latest,
                         TimePoint now) {
        if (m_config.ses.accounts.empty() && m_findings.empty()) {
            return;
        }
        const IdentityKey key = tracked.identity.key();
        const auto view_it = m_ses_views.find(key);
        const SesDomainIdentity* view = view_it == m_ses_views.end() ? nullptr : &view_it->second;
        const bool covered = m_ses_covered.count({key.account, key.region}) > 0;
        std::vector<SesFinding> findings;
        if (view != nullptr || covered) {
            const std::vector<RecordVerdict>* records =
                latest != nullptr ? latest
                                  : (tracked.status.last_check_at ? &tracked.problems : nullptr);
            findings = ses_findings({&tracked.identity, view, covered, records, &tracked.status,
                                     &m_config.policy, now});
        }
        const auto current = m_findings.find(key);
        const bool changed =
            current == m_findings.end() ? !findings.empty() : current->second != findings;
        if (changed) {
            std::string codes;
            for (const auto& finding : findings) {
                codes +=
                    (codes.empty() ? "" : ",") + std::string(ses_finding_code_name(finding.code));
            }
            spdlog::info("event=ses_findings identity={} findings={}", key.to_string(),
                         codes.empty() ? "none" : codes);
            if (auto saved = m_store->save_ses_findings(key, findings); !saved) {
                spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
            }
            if (findings.empty()) {
                m_findings.erase(key);
            } else {
                m_findings[key] = findings;
            }
        }
        if (view != nullptr) {
            m_metrics->set_ses_identity(key, *view, findings);
        } else {
            m_metrics->set_ses_unlisted(key, findings); // not_in_ses, or nothing
        }
    }

    void refresh_ses_findings(TimePoint now) {
        for (const auto& tracked : m_tracked) {
            update_findings(tracked, nullptr, now);
            publish(tracked);
        }
    }

    // Takes up the listings the SES thread finished: saves each good inventory, raises and
    // records the SES events, adopts the watched set again when SES's identities changed
    // (new ones pending, gone ones removed with identity_removed), re-checks at once what SES
    // turned FAILED while verified, and refreshes every finding.
    void apply_ses_outcomes(TimePoint now) {
        if (!m_ses_thread) {
            return;
        }
        auto outcomes = m_ses_thread->take_outcomes();
        if (outcomes.empty()) {
            return;
        }
        std::map<IdentityKey, std::size_t> index_of;
        for (std::size_t index = 0; index < m_tracked.size(); ++index) {
            index_of.emplace(m_tracked[index].identity.key(), index);
        }
        const auto state_of = [&](const IdentityKey& key) -> std::optional<IdentityState> {
            const auto found = index_of.find(key);
            if (found == index_of.end()) {
                return std::nullopt;
            }
            return m_tracked[found->second].status.state;
        };
        bool readopt = false;
        std::vector<IdentityKey> recheck;
        std::vector<KeyedSesEvent> events;
        for (const auto& outcome : outcomes) {
            auto applied = m_ses.apply(outcome, now, state_of);
            if (applied.inventory != nullptr) {
                spdlog::info("event=ses_synced source={} account={} region={} identities={}",
                             outcome.name, applied.account, applied.region,
                             applied.inventory->domains.size());
                if (auto saved = m_store->save_ses_inventory(*applied.inventory); !saved) {
                    spdlog::error("event=state_save_failed error={}",
                                  quote_log_value(saved.error()));
                }
                m_metrics->set_ses_source(applied.account, applied.region,
                                          applied.inventory->domains.size(),
                                          applied.inventory->synced_at);
            } else {
                spdlog::warn("event=ses_sync_failed source={} region={} failures={} error={}",
                             outcome.name, outcome.region,
                             m_ses.health(outcome.name, outcome.region).consecutive_failures,
                             quote_log_value(outcome.error));
            }
            readopt = readopt || applied.inventory_changed;
            recheck.insert(recheck.end(), applied.recheck.begin(), applied.recheck.end());
            events.insert(events.end(), std::make_move_iterator(applied.events.begin()),
                          std::make_move_iterator(applied.events.end()));
        }

        // Events about identities other shards own are theirs to raise (each shard lists the
        // same SES sources); events about a whole source (empty domain) are kept.
        std::erase_if(events, [this](const KeyedSesEvent& keyed) {
            return !keyed.key.domain.empty() && !shard_owns(m_config.daemon.shard, keyed.key);
        });

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
        next.identities = m_configured;
        WatchedViews views = merge_with_ses(next);
        commit_views(std::move(views), now);
        if (readopt && !adopt_config(next, now, /*initial=*/false)) {
            spdlog::error("event=ses_adopt_failed note={}",
                          quote_log_value("the identities SES lists could not be adopted (see "
                                          "the error above); the previous set is kept"));
        }
        if (readopt) {
            std::set<IdentityKey> tracked_now;
            for (const auto& tracked : m_tracked) {
                tracked_now.insert(tracked.identity.key());
            }
            for (const auto& key : discovered_before) {
                if (tracked_now.count(key) > 0) {
                    continue;
                }
                SesEvent removed{SesEventKind::identity_removed,
                                 EventSeverity::info,
                                 now,
                                 "",
                                 "",
                                 "SES no longer lists " + key.domain + " in " + key.account + "/" +
                                     key.region +
                                     ": dkimwatch stops reporting it and keeps its history"};
                events.push_back({key, std::move(removed)});
                m_metrics->remove_ses_identity(key);
                m_findings.erase(key);
                if (auto cleared = m_store->save_ses_findings(key, {}); !cleared) {
                    spdlog::error("event=state_save_failed error={}",
                                  quote_log_value(cleared.error()));
                }
            }
        }

        if (readopt) { // the tracked set was renumbered
            index_of.clear();
            for (std::size_t index = 0; index < m_tracked.size(); ++index) {
                index_of.emplace(m_tracked[index].identity.key(), index);
            }
        }
        const auto tracked_index = [&](const IdentityKey& key) -> std::optional<std::size_t> {
            const auto found = index_of.find(key);
            return found == index_of.end() ? std::nullopt : std::optional(found->second);
        };

        // Each event with its alert, in one transaction (history and outbox).
        bool queued = false;
        for (const auto& keyed : events) {
            const auto& event = keyed.event;
            const auto level = event.severity == EventSeverity::critical  ? spdlog::level::err
                               : event.severity == EventSeverity::warning ? spdlog::level::warn
                                                                          : spdlog::level::info;
            spdlog::log(level, "event={} account={} region={} domain={}{} reason={}",
                        ses_event_kind_name(event.kind), keyed.key.account, keyed.key.region,
                        keyed.key.domain.empty() ? "-" : keyed.key.domain,
                        event.to.empty() && event.from.empty()
                            ? std::string()
                            : " from=" + (event.from.empty() ? std::string("-") : event.from) +
                                  " to=" + event.to,
                        quote_log_value(event.reason));
            IdentityState state = IdentityState::pending;
            TimePoint since = now;
            if (const auto index = tracked_index(keyed.key)) {
                state = m_tracked[*index].status.state;
                since = m_tracked[*index].status.since;
            } else if (const auto before = state_before.find(keyed.key);
                       before != state_before.end()) {
                state = before->second;
            }
            if (keyed.key.domain.empty()) {
                std::lock_guard lock(m_firing_mutex);
                const std::pair<std::string, std::string> source{keyed.key.account,
                                                                 keyed.key.region};
                if (event.kind == SesEventKind::ses_sync_failing) {
                    m_sync_failing[source] = {now, event.reason};
                } else if (event.kind == SesEventKind::ses_sync_recovered) {
                    m_sync_failing.erase(source);
                }
            }
            const auto rows = outbox_rows(
                m_config.alerts, {make_ses_alert_event(keyed.key, event, state, since)}, now);
            if (auto saved = m_store->append_ses_events(keyed.key, state, {&event, 1}, rows);
                !saved) {
                spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
            } else {
                queued = queued || !rows.empty();
            }
        }
        if (queued && m_dispatcher) {
            m_dispatcher->notify();
        }
        for (const auto& key : recheck) {
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
    std::unique_ptr<DnsChecking> m_dns; // resolver, lookup cache, DNSSEC validator
    ResolverStats m_last_stats;
    ZoneWatch m_zone_watch; // zones of the tracked identities' records, their servers' serials
    // (zone, server, address) of the dkimwatch_zone_serial series exported.
    std::set<std::tuple<std::string, std::string, std::string>> m_serial_series;
    TimePoint m_next_zone_poll{};
    bool m_started = false;                                      // READY=1 sent once
    CheckSchedule m_schedule;                                    // ScheduleId = index in m_tracked
    std::vector<TrackedIdentity> m_tracked;                      // in configuration order
    std::array<std::size_t, k_state_count> m_state_counts{};     // identities per IdentityState
    std::array<std::size_t, k_state_count> m_announced_counts{}; // as of the last STATUS=
    // Applied in memory, not saved yet (see save_with_unsaved()).
    UnsavedChanges m_unsaved;
    int m_save_failures_in_a_row = 0;

    // Alert delivery (its own threads) and what it re-sends to Alertmanager.
    std::unique_ptr<AlertDispatcher> m_dispatcher;
    mutable std::mutex m_firing_mutex;
    std::map<IdentityKey, std::vector<AlertEvent>> m_firing; // guarded by m_firing_mutex
    // Accounts/regions whose syncs fail (ses_sync_failing raised): since when, the last error.
    std::map<std::pair<std::string, std::string>, std::pair<TimePoint, std::string>>
        m_sync_failing; // guarded by m_firing_mutex

    // The SES source (empty while the configuration has no ses: section).
    SesTracker m_ses;                   // the last good inventories, the sync health
    std::vector<Identity> m_configured; // the configuration's own identities, for each merge
    std::size_t m_shard_skipped = 0;    // of the last merge: identities other shards own
    std::map<IdentityKey, SesDomainIdentity> m_ses_views;        // SES's view of watched identities
    std::set<std::pair<std::string, std::string>> m_ses_covered; // (account, region) listed
    // When a firing SES condition (FAILED, TEMPORARY_FAILURE, signing off) was first seen.
    std::map<IdentityKey, TimePoint> m_ses_condition_since;
    std::map<IdentityKey, std::vector<SesFinding>> m_findings; // only identities with some
    std::unique_ptr<SesSyncThread> m_ses_thread;               // last: uses m_metrics
};

} // namespace

int run_daemon(const DaemonOptions& options) {
    Daemon daemon(options);
    return daemon.run();
}

} // namespace dkimwatch
