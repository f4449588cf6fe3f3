#include "app/daemon_ses.hpp"

#include "alert/ses_event_builder.hpp"
#include "app/outbox_rows.hpp"
#include "app/watched_set.hpp"
#include "core/log_value.hpp"
#include "core/shard_selection.hpp"

#include <iostream>
#include <spdlog/spdlog.h>

namespace dkimwatch {

DaemonSes::DaemonSes(StateStore& store, DaemonMetrics& metrics)
    : m_store(store), m_metrics(metrics) {}

bool DaemonSes::restore() {
    auto inventories = m_store.load_ses_inventories();
    if (!inventories) {
        std::cerr << "dkimwatch: " << inventories.error() << "\n";
        spdlog::error("event=state_load_failed error={}", quote_log_value(inventories.error()));
        return false;
    }
    m_tracker.restore(std::move(inventories).value());
    return true;
}

void DaemonSes::configure(const SesSettings& settings) {
    m_tracker.configure(settings);
}

void DaemonSes::set_shard(const Shard& shard) {
    const bool changed = m_shard && *m_shard != shard;
    m_shard = shard;
    if (!changed) {
        return;
    }
    for (const auto& inventory : m_tracker.inventories()) {
        if (!shard_owns_source(shard, inventory.account, inventory.region)) {
            m_metrics.remove_ses_source(inventory.account, inventory.region);
        }
    }
    publish_sources();
    std::lock_guard lock(m_sync_failing_mutex);
    std::erase_if(m_sync_failing, [&shard](const auto& failing) {
        return !shard_owns_source(shard, failing.first.first, failing.first.second);
    });
}

void DaemonSes::publish_sources() {
    for (const auto& inventory : m_tracker.inventories()) {
        if (m_shard && shard_owns_source(*m_shard, inventory.account, inventory.region)) {
            m_metrics.set_ses_source(inventory.account, inventory.region, inventory.domains.size(),
                                     inventory.synced_at);
        }
    }
}

DaemonSes::WatchedViews DaemonSes::merge(Config& config) const {
    WatchedViews out;
    if (config.ses.accounts.empty()) {
        OwnedIdentities owned = owned_identities(config.daemon.shard, std::move(config.identities));
        config.identities = std::move(owned.owned);
        out.shard_skipped = owned.skipped;
        return out;
    }
    out.configured = config.identities;
    WatchedSet watched = build_watched_set(std::move(config.identities), m_tracker.inventories(),
                                           config.daemon.shard);
    for (const auto& [key, view] : watched.merged.ses_view) {
        out.views.emplace(key, *view);
    }
    out.covered = watched.merged.covered;
    out.shard_skipped = watched.shard_skipped;
    config.identities = std::move(watched.merged.identities);
    return out;
}

void DaemonSes::commit(WatchedViews&& views, TimePoint now) {
    m_shard_skipped = views.shard_skipped;
    m_configured = std::move(views.configured);
    m_views = std::move(views.views);
    m_covered = std::move(views.covered);
    for (auto it = m_condition_since.begin(); it != m_condition_since.end();) {
        it = m_views.count(it->first) == 0 ? m_condition_since.erase(it) : std::next(it);
    }
    for (const auto& [key, view] : m_views) {
        const bool firing = !view.signing_enabled || view.status == SesDkimStatus::failed ||
                            view.status == SesDkimStatus::temporary_failure;
        if (!firing) {
            m_condition_since.erase(key);
        } else {
            m_condition_since.emplace(key, now);
        }
    }
}

void DaemonSes::start_syncing(const SesSettings& settings) {
    m_thread.reset();
    if (settings.accounts.empty()) {
        return;
    }
    DaemonMetrics* metrics = &m_metrics;
    m_thread = std::make_unique<SesSyncThread>(
        settings, AwsEnvironment::from_process(),
        [metrics](const std::string& account, const std::string& region,
                  const SesApiRequest& request) {
            metrics->count_ses_api_request(account, region, request.operation, request.code);
        });
}

void DaemonSes::stop_syncing() {
    m_thread.reset();
}

void DaemonSes::update_findings(const Identity& identity, const IdentityStatus& status,
                                const std::vector<RecordVerdict>* records, const Config& config,
                                TimePoint now) {
    if (config.ses.accounts.empty() && m_findings.empty()) {
        return;
    }
    const IdentityKey key = identity.key();
    const auto view_it = m_views.find(key);
    const SesDomainIdentity* view = view_it == m_views.end() ? nullptr : &view_it->second;
    const bool covered = m_covered.count({key.account, key.region}) > 0;
    std::vector<SesFinding> findings;
    if (view != nullptr || covered) {
        findings = ses_findings({&identity, view, covered, records, &status, &config.policy, now});
    }
    const auto current = m_findings.find(key);
    const bool changed =
        current == m_findings.end() ? !findings.empty() : current->second != findings;
    if (changed) {
        std::string codes;
        for (const auto& finding : findings) {
            codes += (codes.empty() ? "" : ",") + std::string(ses_finding_code_name(finding.code));
        }
        spdlog::info("event=ses_findings identity={} findings={}", key.to_string(),
                     codes.empty() ? "none" : codes);
        if (auto saved = m_store.save_ses_findings(key, findings); !saved) {
            spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
        }
        if (findings.empty()) {
            m_findings.erase(key);
        } else {
            m_findings[key] = findings;
        }
    }
    if (view != nullptr) {
        m_metrics.set_ses_identity(key, *view, findings);
    } else {
        m_metrics.set_ses_unlisted(key, findings); // not_in_ses, or nothing
    }
}

std::vector<AlertEvent> DaemonSes::firing_conditions(const IdentityKey& key,
                                                     const IdentityStatus& status) const {
    const auto view = m_views.find(key);
    if (view == m_views.end()) {
        return {};
    }
    const auto since = m_condition_since.find(key);
    return ses_firing_conditions(key, view->second, status.state, status.since,
                                 since == m_condition_since.end() ? status.since : since->second);
}

std::vector<AlertEvent> DaemonSes::sync_failing_conditions() const {
    std::lock_guard lock(m_sync_failing_mutex);
    std::vector<AlertEvent> all;
    for (const auto& [source, failing] : m_sync_failing) {
        all.push_back(
            ses_sync_failing_condition(source.first, source.second, failing.first, failing.second));
    }
    return all;
}

void DaemonSes::forget(const IdentityKey& key) {
    m_metrics.remove_ses_identity(key);
    m_findings.erase(key);
}

std::optional<DaemonSes::Intake> DaemonSes::take_outcomes(TimePoint now,
                                                          const SesTracker::StateLookup& state_of) {
    if (!m_thread || !m_shard) {
        return std::nullopt;
    }
    auto outcomes = m_thread->take_outcomes();
    if (outcomes.empty()) {
        return std::nullopt;
    }
    Intake intake;
    for (const auto& outcome : outcomes) {
        auto applied = m_tracker.apply(outcome, now, state_of);
        if (applied.inventory != nullptr) {
            spdlog::info("event=ses_synced source={} account={} region={} identities={}",
                         outcome.name, applied.account, applied.region,
                         applied.inventory->domains.size());
            if (auto saved = m_store.save_ses_inventory(*applied.inventory); !saved) {
                spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
            }
            if (shard_owns_source(*m_shard, applied.account, applied.region)) {
                m_metrics.set_ses_source(applied.account, applied.region,
                                         applied.inventory->domains.size(),
                                         applied.inventory->synced_at);
            }
        } else {
            spdlog::warn("event=ses_sync_failed source={} region={} failures={} error={}",
                         outcome.name, outcome.region,
                         m_tracker.health(outcome.name, outcome.region).consecutive_failures,
                         quote_log_value(outcome.error));
        }
        intake.readopt = intake.readopt || applied.inventory_changed;
        intake.recheck.insert(intake.recheck.end(), applied.recheck.begin(), applied.recheck.end());
        intake.events.insert(intake.events.end(), std::make_move_iterator(applied.events.begin()),
                             std::make_move_iterator(applied.events.end()));
    }

    // Events about identities or sources other shards own are theirs to raise (each shard
    // lists the same SES sources). The owner of a whole source (empty domain) is the owner of
    // the key (account, region, ""): shard_owns covers both.
    std::erase_if(intake.events, [this](const KeyedSesEvent& keyed) {
        return keyed.key.domain.empty()
                   ? !shard_owns_source(*m_shard, keyed.key.account, keyed.key.region)
                   : !shard_owns(*m_shard, keyed.key);
    });
    return intake;
}

KeyedSesEvent DaemonSes::identity_gone(const IdentityKey& key, TimePoint now) {
    SesEvent removed{SesEventKind::identity_removed,
                     EventSeverity::info,
                     now,
                     "",
                     "",
                     "SES no longer lists " + key.domain + " in " + key.account + "/" + key.region +
                         ": dkimwatch stops reporting it and keeps its history"};
    forget(key);
    if (auto cleared = m_store.save_ses_findings(key, {}); !cleared) {
        spdlog::error("event=state_save_failed error={}", quote_log_value(cleared.error()));
    }
    return {key, std::move(removed)};
}

bool DaemonSes::record_events(const std::vector<KeyedSesEvent>& events,
                              const StateSince& state_since, const AlertSettings& alerts,
                              TimePoint now) {
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
        const auto [state, since] = state_since(keyed.key);
        if (keyed.key.domain.empty()) {
            std::lock_guard lock(m_sync_failing_mutex);
            const std::pair<std::string, std::string> source{keyed.key.account, keyed.key.region};
            if (event.kind == SesEventKind::ses_sync_failing) {
                m_sync_failing[source] = {now, event.reason};
            } else if (event.kind == SesEventKind::ses_sync_recovered) {
                m_sync_failing.erase(source);
            }
        }
        const auto rows =
            outbox_rows(alerts, {make_ses_alert_event(keyed.key, event, state, since)}, now);
        if (auto saved = m_store.append_ses_events(keyed.key, state, {&event, 1}, rows); !saved) {
            spdlog::error("event=state_save_failed error={}", quote_log_value(saved.error()));
        } else {
            queued = queued || !rows.empty();
        }
    }
    return queued;
}

} // namespace dkimwatch
