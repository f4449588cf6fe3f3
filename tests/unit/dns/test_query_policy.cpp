// The query policy against a scripted fake transport (no sockets, a clock that jumps to the next
// deadline), in the spirit of Unbound's replay tests: each scenario says what each server
// answers and checks what was asked of whom, and the outcome.

#include "dns/query_policy.hpp"

#include <cstdlib>
#include <deque>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <optional>
#include <set>
#include <string>
#include <vector>

// The scenarios name only the reply fields they set (designated initializers); the others keep
// their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace dkimwatch {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Strings = std::vector<std::string>;
using namespace std::chrono_literals;

// One query the policy handed to the transport.
struct Sent {
    std::uint32_t token = 0;
    std::uint16_t server = 0;
    Bytes query;
    bool tcp = false;
    TransportClock::time_point at;
};

// What a server answers to one query: bytes, or nothing (lost).
using Responder = std::function<std::optional<Bytes>(const Sent&)>;

class FakeTransport final : public Transport {
public:
    std::vector<std::string> servers; // "ip:port" by index
    std::vector<Sent> sent;
    Responder responder;

    std::uint16_t add_server(const ServerAddress& address) override {
        servers.push_back(address.to_string());
        return static_cast<std::uint16_t>(servers.size() - 1);
    }
    const std::string& server_text(std::uint16_t server) const override {
        return servers.at(server);
    }
    void send_udp(std::uint32_t token, std::uint16_t server, Bytes& query) override {
        patch(query);
        m_queued.push_back({token, server, query, false, m_now});
    }
    void send_tcp(std::uint32_t token, std::uint16_t server, Bytes& query,
                  TransportEvents&) override {
        patch(query);
        deliver({token, server, query, true, m_now});
    }
    void flush(TransportEvents&) override {
        std::vector<Sent> queued = std::exchange(m_queued, {});
        for (Sent& s : queued) {
            deliver(std::move(s));
        }
    }
    bool flush_due() const override { return m_queued.size() >= 64; }
    void end(std::uint32_t token) override { m_live.erase(token); }
    void wait(int timeout_ms, TransportEvents& events) override {
        EXPECT_GE(timeout_ms, 0) << "the policy would wait forever";
        if (m_inbox.empty()) {
            m_now += std::chrono::milliseconds(timeout_ms < 0 ? 1000 : timeout_ms);
            return;
        }
        m_now += 1ms; // every answer takes a millisecond
        std::deque<Reply> inbox = std::exchange(m_inbox, {});
        for (const Reply& reply : inbox) {
            if (m_live.erase(reply.token) == 1) {
                events.on_answer(reply.token, reply.wire, reply.tcp);
            }
        }
    }
    TransportClock::time_point now() const override { return m_now; }
    TransportClock::time_point send_blocked_until() const override { return {}; }
    std::uint64_t queries_sent() const override { return sent.size(); }

private:
    struct Reply {
        std::uint32_t token;
        Bytes wire;
        bool tcp;
    };
    void patch(Bytes& query) {
        ++m_next_id;
        query[0] = static_cast<std::uint8_t>(m_next_id >> 8);
        query[1] = static_cast<std::uint8_t>(m_next_id & 0xff);
    }
    void deliver(Sent s) {
        m_live.insert(s.token);
        sent.push_back(s);
        if (responder) {
            if (std::optional<Bytes> wire = responder(sent.back())) {
                m_inbox.push_back({s.token, std::move(*wire), s.tcp});
            }
        }
    }

    TransportClock::time_point m_now = TransportClock::time_point{} + 1h;
    std::uint16_t m_next_id = 100;
    std::vector<Sent> m_queued;
    std::set<std::uint32_t> m_live;
    std::deque<Reply> m_inbox;
};

// The reply to `query`: its id and question, the given rcode and flags, and the records.
struct ReplySpec {
    ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
    bool tc = false;
    bool aa = false;
    Strings answers;
    Strings authority;
};

Bytes reply(const Bytes& query, const ReplySpec& spec) {
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&pkt, query.data(), query.size()), LDNS_STATUS_OK);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_aa(pkt, spec.aa);
    ldns_pkt_set_tc(pkt, spec.tc);
    ldns_pkt_set_rcode(pkt, spec.rcode);
    for (const auto& [lines, section] : {std::pair{&spec.answers, LDNS_SECTION_ANSWER},
                                         std::pair{&spec.authority, LDNS_SECTION_AUTHORITY}}) {
        for (const std::string& line : *lines) {
            ldns_rr* rr = nullptr;
            EXPECT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 300, nullptr, nullptr), LDNS_STATUS_OK)
                << line;
            ldns_pkt_push_rr(pkt, section, rr);
        }
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
    Bytes out(wire, wire + size);
    std::free(wire);
    ldns_pkt_free(pkt);
    return out;
}

