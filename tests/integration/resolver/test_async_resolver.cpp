// AsyncResolver against real ldns-testns servers on loopback (see name_server.hpp).

#include "dns/async_resolver.hpp"
#include "name_server.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dkimwatch {
namespace {

using resolver_test::NameServer;
using resolver_test::read_data_file;
using resolver_test::SilentPort;
using Strings = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

std::unique_ptr<NameServer> start(const std::string& data, bool ipv6 = false) {
    auto server = std::make_unique<NameServer>(data, ipv6);
    EXPECT_TRUE(server->ready()) << server->error();
    return server;
}

ResolverSettings settings_for(std::vector<ServerAddress> servers) {
    ResolverSettings settings;
    settings.servers = std::move(servers);
    settings.timeout = std::chrono::milliseconds(500);
    settings.attempts = 3;
    settings.max_qps = 0;
    return settings;
}

// Runs the lookups to completion and returns their results in submission order.
std::vector<LookupResult> resolve(AsyncResolver& resolver,
                                  const std::vector<LookupRequest>& requests) {
    std::vector<LookupResult> results(requests.size());
    std::vector<int> calls(requests.size(), 0);
    for (std::size_t i = 0; i < requests.size(); ++i) {
        resolver.submit(requests[i], [&results, &calls, i](LookupResult result) {
            results[i] = std::move(result);
            ++calls[i];
        });
    }
    resolver.run();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        EXPECT_EQ(calls[i], 1) << "callback count of lookup " << i;
    }
    return results;
}

LookupResult resolve_one(AsyncResolver& resolver, const std::string& name,
                         RecordType type = RecordType::txt) {
    return resolve(resolver, {LookupRequest{name, type}}).front();
}

class ResolverWithZone : public ::testing::Test {
protected:
    void SetUp() override {
        m_server = start(read_data_file("zone.data"));
        ASSERT_TRUE(m_server->ready());
        m_resolver = std::make_unique<AsyncResolver>(settings_for({m_server->address()}));
    }
    std::string server_text() const { return m_server->address().to_string(); }

    std::unique_ptr<NameServer> m_server;
    std::unique_ptr<AsyncResolver> m_resolver;
};

TEST_F(ResolverWithZone, TxtWithSeveralStringsAndRecords) {
    const LookupResult result = resolve_one(*m_resolver, "multi.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.request, (LookupRequest{"multi.test", RecordType::txt}));
    const std::vector<Strings> expected{
        {"v=DKIM1; k=rsa; ", "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"}, {"second record"}};
    EXPECT_EQ(result.txt_records, expected);
    EXPECT_TRUE(result.cname_chain.empty());
    EXPECT_EQ(result.server, server_text());
    EXPECT_EQ(result.attempts, 1);
    EXPECT_FALSE(result.used_tcp);
    EXPECT_EQ(result.detail, "");
    EXPECT_GT(result.latency.count(), 0);
    EXPECT_LT(result.latency, std::chrono::microseconds(500000));
    EXPECT_EQ(m_resolver->stats().queries_sent, 1u);
    EXPECT_EQ(m_resolver->stats().answers_by_rcode.at("noerror"), 1u);
}

TEST_F(ResolverWithZone, TxtThroughCnameInTheSameAnswer) {
    const LookupResult result = resolve_one(*m_resolver, "Via-Cname.test.");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.cname_chain, (Strings{"target.example.net"}));
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"through the chain"}}));
    EXPECT_EQ(result.attempts, 1);
}

TEST_F(ResolverWithZone, CnameQuery) {
    const LookupResult result = resolve_one(*m_resolver, "cname.test", RecordType::cname);
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.cname_chain, (Strings{"tok1.dkim.amazonses.com"}));
    EXPECT_TRUE(result.txt_records.empty());
    EXPECT_EQ(result.attempts, 1);
}

TEST_F(ResolverWithZone, NoData) {
    const LookupResult result = resolve_one(*m_resolver, "nodata.test");
    EXPECT_EQ(result.outcome, LookupOutcome::nodata);
    EXPECT_EQ(result.detail, "no TXT record at nodata.test");
    EXPECT_EQ(result.server, server_text());
    EXPECT_TRUE(result.txt_records.empty());
    EXPECT_EQ(result.attempts, 1);
}

TEST_F(ResolverWithZone, NxDomain) {
    const LookupResult result = resolve_one(*m_resolver, "gone.test");
    EXPECT_EQ(result.outcome, LookupOutcome::nxdomain);
    EXPECT_EQ(result.detail, "gone.test does not exist (NXDOMAIN)");
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(m_resolver->stats().answers_by_rcode.at("nxdomain"), 1u);
}

