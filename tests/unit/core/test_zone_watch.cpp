// The zone serial watch's bookkeeping: zones learned from checks, poll requests, serial changes.
#include "core/zone_watch.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

AuthoritativeAnswer server(std::string name, std::string address,
                           std::optional<std::uint32_t> serial = std::nullopt) {
    AuthoritativeAnswer answer;
    answer.server = std::move(name);
    answer.address = std::move(address);
    answer.aa = true;
    answer.serial = serial;
    return answer;
}

RecordVerdict record(std::string zone, std::vector<AuthoritativeAnswer> servers) {
    RecordVerdict verdict;
    verdict.name = "tok._domainkey." + zone;
    verdict.zone = std::move(zone);
    verdict.authoritative = std::move(servers);
    return verdict;
}

LookupResult soa_answer(const std::string& zone, const std::string& address, std::uint32_t serial,
                        bool aa = true) {
    LookupResult result;
    result.request = LookupRequest(zone, RecordType::soa);
    result.request.server = ServerAddress{address, 5353, false};
    result.outcome = LookupOutcome::answer;
    result.authoritative_answer = aa;
    result.soa_owner = zone;
    result.soa_serial = serial;
    return result;
}

const IdentityKey k_alpha{"111111111111", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"111111111111", "us-east-1", "beta.example"};

TEST(ZoneWatch, PollsEveryServerOfEveryLearnedZoneOnceWithoutCache) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example",
                                 {server("ns1.net", "127.0.0.2"), server("ns2.net", "127.0.0.3")}),
                          record("alpha.example", {server("ns1.net", "127.0.0.2"),
                                                   server("ns2.net", "127.0.0.3")})});
    watch.learn(k_beta, {record("beta.example", {server("ns1.net", "::1")})});
    const auto requests = watch.poll_requests(5353);
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(watch.server_count(k_alpha), 2u);
    EXPECT_EQ(watch.server_count(k_beta), 1u);
    EXPECT_EQ(watch.server_count({"1", "r", "unknown.example"}), 0u);
    EXPECT_EQ(requests[0].name, "alpha.example");
    EXPECT_EQ(requests[0].type, RecordType::soa);
    ASSERT_TRUE(requests[0].server);
    EXPECT_EQ(requests[0].server->ip, "127.0.0.2");
    EXPECT_EQ(requests[0].server->port, 5353);
    EXPECT_FALSE(requests[0].cacheable);
    EXPECT_EQ(requests[2].name, "beta.example");
    EXPECT_TRUE(requests[2].server->ipv6);
    EXPECT_EQ(watch.zone_count(), 2u);
}

TEST(ZoneWatch, AChangedSerialAtOneServerNamesTheZoneAndItsIdentities) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2"),
                                                   server("ns2.net", "127.0.0.3")})});
    watch.learn(k_beta, {record("alpha.example",
                                {server("ns1.net", "127.0.0.2"), server("ns2.net", "127.0.0.3")})});
    // First readings are not changes.
    std::vector<LookupResult> first{soa_answer("alpha.example", "127.0.0.2", 10),
                                    soa_answer("alpha.example", "127.0.0.3", 10)};
    EXPECT_TRUE(watch.observe(first).empty());
    std::vector<LookupResult> same{soa_answer("alpha.example", "127.0.0.2", 10)};
    EXPECT_TRUE(watch.observe(same).empty());
    std::vector<LookupResult> changed{soa_answer("alpha.example", "127.0.0.2", 10),
                                      soa_answer("alpha.example", "127.0.0.3", 11)};
    EXPECT_EQ(watch.observe(changed), std::vector<std::string>{"alpha.example"});
    EXPECT_EQ(watch.members("alpha.example"), (std::vector<IdentityKey>{k_alpha, k_beta}));
    const auto readings = watch.readings();
    ASSERT_EQ(readings.size(), 2u);
    EXPECT_EQ(readings[1].server, "ns2.net");
    EXPECT_EQ(readings[1].serial, 11u);
}

TEST(ZoneWatch, IgnoresAnswersThatAreNotAuthoritativeOrForAnotherZoneOrServer) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2", 5)})});
    auto no_aa = soa_answer("alpha.example", "127.0.0.2", 6, /*aa=*/false);
    auto other_owner = soa_answer("alpha.example", "127.0.0.2", 7);
    other_owner.soa_owner = "example";
    auto unknown_server = soa_answer("alpha.example", "127.0.0.9", 8);
    auto unknown_zone = soa_answer("gamma.example", "127.0.0.2", 9);
    std::vector<LookupResult> results{no_aa, other_owner, unknown_server, unknown_zone};
    EXPECT_TRUE(watch.observe(results).empty());
    ASSERT_EQ(watch.readings().size(), 1u);
    EXPECT_EQ(watch.readings()[0].serial, 5u); // the serial the check's answer carried
    std::vector<LookupResult> newer{soa_answer("alpha.example", "127.0.0.2", 6)};
    EXPECT_EQ(watch.observe(newer).size(), 1u);
}

TEST(ZoneWatch, IdentitiesLeaveZonesTheirRecordsLeftAndEmptyZonesAreDropped) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2")})});
    watch.learn(k_beta, {record("alpha.example", {server("ns1.net", "127.0.0.2")})});
    // alpha's records now live in another zone (a delegation was added).
    watch.learn(k_alpha, {record("sub.alpha.example", {server("ns9.net", "127.0.0.9")})});
    EXPECT_EQ(watch.members("alpha.example"), std::vector<IdentityKey>{k_beta});
    EXPECT_EQ(watch.members("sub.alpha.example"), std::vector<IdentityKey>{k_alpha});
    // A check without authoritative answers (off, or nothing reachable) leaves every zone.
    watch.learn(k_beta, {RecordVerdict{}});
    EXPECT_TRUE(watch.members("alpha.example").empty());
    EXPECT_EQ(watch.zone_count(), 1u);
    EXPECT_EQ(watch.retain({}), std::vector<std::string>{"sub.alpha.example"});
    EXPECT_EQ(watch.zone_count(), 0u);
    EXPECT_TRUE(watch.poll_requests(53).empty());
}

TEST(ZoneWatch, ANewServerListKeepsTheSerialsOfServersThatStay) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2", 3),
                                                   server("ns2.net", "127.0.0.3", 3)})});
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2")})});
    const auto readings = watch.readings();
    ASSERT_EQ(readings.size(), 1u);
    EXPECT_EQ(readings[0].address, "127.0.0.2");
    EXPECT_EQ(readings[0].serial, 3u);
    EXPECT_EQ(watch.clear(), std::vector<std::string>{"alpha.example"});
}

TEST(ZoneWatch, AfterAPollAChecksPossiblyCachedSerialDoesNotOverwriteThePolledOne) {
    ZoneWatch watch;
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2", 7)})});
    std::vector<LookupResult> polled{soa_answer("alpha.example", "127.0.0.2", 8)};
    EXPECT_EQ(watch.observe(polled).size(), 1u);
    // The re-check that follows reads serial 7 from a cache: not taken, so the next poll of 8 is
    // no change (else every poll would re-check the zone).
    watch.learn(k_alpha, {record("alpha.example", {server("ns1.net", "127.0.0.2", 7)})});
    EXPECT_TRUE(watch.observe(polled).empty());
}

} // namespace
} // namespace dkimwatch
