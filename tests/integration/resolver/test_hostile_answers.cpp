// AsyncResolver against a hostile server (hostile_server.hpp): TC over TCP, answers without a
// question or for another question, and what an off-path forger must guess (source port, id).

#include "dns/async_resolver.hpp"
#include "hostile_server.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using resolver_test::bare_header_response;
using resolver_test::HostileServer;
using resolver_test::message_id;
using resolver_test::ReceivedQuery;
using resolver_test::response_to;
using resolver_test::Wire;
using resolver_test::with_question_name;
using Strings = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

constexpr int k_noerror = 0;
constexpr int k_servfail = 2;
constexpr int k_nxdomain = 3;

ResolverSettings settings_for(const HostileServer& server) {
    ResolverSettings settings;
    settings.servers = {server.address()};
    settings.timeout = std::chrono::milliseconds(300);
    settings.attempts = 3;
    settings.max_qps = 0;
    return settings;
}

std::vector<LookupResult> resolve(AsyncResolver& resolver,
                                  const std::vector<LookupRequest>& requests) {
    std::vector<LookupResult> results(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        resolver.submit(requests[i],
                        [&results, i](LookupResult result) { results[i] = std::move(result); });
    }
    resolver.run();
    return results;
}

LookupResult resolve_one(AsyncResolver& resolver, const std::string& name,
                         RecordType type = RecordType::txt) {
    return resolve(resolver, {LookupRequest{name, type}}).front();
}

std::size_t count_tcp(const std::vector<ReceivedQuery>& queries) {
    return static_cast<std::size_t>(std::count_if(queries.begin(), queries.end(),
                                                  [](const ReceivedQuery& q) { return q.tcp; }));
}

// Issue 12, item 1: a server (or middlebox) that sets TC on every answer, over TCP too. Such an
// answer is incomplete by its own word: the result is indeterminate (malformed, which the
// evaluator reports as dns_error), never NODATA (`missing`) nor an answer.
TEST(HostileAnswers, TruncatedOverTcpTooIsIndeterminate) {
    HostileServer server([](const ReceivedQuery& query) {
        return std::vector<Wire>{response_to(query.wire, k_noerror, true)};
    });
    AsyncResolver resolver(settings_for(server));
    const auto results = resolve(resolver, {{"tok1._domainkey.example.test", RecordType::cname},
                                            {"tok1.dkim.amazonses.com", RecordType::txt}});
    for (const LookupResult& result : results) {
        EXPECT_EQ(result.outcome, LookupOutcome::malformed)
            << result.request.name << ": " << lookup_outcome_name(result.outcome) << " "
            << result.detail;
        EXPECT_EQ(result.detail,
                  "answer truncated (TC) over TCP from " + server.address().to_string());
        EXPECT_TRUE(result.used_tcp);
        EXPECT_EQ(result.attempts, 2); // UDP, then TCP; the only server said no
    }
    EXPECT_EQ(count_tcp(server.queries()), 2u);
}

TEST(HostileAnswers, TruncatedOverTcpWithRecordsIsNotTakenEither) {
    HostileServer server([](const ReceivedQuery& query) {
        return std::vector<Wire>{response_to(query.wire, k_noerror, true, {"v=DKIM1; p=partial"})};
    });
    AsyncResolver resolver(settings_for(server));
    const LookupResult result = resolve_one(resolver, "tok1.dkim.amazonses.com");
    EXPECT_EQ(result.outcome, LookupOutcome::malformed) << result.detail;
    EXPECT_TRUE(result.txt_records.empty());
}

// Issue 12, item 2: a forged SERVFAIL needs only the right id when an answer without a question
// is accepted. Such answers, and answers to another question, are not answers to our query:
// they are dropped and the real answer, arriving later, is taken.
TEST(HostileAnswers, AnswersWithoutOrWithAnotherQuestionAreDropped) {
    HostileServer server([](const ReceivedQuery& query) {
        const Wire real = response_to(query.wire, k_noerror, false, {"the real answer"});
        Wire wrong_type = response_to(query.wire, k_servfail);
        wrong_type[wrong_type.size() - 3] = 0x05; // QTYPE CNAME instead of TXT
        Wire wrong_class = response_to(query.wire, k_servfail);
        wrong_class[wrong_class.size() - 1] = 0x03; // QCLASS CH
        Wire two_questions = response_to(query.wire, k_servfail);
        two_questions[5] = 2;
        return std::vector<Wire>{
            bare_header_response(query.wire, k_servfail),
            bare_header_response(query.wire, k_nxdomain),
            bare_header_response(query.wire, k_noerror),
            with_question_name(response_to(query.wire, k_nxdomain), "other.example.test"),
            with_question_name(response_to(query.wire, k_servfail), "tok1.dkim.amazonses"),
            wrong_type,
            wrong_class,
            two_questions,
            real,
        };
    });
    AsyncResolver resolver(settings_for(server));
    const LookupResult result = resolve_one(resolver, "tok1.dkim.amazonses.com");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"the real answer"}}));
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(resolver.stats().answers_by_rcode.at("servfail"), 0u);
    EXPECT_EQ(resolver.stats().answers_by_rcode.at("nxdomain"), 0u);
}

TEST(HostileAnswers, ForgedServfailAloneIsALostPacketNotAVerdict) {
    HostileServer server([](const ReceivedQuery& query) {
        return std::vector<Wire>{bare_header_response(query.wire, k_servfail)};
    });
    AsyncResolver resolver(settings_for(server));
    const LookupResult result = resolve_one(resolver, "tok1.dkim.amazonses.com");
    EXPECT_EQ(result.outcome, LookupOutcome::timeout) << result.detail;
    EXPECT_EQ(result.attempts, 3); // retried as for lost packets
    EXPECT_EQ(server.queries().size(), 3u);
}

