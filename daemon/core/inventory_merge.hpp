#pragma once
// The watched set from the three sources of identities: the YAML configuration, the
// identities_file, and SES itself (discovery). Pure; thread-safe.

#include "core/identity.hpp"
#include "core/ses_view.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

struct WatchedInventory {
    // The configured identities first (config, then identities_file: the order given), then the
    // identities only SES names, sorted by key. Keys are unique.
    std::vector<Identity> identities;
    // SES's view of every DOMAIN identity of `inventories`, by (account, region, domain).
    // The pointers point into the `inventories` passed to merge_inventories: valid while that
    // vector lives and is not changed; copy the views out to keep them longer.
    std::map<IdentityKey, const SesDomainIdentity*> ses_view;
    // The (account, region) pairs some inventory covers: an identity of such a pair that is
    // not in ses_view is one SES does not list (not_in_ses).
    std::set<std::pair<std::string, std::string>> covered;
};

// Merges the sources. `configured` are the config's and identities_file's identities, in that
// order; `discovered` the identities converted from `inventories` (source == ses). Where both
// name one key, the configured identity (its key material) is kept and the discovered one is
// dropped: the cross-check (tokens_differ) reports any difference. Within `configured` and
// within `discovered`, the first of several identities with one key is kept. Where two
// inventories cover the same account and region, the first one's view of a domain is used.
WatchedInventory merge_inventories(std::vector<Identity> configured,
                                   std::vector<Identity> discovered,
                                   const std::vector<SesInventory>& inventories);

} // namespace dkimwatch