TEST_F(ResolverWithZone, NxDomainAfterCnameIsTheFinalNamesStatus) {
    const LookupResult result = resolve_one(*m_resolver, "nx-after-cname.test");
    EXPECT_EQ(result.outcome, LookupOutcome::nxdomain);
    EXPECT_EQ(result.cname_chain, (Strings{"missing.example.net"}));
    EXPECT_EQ(result.detail, "missing.example.net does not exist (NXDOMAIN)");
}

TEST_F(ResolverWithZone, AuthoritativeOnlyCnameIsFollowedByHand) {
    const LookupResult result = resolve_one(*m_resolver, "auth-only.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.cname_chain, (Strings{"auth-target.example.org"}));
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"answered by the second query"}}));
    EXPECT_EQ(result.attempts, 2);
    EXPECT_EQ(m_resolver->stats().queries_sent, 2u);
}

TEST_F(ResolverWithZone, CnameLoopIsMalformed) {
    const LookupResult result = resolve_one(*m_resolver, "loop-a.test");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail, "CNAME loop");
    EXPECT_EQ(result.cname_chain, (Strings{"loop-b.test", "loop-a.test"}));
    EXPECT_EQ(result.attempts, 2);
}

TEST_F(ResolverWithZone, ChainOfEightHopsIsFollowed) {
    const LookupResult result = resolve_one(*m_resolver, "chain2.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.cname_chain,
              (Strings{"chain3.test", "chain4.test", "chain5.test", "chain6.test", "chain7.test",
                       "chain8.test", "chain9.test", "chain10.test"}));
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"end of the chain"}}));
    EXPECT_EQ(result.attempts, 9);
}

TEST_F(ResolverWithZone, ChainLongerThanEightHopsIsMalformed) {
    const LookupResult result = resolve_one(*m_resolver, "chain0.test");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail, "CNAME chain longer than 8");
    EXPECT_EQ(result.attempts, 9);
    ASSERT_EQ(result.cname_chain.size(), 9u);
    EXPECT_EQ(result.cname_chain.front(), "chain1.test");
    EXPECT_EQ(result.cname_chain.back(), "chain9.test");
}

TEST_F(ResolverWithZone, TruncatedAnswerIsRetriedOverTcp) {
    const LookupResult result = resolve_one(*m_resolver, "big.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_TRUE(result.used_tcp);
    const std::vector<Strings> expected{{std::string(255, 'a'), std::string(255, 'b')},
                                        {"over tcp"}};
    EXPECT_EQ(result.txt_records, expected);
    EXPECT_EQ(result.attempts, 2);
    EXPECT_EQ(result.server, server_text());
    EXPECT_EQ(m_resolver->stats().tcp_fallbacks, 1u);
    EXPECT_EQ(m_resolver->stats().queries_sent, 2u);
}

TEST_F(ResolverWithZone, FailedTcpFallbackIsRetriedThenGivenUp) {
    const LookupResult result = resolve_one(*m_resolver, "tc-only.test");
    EXPECT_EQ(result.outcome, LookupOutcome::timeout);
    EXPECT_EQ(result.detail,
              "TCP to " + server_text() + " failed: connection closed before a full answer");
    EXPECT_TRUE(result.used_tcp);
    EXPECT_EQ(result.attempts, 6); // three UDP attempts, each followed by TCP
    EXPECT_EQ(m_resolver->stats().tcp_fallbacks, 3u);
}

TEST_F(ResolverWithZone, FormerrIsMalformed) {
    const LookupResult result = resolve_one(*m_resolver, "formerr.test");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail, "FORMERR from " + server_text());
    EXPECT_EQ(result.attempts, 1); // the only server said no; asking it again is pointless
    EXPECT_EQ(m_resolver->stats().answers_by_rcode.at("formerr"), 1u);
}

TEST_F(ResolverWithZone, UnparseableAnswerIsMalformed) {
    const LookupResult result = resolve_one(*m_resolver, "garbage.test");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail.rfind("unusable answer from " + server_text() + " (", 0), 0u)
        << result.detail;
    EXPECT_EQ(result.attempts, 1);
}