// The question name of a query, canonical.
std::string qname_of(const Bytes& query) {
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&pkt, query.data(), query.size()), LDNS_STATUS_OK);
    char* text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
    std::string name(text);
    std::free(text);
    ldns_pkt_free(pkt);
    name.pop_back();
    return name;
}

bool rd_of(const Bytes& query) {
    return (query[2] & 0x01) != 0;
}

ServerAddress address(const std::string& ip, std::uint16_t port = 53) {
    return ServerAddress{ip, port, ip.find(':') != std::string::npos};
}

ResolverSettings settings(std::vector<ServerAddress> servers) {
    ResolverSettings s;
    s.servers = std::move(servers);
    s.timeout = 2000ms;
    s.attempts = 3;
    s.max_qps = 0;
    return s;
}

const std::string k_name = "sel._domainkey.example.com";

// Runs the lookups through a policy over `transport`; the results in submission order.
std::vector<LookupResult> run(const ResolverSettings& s, FakeTransport& transport,
                              const std::vector<LookupRequest>& requests) {
    QueryPolicy policy(s, transport);
    std::vector<std::optional<LookupResult>> results(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        policy.submit(requests[i], [&results, i](LookupResult r) { results[i] = std::move(r); });
    }
    policy.run();
    std::vector<LookupResult> out;
    for (auto& r : results) {
        EXPECT_TRUE(r.has_value()) << "a lookup never called back";
        out.push_back(r ? std::move(*r) : LookupResult{});
    }
    return out;
}

LookupResult run_one(const ResolverSettings& s, FakeTransport& transport, LookupRequest request) {
    return run(s, transport, {std::move(request)}).at(0);
}

TEST(QueryPolicy, TimeoutThenAnswerFromTheSecondServer) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        if (s.server == 0) {
            return std::nullopt;
        }
        return reply(s.query, {.answers = {k_name + ". 60 IN TXT \"v=DKIM1; p=\""}});
    };
    const auto before = transport.now();
    const LookupResult result = run_one(settings({address("192.0.2.1"), address("192.0.2.2")}),
                                        transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::answer);
    EXPECT_EQ(result.server, "192.0.2.2:53");
    EXPECT_EQ(result.attempts, 2);
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"v=DKIM1; p="}}));
    EXPECT_EQ(result.ttl, 60u);
    ASSERT_EQ(transport.sent.size(), 2u);
    EXPECT_EQ(transport.sent[0].server, 0);
    EXPECT_EQ(transport.sent[1].server, 1);
    EXPECT_GE(transport.sent[1].at - before, 2000ms); // after the first attempt's timeout
    EXPECT_TRUE(rd_of(transport.sent[0].query));
}

TEST(QueryPolicy, ServfailRotatesAndNoServerIsAskedTwiceInAHop) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        return reply(s.query, {.rcode = LDNS_RCODE_SERVFAIL});
    };
    ResolverSettings s = settings({address("192.0.2.1"), address("192.0.2.2")});
    s.attempts = 5;
    const LookupResult result = run_one(s, transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::servfail);
    ASSERT_EQ(transport.sent.size(), 2u); // both said no: attempts left are not spent
    EXPECT_NE(transport.sent[0].server, transport.sent[1].server);
    EXPECT_EQ(result.detail, "SERVFAIL from 192.0.2.1:53 and 192.0.2.2:53");
}

TEST(QueryPolicy, TimeoutsAfterEveryAttemptAreATimeout) {
    FakeTransport transport; // no responder: every query is lost
    const LookupResult result = run_one(settings({address("192.0.2.1"), address("192.0.2.2")}),
                                        transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::timeout);
    EXPECT_EQ(transport.sent.size(), 3u);
    EXPECT_EQ(result.server, "");
    EXPECT_EQ(result.detail, "no answer from 192.0.2.1:53 and 192.0.2.2:53 after 3 attempts (2s "
                             "each)");
}

TEST(QueryPolicy, TruncatedAnswerIsAskedAgainOverTcpOfTheSameServer) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        if (!s.tcp) {
            return reply(s.query, {.tc = true});
        }
        return reply(s.query, {.answers = {k_name + ". 60 IN TXT \"big\""}});
    };
    const LookupResult result = run_one(settings({address("192.0.2.1"), address("192.0.2.2")}),
                                        transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::answer);
    EXPECT_TRUE(result.used_tcp);
    EXPECT_EQ(result.attempts, 2);
    ASSERT_EQ(transport.sent.size(), 2u);
    EXPECT_FALSE(transport.sent[0].tcp);
    EXPECT_TRUE(transport.sent[1].tcp);
    EXPECT_EQ(transport.sent[0].server, transport.sent[1].server);
}

