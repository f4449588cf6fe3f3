#include "core/inventory_merge.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

Identity identity(std::string domain, IdentitySource source, std::string token = "tok",
                  std::string region = "us-east-1") {
    Identity out;
    out.domain = std::move(domain);
    out.account = "111122223333";
    out.region = std::move(region);
    out.method = EasyDkim{{token + "1", token + "2", token + "3"}, "dkim.amazonses.com", false};
    out.source = source;
    return out;
}

SesInventory inventory(std::string region, std::vector<std::string> domains) {
    SesInventory out;
    out.source = "prod";
    out.account = "111122223333";
    out.region = std::move(region);
    for (auto& domain : domains) {
        SesDomainIdentity view;
        view.domain = std::move(domain);
        view.signing_enabled = true;
        out.domains.push_back(std::move(view));
    }
    return out;
}

std::vector<std::string> domains(const WatchedInventory& watched) {
    std::vector<std::string> out;
    for (const auto& item : watched.identities) {
        out.push_back(item.domain + "@" + item.region);
    }
    return out;
}

TEST(InventoryMerge, ConfiguredFirstInOrderThenSesOnlySortedByKey) {
    const std::vector<SesInventory> inventories = {inventory("us-east-1", {"a.com", "z.com"}),
                                                   inventory("eu-west-1", {"a.com"})};
    const auto watched = merge_inventories(
        {identity("z.com", IdentitySource::config), identity("m.com", IdentitySource::config),
         identity("b.com", IdentitySource::identities_file)},
        {identity("z.com", IdentitySource::ses, "ses"), identity("a.com", IdentitySource::ses),
         identity("a.com", IdentitySource::ses, "tok", "eu-west-1")},
        inventories);
    EXPECT_EQ(domains(watched),
              (std::vector<std::string>{"z.com@us-east-1", "m.com@us-east-1", "b.com@us-east-1",
                                        "a.com@eu-west-1", "a.com@us-east-1"}));
    // The configured z.com keeps its own key material; the discovered one is dropped.
    EXPECT_EQ(watched.identities[0].source, IdentitySource::config);
    EXPECT_EQ(std::get<EasyDkim>(watched.identities[0].method).tokens[0], "tok1");
    EXPECT_EQ(watched.identities[2].source, IdentitySource::identities_file);
    EXPECT_EQ(watched.identities[3].source, IdentitySource::ses);
}

TEST(InventoryMerge, SesViewPointsIntoTheInventories) {
    const std::vector<SesInventory> inventories = {inventory("us-east-1", {"a.com", "z.com"}),
                                                   inventory("eu-west-1", {"a.com"})};
    const auto watched =
        merge_inventories({identity("m.com", IdentitySource::config)}, {}, inventories);
    ASSERT_EQ(watched.ses_view.size(), 3U);
    const IdentityKey key{"111122223333", "eu-west-1", "a.com"};
    ASSERT_EQ(watched.ses_view.count(key), 1U);
    EXPECT_EQ(watched.ses_view.at(key), &inventories[1].domains[0]);
    EXPECT_EQ(watched.ses_view.at({"111122223333", "us-east-1", "z.com"}),
              &inventories[0].domains[1]);
    EXPECT_EQ(watched.ses_view.count({"111122223333", "us-east-1", "m.com"}), 0U);
    EXPECT_EQ(watched.covered, (std::set<std::pair<std::string, std::string>>{
                                   {"111122223333", "eu-west-1"}, {"111122223333", "us-east-1"}}));
}

TEST(InventoryMerge, DuplicatesKeepTheFirst) {
    const auto watched =
        merge_inventories({identity("a.com", IdentitySource::config, "first"),
                           identity("a.com", IdentitySource::identities_file, "second")},
                          {identity("b.com", IdentitySource::ses, "first"),
                           identity("b.com", IdentitySource::ses, "second")},
                          {});
    ASSERT_EQ(watched.identities.size(), 2U);
    EXPECT_EQ(std::get<EasyDkim>(watched.identities[0].method).tokens[0], "first1");
    EXPECT_EQ(std::get<EasyDkim>(watched.identities[1].method).tokens[0], "first1");
    EXPECT_TRUE(watched.covered.empty());
    EXPECT_TRUE(watched.ses_view.empty());
}

TEST(InventoryMerge, SameAccountRegionTwiceUsesTheFirstView) {
    std::vector<SesInventory> inventories = {inventory("us-east-1", {"a.com"}),
                                             inventory("us-east-1", {"a.com"})};
    inventories[0].source = "one";
    inventories[1].source = "two";
    const auto watched = merge_inventories({}, {}, inventories);
    EXPECT_EQ(watched.ses_view.at({"111122223333", "us-east-1", "a.com"}),
              &inventories[0].domains[0]);
    EXPECT_EQ(watched.covered.size(), 1U);
}

TEST(InventoryMerge, NothingAtAll) {
    const auto watched = merge_inventories({}, {}, {});
    EXPECT_TRUE(watched.identities.empty());
}

} // namespace
} // namespace dkimwatch
