#include "core/shard.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace dkimwatch {
namespace {

TEST(ParseShard, AcceptsKOfN) {
    auto shard = parse_shard("2/4");
    ASSERT_TRUE(shard) << shard.error();
    EXPECT_EQ(*shard, (Shard{2, 4}));
    EXPECT_EQ(shard_text(*shard), "2/4");
    EXPECT_EQ(*parse_shard("1/1"), (Shard{1, 1}));
    EXPECT_EQ(*parse_shard("1024/1024"), (Shard{1024, 1024}));
}

TEST(ParseShard, RefusesWhatIsNotAShard) {
    for (const char* text : {"", "2", "/4", "2/", "2/4/", " 2/4", "2 /4", "+2/4", "-1/4", "2/x",
                             "0x2/4", "2/4 ", "99999999999/4"}) {
        auto shard = parse_shard(text);
        ASSERT_FALSE(shard) << text;
        EXPECT_EQ(shard.error(), "a shard is \"K/N\", e.g. \"2/4\" for the second of four") << text;
    }
    EXPECT_EQ(parse_shard("5/4").error(),
              "the shard 5/4 does not exist: K must be between 1 and N");
    EXPECT_EQ(parse_shard("0/4").error(),
              "the shard 0/4 does not exist: K must be between 1 and N");
    EXPECT_EQ(parse_shard("0/0").error(), "N must be between 1 and 1024, got 0");
    EXPECT_EQ(parse_shard("1/1025").error(), "N must be between 1 and 1024, got 1025");
}

// The documented hash (core/shard.hpp): a contract across hosts and versions. The expected
// values were computed independently with Python's hashlib:
//   int.from_bytes(hashlib.sha256("\n".join(key).encode()).digest()[:8], "big")
TEST(IdentityShardHash, IsTheDocumentedSha256Prefix) {
    EXPECT_EQ(identity_shard_hash({"111122223333", "us-east-1", "example.com"}),
              0x20b3435a9ea3d335ULL);
    EXPECT_EQ(identity_shard_hash({"", "", "example.org"}), 0x2303b701ff7f20e6ULL);
    EXPECT_TRUE(shard_owns({2, 4}, {"111122223333", "us-east-1", "example.com"}));
    EXPECT_FALSE(shard_owns({1, 4}, {"111122223333", "us-east-1", "example.com"}));
}

// A whole SES source is owned as the identity key (account, region, "") is: the hash of an empty
// domain is the documented one (again computed with hashlib, as above).
TEST(ShardOwnsSource, IsTheShardOfTheKeyWithAnEmptyDomain) {
    EXPECT_EQ(identity_shard_hash({"111122223333", "us-east-1", ""}), 0xf6f9c39abd2d1504ULL);
    EXPECT_EQ(identity_shard_hash({"111122223333", "eu-west-1", ""}), 0x4e8cf0b6dfbd0c55ULL);
    EXPECT_EQ(identity_shard_hash({"", "", ""}), 0x75a11da44c802486ULL);
    // 0xf6f9c39abd2d1504 mod 3 = 2, mod 4 = 0; 0x4e8cf0b6dfbd0c55 mod 3 = 0, mod 4 = 1.
    EXPECT_TRUE(shard_owns_source({3, 3}, "111122223333", "us-east-1"));
    EXPECT_FALSE(shard_owns_source({1, 3}, "111122223333", "us-east-1"));
    EXPECT_FALSE(shard_owns_source({2, 3}, "111122223333", "us-east-1"));
    EXPECT_TRUE(shard_owns_source({1, 4}, "111122223333", "us-east-1"));
    EXPECT_TRUE(shard_owns_source({1, 3}, "111122223333", "eu-west-1"));
    EXPECT_TRUE(shard_owns_source({2, 4}, "111122223333", "eu-west-1"));
    EXPECT_TRUE(shard_owns_source({3, 3}, "", ""));
    EXPECT_TRUE(shard_owns_source({}, "111122223333", "us-east-1")); // 1/1 owns everything
}

// Every source belongs to exactly one of N shards.
TEST(ShardOwnsSource, NShardsOwnEverySourceExactlyOnce) {
    for (std::uint32_t count : {2u, 3u, 5u}) {
        for (const char* region : {"us-east-1", "eu-west-1", "ap-southeast-2", ""}) {
            int owners = 0;
            for (std::uint32_t index = 1; index <= count; ++index) {
                owners += shard_owns_source({index, count}, "111122223333", region) ? 1 : 0;
            }
            EXPECT_EQ(owners, 1) << region << " of " << count;
        }
    }
}

TEST(ShardOwns, TheWholeInventoryOwnsEverything) {
    EXPECT_TRUE(shard_owns({}, {"111122223333", "us-east-1", "example.com"}));
    EXPECT_TRUE(is_whole_inventory({}));
    EXPECT_FALSE(is_whole_inventory({1, 2}));
}

// Every identity belongs to exactly one of N shards, and the shards are about even.
TEST(ShardOwns, NShardsCoverEveryIdentityExactlyOnce) {
    constexpr int k_identities = 4000;
    for (std::uint32_t count : {2u, 4u, 5u, 7u}) {
        std::map<std::uint32_t, int> sizes;
        for (int i = 0; i < k_identities; ++i) {
            const IdentityKey key{"111122223333", i % 2 == 0 ? "us-east-1" : "eu-west-1",
                                  "d" + std::to_string(i) + ".example.com"};
            int owners = 0;
            for (std::uint32_t index = 1; index <= count; ++index) {
                if (shard_owns({index, count}, key)) {
                    ++owners;
                    ++sizes[index];
                }
            }
            ASSERT_EQ(owners, 1) << key.to_string() << " of " << count;
        }
        for (const auto& [index, size] : sizes) {
            EXPECT_NEAR(size, k_identities / static_cast<int>(count),
                        k_identities / static_cast<int>(count) / 5)
                << index << "/" << count;
        }
    }
}

} // namespace
} // namespace dkimwatch
