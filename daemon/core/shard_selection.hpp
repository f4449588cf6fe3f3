#pragma once
// The part of an inventory that one shard watches (config: shard: "K/N"; core/shard.hpp
// defines which identities a shard owns). Applied where the inventory is formed (app/watched_set
// and the daemon's adoption), so that the daemon, `check` and the zone watch see only the owned
// identities. Pure; thread-safe.

#include "core/identity.hpp"
#include "core/inventory_merge.hpp"
#include "core/shard.hpp"

#include <cstddef>
#include <vector>

namespace dkimwatch {

struct OwnedIdentities {
    std::vector<Identity> owned; // the identities `shard` owns, in the order given
    std::size_t skipped = 0;     // how many it does not own (left out)
};

// Keeps the identities shard_owns(shard, identity.key()). The whole inventory (1/1) keeps every
// identity and skips none.
OwnedIdentities owned_identities(const Shard& shard, std::vector<Identity> identities);

// Restricts a merged inventory to `shard`: its identities as owned_identities() does, and its
// SES views to the owned keys. `covered` is left whole (it is per account and region). Returns
// the number of identities left out.
std::size_t restrict_to_shard(const Shard& shard, WatchedInventory& inventory);

} // namespace dkimwatch
