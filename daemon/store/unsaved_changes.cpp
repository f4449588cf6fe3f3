#include "store/unsaved_changes.hpp"

#include <iterator>
#include <utility>

namespace dkimwatch {

void UnsavedChanges::add(std::vector<CheckToSave> items, std::vector<OutboxRowInsert> alerts) {
    for (CheckToSave& item : items) {
        const auto [found, inserted] = m_index.emplace(item.key, m_items.size());
        if (inserted) {
            m_items.push_back(std::move(item));
            continue;
        }
        CheckToSave& unsaved = m_items[found->second];
        unsaved.status = std::move(item.status);
        unsaved.events.insert(unsaved.events.end(), std::make_move_iterator(item.events.begin()),
                              std::make_move_iterator(item.events.end()));
        if (!item.keep_records) {
            unsaved.records = std::move(item.records);
            unsaved.checked_at = item.checked_at;
            unsaved.keep_records = false;
        }
    }
    m_alerts.insert(m_alerts.end(), std::make_move_iterator(alerts.begin()),
                    std::make_move_iterator(alerts.end()));
}

void UnsavedChanges::clear() {
    m_items.clear();
    m_index.clear();
    m_alerts.clear();
}

} // namespace dkimwatch