TEST(QueryPolicy, TruncatedOverTcpIsMalformedNotAnAnswer) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        return reply(s.query, {.tc = true, .answers = {k_name + ". 60 IN TXT \"part\""}});
    };
    ResolverSettings s = settings({address("192.0.2.1")});
    s.attempts = 1;
    const LookupResult result = run_one(s, transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_TRUE(result.txt_records.empty());
}

TEST(QueryPolicy, CnameHopsAreFollowedOneQueryEach) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        const std::string name = qname_of(s.query);
        if (name == k_name) {
            return reply(s.query, {.answers = {k_name + ". 300 IN CNAME b.example.net."}});
        }
        if (name == "b.example.net") {
            return reply(s.query, {.answers = {"b.example.net. 100 IN CNAME c.example.org."}});
        }
        return reply(s.query, {.answers = {"c.example.org. 200 IN TXT \"end\""}});
    };
    const LookupResult result = run_one(settings({address("192.0.2.1")}), transport,
                                        LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::answer);
    EXPECT_EQ(result.cname_chain, (Strings{"b.example.net", "c.example.org"}));
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"end"}}));
    EXPECT_EQ(result.ttl, 100u); // the smallest of the chain's and the data's
    EXPECT_EQ(result.attempts, 3);
    ASSERT_EQ(transport.sent.size(), 3u);
    EXPECT_EQ(qname_of(transport.sent[2].query), "c.example.org");
}

TEST(QueryPolicy, HopLimitEndsAnEndlessChain) {
    FakeTransport transport;
    int next = 0;
    transport.responder = [&next](const Sent& s) -> std::optional<Bytes> {
        const std::string target = "x" + std::to_string(++next) + ".example.";
        return reply(s.query, {.answers = {qname_of(s.query) + ". 60 IN CNAME " + target}});
    };
    ResolverSettings s = settings({address("192.0.2.1")});
    s.max_cname_hops = 2;
    const LookupResult result = run_one(s, transport, LookupRequest(k_name, RecordType::txt));
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail, "CNAME chain longer than 2");
    EXPECT_EQ(transport.sent.size(), 3u);
    EXPECT_EQ(result.cname_chain.size(), 3u);
}

TEST(QueryPolicy, DirectedQueryStaysOnItsServerWithoutRecursion) {
    FakeTransport transport; // lost
    LookupRequest request(k_name, RecordType::soa);
    request.server = address("::1", 5300);
    const LookupResult result =
        run_one(settings({address("192.0.2.1"), address("192.0.2.2")}), transport, request);
    EXPECT_EQ(result.outcome, LookupOutcome::timeout);
    ASSERT_EQ(transport.sent.size(), 3u); // attempts spent on the one server
    for (const Sent& s : transport.sent) {
        EXPECT_EQ(transport.servers.at(s.server), "[::1]:5300");
        EXPECT_FALSE(rd_of(s.query));
    }
}

TEST(QueryPolicy, DirectedQueryReportsTheCnameAtTheNameWithoutFollowingIt) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        return reply(s.query, {.aa = true,
                               .answers = {k_name + ". 300 IN CNAME b.example.net."},
                               .authority = {"example.com. 600 IN SOA ns1.example.com. "
                                             "h.example.com. 77 1 1 1 120"}});
    };
    LookupRequest request(k_name, RecordType::txt);
    request.server = address("192.0.2.53");
    const LookupResult result = run_one(settings({address("192.0.2.1")}), transport, request);
    EXPECT_EQ(result.outcome, LookupOutcome::nodata);
    EXPECT_EQ(result.cname_chain, (Strings{"b.example.net"}));
    EXPECT_EQ(transport.sent.size(), 1u);
    EXPECT_TRUE(result.authoritative_answer);
    EXPECT_EQ(result.server, "192.0.2.53:53");
    EXPECT_EQ(result.soa_owner, "example.com");
    EXPECT_EQ(result.soa_serial, 77u);
}

TEST(QueryPolicy, DirectedAndPlainQueriesShareNoServers) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        return reply(s.query, {.aa = true, .answers = {"example.com. 60 IN NS ns1.example.com."}});
    };
    LookupRequest directed("example.com", RecordType::ns);
    directed.server = address("192.0.2.53");
    const auto results = run(settings({address("192.0.2.1")}), transport,
                             {directed, LookupRequest("example.com", RecordType::ns), directed});
    ASSERT_EQ(transport.sent.size(), 3u);
    EXPECT_EQ(transport.servers.size(), 2u); // the directed server is registered once
    EXPECT_EQ(results[0].server, "192.0.2.53:53");
    EXPECT_EQ(results[1].server, "192.0.2.1:53");
    EXPECT_EQ(results[2].server, "192.0.2.53:53");
    for (const LookupResult& r : results) {
        EXPECT_EQ(r.values, (Strings{"ns1.example.com"}));
    }
}

