// The authoritative check against a small fake DNS world: every server of the zone answers on
// its own (directed queries), and the combination follows the rules of
// core/authoritative_check.hpp.

#include "core/authoritative_check.hpp"
#include "core/public_key.hpp"
#include "fake_dns_world.hpp"

#include <gtest/gtest.h>
#include <iostream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>

using namespace dkimwatch;
using dkimwatch::test::FakeDnsWorld;
using dkimwatch::test::FakeServer;

namespace {

constexpr const char* k_name = "tok1._domainkey.example.com";
constexpr const char* k_target = "tok1.dkim.amazonses.com";
constexpr std::uint32_t k_current = 2024010102;
constexpr std::uint32_t k_old = 2024010101;

RecordExpectation easy_expectation() {
    RecordExpectation expectation;
    expectation.kind = RecordExpectation::Kind::easy_dkim_cname;
    expectation.name = k_name;
    expectation.domain = "example.com";
    expectation.region = "us-east-1";
    expectation.token = "tok1";
    expectation.signing_hosted_zone = "dkim.amazonses.com";
    expectation.expected_target = k_target;
    expectation.all_tokens = {"tok1", "tok2", "tok3"};
    return expectation;
}

FakeServer easy_server() {
    FakeServer server;
    server.apex = "example.com";
    server.serial = k_current;
    server.names[k_name].cname = k_target;
    return server;
}

// example.com served by ns1 (192.0.2.1), ns2 (192.0.2.2) and ns3 (192.0.2.3 and 2001:db8::3),
// all with the CNAME; the resolvers see it too.
FakeDnsWorld easy_world() {
    FakeDnsWorld world;
    world.zones["example.com"] = k_current;
    world.zones["example.net"] = 5;
    world.zones["amazonses.com"] = 11;
    world.ns["example.com"] = {"ns3.example.net", "ns1.example.net", "ns2.example.net"};
    world.a["ns1.example.net"] = {"192.0.2.1"};
    world.a["ns2.example.net"] = {"192.0.2.2"};
    world.a["ns3.example.net"] = {"192.0.2.3"};
    world.aaaa["ns3.example.net"] = {"2001:db8::3"};
    world.records[k_name].cname = k_target;
    world.records[k_target].txt = {{"v=DKIM1; k=rsa; p=MIGf"}};
    for (const char* address : {"192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::3"}) {
        world.servers[address] = easy_server();
    }
    return world;
}

// easy_world() after the CNAME was removed at every server; the resolvers still have it cached.
FakeDnsWorld easy_world_without_records() {
    FakeDnsWorld world = easy_world();
    for (auto& [address, server] : world.servers) {
        server.names.clear();
    }
    return world;
}

RecordVerdict resolver_verdict(FakeDnsWorld& world, const RecordExpectation& expectation) {
    auto verdict = world.play<RecordVerdict>([&](std::span<const LookupResult> lookups) {
        return evaluate_record(expectation, lookups);
    });
    world.asked.clear();
    EXPECT_TRUE(verdict);
    return verdict.value_or(RecordVerdict{});
}

RecordVerdict check(FakeDnsWorld& world, const RecordExpectation& expectation,
                    std::uint32_t ttl = 3600) {
    const RecordVerdict resolver = resolver_verdict(world, expectation);
    auto verdict = world.play<RecordVerdict>([&](std::span<const LookupResult> lookups) {
        return check_authoritative(expectation, resolver, ttl, 53, lookups);
    });
    EXPECT_TRUE(verdict);
    return verdict.value_or(RecordVerdict{});
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t count_directed(const FakeDnsWorld& world, RecordType type) {
    std::size_t count = 0;
    for (const auto& request : world.asked) {
        count += request.server && request.type == type ? 1 : 0;
    }
    return count;
}

} // namespace

TEST(AuthoritativeCheck, AgreementKeepsTheResolversVerdictWithEveryServersAnswer) {
    auto world = easy_world();
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    EXPECT_EQ(verdict.zone, "example.com");
    EXPECT_FALSE(verdict.authoritative_indeterminate);
    EXPECT_EQ(verdict.cached_answer_ttl, std::nullopt); // nothing cached hides a change
    ASSERT_EQ(verdict.authoritative.size(), 4u);
    const std::vector<std::pair<std::string, std::string>> order = {
        {"ns1.example.net", "192.0.2.1"},
        {"ns2.example.net", "192.0.2.2"},
        {"ns3.example.net", "192.0.2.3"},
        {"ns3.example.net", "2001:db8::3"}};
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto& answer = verdict.authoritative[i];
        EXPECT_EQ(answer.server, order[i].first);
        EXPECT_EQ(answer.address, order[i].second);
        EXPECT_EQ(answer.verdict, VerdictCode::ok);
        EXPECT_EQ(answer.observed, std::optional<std::string>(k_target));
        EXPECT_TRUE(answer.aa);
        EXPECT_FALSE(answer.lame);
        EXPECT_EQ(answer.serial, std::optional<std::uint32_t>(k_current));
        EXPECT_GT(answer.latency.count(), 0);
    }
    // Cost: one TXT query per server address (it shows the CNAME too), one SOA per server for
    // its serial (cacheable while the servers agree: once per zone and server per TTL), and the
    // TXT through the CNAME asked once through the resolvers for all servers.
    EXPECT_EQ(count_directed(world, RecordType::cname), 0u);
    EXPECT_EQ(count_directed(world, RecordType::txt), 4u);
    EXPECT_EQ(count_directed(world, RecordType::soa), 4u);
    std::size_t follow = 0;
    for (const auto& request : world.asked) {
        if (request.server) {
            EXPECT_EQ(request.cacheable, request.type == RecordType::soa);
            EXPECT_EQ(request.server->port, 53);
        }
        follow += !request.server && request.name == k_target ? 1 : 0;
    }
    EXPECT_EQ(follow, 1u);
}

