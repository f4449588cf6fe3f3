#include "core/check_capacity.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

Identity easy_identity() {
    Identity identity;
    identity.domain = "example.test";
    identity.method = EasyDkim{{"t1", "t2", "t3"}, "dkim.amazonses.com", false};
    return identity;
}

Identity byodkim_identity() {
    Identity identity;
    identity.domain = "example.test";
    identity.method = Byodkim{"sel", {}, 2048, "public_key"};
    return identity;
}

TEST(QueriesPerCheck, CnameAndTxtPerEasyDkimTokenOneTxtForByodkim) {
    EXPECT_EQ(queries_per_check(easy_identity()), 6u);
    EXPECT_EQ(queries_per_check(byodkim_identity()), 1u);
    // The authoritative check: one directed query per record per server address, and for Easy
    // DKIM the CNAME target followed through the resolvers once per record.
    EXPECT_EQ(queries_per_check(easy_identity(), 1), 12u);
    EXPECT_EQ(queries_per_check(easy_identity(), 4), 21u);
    EXPECT_EQ(queries_per_check(byodkim_identity(), 4), 5u);
}

// The issue's figure: 100,000 identities at the default 1000 q/s, 3 queries each, need 300 s.
TEST(CheckCapacity, TheIssuesExampleCannotKeepUpWithAMinute) {
    const CheckCapacity capacity = check_capacity(100'000, 300'000, 1000, 60s);
    EXPECT_EQ(capacity.identities, 100'000u);
    EXPECT_EQ(capacity.queries, 300'000u);
    EXPECT_DOUBLE_EQ(capacity.queries_per_identity(), 3.0);
    EXPECT_EQ(capacity.max_qps, 1000);
    EXPECT_EQ(capacity.needed, 300s);
    EXPECT_EQ(capacity.check_interval, 60s);
    EXPECT_FALSE(capacity.keeps_up());
}

TEST(CheckCapacity, ExactlyOneIntervalKeepsUpOneQueryMoreDoesNot) {
    EXPECT_TRUE(check_capacity(100, 600, 10, 60s).keeps_up());
    const CheckCapacity over = check_capacity(100, 601, 10, 60s);
    EXPECT_EQ(over.needed, 60'100ms);
    EXPECT_FALSE(over.keeps_up());
}

TEST(CheckCapacity, NeededTimeIsRoundedUpToTheMillisecond) {
    EXPECT_EQ(check_capacity(1, 1, 3, 1s).needed, 334ms);
    EXPECT_EQ(check_capacity(1, 6, 1000, 1s).needed, 6ms);
}

TEST(CheckCapacity, UnlimitedRateAlwaysKeepsUp) {
    for (const int qps : {0, -5}) {
        const CheckCapacity capacity = check_capacity(10'000'000, 60'000'000, qps, 1s);
        EXPECT_EQ(capacity.max_qps, 0);
        EXPECT_EQ(capacity.needed, 0ms);
        EXPECT_TRUE(capacity.keeps_up());
    }
}

TEST(CheckCapacity, EmptyInventoryKeepsUp) {
    const CheckCapacity capacity = check_capacity(0, 0, 1000, 1s);
    EXPECT_TRUE(capacity.keeps_up());
    EXPECT_DOUBLE_EQ(capacity.queries_per_identity(), 0.0);
}

// The figure the issue saw fall behind: 10,000 Easy DKIM identities with a 1 s interval.
TEST(CheckCapacity, TenThousandEasyDkimIdentitiesAtOneSecond) {
    const CheckCapacity capacity =
        check_capacity(10'000, 10'000 * queries_per_check(easy_identity()), 1000, 1s);
    EXPECT_EQ(capacity.needed, 60s);
    EXPECT_FALSE(capacity.keeps_up());
}

} // namespace