TEST(QueryPolicy, DnssecQueriesSetDoAndCdAndKeepEveryWireUsed) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        if (qname_of(s.query) == k_name) {
            return reply(s.query, {.answers = {k_name + ". 300 IN CNAME b.example.net."}});
        }
        return reply(s.query, {.answers = {"b.example.net. 300 IN TXT \"x\""}});
    };
    LookupRequest request(k_name, RecordType::txt);
    request.dnssec = true;
    const LookupResult result = run_one(settings({address("192.0.2.1")}), transport, request);
    EXPECT_EQ(result.outcome, LookupOutcome::answer);
    ASSERT_EQ(transport.sent.size(), 2u);
    ASSERT_EQ(result.wires.size(), 2u);
    for (const Sent& s : transport.sent) {
        ldns_pkt* pkt = nullptr;
        ASSERT_EQ(ldns_wire2pkt(&pkt, s.query.data(), s.query.size()), LDNS_STATUS_OK);
        EXPECT_TRUE(ldns_pkt_edns_do(pkt));
        EXPECT_TRUE(ldns_pkt_cd(pkt));
        ldns_pkt_free(pkt);
    }
    // Not asked for: nothing kept.
    FakeTransport plain;
    plain.responder = transport.responder;
    EXPECT_TRUE(
        run_one(settings({address("192.0.2.1")}), plain, LookupRequest(k_name, RecordType::txt))
            .wires.empty());
}

TEST(QueryPolicy, RateLimitPacesTheSends) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        return reply(s.query, {.answers = {qname_of(s.query) + ". 60 IN TXT \"x\""}});
    };
    ResolverSettings s = settings({address("192.0.2.1")});
    s.max_qps = 10; // a burst of 1: one send every 100 ms
    std::vector<LookupRequest> requests;
    for (int i = 0; i < 20; ++i) {
        requests.emplace_back("n" + std::to_string(i) + ".example.com", RecordType::txt);
    }
    const auto results = run(s, transport, requests);
    for (const LookupResult& r : results) {
        EXPECT_EQ(r.outcome, LookupOutcome::answer);
    }
    ASSERT_EQ(transport.sent.size(), 20u);
    for (std::size_t i = 1; i < transport.sent.size(); ++i) {
        EXPECT_GE(transport.sent[i].at - transport.sent[i - 1].at, 99ms) << i;
    }
    EXPECT_GE(transport.sent.back().at - transport.sent.front().at, 1900ms);
}

TEST(QueryPolicy, InflightLimitHoldsQueriesBack) {
    FakeTransport transport; // lost: everything in flight until its timeout
    ResolverSettings s = settings({address("192.0.2.1")});
    s.max_inflight = 4;
    s.attempts = 1;
    std::vector<LookupRequest> requests;
    for (int i = 0; i < 10; ++i) {
        requests.emplace_back("n" + std::to_string(i) + ".example.com", RecordType::txt);
    }
    const auto results = run(s, transport, requests);
    ASSERT_EQ(transport.sent.size(), 10u);
    // 4 at once, then 4 more when they time out, then 2.
    EXPECT_EQ(transport.sent[3].at, transport.sent[0].at);
    EXPECT_GE(transport.sent[4].at - transport.sent[0].at, 2000ms);
    EXPECT_GE(transport.sent[8].at - transport.sent[4].at, 2000ms);
}

TEST(QueryPolicy, NxdomainAndNodataCarryTheNegativeTtl) {
    FakeTransport transport;
    transport.responder = [](const Sent& s) -> std::optional<Bytes> {
        const bool missing = qname_of(s.query) == "missing.example.com";
        return reply(s.query, {.rcode = missing ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR,
                               .authority = {"example.com. 3600 IN SOA a.example.com. "
                                             "h.example.com. 9 1 1 1 300"}});
    };
    const auto results = run(settings({address("192.0.2.1")}), transport,
                             {LookupRequest("missing.example.com", RecordType::txt),
                              LookupRequest("empty.example.com", RecordType::a)});
    EXPECT_EQ(results[0].outcome, LookupOutcome::nxdomain);
    EXPECT_EQ(results[1].outcome, LookupOutcome::nodata);
    for (const LookupResult& r : results) {
        EXPECT_EQ(r.ttl, 300u);
        EXPECT_EQ(r.soa_serial, 9u);
        EXPECT_TRUE(r.values.empty());
    }
}

} // namespace
} // namespace dkimwatch