TEST(AuthoritativeCheck, IPv6ServersAreAskedOnTheirOwnAddress) {
    auto world = easy_world();
    check(world, easy_expectation());
    bool asked_v6 = false;
    for (const auto& request : world.asked) {
        if (request.server && request.server->ip == "2001:db8::3") {
            asked_v6 = true;
            EXPECT_TRUE(request.server->ipv6);
        }
    }
    EXPECT_TRUE(asked_v6);
}

TEST(AuthoritativeCheck, AServerWithoutTheCnameIsNsSplitNamingItsOlderSerial) {
    auto world = easy_world();
    for (const char* address : {"192.0.2.3", "2001:db8::3"}) {
        world.servers[address].names.clear();
        world.servers[address].serial = k_old;
    }
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_EQ(verdict.severity, Severity::error);
    EXPECT_TRUE(contains(verdict.message,
                         "ns3.example.net (192.0.2.3, serial 2024010101) and ns3.example.net "
                         "(2001:db8::3, serial 2024010101) answer no CNAME at " +
                             std::string(k_name)))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1, serial 2024010102)"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "(2001:db8::3, serial 2024010101) serve an older zone "
                                          "than the servers that have the record right (serial "
                                          "2024010102): make them transfer the current zone"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "NOTIFY/AXFR")) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "remove them from the NS set at the registrar"))
        << verdict.message;
    ASSERT_EQ(verdict.authoritative.size(), 4u);
    EXPECT_EQ(verdict.authoritative[0].serial, std::optional<std::uint32_t>(k_current));
    EXPECT_EQ(verdict.authoritative[2].verdict, VerdictCode::missing);
    EXPECT_EQ(verdict.authoritative[2].serial, std::optional<std::uint32_t>(k_old));
    EXPECT_EQ(verdict.authoritative[2].observed, std::nullopt);
    // The serials were asked of each server (directed, not cacheable).
    EXPECT_EQ(count_directed(world, RecordType::soa), 4u);
}

TEST(AuthoritativeCheck, AServerWithAnotherTargetIsNsSplit) {
    auto world = easy_world();
    world.servers["192.0.2.2"].names[k_name].cname = "tok2.dkim.amazonses.com";
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns2.example.net (192.0.2.2, serial 2024010102) answers "
                                          "CNAME tok2.dkim.amazonses.com (wrong_target)"))
        << verdict.message;
    EXPECT_TRUE(
        contains(verdict.message, "serves other data for the record without an older serial"))
        << verdict.message;
    EXPECT_EQ(verdict.authoritative[1].observed,
              std::optional<std::string>("tok2.dkim.amazonses.com"));
}