TEST(HostileAnswers, QuestionNameMatchesWithoutRegardToCase) {
    HostileServer server([](const ReceivedQuery& query) {
        return std::vector<Wire>{with_question_name(
            response_to(query.wire, k_noerror, false, {"upper"}), "TOK1.Dkim.AmazonSES.com")};
    });
    AsyncResolver resolver(settings_for(server));
    const LookupResult result = resolve_one(resolver, "tok1.dkim.amazonses.com");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"upper"}}));
}

TEST(HostileAnswers, TcpAnswersForAnotherQuestionOrIdAreDropped) {
    HostileServer server([](const ReceivedQuery& query) {
        if (!query.tcp) {
            return std::vector<Wire>{response_to(query.wire, k_noerror, true)};
        }
        Wire other_id = response_to(query.wire, k_servfail);
        other_id[0] ^= 0x5a;
        // More strays than the resolver skips per wakeup, then the answer.
        std::vector<Wire> out(40, bare_header_response(query.wire, k_servfail));
        out.push_back(
            with_question_name(response_to(query.wire, k_nxdomain), "other.example.test"));
        out.push_back(other_id);
        out.push_back(response_to(query.wire, k_noerror, false, {"over tcp"}));
        return out;
    });
    AsyncResolver resolver(settings_for(server));
    const LookupResult result = resolve_one(resolver, "tok1.dkim.amazonses.com");
    EXPECT_EQ(result.outcome, LookupOutcome::answer) << result.detail;
    EXPECT_EQ(result.txt_records, (std::vector<Strings>{{"over tcp"}}));
    EXPECT_TRUE(result.used_tcp);
    EXPECT_EQ(result.attempts, 2);
}

// Issue 12, item 2: an off-path forger must guess the source port as well as the id (RFC 5452).
// Lookups one after the other (each submitted by the previous one's callback, so each query is
// sent alone): successive queries leave from different ports of a pool whose sockets are
// replaced as they are used, and the ids show no pattern.
TEST(HostileAnswers, SourcePortsAndIdsVaryPerQuery) {
    HostileServer server([](const ReceivedQuery& query) {
        return std::vector<Wire>{response_to(query.wire, k_noerror, false, {"x"})};
    });
    ResolverSettings settings = settings_for(server);
    settings.timeout = std::chrono::milliseconds(2000);
    AsyncResolver resolver(settings);
    constexpr std::size_t k_count = 5000;
    std::size_t answered = 0;
    std::function<void(LookupResult)> next = [&](LookupResult result) {
        answered += result.outcome == LookupOutcome::answer ? 1 : 0;
        if (answered < k_count && result.outcome == LookupOutcome::answer) {
            resolver.submit({"q" + std::to_string(answered) + ".example.test", RecordType::txt},
                            next);
        }
    };
    resolver.submit({"first.example.test", RecordType::txt}, next);
    resolver.run();
    ASSERT_EQ(answered, k_count);
    const std::vector<ReceivedQuery> queries = server.queries();
    ASSERT_EQ(queries.size(), k_count);

    std::size_t same_port_as_previous = 0;
    for (std::size_t i = 1; i < queries.size(); ++i) {
        same_port_as_previous += queries[i].source_port == queries[i - 1].source_port ? 1 : 0;
    }
    // A pool of at least 8 drawn at random: about 1 in 8 or fewer.
    EXPECT_LT(same_port_as_previous, queries.size() / 4)
        << "successive queries mostly share their source port";
    std::set<std::uint16_t> first_ports;
    std::set<std::uint16_t> last_ports;
    for (std::size_t i = 0; i < 100; ++i) {
        first_ports.insert(queries[i].source_port);
        last_ports.insert(queries[queries.size() - 1 - i].source_port);
    }
    EXPECT_GE(first_ports.size(), 6u);
    std::size_t still_open = 0;
    for (const std::uint16_t port : last_ports) {
        still_open += first_ports.count(port);
    }
    // Every socket is replaced after at most a few hundred queries; the kernel may draw a port
    // again by chance, rarely.
    EXPECT_LE(still_open, 1u) << "the sockets of the first queries were never replaced";

    // Ids: about as many distinct as random draws give (1000 of 65536: ~7.6 collisions), no
    // steps of 0 or 1 between successive ids, and every bit set about half the time.
    std::set<std::uint16_t> ids;
    std::size_t steps = 0;
    std::array<std::size_t, 16> bits{};
    for (std::size_t i = 0; i < 1000; ++i) {
        const std::uint16_t id = message_id(queries[i].wire);
        ids.insert(id);
        if (i > 0) {
            const auto step = static_cast<std::uint16_t>(id - message_id(queries[i - 1].wire));
            steps += step <= 1 ? 1 : 0;
        }
        for (std::size_t b = 0; b < 16; ++b) {
            bits[b] += (id >> b) & 1u;
        }
    }
    EXPECT_GE(ids.size(), 975u);
    EXPECT_LE(steps, 2u);
    for (std::size_t b = 0; b < 16; ++b) {
        EXPECT_GT(bits[b], 400u) << "bit " << b;
        EXPECT_LT(bits[b], 600u) << "bit " << b;
    }
}

} // namespace
} // namespace dkimwatch
