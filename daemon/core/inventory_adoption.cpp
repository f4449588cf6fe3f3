#include "core/inventory_adoption.hpp"

#include "core/status_repair.hpp"

namespace dkimwatch {

AdoptionPlan adopt_inventory(const AdoptionInput& input) {
    std::map<IdentityKey, std::size_t> tracked_index; // first occurrence wins
    for (std::size_t index = 0; index < input.tracked.size(); ++index) {
        tracked_index.emplace(input.tracked[index].key, index);
    }
    AdoptionPlan plan;
    plan.identities.reserve(input.identities.size());
    std::vector<bool> still_tracked(input.tracked.size(), false);
    for (std::size_t index = 0; index < input.identities.size(); ++index) {
        const Identity& identity = input.identities[index];
        IdentityKey key = identity.key();
        const std::string fingerprint = identity_fingerprint(identity);
        AdoptedIdentity adopted;
        if (auto found = tracked_index.find(key); found != tracked_index.end()) {
            const TrackedEntry& entry = input.tracked[found->second];
            adopted.kept_from = found->second;
            still_tracked[found->second] = true;
            adopted.status = *entry.status;
            adopted.status.fingerprint = entry.fingerprint;
        } else if (auto stored = input.stored->find(key); stored != input.stored->end()) {
            auto repair = repair_status(stored->second, input.now, input.policy);
            adopted.status = std::move(repair.status);
            if (!repair.repairs.empty()) {
                plan.repairs.push_back({key, std::move(repair.repairs)});
                plan.to_save.push_back({key, adopted.status, {}, /*keep_records=*/true});
            }
        } else {
            adopted.status = initial_status(fingerprint, input.now);
            plan.to_save.push_back({key, adopted.status, {}, /*keep_records=*/false});
        }
        if (adopted.status.fingerprint != fingerprint) {
            auto transition = on_config(adopted.status, fingerprint, input.now);
            adopted.status = std::move(transition.status);
            adopted.restarted = true;
            for (const auto& event : transition.events) {
                plan.alerts.push_back({index, key, event});
            }
            plan.to_save.push_back(
                {key, adopted.status, std::move(transition.events), /*keep_records=*/false});
        }

        const auto id = static_cast<ScheduleId>(index);
        if (adopted.kept_from && !adopted.restarted && input.tracked[*adopted.kept_from].due) {
            plan.kept_due.emplace_back(id, *input.tracked[*adopted.kept_from].due);
        } else {
            plan.to_spread.push_back(
                {id, adopted.restarted ? std::nullopt : adopted.status.last_check_at});
        }
        plan.identities.push_back(std::move(adopted));
    }
    for (std::size_t index = 0; index < input.tracked.size(); ++index) {
        if (!still_tracked[index]) {
            plan.removed.push_back(input.tracked[index].key);
        }
    }
    return plan;
}

} // namespace dkimwatch
