#include "app/ses_tracker.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TimePoint at(int seconds) {
    return TimePoint{std::chrono::seconds{1'800'000'000 + seconds}};
}

SesDomainIdentity domain(std::string name, SesDkimStatus status, bool signing = true) {
    SesDomainIdentity identity;
    identity.domain = std::move(name);
    identity.status = status;
    identity.status_text = ses_dkim_status_name(status);
    identity.signing_enabled = signing;
    identity.origin = "AWS_SES";
    identity.tokens = {"aaaa", "bbbb", "cccc"};
    identity.signing_hosted_zone = "dkim.amazonses.com";
    return identity;
}

SesSourceOutcome listed(std::vector<SesDomainIdentity> domains, TimePoint when) {
    SesSourceOutcome outcome;
    outcome.name = "prod";
    outcome.region = "us-east-1";
    outcome.account = "111122223333";
    SesInventory inventory;
    inventory.source = "prod";
    inventory.account = "111122223333";
    inventory.region = "us-east-1";
    inventory.synced_at = when;
    inventory.domains = std::move(domains);
    outcome.inventory = std::move(inventory);
    return outcome;
}

SesSourceOutcome failed(std::string error) {
    SesSourceOutcome outcome;
    outcome.name = "prod";
    outcome.region = "us-east-1";
    outcome.error = std::move(error);
    return outcome;
}

SesSettings one_source() {
    SesSettings settings;
    SesAccountConfig account;
    account.name = "prod";
    account.regions = {"us-east-1"};
    settings.accounts.push_back(account);
    return settings;
}

const SesTracker::StateLookup verified = [](const IdentityKey&) {
    return std::optional<IdentityState>(IdentityState::verified);
};

TEST(SesTracker, TheFirstListingChangesTheInventoryAndRaisesWhatIsWrong) {
    SesTracker tracker;
    tracker.configure(one_source());
    const auto applied =
        tracker.apply(listed({domain("a.test", SesDkimStatus::success),
                              domain("b.test", SesDkimStatus::success, /*signing=*/false)},
                             at(0)),
                      at(0), verified);
    EXPECT_TRUE(applied.inventory_changed);
    ASSERT_NE(applied.inventory, nullptr);
    EXPECT_EQ(applied.inventory->domains.size(), 2u);
    ASSERT_EQ(applied.events.size(), 1u);
    EXPECT_EQ(applied.events[0].key, (IdentityKey{"111122223333", "us-east-1", "b.test"}));
    EXPECT_EQ(applied.events[0].event.kind, SesEventKind::signing_disabled);
    EXPECT_TRUE(applied.recheck.empty());
    EXPECT_TRUE(tracker.has_inventories());
}

TEST(SesTracker, AStatusChangeIsAnEventButNotANewInventory) {
    SesTracker tracker;
    tracker.configure(one_source());
    tracker.apply(listed({domain("a.test", SesDkimStatus::success)}, at(0)), at(0), verified);
    const auto applied =
        tracker.apply(listed({domain("a.test", SesDkimStatus::failed)}, at(60)), at(60), verified);
    EXPECT_FALSE(applied.inventory_changed);
    ASSERT_EQ(applied.events.size(), 1u);
    EXPECT_EQ(applied.events[0].event.kind, SesEventKind::ses_status_changed);
    EXPECT_EQ(applied.events[0].event.from, "SUCCESS");
    EXPECT_EQ(applied.events[0].event.to, "FAILED");
    // FAILED while verified: the records are checked again at once.
    ASSERT_EQ(applied.recheck.size(), 1u);
    EXPECT_EQ(applied.recheck[0].domain, "a.test");
}

TEST(SesTracker, NewTokensOrANewDomainChangeTheInventory) {
    SesTracker tracker;
    tracker.configure(one_source());
    tracker.apply(listed({domain("a.test", SesDkimStatus::success)}, at(0)), at(0), verified);
    auto renewed = domain("a.test", SesDkimStatus::success);
    renewed.tokens = {"dddd", "eeee", "ffff"};
    EXPECT_TRUE(tracker.apply(listed({renewed}, at(60)), at(60), verified).inventory_changed);
    EXPECT_TRUE(tracker
                    .apply(listed({renewed, domain("b.test", SesDkimStatus::success)}, at(120)),
                           at(120), verified)
                    .inventory_changed);
    EXPECT_TRUE(tracker.apply(listed({renewed}, at(180)), at(180), verified).inventory_changed);
}

TEST(SesTracker, FailuresKeepTheLastGoodInventoryAndRaiseSyncFailingOnTheThird) {
    SesTracker tracker;
    tracker.configure(one_source());
    tracker.apply(listed({domain("a.test", SesDkimStatus::success)}, at(0)), at(0), verified);
    for (int attempt = 1; attempt <= 2; ++attempt) {
        const auto applied = tracker.apply(failed("connection refused"), at(attempt), verified);
        EXPECT_TRUE(applied.events.empty());
        EXPECT_EQ(applied.inventory, nullptr);
        EXPECT_EQ(applied.account, "111122223333"); // from the last good inventory
    }
    const auto third = tracker.apply(failed("connection refused"), at(3), verified);
    ASSERT_EQ(third.events.size(), 1u);
    EXPECT_EQ(third.events[0].event.kind, SesEventKind::ses_sync_failing);
    EXPECT_EQ(third.events[0].key, (IdentityKey{"111122223333", "us-east-1", ""}));
    EXPECT_EQ(tracker.inventories().size(), 1u);
    EXPECT_EQ(tracker.health("prod", "us-east-1").consecutive_failures, 3);

    const auto back =
        tracker.apply(listed({domain("a.test", SesDkimStatus::success)}, at(4)), at(4), verified);
    ASSERT_EQ(back.events.size(), 1u);
    EXPECT_EQ(back.events[0].event.kind, SesEventKind::ses_sync_recovered);
    EXPECT_FALSE(back.inventory_changed);
}

TEST(SesTracker, RestoredInventoriesOfSourcesNoLongerConfiguredAreDropped) {
    SesTracker tracker;
    auto kept = *listed({domain("a.test", SesDkimStatus::success)}, at(0)).inventory;
    auto gone = kept;
    gone.source = "old";
    tracker.restore({kept, gone});
    EXPECT_EQ(tracker.inventories().size(), 2u);
    EXPECT_TRUE(tracker.configure(one_source()));
    ASSERT_EQ(tracker.inventories().size(), 1u);
    EXPECT_EQ(tracker.inventories()[0].source, "prod");
    EXPECT_FALSE(tracker.configure(one_source()));
    // A restored inventory is the "before" of the first listing: nothing new, nothing raised.
    const auto applied =
        tracker.apply(listed({domain("a.test", SesDkimStatus::success)}, at(9)), at(9), verified);
    EXPECT_FALSE(applied.inventory_changed);
    EXPECT_TRUE(applied.events.empty());
}

} // namespace
} // namespace dkimwatch
