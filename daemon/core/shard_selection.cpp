#include "core/shard_selection.hpp"

namespace dkimwatch {

OwnedIdentities owned_identities(const Shard& shard, std::vector<Identity> identities) {
    OwnedIdentities out;
    if (is_whole_inventory(shard)) {
        out.owned = std::move(identities);
        return out;
    }
    out.owned.reserve(identities.size() / shard.count + 1);
    for (auto& identity : identities) {
        if (shard_owns(shard, identity.key())) {
            out.owned.push_back(std::move(identity));
        } else {
            ++out.skipped;
        }
    }
    return out;
}

std::size_t restrict_to_shard(const Shard& shard, WatchedInventory& inventory) {
    if (is_whole_inventory(shard)) {
        return 0;
    }
    OwnedIdentities selected = owned_identities(shard, std::move(inventory.identities));
    inventory.identities = std::move(selected.owned);
    std::erase_if(inventory.ses_view,
                  [&shard](const auto& entry) { return !shard_owns(shard, entry.first); });
    return selected.skipped;
}

} // namespace dkimwatch
