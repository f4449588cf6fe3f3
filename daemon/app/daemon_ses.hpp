#pragma once
// The daemon's SES side (with an ses: section): the last good inventories and the sync thread
// that lists them, SES's view of each watched identity, the SES cross-check findings, the
// accounts/regions whose syncs fail, and the SES events with their alerts. The Daemon owns the
// tracked set, its states and its adoption; it asks this class what SES adds to them.
//
// Thread-safety: sync_failing_conditions() may be called from any thread (the alert delivery
// threads); everything else from the daemon loop's thread only.

#include "alert/alert_event.hpp"
#include "app/ses_sync_thread.hpp"
#include "app/ses_tracker.hpp"
#include "config/config.hpp"
#include "core/identity.hpp"
#include "core/ses_findings.hpp"
#include "core/ses_view.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_store.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

class DaemonSes {
public:
    // The watched set's SES side, computed before an adoption and committed with it.
    struct WatchedViews {
        std::vector<Identity> configured;
        std::map<IdentityKey, SesDomainIdentity> views;
        std::set<std::pair<std::string, std::string>> covered;
        // Identities of the inventory that other shards own (left out of the watched set).
        std::size_t shard_skipped = 0;
    };

    // What the finished listings changed (see take_outcomes()).
    struct Intake {
        bool readopt = false;              // the watched set is to be built and adopted again
        std::vector<IdentityKey> recheck;  // to check now: SES turned them FAILED while verified
        std::vector<KeyedSesEvent> events; // to record, with their alerts (record_events())
    };

    // A tracked identity's state and since when (state pending since now when not tracked).
    using StateSince = std::function<std::pair<IdentityState, TimePoint>(const IdentityKey&)>;

    // `store` and `metrics` must outlive this object.
    DaemonSes(StateStore& store, DaemonMetrics& metrics);
    DaemonSes(const DaemonSes&) = delete;
    DaemonSes& operator=(const DaemonSes&) = delete;

    // At start: the inventories of the last good listings, so that a start without API access
    // watches everything SES had. False (the reason on stderr and in the log) when the state
    // database cannot be read.
    bool restore();
    // Keeps only the sources `settings` names (SesTracker::configure()).
    void configure(const SesSettings& settings);
    // The running shard (at start, and after a reload is adopted). Of each source only the shard
    // that owns it (shard_owns_source()) raises its ses_sync_failing / ses_sync_recovered events
    // and exports its per-source series, so that N shards send one notification and Prometheus
    // sums do not count a source N times. When the shard changes, the per-source series and
    // failing syncs of sources it no longer owns are dropped (their request counters too: they
    // restart from 0), and the saved listings of sources it now owns are exported.
    void set_shard(const Shard& shard);
    // Exports the age of the saved listings of the sources the shard owns, so that a restart
    // while the API is unreachable still shows (and alerts on) how old they are.
    void publish_sources();

    // With an ses: section, replaces config.identities by the watched set: the configuration's
    // identities merged with the last good SES inventories (the configuration's key material
    // wins). In every case only the identities config.daemon.shard owns are kept (in
    // config.identities and in the views); out.shard_skipped counts the others.
    WatchedViews merge(Config& config) const;
    // Makes `views` current; `now` is when newly firing SES conditions were first seen.
    void commit(WatchedViews&& views, TimePoint now);
    // Of the last commit: the configuration's own identities, and those other shards own.
    const std::vector<Identity>& configured() const { return m_configured; }
    std::size_t shard_skipped() const { return m_shard_skipped; }

    // (Re)starts the sync thread for `settings`: every source is listed at once. Stops it when
    // `settings` has no accounts.
    void start_syncing(const SesSettings& settings);
    // Stops the sync thread (cancels a listing in flight).
    void stop_syncing();
    bool syncing() const { return m_thread != nullptr; }

    // The SES cross-check of one tracked identity with `records` (the latest check's verdicts,
    // or the problems kept from it, or nullptr before its first check); saves and exports what
    // changed. `config`: the running configuration (its ses: section and policy).
    void update_findings(const Identity& identity, const IdentityStatus& status,
                         const std::vector<RecordVerdict>* records, const Config& config,
                         TimePoint now);
    // The SES conditions firing for a tracked identity (ses_firing_conditions()).
    std::vector<AlertEvent> firing_conditions(const IdentityKey& key,
                                              const IdentityStatus& status) const;
    // The firing ses_sync_failing conditions of every failing account/region.
    std::vector<AlertEvent> sync_failing_conditions() const;
    // The identity left the tracked set: its SES series and findings go (not its saved ones).
    void forget(const IdentityKey& key);

    // Takes up the listings the sync thread finished: saves each good inventory (and exports it
    // when the shard owns its source), logs each failed one. Events about identities or sources
    // the shard does not own are left to the shard that owns them. nullopt when no listing
    // finished.
    std::optional<Intake> take_outcomes(TimePoint now, const SesTracker::StateLookup& state_of);
    // SES stopped listing the tracked identity `key`: its SES series and saved findings go; the
    // identity_removed event to record.
    KeyedSesEvent identity_gone(const IdentityKey& key, TimePoint now);
    // Logs and records each event with its alerts under `alerts` (history and outbox in one
    // transaction per event), and keeps which accounts/regions fail. True when an alert was
    // queued.
    bool record_events(const std::vector<KeyedSesEvent>& events, const StateSince& state_since,
                       const AlertSettings& alerts, TimePoint now);

private:
    StateStore& m_store;
    DaemonMetrics& m_metrics;
    SesTracker m_tracker;               // the last good inventories, the sync health
    std::optional<Shard> m_shard;       // as of the last configure()
    std::vector<Identity> m_configured; // the configuration's own identities, for each merge
    std::size_t m_shard_skipped = 0;    // of the last merge: identities other shards own
    std::map<IdentityKey, SesDomainIdentity> m_views;        // SES's view of watched identities
    std::set<std::pair<std::string, std::string>> m_covered; // (account, region) listed
    // When a firing SES condition (FAILED, TEMPORARY_FAILURE, signing off) was first seen.
    std::map<IdentityKey, TimePoint> m_condition_since;
    std::map<IdentityKey, std::vector<SesFinding>> m_findings; // only identities with some
    mutable std::mutex m_sync_failing_mutex;
    // Accounts/regions whose syncs fail (ses_sync_failing raised): since when, the last error.
    std::map<std::pair<std::string, std::string>, std::pair<TimePoint, std::string>>
        m_sync_failing;                      // guarded by m_sync_failing_mutex
    std::unique_ptr<SesSyncThread> m_thread; // last: uses m_metrics
};

} // namespace dkimwatch