TEST(AuthoritativeCheck, ASplitAlsoNamesLameServers) {
    auto world = easy_world();
    world.servers["192.0.2.2"].names[k_name].cname = "tok2.dkim.amazonses.com";
    world.servers["192.0.2.1"].mode = FakeServer::Mode::refused;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1) answers REFUSED"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1) gives no authoritative "
                                          "answer: serve the zone on it or remove it"))
        << verdict.message;
    EXPECT_TRUE(verdict.authoritative[0].lame);
}

TEST(AuthoritativeCheck, ARefusingServerIsLameWhileTheOthersAgree) {
    auto world = easy_world();
    world.servers["192.0.2.2"].mode = FakeServer::Mode::refused;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::lame_server) << verdict.message;
    EXPECT_EQ(verdict.severity, Severity::warning);
    EXPECT_EQ(verdict.observed, std::optional<std::string>(k_target));
    EXPECT_TRUE(contains(verdict.message, "ns2.example.net (192.0.2.2) answers REFUSED"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1, serial 2024010102)"))
        << verdict.message;
    EXPECT_FALSE(verdict.authoritative_indeterminate);
    ASSERT_EQ(verdict.authoritative.size(), 4u);
    EXPECT_TRUE(verdict.authoritative[1].lame);
    EXPECT_EQ(verdict.authoritative[1].detail, "REFUSED");
    EXPECT_EQ(verdict.authoritative[1].verdict, VerdictCode::dns_error);
    EXPECT_FALSE(verdict.authoritative[0].lame);
}

TEST(AuthoritativeCheck, LameServersOfDifferentKindsAreWordedApart) {
    auto world = easy_world();
    world.servers["192.0.2.1"].mode = FakeServer::Mode::refused;
    world.servers["192.0.2.2"].mode = FakeServer::Mode::timeout;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::lame_server) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1) answers REFUSED"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns2.example.net (192.0.2.2) answers nothing (timeout "
                                          "(timeout after 3 attempts))"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "these servers")) << verdict.message;
    // The silent server is not asked for its serial; the refusing one is.
    std::size_t soa_to_silent = 0;
    for (const auto& request : world.asked) {
        soa_to_silent +=
            request.server && request.type == RecordType::soa && request.server->ip == "192.0.2.2"
                ? 1
                : 0;
    }
    EXPECT_EQ(soa_to_silent, 0u);
    EXPECT_EQ(count_directed(world, RecordType::soa), 3u);
}

TEST(AuthoritativeCheck, SilentIPv6WhenNoIPv6AddressAnswersIsNotBlamedOnTheZone) {
    auto world = easy_world();
    world.servers["2001:db8::3"].mode = FakeServer::Mode::timeout; // no IPv6 route from here
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns3.example.net (2001:db8::3) did not answer, nor did "
                                          "any other IPv6 address"))
        << verdict.message;
    EXPECT_TRUE(verdict.authoritative[3].lame);
    EXPECT_FALSE(verdict.authoritative_indeterminate);
    EXPECT_EQ(count_directed(world, RecordType::soa), 3u); // the silent address is not asked
}

TEST(AuthoritativeCheck, SilentIPv6BesideAnAnsweringIPv6AddressIsLame) {
    auto world = easy_world();
    world.a["ns2.example.net"].clear();
    world.aaaa["ns2.example.net"] = {"2001:db8::2"};
    world.servers["2001:db8::2"] = world.servers["192.0.2.2"];
    world.servers["2001:db8::3"].mode = FakeServer::Mode::timeout;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::lame_server) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "ns3.example.net (2001:db8::3) answers nothing"))
        << verdict.message;
}

TEST(AuthoritativeCheck, AnAnswerWithoutAaIsLame) {
    auto world = easy_world();
    world.servers["192.0.2.1"].mode = FakeServer::Mode::no_aa;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::lame_server) << verdict.message;
    EXPECT_TRUE(verdict.authoritative[0].lame);
    EXPECT_FALSE(verdict.authoritative[0].aa);
    EXPECT_TRUE(contains(verdict.message, "without the AA flag")) << verdict.message;
}

