#pragma once
// The daemon's memory of what SES said: the last good inventory of each source (an
// ses.accounts entry and one of its regions) and the health of its syncs. Bookkeeping only:
// the daemon saves the inventories, delivers the events and adopts the identities.
// Not thread-safe: the daemon's main loop owns it.

#include "app/ses_sources.hpp"
#include "core/identity.hpp"
#include "core/ses_events.hpp"
#include "core/ses_view.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

// An SES event and whom it concerns: an identity, or (key.domain empty) a whole account and
// region (ses_sync_failing, ses_sync_recovered).
struct KeyedSesEvent {
    IdentityKey key;
    SesEvent event;
};

class SesTracker {
public:
    using StateLookup = std::function<std::optional<IdentityState>(const IdentityKey&)>;

    // What one listing changed.
    struct Applied {
        std::vector<KeyedSesEvent> events;
        // The identities to watch may differ (a domain added or gone, new tokens, another
        // origin): the watched set is to be built and adopted again.
        bool inventory_changed = false;
        // Identities whose records are to be checked now (SES turned FAILED while verified).
        std::vector<IdentityKey> recheck;
        // The new inventory when the listing succeeded (to save and publish); nullptr otherwise.
        const SesInventory* inventory = nullptr;
        // The account and region the listing concerns ("" account when never learnt).
        std::string account;
        std::string region;
    };

    // Keeps only the sources `settings` names (a reload may drop some). Returns true when an
    // inventory was dropped (the watched set then changes).
    bool configure(const SesSettings& settings);
    // The inventories saved in the state database, at start (before configure()).
    void restore(std::vector<SesInventory> inventories);

    // A listing's result at `now`. `state_of` gives the tracked state of an identity (for the
    // immediate re-check on FAILED), nullopt when it is not tracked.
    Applied apply(const SesSourceOutcome& outcome, TimePoint now, const StateLookup& state_of);

    // Every good inventory, by source and region (copies, for build_watched_set).
    std::vector<SesInventory> inventories() const;
    bool has_inventories() const { return !m_inventories.empty(); }
    // The health of a source's syncs (default when never synced).
    SesSyncHealth health(const std::string& name, const std::string& region) const;

private:
    using SourceKey = std::pair<std::string, std::string>; // (ses.accounts[].name, region)
    std::map<SourceKey, SesInventory> m_inventories;
    std::map<SourceKey, SesSyncHealth> m_health;
};

// Whether two inventories would give different watched identities (domains, origins, tokens,
// signing hosted zones, account or region), as opposed to only statuses and flags.
bool watched_identities_differ(const SesInventory& before, const SesInventory& after);

} // namespace dkimwatch
