// Directed queries (LookupRequest::server) and the fields of infrastructure lookups, against a
// real nsd on loopback (nsd_server.hpp): AA, SOA owner and serial, NS and address values,
// REFUSED for a zone the server does not serve, CNAMEs at the name, and DO/CD answers that
// carry RRSIGs when the zone is signed. The configured resolver is a port that never answers:
// a directed query that went there would time out.

#include "dns/async_resolver.hpp"
#include "name_server.hpp"
#include "nsd_server.hpp"

#include <algorithm>
#include <cstdlib>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <memory>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using resolver_test::NsdServer;
using resolver_test::SilentPort;
using Strings = std::vector<std::string>;

const std::string k_zone = R"($ORIGIN example.test.
$TTL 300
@               3600 IN SOA ns1.example.test. hostmaster.example.test. 2026120301 7200 3600 1209600 60
@                    IN NS  ns1.example.test.
@                    IN NS  ns2.example.test.
ns1                  IN A    127.0.0.1
ns1                  IN A    127.0.0.2
ns2                  IN AAAA ::1
sel._domainkey   120 IN CNAME sel.dkim.example.test.
sel.dkim         240 IN TXT "v=DKIM1; p=abc"
alias                IN CNAME elsewhere.other.
)";

LookupResult directed(const ServerAddress& server, const std::string& name, RecordType type,
                      bool dnssec = false) {
    SilentPort silent;
    ResolverSettings settings;
    settings.servers = {silent.address()};
    settings.timeout = std::chrono::milliseconds(1000);
    settings.attempts = 2;
    settings.max_qps = 0;
    AsyncResolver resolver(settings);
    LookupRequest request(name, type);
    request.server = server;
    request.dnssec = dnssec;
    LookupResult out;
    int calls = 0;
    resolver.submit(request, [&](LookupResult result) {
        out = std::move(result);
        ++calls;
    });
    resolver.run();
    EXPECT_EQ(calls, 1);
    return out;
}

class DirectedQuery : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_nsd = new NsdServer({{"example.test", k_zone}});
        ASSERT_TRUE(s_nsd->ready()) << s_nsd->error();
    }
    static void TearDownTestSuite() {
        delete s_nsd;
        s_nsd = nullptr;
    }
    static NsdServer* s_nsd;
};
NsdServer* DirectedQuery::s_nsd = nullptr;

TEST_F(DirectedQuery, SoaIsAnsweredAuthoritativelyWithItsSerial) {
    const LookupResult r = directed(s_nsd->address(), "example.test", RecordType::soa);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_TRUE(r.authoritative_answer);
    EXPECT_EQ(r.server, s_nsd->address().to_string());
    EXPECT_EQ(r.soa_owner, "example.test");
    EXPECT_EQ(r.soa_serial, 2026120301u);
    EXPECT_EQ(r.ttl, 3600u);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_TRUE(r.wires.empty()); // not asked for
}

TEST_F(DirectedQuery, NsAndAddressValues) {
    LookupResult r = directed(s_nsd->address(), "example.test", RecordType::ns);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_TRUE(r.authoritative_answer);
    std::sort(r.values.begin(), r.values.end());
    EXPECT_EQ(r.values, (Strings{"ns1.example.test", "ns2.example.test"}));
    EXPECT_EQ(r.ttl, 300u);

    r = directed(s_nsd->address(), "NS1.example.test", RecordType::a);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    std::sort(r.values.begin(), r.values.end());
    EXPECT_EQ(r.values, (Strings{"127.0.0.1", "127.0.0.2"}));

    r = directed(s_nsd->address(), "ns2.example.test", RecordType::aaaa);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_EQ(r.values, (Strings{"::1"}));
}

TEST_F(DirectedQuery, ServerWithoutTheZoneRefuses) {
    const LookupResult r = directed(s_nsd->address(), "example.org", RecordType::soa);
    EXPECT_EQ(r.outcome, LookupOutcome::refused) << r.detail;
    EXPECT_EQ(r.attempts, 1); // the one server said no: not asked again
    EXPECT_NE(r.detail.find("REFUSED from " + s_nsd->address().to_string()), std::string::npos)
        << r.detail;
}

