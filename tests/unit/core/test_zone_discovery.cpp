// Zone discovery against a small fake DNS world: the apex from the SOA at the record's parent,
// the NS set, each NS's addresses, and the ways it fails.

#include "core/zone_discovery.hpp"
#include "fake_dns_world.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;
using dkimwatch::test::FakeDnsWorld;

namespace {

constexpr const char* k_record = "tok1._domainkey.example.com";

FakeDnsWorld example_world() {
    FakeDnsWorld world;
    world.zones["example.com"] = 7;
    world.zones["example.net"] = 9;
    world.ns["example.com"] = {"ns2.example.net", "NS1.Example.NET."};
    world.a["ns1.example.net"] = {"192.0.2.10", "192.0.2.9"};
    world.aaaa["ns1.example.net"] = {"2001:db8::1"};
    world.a["ns2.example.net"] = {"198.51.100.2"};
    world.records["tok1._domainkey.example.com"].cname = "tok1.dkim.amazonses.com";
    return world;
}

std::optional<ZoneServers> discover(FakeDnsWorld& world, const std::string& record = k_record,
                                    std::uint16_t port = 5353) {
    return world.play<ZoneServers>([&](std::span<const LookupResult> lookups) {
        return discover_zone_servers(record, port, lookups);
    });
}

} // namespace

TEST(ZoneDiscovery, FindsApexNsSetAndEveryAddressSorted) {
    auto world = example_world();
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    EXPECT_TRUE(found->problem.empty()) << found->problem;
    EXPECT_TRUE(found->unresolved.empty());
    ASSERT_EQ(found->servers.size(), 4u);
    // NS name, then address in numeric order, IPv4 before IPv6.
    EXPECT_EQ(found->servers[0].name, "ns1.example.net");
    EXPECT_EQ(found->servers[0].address.ip, "192.0.2.9");
    EXPECT_EQ(found->servers[1].address.ip, "192.0.2.10");
    EXPECT_EQ(found->servers[2].address.ip, "2001:db8::1");
    EXPECT_TRUE(found->servers[2].address.ipv6);
    EXPECT_FALSE(found->servers[0].address.ipv6);
    EXPECT_EQ(found->servers[3].name, "ns2.example.net");
    EXPECT_EQ(found->servers[3].address.ip, "198.51.100.2");
    for (const auto& server : found->servers) {
        EXPECT_EQ(server.address.port, 5353);
    }
}

TEST(ZoneDiscovery, AsksTheParentNotTheRecordAndEverythingIsCacheable) {
    auto world = example_world();
    ASSERT_TRUE(discover(world));
    ASSERT_FALSE(world.asked.empty());
    EXPECT_EQ(world.asked.front().name, "_domainkey.example.com");
    EXPECT_EQ(world.asked.front().type, RecordType::soa);
    for (const auto& request : world.asked) {
        EXPECT_TRUE(request.cacheable) << request.name;
        EXPECT_FALSE(request.server) << request.name;
        EXPECT_NE(request.name, k_record) << "the record itself is never asked for its SOA";
    }
    // SOA, NS, and A + AAAA for each of the two NS names.
    EXPECT_EQ(world.asked.size(), 6u);
}

TEST(ZoneDiscovery, NxdomainWithSoaInAuthorityGivesTheApex) {
    auto world = example_world();
    world.records.clear(); // _domainkey.example.com does not exist: NXDOMAIN, SOA in authority
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    EXPECT_EQ(world.asked.size(), 6u);
}

TEST(ZoneDiscovery, DelegatedDomainkeyZoneIsItsOwnApex) {
    auto world = example_world();
    world.zones["_domainkey.example.com"] = 3;
    world.ns["_domainkey.example.com"] = {"ns2.example.net"};
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "_domainkey.example.com");
    ASSERT_EQ(found->servers.size(), 1u);
    EXPECT_EQ(found->servers[0].address.ip, "198.51.100.2");
}

