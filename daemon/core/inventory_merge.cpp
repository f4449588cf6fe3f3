#include "core/inventory_merge.hpp"

#include <algorithm>

namespace dkimwatch {

WatchedInventory merge_inventories(std::vector<Identity> configured,
                                   std::vector<Identity> discovered,
                                   const std::vector<SesInventory>& inventories) {
    WatchedInventory out;
    std::set<IdentityKey> seen;
    out.identities.reserve(configured.size() + discovered.size());
    for (auto& identity : configured) {
        if (seen.insert(identity.key()).second) {
            out.identities.push_back(std::move(identity));
        }
    }
    std::vector<Identity> only_ses;
    for (auto& identity : discovered) {
        if (seen.insert(identity.key()).second) {
            only_ses.push_back(std::move(identity));
        }
    }
    std::stable_sort(
        only_ses.begin(), only_ses.end(),
        [](const Identity& left, const Identity& right) { return left.key() < right.key(); });
    for (auto& identity : only_ses) {
        out.identities.push_back(std::move(identity));
    }
    for (const auto& inventory : inventories) {
        out.covered.emplace(inventory.account, inventory.region);
        for (const auto& domain : inventory.domains) {
            out.ses_view.emplace(IdentityKey{inventory.account, inventory.region, domain.domain},
                                 &domain);
        }
    }
    return out;
}

} // namespace dkimwatch