TEST_F(ResolverWithZone, ReplyForAnotherQuestionIsIgnored) {
    const LookupResult result = resolve_one(*m_resolver, "stray.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"the real answer"}}));
    EXPECT_EQ(result.attempts, 1);
}

TEST_F(ResolverWithZone, CallbacksMaySubmitMoreLookups) {
    std::vector<LookupResult> results;
    m_resolver->submit({"auth-only.test", RecordType::txt}, [&](LookupResult first) {
        results.push_back(std::move(first));
        m_resolver->submit({"multi.test", RecordType::txt}, [&](LookupResult second) {
            results.push_back(std::move(second));
            m_resolver->submit({"cname.test", RecordType::cname},
                               [&](LookupResult third) { results.push_back(std::move(third)); });
        });
    });
    m_resolver->run();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].request.name, "auth-only.test");
    EXPECT_EQ(results[1].request.name, "multi.test");
    EXPECT_EQ(results[2].request.name, "cname.test");
    for (const LookupResult& result : results) {
        EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    }
}

TEST_F(ResolverWithZone, RunWithNothingQueuedReturnsAtOnce) {
    const auto started = Clock::now();
    m_resolver->run();
    EXPECT_LT(Clock::now() - started, std::chrono::milliseconds(50));
    EXPECT_EQ(m_resolver->stats().queries_sent, 0u);
}

TEST_F(ResolverWithZone, InvalidNameIsMalformedWithoutQuery) {
    const LookupResult result = resolve_one(*m_resolver, std::string(70, 'x') + ".test");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed);
    EXPECT_EQ(result.detail,
              "\"" + std::string(70, 'x') + ".test\" cannot be encoded as a DNS name");
    EXPECT_EQ(result.attempts, 0);
    EXPECT_EQ(m_resolver->stats().queries_sent, 0u);
}

TEST(Resolver, ServfailFromEveryServer) {
    auto first = start(read_data_file("servfail.data"));
    auto second = start(read_data_file("servfail.data"));
    ASSERT_TRUE(first->ready() && second->ready());
    AsyncResolver resolver(settings_for({first->address(), second->address()}));
    const LookupResult result = resolve_one(resolver, "multi.test");
    EXPECT_EQ(result.outcome, LookupOutcome::servfail);
    EXPECT_EQ(result.detail, "SERVFAIL from " + first->address().to_string() + " and " +
                                 second->address().to_string());
    EXPECT_EQ(result.attempts, 2);
    EXPECT_EQ(resolver.stats().answers_by_rcode.at("servfail"), 2u);
}

TEST(Resolver, RefusedThenTheSecondServerAnswers) {
    auto refusing = start(read_data_file("refused.data"));
    auto good = start(read_data_file("zone.data"));
    ASSERT_TRUE(refusing->ready() && good->ready());
    AsyncResolver resolver(settings_for({refusing->address(), good->address()}));
    // The first lookup starts at the first server, the second at the second (rotation).
    const auto results =
        resolve(resolver, {{"multi.test", RecordType::txt}, {"multi.test", RecordType::txt}});
    EXPECT_EQ(results[0].outcome, LookupOutcome::answer) << results[0].detail;
    EXPECT_EQ(results[0].server, good->address().to_string());
    EXPECT_EQ(results[0].attempts, 2);
    EXPECT_EQ(results[0].txt_records.size(), 2u);
    EXPECT_EQ(results[1].outcome, LookupOutcome::answer) << results[1].detail;
    EXPECT_EQ(results[1].server, good->address().to_string());
    EXPECT_EQ(results[1].attempts, 1);
    EXPECT_EQ(resolver.stats().answers_by_rcode.at("refused"), 1u);
    EXPECT_EQ(resolver.stats().queries_sent, 3u);
}

TEST(Resolver, RefusedFromEveryServer) {
    auto refusing = start(read_data_file("refused.data"));
    ASSERT_TRUE(refusing->ready());
    AsyncResolver resolver(settings_for({refusing->address()}));
    const LookupResult result = resolve_one(resolver, "multi.test");
    EXPECT_EQ(result.outcome, LookupOutcome::refused);
    EXPECT_EQ(result.detail, "REFUSED from " + refusing->address().to_string());
    EXPECT_EQ(result.attempts, 1);
}

TEST(Resolver, TimeoutAgainstADeadPort) {
    SilentPort dead;
    ResolverSettings settings = settings_for({dead.address()});
    settings.timeout = std::chrono::milliseconds(300);
    settings.attempts = 3;
    AsyncResolver resolver(settings);
    const auto started = Clock::now();
    const LookupResult result = resolve_one(resolver, "multi.test");
    const auto elapsed = Clock::now() - started;
    EXPECT_EQ(result.outcome, LookupOutcome::timeout);
    EXPECT_EQ(result.attempts, 3);
    EXPECT_EQ(result.detail,
              "no answer from " + dead.address().to_string() + " after 3 attempts (300ms each)");
    EXPECT_EQ(result.server, "");
    EXPECT_GE(elapsed, std::chrono::milliseconds(900));
    EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
    EXPECT_EQ(resolver.stats().answers_by_rcode.at("timeout"), 3u);
    EXPECT_EQ(resolver.stats().queries_sent, 3u);
}

