#include "core/shard_selection.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

Identity identity(std::string domain, std::string region = "us-east-1",
                  std::string account = "111122223333") {
    Identity out;
    out.domain = std::move(domain);
    out.account = std::move(account);
    out.region = std::move(region);
    out.method = EasyDkim{{"tok1", "tok2", "tok3"}, "dkim.amazonses.com", false};
    return out;
}

std::vector<Identity> inventory(int size) {
    std::vector<Identity> out;
    for (int i = 0; i < size; ++i) {
        out.push_back(identity("d" + std::to_string(i) + ".example.com",
                               i % 3 == 0 ? "eu-west-1" : "us-east-1",
                               i % 2 == 0 ? "111122223333" : "444455556666"));
    }
    return out;
}

TEST(OwnedIdentities, TheWholeInventoryKeepsEverythingInOrder) {
    const auto all = inventory(20);
    const OwnedIdentities selected = owned_identities({}, all);
    EXPECT_EQ(selected.skipped, 0u);
    ASSERT_EQ(selected.owned.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(selected.owned[i].key(), all[i].key());
    }
}

// The documented example of core/shard.hpp: shard 2 of 4 owns it, the other three do not.
TEST(OwnedIdentities, KeepsTheDocumentedExampleOnlyInShardTwoOfFour) {
    for (std::uint32_t index = 1; index <= 4; ++index) {
        const OwnedIdentities selected =
            owned_identities({index, 4}, {identity("example.com"), identity("example.com")});
        EXPECT_EQ(selected.owned.size(), index == 2 ? 2u : 0u) << index;
        EXPECT_EQ(selected.skipped, index == 2 ? 0u : 2u) << index;
    }
}

// N shards partition the inventory: each identity is kept by exactly the shard that owns it,
// each shard keeps the inventory's order, and kept + skipped is the whole inventory.
TEST(OwnedIdentities, NShardsPartitionTheInventoryKeepingItsOrder) {
    const auto all = inventory(200);
    std::map<std::string, int> index_of;
    for (std::size_t i = 0; i < all.size(); ++i) {
        index_of[all[i].key().to_string()] = static_cast<int>(i);
    }
    for (std::uint32_t count : {2u, 4u, 5u}) {
        std::map<std::string, int> owners;
        for (std::uint32_t index = 1; index <= count; ++index) {
            const Shard shard{index, count};
            const OwnedIdentities selected = owned_identities(shard, all);
            EXPECT_EQ(selected.owned.size() + selected.skipped, all.size());
            EXPECT_FALSE(selected.owned.empty()) << shard_text(shard);
            int previous = -1;
            for (const auto& kept : selected.owned) {
                EXPECT_TRUE(shard_owns(shard, kept.key()));
                const int position = index_of.at(kept.key().to_string());
                EXPECT_GT(position, previous) << "order changed in " << shard_text(shard);
                previous = position;
                ++owners[kept.key().to_string()];
            }
        }
        EXPECT_EQ(owners.size(), all.size()) << count;
        for (const auto& [key, owned_by] : owners) {
            EXPECT_EQ(owned_by, 1) << key << " of " << count;
        }
    }
}

TEST(RestrictToShard, DropsTheIdentitiesAndSesViewsOfOtherShards) {
    const std::vector<SesDomainIdentity> views(2);
    WatchedInventory watched;
    watched.identities = {identity("example.com"), identity("example.com", "eu-west-1")};
    const IdentityKey owned{"111122223333", "us-east-1", "example.com"};
    const IdentityKey other = watched.identities[1].key();
    ASSERT_FALSE(shard_owns({2, 4}, other)) << "pick another example";
    watched.ses_view[owned] = &views[0];
    watched.ses_view[other] = &views[1];
    watched.covered = {{"111122223333", "us-east-1"}, {"111122223333", "eu-west-1"}};

    EXPECT_EQ(restrict_to_shard({2, 4}, watched), 1u);
    ASSERT_EQ(watched.identities.size(), 1u);
    EXPECT_EQ(watched.identities[0].key(), owned);
    ASSERT_EQ(watched.ses_view.size(), 1u);
    EXPECT_EQ(watched.ses_view.begin()->first, owned);
    EXPECT_EQ(watched.covered.size(), 2u);

    EXPECT_EQ(restrict_to_shard({}, watched), 0u);
    EXPECT_EQ(watched.identities.size(), 1u);
}

} // namespace
} // namespace dkimwatch
