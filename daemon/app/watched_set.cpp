#include "app/watched_set.hpp"

#include "config/ses_identity.hpp"
#include "core/log_value.hpp"
#include "core/shard_selection.hpp"

#include <spdlog/spdlog.h>

namespace dkimwatch {

const SesDomainIdentity* WatchedSet::ses_view(const IdentityKey& key) const {
    const auto found = merged.ses_view.find(key);
    return found == merged.ses_view.end() ? nullptr : found->second;
}

bool WatchedSet::covered(const IdentityKey& key) const {
    return merged.covered.count({key.account, key.region}) > 0;
}

WatchedSet build_watched_set(std::vector<Identity> configured,
                             std::vector<SesInventory> inventories, const Shard& shard) {
    std::vector<Identity> discovered;
    for (const auto& inventory : inventories) {
        for (const auto& domain : inventory.domains) {
            auto identity = identity_from_ses(inventory, domain);
            if (!identity) {
                spdlog::info("event=ses_identity_skipped source={} region={} domain={} reason={}",
                             inventory.source, inventory.region, domain.domain,
                             quote_log_value(identity.error()));
                continue;
            }
            discovered.push_back(std::move(identity).value());
        }
    }
    WatchedSet set;
    set.inventories = std::move(inventories);
    set.merged = merge_inventories(std::move(configured), std::move(discovered), set.inventories);
    set.shard_skipped = restrict_to_shard(shard, set.merged);
    return set;
}

} // namespace dkimwatch