TEST_F(DirectedQuery, CnameAtTheNameIsReportedWithTheTargetDataOfTheSameAnswer) {
    LookupResult r = directed(s_nsd->address(), "sel._domainkey.example.test", RecordType::txt);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_EQ(r.cname_chain, (Strings{"sel.dkim.example.test"}));
    EXPECT_EQ(r.txt_records, (std::vector<Strings>{{"v=DKIM1; p=abc"}}));
    EXPECT_EQ(r.ttl, 120u);
    EXPECT_EQ(r.attempts, 1);

    // A target outside the zone: nsd says no more, and the query is not followed.
    r = directed(s_nsd->address(), "alias.example.test", RecordType::txt);
    EXPECT_EQ(r.outcome, LookupOutcome::nodata) << r.detail;
    EXPECT_EQ(r.cname_chain, (Strings{"elsewhere.other"}));
    EXPECT_EQ(r.attempts, 1);
}

TEST_F(DirectedQuery, NegativeAnswersCarryTheSoaAndItsNegativeTtl) {
    const LookupResult r = directed(s_nsd->address(), "missing.example.test", RecordType::txt);
    EXPECT_EQ(r.outcome, LookupOutcome::nxdomain) << r.detail;
    EXPECT_TRUE(r.authoritative_answer);
    EXPECT_EQ(r.soa_owner, "example.test");
    EXPECT_EQ(r.soa_serial, 2026120301u);
    EXPECT_EQ(r.ttl, 60u); // min(SOA TTL 3600, MINIMUM 60)
}

// The records of `section` in `wire` of type `type`.
int count_records(const std::vector<std::uint8_t>& wire, ldns_pkt_section section,
                  ldns_rr_type type) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) {
        return -1;
    }
    ldns_rr_list* list = ldns_pkt_get_section_clone(pkt, section);
    int count = 0;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
        count += ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type ? 1 : 0;
    }
    ldns_rr_list_deep_free(list);
    ldns_pkt_free(pkt);
    return count;
}

TEST(DirectedQuerySigned, DnssecAnswersKeepTheWiresWithTheirSignatures) {
    const NsdServer nsd({{"example.test", k_zone}}, true);
    ASSERT_TRUE(nsd.ready()) << nsd.error();
    LookupResult r = directed(nsd.address(), "sel.dkim.example.test", RecordType::txt, true);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    ASSERT_EQ(r.wires.size(), 1u);
    EXPECT_EQ(count_records(r.wires[0], LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT), 1);
    EXPECT_GE(count_records(r.wires[0], LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);

    r = directed(nsd.address(), "example.test", RecordType::dnskey, true);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    ASSERT_EQ(r.wires.size(), 1u);
    EXPECT_GE(count_records(r.wires[0], LDNS_SECTION_ANSWER, LDNS_RR_TYPE_DNSKEY), 1);
    EXPECT_GE(count_records(r.wires[0], LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);

    // A negative answer is signed too (NSEC and its RRSIG in the authority section).
    r = directed(nsd.address(), "missing.example.test", RecordType::txt, true);
    EXPECT_EQ(r.outcome, LookupOutcome::nxdomain) << r.detail;
    ASSERT_EQ(r.wires.size(), 1u);
    EXPECT_GE(count_records(r.wires[0], LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG), 1);

    // Without DO, no signatures are asked for and no wire is kept.
    r = directed(nsd.address(), "sel.dkim.example.test", RecordType::txt, false);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_TRUE(r.wires.empty());
}

TEST(DirectedQueryIpv6, ServerOfTheOtherFamilyThanTheResolversIsReached) {
    // The resolvers are IPv4 only, so the resolver opens its IPv6 sockets for this query.
    resolver_test::NameServer server(resolver_test::read_data_file("zone.data"), true);
    ASSERT_TRUE(server.ready()) << server.error();
    const LookupResult r = directed(server.address(), "multi.test", RecordType::txt);
    EXPECT_EQ(r.outcome, LookupOutcome::answer) << r.detail;
    EXPECT_EQ(r.server, server.address().to_string());
    EXPECT_TRUE(r.authoritative_answer);
    EXPECT_EQ(r.txt_records.size(), 2u);
}

} // namespace
} // namespace dkimwatch