TEST(AuthoritativeCheck, AServerAnsweringServfailIsReportedAsUnusable) {
    auto world = easy_world();
    world.servers["192.0.2.1"].mode = FakeServer::Mode::servfail;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::lame_server) << verdict.message;
    EXPECT_FALSE(verdict.authoritative[0].lame);
    EXPECT_EQ(verdict.authoritative[0].verdict, VerdictCode::dns_error);
    EXPECT_TRUE(contains(verdict.message, "answers nothing usable (servfail (SERVFAIL))"))
        << verdict.message;
}

TEST(AuthoritativeCheck, AServerThatCannotAnswerTxtAtTheCnameMakesAnNsSplit) {
    auto world = easy_world();
    world.servers["192.0.2.2"].mode = FakeServer::Mode::txt_servfail;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_EQ(verdict.authoritative[1].verdict, VerdictCode::txt_servfail);
    EXPECT_FALSE(verdict.authoritative[1].lame);
    EXPECT_EQ(verdict.authoritative[1].observed, std::optional<std::string>(k_target));
    // The CNAME was asked directly of that server only.
    EXPECT_EQ(count_directed(world, RecordType::cname), 1u);
}

TEST(AuthoritativeCheck, AllServersWithoutTheRecordDecideWhileTheResolverStillSaysOk) {
    auto world = easy_world_without_records();
    const auto verdict = check(world, easy_expectation(), 3600);
    EXPECT_EQ(verdict.code, VerdictCode::missing) << verdict.message;
    EXPECT_EQ(verdict.severity, Severity::error);
    EXPECT_EQ(verdict.observed, std::nullopt);
    EXPECT_TRUE(contains(verdict.message, "No CNAME at " + std::string(k_name))) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "may serve the old answer until its TTL runs out"))
        << verdict.message;
    // The countdown is kept apart: the message must read the same at every check and replica.
    EXPECT_EQ(verdict.cached_answer_ttl, std::optional<std::chrono::seconds>(3600));
    EXPECT_FALSE(contains(verdict.message, "3600")) << verdict.message;
    auto later_world = easy_world_without_records();
    const auto later = check(later_world, easy_expectation(), 3541);
    EXPECT_EQ(later.message, verdict.message);
    EXPECT_EQ(later.cached_answer_ttl, std::optional<std::chrono::seconds>(3541));
    EXPECT_FALSE(verdict.authoritative_indeterminate);
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::missing);
    }
    EXPECT_EQ(count_directed(world, RecordType::soa), 4u);
}

TEST(AuthoritativeCheck, ServersAlreadyServingTheFixLeaveTheResolversVerdictWithANote) {
    auto world = easy_world();
    world.records.erase(k_name); // the resolvers cache the negative answer
    const auto verdict = check(world, easy_expectation(), 900);
    EXPECT_EQ(verdict.code, VerdictCode::missing) << verdict.message;
    EXPECT_TRUE(
        contains(verdict.message,
                 "already answers CNAME tok1.dkim.amazonses.com (ok); the resolvers may keep their "
                 "answer until its TTL runs out."))
        << verdict.message;
    EXPECT_EQ(verdict.cached_answer_ttl, std::optional<std::chrono::seconds>(900));
    EXPECT_FALSE(contains(verdict.message, "900")) << verdict.message;
}

TEST(AuthoritativeCheck, ServersDecideOnAProblemAsSevereAsTheResolvers) {
    auto world = easy_world();
    world.records.erase(k_name); // resolvers: missing (error)
    for (auto& [address, server] : world.servers) {
        // servers: a TXT where the CNAME belongs (wrong_type, also an error): they decide
        server.names[k_name] = {std::nullopt, {{"v=spf1 -all"}}};
    }
    auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::wrong_type) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "The resolvers still answer from their caches (missing)"))
        << verdict.message;
}

TEST(AuthoritativeCheck, CnameLoopsInAndOutOfTheZoneEndInAVerdict) {
    auto world = easy_world();
    // ns1: a loop inside the zone; ns2: out of the zone and, through the resolvers, back in.
    world.servers["192.0.2.1"].names[k_name].cname = "loop._domainkey.example.com";
    world.servers["192.0.2.1"].names["loop._domainkey.example.com"].cname = k_name;
    world.servers["192.0.2.2"].names[k_name].cname = "back.example.net";
    world.records["back.example.net"].cname = k_name;
    world.records[k_name].cname = "back.example.net";
    const auto verdict = check(world, easy_expectation());
    ASSERT_EQ(verdict.authoritative.size(), 4u);
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_EQ(verdict.authoritative[0].verdict, VerdictCode::wrong_target);
    EXPECT_EQ(verdict.authoritative[1].verdict, VerdictCode::wrong_target);
    EXPECT_EQ(verdict.authoritative[2].verdict, VerdictCode::ok);
}