TEST(Resolver, TimeoutOnOneServerThenAnswerFromTheNext) {
    SilentPort dead;
    auto good = start(read_data_file("zone.data"));
    ASSERT_TRUE(good->ready());
    ResolverSettings settings = settings_for({dead.address(), good->address()});
    settings.timeout = std::chrono::milliseconds(300);
    AsyncResolver resolver(settings);
    const auto started = Clock::now();
    const LookupResult result = resolve_one(resolver, "multi.test");
    const auto elapsed = Clock::now() - started;
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.server, good->address().to_string());
    EXPECT_EQ(result.attempts, 2);
    EXPECT_LT(result.latency, std::chrono::microseconds(300000)); // the second attempt's only
    EXPECT_GE(elapsed, std::chrono::milliseconds(300));
    EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
}

TEST(Resolver, MixedFailuresAreAllDescribed) {
    SilentPort dead;
    auto failing = start(read_data_file("servfail.data"));
    ASSERT_TRUE(failing->ready());
    ResolverSettings settings = settings_for({failing->address(), dead.address()});
    settings.timeout = std::chrono::milliseconds(200);
    settings.attempts = 3;
    AsyncResolver resolver(settings);
    const LookupResult result = resolve_one(resolver, "multi.test");
    // SERVFAIL from the first; the dead port is then the only server left to try, twice.
    EXPECT_EQ(result.outcome, LookupOutcome::servfail);
    EXPECT_EQ(result.detail, "SERVFAIL from " + failing->address().to_string() +
                                 "; no answer from " + dead.address().to_string() +
                                 " after 2 attempts (200ms each)");
    EXPECT_EQ(result.attempts, 3);
    EXPECT_EQ(result.server, failing->address().to_string());
}