TEST(ZoneDiscovery, ClimbsOneLabelAtATimeWhenAnswersHoldNoSoa) {
    auto world = example_world();
    world.soa_stripped = true; // only a SOA query at the apex itself names it
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    ASSERT_GE(world.asked.size(), 2u);
    EXPECT_EQ(world.asked[0].name, "_domainkey.example.com");
    EXPECT_EQ(world.asked[1].name, "example.com");
    EXPECT_EQ(world.asked[1].type, RecordType::soa);
}

TEST(ZoneDiscovery, NoSoaAnywhereIsAProblemAfterABoundedClimb) {
    FakeDnsWorld world; // no zones at all: every SOA query is NXDOMAIN without a SOA
    const auto found = discover(world, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.example");
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->apex.empty());
    EXPECT_TRUE(found->servers.empty());
    EXPECT_NE(found->problem.find("no SOA found"), std::string::npos) << found->problem;
    EXPECT_LE(world.asked.size(), 10u);
}

TEST(ZoneDiscovery, SoaTimeoutIsAProblem) {
    auto world = example_world();
    world.failing[{"_domainkey.example.com", RecordType::soa}] = LookupOutcome::timeout;
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->apex.empty());
    EXPECT_EQ(found->problem, "no SOA for _domainkey.example.com: the resolvers answered timeout "
                              "(timeout)");
    EXPECT_EQ(world.asked.size(), 1u);
}

TEST(ZoneDiscovery, NsFailureKeepsTheApexAndSaysWhy) {
    auto world = example_world();
    world.failing[{"example.com", RecordType::ns}] = LookupOutcome::servfail;
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    EXPECT_TRUE(found->servers.empty());
    EXPECT_NE(found->problem.find("no NS records for the zone example.com"), std::string::npos)
        << found->problem;
    EXPECT_NE(found->problem.find("servfail"), std::string::npos) << found->problem;
}

TEST(ZoneDiscovery, NsNamesWithoutAddressesAreUnresolved) {
    auto world = example_world();
    world.ns["example.com"].push_back("ns3.nowhere.example");
    world.failing[{"ns2.example.net", RecordType::a}] = LookupOutcome::timeout;
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->unresolved,
              (std::vector<std::string>{"ns2.example.net", "ns3.nowhere.example"}));
    ASSERT_EQ(found->servers.size(), 3u);
    EXPECT_TRUE(found->problem.empty());
}

TEST(ZoneDiscovery, NoAddressForAnyNsIsAProblem) {
    auto world = example_world();
    world.a.clear();
    world.aaaa.clear();
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    EXPECT_TRUE(found->servers.empty());
    EXPECT_EQ(found->unresolved, (std::vector<std::string>{"ns1.example.net", "ns2.example.net"}));
    EXPECT_NE(found->problem.find("none of the NS names"), std::string::npos) << found->problem;
}

TEST(ZoneDiscovery, IPv6OnlyServers) {
    auto world = example_world();
    world.a.clear();
    world.aaaa["ns2.example.net"] = {"2001:db8::20", "2001:db8::3"};
    const auto found = discover(world);
    ASSERT_TRUE(found);
    ASSERT_EQ(found->servers.size(), 3u);
    EXPECT_EQ(found->servers[0].address.ip, "2001:db8::1");
    EXPECT_EQ(found->servers[1].address.ip, "2001:db8::3");
    EXPECT_EQ(found->servers[2].address.ip, "2001:db8::20");
    for (const auto& server : found->servers) {
        EXPECT_TRUE(server.address.ipv6);
        EXPECT_EQ(server.address.to_string().front(), '[');
    }
}

TEST(ZoneDiscovery, ASoaOfAZoneThatDoesNotHoldTheRecordIsSkipped) {
    auto world = example_world();
    world.soa_elsewhere["_domainkey.example.com"] = "dkim.amazonses.com";
    const auto found = discover(world);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->apex, "example.com");
    ASSERT_GE(world.asked.size(), 2u);
    EXPECT_EQ(world.asked[1].name, "example.com");
    EXPECT_EQ(world.asked[1].type, RecordType::soa);
}