TEST(AuthoritativeCheck, NoServerReachableLeavesTheResolversVerdictIndeterminate) {
    auto world = easy_world();
    for (auto& [address, server] : world.servers) {
        server.mode = FakeServer::Mode::timeout;
    }
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    EXPECT_TRUE(verdict.authoritative_indeterminate);
    EXPECT_EQ(verdict.zone, "example.com");
    ASSERT_EQ(verdict.authoritative.size(), 4u);
    for (const auto& answer : verdict.authoritative) {
        EXPECT_TRUE(answer.lame);
        EXPECT_EQ(answer.detail, "timeout (timeout after 3 attempts)");
    }
    EXPECT_EQ(count_directed(world, RecordType::soa), 0u) << "unreachable servers are not asked";
}

TEST(AuthoritativeCheck, DiscoveryFailureLeavesTheResolversVerdictIndeterminate) {
    auto world = easy_world();
    world.failing[{"_domainkey.example.com", RecordType::soa}] = LookupOutcome::servfail;
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok);
    EXPECT_TRUE(verdict.authoritative_indeterminate);
    EXPECT_TRUE(verdict.zone.empty());
    EXPECT_TRUE(verdict.authoritative.empty());
    EXPECT_TRUE(
        contains(verdict.message, "could not be checked: no SOA for _domainkey.example.com"))
        << verdict.message;
    EXPECT_EQ(count_directed(world, RecordType::cname), 0u);
}

// ---- BYODKIM ---------------------------------------------------------------------------------

namespace {

// Variant 2 is a 1024-bit key (weak_key when configured), the others 2048 bits.
const std::vector<unsigned char>& rsa_spki(int variant) {
    static std::map<int, std::vector<unsigned char>> cache;
    auto& der = cache[variant];
    if (der.empty()) {
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
            EVP_RSA_gen(variant == 2 ? 1024 : 2048), EVP_PKEY_free);
        unsigned char* out = nullptr;
        const int length = i2d_PUBKEY(key.get(), &out);
        der.assign(out, out + length);
        OPENSSL_free(out);
    }
    return der;
}

constexpr const char* k_selector = "sel1._domainkey.example.org";

RecordExpectation byo_expectation() {
    RecordExpectation expectation;
    expectation.kind = RecordExpectation::Kind::byodkim_txt;
    expectation.name = k_selector;
    expectation.domain = "example.org";
    expectation.region = "eu-west-1";
    expectation.key_der = rsa_spki(0);
    expectation.key_bits = 2048;
    return expectation;
}

std::vector<std::vector<std::string>> key_txt(int variant) {
    return {{"v=DKIM1; k=rsa; p=" + base64_encode(rsa_spki(variant))}};
}

// example.org on ns1/ns2.example.net. With `delegated`, the selector is a CNAME to
// sel1.keys.example.net, another zone, where the key lives (a provider that hosts the key).
FakeDnsWorld byo_world(bool delegated) {
    FakeDnsWorld world;
    world.zones["example.org"] = 40;
    world.zones["example.net"] = 41;
    world.ns["example.org"] = {"ns1.example.net", "ns2.example.net"};
    world.a["ns1.example.net"] = {"192.0.2.1"};
    world.a["ns2.example.net"] = {"192.0.2.2"};
    FakeServer server;
    server.apex = "example.org";
    server.serial = 40;
    if (delegated) {
        server.names[k_selector].cname = "sel1.keys.example.net";
        world.records[k_selector].cname = "sel1.keys.example.net";
        world.records["sel1.keys.example.net"].txt = key_txt(0);
    } else {
        server.names[k_selector].txt = key_txt(0);
        world.records[k_selector].txt = key_txt(0);
    }
    world.servers["192.0.2.1"] = server;
    world.servers["192.0.2.2"] = server;
    return world;
}

} // namespace