// A server whose UDP side answers everything with TC and whose TCP side accepts connections
// (the kernel's backlog does) but never answers: the TCP attempt must time out.
class TruncatingServer {
public:
    TruncatingServer() {
        m_udp = socket(AF_INET, SOCK_DGRAM, 0);
        m_tcp = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int attempt = 0; attempt < 20; ++attempt) {
            address.sin_port = 0;
            if (bind(m_udp, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                continue;
            }
            socklen_t size = sizeof address;
            getsockname(m_udp, reinterpret_cast<sockaddr*>(&address), &size);
            if (bind(m_tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                listen(m_tcp, 16) == 0) {
                m_port = ntohs(address.sin_port);
                break;
            }
            close(m_udp);
            m_udp = socket(AF_INET, SOCK_DGRAM, 0);
        }
        m_thread = std::thread([this] { serve(); });
    }
    ~TruncatingServer() {
        m_stop = true;
        m_thread.join();
        close(m_udp);
        close(m_tcp);
    }
    TruncatingServer(const TruncatingServer&) = delete;
    TruncatingServer& operator=(const TruncatingServer&) = delete;
    ServerAddress address() const { return ServerAddress{"127.0.0.1", m_port, false}; }

private:
    void serve() {
        while (!m_stop) {
            pollfd p{m_udp, POLLIN, 0};
            if (poll(&p, 1, 20) != 1) {
                continue;
            }
            std::uint8_t buffer[512];
            sockaddr_in from{};
            socklen_t size = sizeof from;
            const ssize_t got = recvfrom(m_udp, buffer, sizeof buffer, 0,
                                         reinterpret_cast<sockaddr*>(&from), &size);
            if (got < 12 + 11) {
                continue;
            }
            // The query without its OPT record, flagged QR and TC, ARCOUNT 0.
            buffer[2] |= 0x82;
            buffer[11] = 0;
            sendto(m_udp, buffer, static_cast<std::size_t>(got) - 11, 0,
                   reinterpret_cast<sockaddr*>(&from), size);
        }
    }

    int m_udp = -1;
    int m_tcp = -1;
    std::uint16_t m_port = 0;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

TEST(Resolver, TcpAttemptTimesOut) {
    TruncatingServer server;
    ResolverSettings settings = settings_for({server.address()});
    settings.timeout = std::chrono::milliseconds(300);
    settings.attempts = 1;
    AsyncResolver resolver(settings);
    const auto started = Clock::now();
    const LookupResult result = resolve_one(resolver, "multi.test");
    const auto elapsed = Clock::now() - started;
    EXPECT_EQ(result.outcome, LookupOutcome::timeout);
    EXPECT_EQ(result.detail,
              "no answer from " + server.address().to_string() + " after 1 attempt (300ms each)");
    EXPECT_TRUE(result.used_tcp);
    EXPECT_EQ(result.attempts, 2);
    EXPECT_EQ(resolver.stats().tcp_fallbacks, 1u);
    EXPECT_GE(elapsed, std::chrono::milliseconds(300));
    EXPECT_LT(elapsed, std::chrono::milliseconds(800));
}

TEST(Resolver, Ipv6Server) {
    auto server = start(read_data_file("zone.data"), true);
    ASSERT_TRUE(server->ready());
    AsyncResolver resolver(settings_for({server->address()}));
    const LookupResult result = resolve_one(resolver, "multi.test");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.server, "[::1]:" + std::to_string(server->port()));
    EXPECT_EQ(result.txt_records.size(), 2u);
}

TEST(Resolver, ThousandConcurrentLookups) {
    constexpr int k_count = 1000;
    std::string data;
    for (int i = 0; i < k_count; ++i) {
        const std::string name = "bulk" + std::to_string(i) + ".test.";
        data += "ENTRY_BEGIN\nMATCH opcode qtype qname\nREPLY QR AA NOERROR\n"
                "ADJUST copy_id copy_query\nSECTION QUESTION\n" +
                name + " IN TXT\nSECTION ANSWER\n" + name + " 300 IN TXT \"record " +
                std::to_string(i) + "\"\nENTRY_END\n";
    }
    auto server = start(data);
    ASSERT_TRUE(server->ready());
    ResolverSettings settings = settings_for({server->address()});
    settings.timeout = std::chrono::milliseconds(1000);
    // ldns-testns is single-threaded and its socket buffer (rmem_default) holds about 190
    // queries; more in flight would measure its drops (the retries would still answer all).
    settings.max_inflight = 100;
    AsyncResolver resolver(settings);
    resolver.set_record_latencies(true);
    std::vector<LookupRequest> requests;
    for (int i = 0; i < k_count; ++i) {
        requests.push_back({"bulk" + std::to_string(i) + ".test", RecordType::txt});
    }
    const auto results = resolve(resolver, requests);
    int answered = 0;
    for (int i = 0; i < k_count; ++i) {
        const LookupResult& result = results[static_cast<std::size_t>(i)];
        if (result.outcome == LookupOutcome::answer &&
            result.txt_records == std::vector<Strings>{{"record " + std::to_string(i)}}) {
            ++answered;
        } else {
            ADD_FAILURE() << "lookup " << i << ": " << lookup_outcome_name(result.outcome) << " "
                          << result.detail;
        }
    }
    EXPECT_EQ(answered, k_count);
    EXPECT_GE(resolver.stats().queries_sent, static_cast<std::uint64_t>(k_count));
    EXPECT_EQ(resolver.stats().latencies.size(), resolver.stats().answers_by_rcode.at("noerror"));
    std::cout << "queries sent: " << resolver.stats().queries_sent
              << ", timeouts: " << resolver.stats().answers_by_rcode.at("timeout") << "\n";
}

TEST(Resolver, SendRateIsBounded) {
    auto server = start(read_data_file("zone.data"));
    ASSERT_TRUE(server->ready());
    ResolverSettings settings = settings_for({server->address()});
    settings.max_qps = 100; // a burst of 1, then one query every 10 ms
    AsyncResolver resolver(settings);
    std::vector<LookupRequest> requests(41, LookupRequest{"multi.test", RecordType::txt});
    const auto started = Clock::now();
    const auto results = resolve(resolver, requests);
    const auto elapsed = Clock::now() - started;
    for (const LookupResult& result : results) {
        EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    }
    EXPECT_GE(elapsed, std::chrono::milliseconds(390));
    EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST(Resolver, StatsHaveEveryRcodeKey) {
    SilentPort dead;
    AsyncResolver resolver(settings_for({dead.address()}));
    const auto& counts = resolver.stats().answers_by_rcode;
    for (const char* key :
         {"noerror", "nxdomain", "servfail", "refused", "formerr", "notimp", "other", "timeout"}) {
        ASSERT_EQ(counts.count(key), 1u) << key;
        EXPECT_EQ(counts.at(key), 0u) << key;
    }
    EXPECT_EQ(counts.size(), 8u);
}

TEST(Resolver, NoServerIsAnError) {
    EXPECT_THROW(AsyncResolver(ResolverSettings{}), std::runtime_error);
}

} // namespace
} // namespace dkimwatch
