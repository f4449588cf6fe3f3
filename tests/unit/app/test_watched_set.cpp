#include "app/watched_set.hpp"
#include "core/shard.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <vector>

using namespace dkimwatch;

namespace {

const std::string k_account = "111122223333";

Identity configured(std::string domain) {
    Identity id;
    id.domain = std::move(domain);
    id.account = k_account;
    id.region = "us-east-1";
    id.method = EasyDkim{{"cfg1", "cfg2", "cfg3"}, "dkim.amazonses.com", false};
    return id;
}

SesInventory inventory(const std::vector<std::string>& domains) {
    SesInventory out;
    out.source = "prod";
    out.account = k_account;
    out.region = "us-east-1";
    for (const auto& domain : domains) {
        SesDomainIdentity view;
        view.domain = domain;
        view.signing_enabled = true;
        view.origin = "AWS_SES";
        view.tokens = {"tok1", "tok2", "tok3"};
        out.domains.push_back(std::move(view));
    }
    return out;
}

std::vector<std::string> names(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) {
        out.push_back("d" + std::to_string(i) + ".example.com");
    }
    return out;
}

// The configured and the SES-discovered identities are both cut to the shard, after the merge
// (a domain both name is one identity, owned once); SES's views follow; the inventories stay
// whole (they are saved and counted per source).
TEST(WatchedSet, KeepsOnlyTheShardsIdentitiesFromEverySource) {
    const Shard shard{2, 3};
    std::vector<Identity> config;
    for (const auto& name : names(0, 30)) {
        config.push_back(configured(name));
    }
    const WatchedSet whole = build_watched_set(config, {inventory(names(20, 60))}, {});
    ASSERT_EQ(whole.merged.identities.size(), 60u);
    EXPECT_EQ(whole.shard_skipped, 0u);

    const WatchedSet set = build_watched_set(config, {inventory(names(20, 60))}, shard);
    std::set<std::string> expected;
    for (const auto& identity : whole.merged.identities) {
        if (shard_owns(shard, identity.key())) {
            expected.insert(identity.domain);
        }
    }
    ASSERT_FALSE(expected.empty());
    ASSERT_LT(expected.size(), 60u);
    std::set<std::string> got;
    for (const auto& identity : set.merged.identities) {
        EXPECT_TRUE(got.insert(identity.domain).second) << identity.domain;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(set.shard_skipped, 60u - expected.size());
    for (const auto& [key, view] : set.merged.ses_view) {
        EXPECT_TRUE(shard_owns(shard, key)) << key.to_string();
        EXPECT_NE(set.ses_view(key), nullptr);
    }
    EXPECT_EQ(set.merged.ses_view.size(),
              static_cast<std::size_t>(std::count_if(
                  whole.merged.ses_view.begin(), whole.merged.ses_view.end(),
                  [&shard](const auto& entry) { return shard_owns(shard, entry.first); })));
    ASSERT_EQ(set.inventories.size(), 1u);
    EXPECT_EQ(set.inventories[0].domains.size(), 40u);
    EXPECT_TRUE(set.covered({k_account, "us-east-1", "any.example.com"}));
}

} // namespace