TEST(AuthoritativeCheckByodkim, TxtKeyOnEveryServerIsOk) {
    auto world = byo_world(false);
    const auto verdict = check(world, byo_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    ASSERT_EQ(verdict.authoritative.size(), 2u);
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::ok);
        EXPECT_EQ(answer.observed, verdict.observed);
    }
    EXPECT_EQ(count_directed(world, RecordType::txt), 2u);
}

TEST(AuthoritativeCheckByodkim, AnotherKeyOnOneServerIsNsSplit) {
    auto world = byo_world(false);
    world.servers["192.0.2.2"].names[k_selector].txt = key_txt(1);
    const auto verdict = check(world, byo_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_EQ(verdict.authoritative[0].verdict, VerdictCode::ok);
    EXPECT_EQ(verdict.authoritative[1].verdict, VerdictCode::key_mismatch);
    EXPECT_TRUE(contains(verdict.message, "(key_mismatch)")) << verdict.message;
}

TEST(AuthoritativeCheckByodkim, CnameOutOfTheZoneIsFollowedThroughTheResolvers) {
    auto world = byo_world(true);
    const auto verdict = check(world, byo_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    ASSERT_EQ(verdict.authoritative.size(), 2u);
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::ok) << answer.detail;
        EXPECT_EQ(answer.observed, verdict.observed);
    }
    std::size_t follow = 0;
    for (const auto& request : world.asked) {
        EXPECT_FALSE(request.server && request.name == "sel1.keys.example.net")
            << "names outside the zone are never asked of the zone's servers";
        follow += !request.server && request.name == "sel1.keys.example.net" ? 1 : 0;
    }
    EXPECT_EQ(follow, 1u);
}

TEST(AuthoritativeCheckByodkim, ChainExitReportedAsAnAnswerWithoutRecordsIsFollowedToo) {
    auto world = byo_world(true);
    for (auto& [address, server] : world.servers) {
        server.chain_exit = LookupOutcome::answer;
    }
    const auto verdict = check(world, byo_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::ok);
    }
}

TEST(AuthoritativeCheck, ATxtRecordWhereTheCnameBelongsIsSeenOnTheServer) {
    auto world = easy_world();
    for (auto& [address, server] : world.servers) {
        server.names[k_name] = {std::nullopt, {{"v=DKIM1; k=rsa; p=MIGf"}}};
    }
    const auto verdict = check(world, easy_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::wrong_type) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "may serve the old answer")) << verdict.message;
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::wrong_type);
    }
    EXPECT_EQ(count_directed(world, RecordType::cname), 0u);
}

TEST(AuthoritativeCheckByodkim, ServerWithoutTheDelegatingCnameIsNsSplit) {
    auto world = byo_world(true);
    world.servers["192.0.2.1"].names.clear();
    world.servers["192.0.2.1"].serial = 39;
    const auto verdict = check(world, byo_expectation());
    EXPECT_EQ(verdict.code, VerdictCode::ns_split) << verdict.message;
    EXPECT_EQ(verdict.authoritative[0].verdict, VerdictCode::missing);
    EXPECT_EQ(verdict.authoritative[1].verdict, VerdictCode::ok);
    EXPECT_TRUE(contains(verdict.message, "ns1.example.net (192.0.2.1, serial 39) answers no DKIM "
                                          "key at sel1._domainkey.example.org"))
        << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "serves an older zone")) << verdict.message;
}

TEST(AuthoritativeCheckByodkim, ServersNeverSoftenAWorseResolverVerdict) {
    auto world = byo_world(false);
    world.records.erase(k_selector); // resolvers: missing (error, from their negative cache)
    for (auto& [address, server] : world.servers) {
        server.names[k_selector].txt = key_txt(2); // servers: the configured 1024-bit key
    }
    auto expectation = byo_expectation();
    expectation.key_der = rsa_spki(2);
    expectation.key_bits = 1024;
    const auto verdict = check(world, expectation, 600);
    EXPECT_EQ(verdict.code, VerdictCode::missing) << verdict.message;
    EXPECT_TRUE(contains(verdict.message, "(weak_key); the resolvers may keep their answer until "
                                          "its TTL runs out."))
        << verdict.message;
    EXPECT_EQ(verdict.cached_answer_ttl, std::optional<std::chrono::seconds>(600));
    for (const auto& answer : verdict.authoritative) {
        EXPECT_EQ(answer.verdict, VerdictCode::weak_key);
    }
}
