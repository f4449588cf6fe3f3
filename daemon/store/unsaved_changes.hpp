#pragma once
// What the daemon has applied in memory but could not save yet (a full disk, an I/O error, a
// write lock held too long): per identity its newest status, the events not yet in the history
// (in the order they were raised) and the records of its newest check; and the alert outbox rows
// not yet queued (in order). The daemon acts on a transition at once (metrics, logs) even when
// it cannot be saved, so that the first failing check it observed, and the deadline counted from
// it, are never lost; what is unsaved here is written with the next batch, in the same
// transaction, and therefore reaches the database exactly once, as soon as a write succeeds.
// Thread-safety: none; owned by the daemon's loop.

#include "store/state_store.hpp"

#include <cstddef>
#include <map>
#include <span>
#include <vector>

namespace dkimwatch {

class UnsavedChanges {
public:
    // Adds `items` and `alerts` after what is already unsaved. An identity already present keeps
    // one item: its status becomes the newer one, the newer events are appended, and its records
    // are replaced by those of a newer check (an item with keep_records leaves them as they are).
    void add(std::vector<CheckToSave> items, std::vector<OutboxRowInsert> alerts);

    // The merged items, in the order their identities were first added, and the alert rows.
    std::span<const CheckToSave> items() const { return m_items; }
    std::span<const OutboxRowInsert> alerts() const { return m_alerts; }

    bool empty() const { return m_items.empty() && m_alerts.empty(); }
    // Identities with an unsaved item.
    std::size_t identities() const { return m_items.size(); }
    void clear();

private:
    std::vector<CheckToSave> m_items;
    std::map<IdentityKey, std::size_t> m_index; // key -> index in m_items
    std::vector<OutboxRowInsert> m_alerts;
};

} // namespace dkimwatch
