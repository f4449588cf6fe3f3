#pragma once
// The identities to watch at one moment: the configuration's (YAML and identities_file) and
// those SES lists (each good inventory's domain identities, converted by
// config/ses_identity), merged by core/inventory_merge (the configuration wins where both name
// an identity), restricted to the process's shard (core/shard_selection). Shared by `check` and
// the daemon (start-up, reload, every SES sync).

#include "core/identity.hpp"
#include "core/inventory_merge.hpp"
#include "core/ses_view.hpp"
#include "core/shard.hpp"

#include <cstddef>
#include <vector>

namespace dkimwatch {

// Move-only: `merged.ses_view` points into `inventories` (a move keeps the elements where
// they are; a copy would not).
struct WatchedSet {
    std::vector<SesInventory> inventories; // the good inventories, one per source and region
    WatchedInventory merged;               // only the identities (and SES views) the shard owns
    // The merged identities another shard owns (left out of `merged`); 0 for the whole inventory.
    std::size_t shard_skipped = 0;

    WatchedSet() = default;
    WatchedSet(WatchedSet&&) = default;
    WatchedSet& operator=(WatchedSet&&) = default;
    WatchedSet(const WatchedSet&) = delete;
    WatchedSet& operator=(const WatchedSet&) = delete;

    // SES's view of `key`, or nullptr when no inventory lists it.
    const SesDomainIdentity* ses_view(const IdentityKey& key) const;
    // Whether an ses.accounts entry covers the identity's account and region.
    bool covered(const IdentityKey& key) const;
};

// SES domain identities that cannot be watched (no DKIM tokens: DKIM never set up) are left
// out and logged at info level (event=ses_identity_skipped). Only the identities `shard` owns
// are kept (restrict_to_shard); `inventories` are kept whole.
WatchedSet build_watched_set(std::vector<Identity> configured,
                             std::vector<SesInventory> inventories, const Shard& shard);

} // namespace dkimwatch
