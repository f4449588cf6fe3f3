#include "app/state_commands.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

// core/shard.hpp's documented example: shard 2 of 4 owns it.
const IdentityKey k_owned_by_two{"111122223333", "us-east-1", "example.com"};

TEST(HistoryShows, OnlyTheIdentitiesTheShardOwns) {
    for (std::uint32_t index = 1; index <= 4; ++index) {
        EXPECT_EQ(history_shows(Shard{index, 4}, k_owned_by_two), index == 2) << index;
    }
    EXPECT_TRUE(history_shows(Shard{}, k_owned_by_two));
}

TEST(HistoryShows, EntriesWithoutADomainInEveryShard) {
    // An SES source's events name its account and region only.
    for (std::uint32_t index = 1; index <= 4; ++index) {
        EXPECT_TRUE(history_shows(Shard{index, 4}, IdentityKey{"111122223333", "us-east-1", ""}))
            << index;
    }
}

} // namespace
} // namespace dkimwatch
