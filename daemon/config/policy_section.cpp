#include "config/policy_section.hpp"

#include <algorithm>
#include <string>

namespace dkimwatch::config_reading {

namespace {

constexpr int k_max_confirmations = 100;

// A duration that must be more than zero; `seen` may be null.
void read_positive_duration(Reader& reader, const Field& field, KeySeen* seen, Milliseconds& out) {
    if (seen != nullptr) {
        seen->field.emplace(field);
    }
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value <= Milliseconds::zero()) {
        reader.error_at(field, field.path + " must be more than 0s, got " + field.value.Scalar());
        return;
    }
    out = *value;
    if (seen != nullptr) {
        seen->valid = true;
    }
}

} // namespace

void read_confirmations(Reader& reader, const Field& field, Document& document) {
    if (auto value =
            reader.read_int(field, 1, k_max_confirmations,
                            "an integer from 1 to " + std::to_string(k_max_confirmations))) {
        document.config.policy.confirmations = *value;
    }
}

void read_pending_timeout(Reader& reader, const Field& field, Document& document) {
    read_positive_duration(reader, field, nullptr, document.config.policy.pending_timeout);
}

void read_revocation_window(Reader& reader, const Field& field, Document& document) {
    read_positive_duration(reader, field, &document.revocation_window,
                           document.config.policy.revocation_window);
}

// Any duration: parse_duration never gives a negative one, which is all policy_error() forbids.
// 0s raises monitoring_blind once a run of indeterminate checks spans any time at all.
void read_blind_after(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        document.config.policy.blind_after = *value;
    }
}

// Distinct durations more than zero, in any order; [] means no reminders. The comparison with
// revocation_window is in check_across_keys().
void read_reminders(Reader& reader, const Field& field, Document& document) {
    document.reminders.emplace(field);
    if (!field.value.IsSequence()) {
        reader.error_at(field, "reminders must be a sequence of durations such as [48h, 24h, 6h, "
                               "1h] ([] for none), got " +
                                   describe(field.value));
        return;
    }
    std::vector<std::pair<Field, Milliseconds>> items; // the valid ones
    std::vector<std::size_t> indexes;                  // of `items` in the sequence
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field item{"reminders[" + std::to_string(index) + "]", YAML::Node(), *it};
        auto value = reader.read_duration(item);
        if (!value) {
            continue;
        }
        if (*value <= Milliseconds::zero()) {
            reader.error_at(item, item.path + " must be more than 0s, got " + item.value.Scalar());
            continue;
        }
        const auto same = std::find_if(items.begin(), items.end(),
                                       [&](const auto& seen) { return seen.second == *value; });
        if (same != items.end()) {
            const auto first = static_cast<std::size_t>(same - items.begin());
            const std::string& first_text = same->first.value.Scalar();
            reader.error_at(
                item, item.path + ": " + item.value.Scalar() +
                          " is listed twice (first as reminders[" + std::to_string(indexes[first]) +
                          "]" + (first_text == item.value.Scalar() ? "" : ", " + first_text) + ")");
            continue;
        }
        items.emplace_back(item, *value);
        indexes.push_back(index);
    }
    document.config.policy.reminders.clear();
    for (const auto& [item, value] : items) {
        document.config.policy.reminders.push_back(value);
    }
    document.reminder_items = std::move(items);
}

} // namespace dkimwatch::config_reading
