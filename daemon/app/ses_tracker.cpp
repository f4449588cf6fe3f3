#include "app/ses_tracker.hpp"

#include <set>
#include <tuple>

namespace dkimwatch {

bool SesTracker::configure(const SesSettings& settings) {
    std::set<SourceKey> configured;
    for (const auto& account : settings.accounts) {
        for (const auto& region : account.regions) {
            configured.insert({account.name, region});
        }
    }
    bool dropped = false;
    for (auto it = m_inventories.begin(); it != m_inventories.end();) {
        if (configured.count(it->first) == 0) {
            it = m_inventories.erase(it);
            dropped = true;
        } else {
            ++it;
        }
    }
    for (auto it = m_health.begin(); it != m_health.end();) {
        it = configured.count(it->first) == 0 ? m_health.erase(it) : std::next(it);
    }
    return dropped;
}

void SesTracker::restore(std::vector<SesInventory> inventories) {
    for (auto& inventory : inventories) {
        SourceKey key{inventory.source, inventory.region};
        m_inventories.insert_or_assign(std::move(key), std::move(inventory));
    }
}

SesTracker::Applied SesTracker::apply(const SesSourceOutcome& outcome, TimePoint now,
                                      const StateLookup& state_of) {
    Applied applied;
    applied.region = outcome.region;
    const SourceKey source{outcome.name, outcome.region};
    const auto previous = m_inventories.find(source);
    applied.account = outcome.inventory                 ? outcome.inventory->account
                      : previous != m_inventories.end() ? previous->second.account
                                                        : outcome.account;

    SesSyncOutcome health = on_sync_result(m_health[source], outcome.ok(), now, outcome.error);
    m_health[source] = health.health;
    for (auto& event : health.events) {
        applied.events.push_back({{applied.account, outcome.region, ""}, std::move(event)});
    }
    if (!outcome.inventory) {
        return applied;
    }

    const SesInventory& next = *outcome.inventory;
    const SesInventory* before = previous == m_inventories.end() ? nullptr : &previous->second;
    std::map<std::string, const SesDomainIdentity*> before_by_domain;
    if (before != nullptr) {
        for (const auto& domain : before->domains) {
            before_by_domain.emplace(domain.domain, &domain);
        }
    }
    for (const auto& domain : next.domains) {
        const auto found = before_by_domain.find(domain.domain);
        const SesDomainIdentity* old = found == before_by_domain.end() ? nullptr : found->second;
        const IdentityKey key{next.account, next.region, domain.domain};
        for (auto& event : ses_identity_events(old, domain, now)) {
            applied.events.push_back({key, std::move(event)});
        }
        const auto state = state_of ? state_of(key) : std::nullopt;
        if (state && ses_wants_recheck(old, domain, *state)) {
            applied.recheck.push_back(key);
        }
    }
    applied.inventory_changed = before == nullptr || watched_identities_differ(*before, next);
    auto stored = m_inventories.insert_or_assign(source, next).first;
    applied.inventory = &stored->second;
    return applied;
}

std::vector<SesInventory> SesTracker::inventories() const {
    std::vector<SesInventory> all;
    all.reserve(m_inventories.size());
    for (const auto& [source, inventory] : m_inventories) {
        all.push_back(inventory);
    }
    return all;
}

SesSyncHealth SesTracker::health(const std::string& name, const std::string& region) const {
    const auto found = m_health.find({name, region});
    return found == m_health.end() ? SesSyncHealth{} : found->second;
}

bool watched_identities_differ(const SesInventory& before, const SesInventory& after) {
    if (before.account != after.account || before.region != after.region ||
        before.domains.size() != after.domains.size()) {
        return true;
    }
    for (std::size_t index = 0; index < before.domains.size(); ++index) {
        const auto& a = before.domains[index];
        const auto& b = after.domains[index];
        if (std::tie(a.domain, a.origin, a.tokens, a.signing_hosted_zone) !=
            std::tie(b.domain, b.origin, b.tokens, b.signing_hosted_zone)) {
            return true;
        }
    }
    return false;
}

} // namespace dkimwatch
