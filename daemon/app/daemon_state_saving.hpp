#pragma once
// How the daemon writes its state database: every change is applied in memory first; a save
// writes what earlier saves could not (UnsavedChanges) together with the new items and alerts,
// in one transaction, so that a storage outage loses nothing that a later write can save.
// Not thread-safe: the daemon loop's thread only.

#include "core/result.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store/state_store.hpp"
#include "store/unsaved_changes.hpp"

#include <functional>
#include <vector>

namespace dkimwatch {

class DaemonStateSaving {
public:
    // `store` and `metrics` must outlive this object; `on_queued` runs after a save that queued
    // alert rows (to wake the alert workers).
    DaemonStateSaving(StateStore& store, DaemonMetrics& metrics, std::function<void()> on_queued);

    // Saves what is unsaved followed by `items` and `alerts`, in one transaction. On success
    // nothing is unsaved any more. On failure (counted and logged) the items and alerts stay
    // unsaved when `keep_on_failure` (they were applied in memory: the next save writes them);
    // otherwise (a configuration, adopted only once saved) they are dropped and what was unsaved
    // stays as it was.
    Result<StoreOk> save(std::vector<CheckToSave> items, std::vector<OutboxRowInsert> alerts,
                         bool keep_on_failure);

    // Applied in memory, not saved yet.
    const UnsavedChanges& unsaved() const { return m_unsaved; }

private:
    StateStore& m_store;
    DaemonMetrics& m_metrics;
    std::function<void()> m_on_queued;
    UnsavedChanges m_unsaved;
    int m_failures_in_a_row = 0;
};

} // namespace dkimwatch
