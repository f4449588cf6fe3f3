#include "app/daemon_state_saving.hpp"

#include "core/log_value.hpp"

#include <optional>
#include <spdlog/spdlog.h>

namespace dkimwatch {

DaemonStateSaving::DaemonStateSaving(StateStore& store, DaemonMetrics& metrics,
                                     std::function<void()> on_queued)
    : m_store(store), m_metrics(metrics), m_on_queued(std::move(on_queued)) {}

Result<StoreOk> DaemonStateSaving::save(std::vector<CheckToSave> items,
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
    auto saved = m_store.save(next.items(), next.alerts());
    if (saved) {
        if (m_failures_in_a_row > 0) {
            spdlog::info("event=state_saved identities={} alerts={} failed_saves={} note={}",
                         next.identities(), next.alerts().size(), m_failures_in_a_row,
                         quote_log_value("the changes kept in memory while the state "
                                         "database could not be written are saved"));
        }
        const bool queued = !next.alerts().empty();
        m_failures_in_a_row = 0;
        m_unsaved.clear();
        if (queued && m_on_queued) {
            m_on_queued();
        }
    } else {
        ++m_failures_in_a_row;
        m_metrics.count_state_save_failure();
        spdlog::error(
            "event=state_save_failed unsaved_identities={} unsaved_alerts={} "
            "error={} note={}",
            m_unsaved.identities(), m_unsaved.alerts().size(), quote_log_value(saved.error()),
            quote_log_value(keep_on_failure ? "applied in memory, saved at the next successful "
                                              "write; a stop before then loses it"
                                            : "not applied"));
    }
    m_metrics.set_unsaved_identities(m_unsaved.identities());
    return saved;
}

} // namespace dkimwatch
