// The lookup cache over a fake inner service that answers from a table inside run(), with an
// injected clock: hits, expiry, coalescing, passthrough, failure TTL, eviction, re-submission
// from callbacks and clear().

#include "core/lookup_cache.hpp"

#include <deque>
#include <gtest/gtest.h>
#include <map>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

class FakeInner : public LookupService {
public:
    // Answers by name; a name not in the table gets NXDOMAIN with a 300 s negative TTL.
    std::map<std::string, LookupResult> answers;
    std::vector<LookupRequest> asked; // every request that reached this service

    void submit(LookupRequest request, Callback callback) override {
        asked.push_back(request);
        m_queue.emplace_back(std::move(request), std::move(callback));
    }

    void run() override {
        while (!m_queue.empty()) {
            auto item = std::move(m_queue.front());
            m_queue.pop_front();
            LookupResult result;
            const auto found = answers.find(item.first.name);
            if (found != answers.end()) {
                result = found->second;
            } else {
                result.outcome = LookupOutcome::nxdomain;
                result.ttl = 300;
            }
            result.request = item.first;
            item.second(std::move(result));
        }
    }

private:
    std::deque<std::pair<LookupRequest, Callback>> m_queue;
};

LookupResult answer(std::vector<std::string> values, std::uint32_t ttl) {
    LookupResult result;
    result.outcome = LookupOutcome::answer;
    result.values = std::move(values);
    result.ttl = ttl;
    return result;
}

LookupRequest cacheable(std::string name, RecordType type = RecordType::a) {
    LookupRequest request{std::move(name), type};
    request.cacheable = true;
    return request;
}

struct Fixture {
    FakeInner inner;
    std::chrono::steady_clock::time_point now{std::chrono::hours{1000}};
    LookupCacheSettings settings;
    std::unique_ptr<CachingLookupService> cache;

    void make() {
        cache = std::make_unique<CachingLookupService>(inner, settings, [this] { return now; });
    }

    // Submits `request`, runs, and returns the result delivered.
    LookupResult ask(const LookupRequest& request) {
        std::optional<LookupResult> got;
        cache->submit(request, [&got](LookupResult result) { got = std::move(result); });
        cache->run();
        EXPECT_TRUE(got.has_value());
        return got.value_or(LookupResult{});
    }
};

TEST(LookupCache, AnswersARepeatedRequestFromTheCacheInsideRun) {
    Fixture f;
    f.inner.answers["ns1.example.net"] = answer({"192.0.2.1"}, 600);
    f.make();
    EXPECT_EQ(f.ask(cacheable("ns1.example.net")).values, std::vector<std::string>{"192.0.2.1"});
    ASSERT_EQ(f.inner.asked.size(), 1u);

    bool called = false;
    f.cache->submit(cacheable("ns1.example.net"), [&called](LookupResult result) {
        called = true;
        EXPECT_EQ(result.values, std::vector<std::string>{"192.0.2.1"});
        EXPECT_EQ(result.request, cacheable("ns1.example.net"));
    });
    EXPECT_FALSE(called) << "a cached answer must not be delivered inside submit()";
    f.cache->run();
    EXPECT_TRUE(called);
    EXPECT_EQ(f.inner.asked.size(), 1u);
    EXPECT_EQ(f.cache->stats().hits, 1u);
    EXPECT_EQ(f.cache->stats().misses, 1u);
    EXPECT_EQ(f.cache->stats().coalesced, 0u);
}

TEST(LookupCache, AnEntryExpiresAfterItsTtl) {
    Fixture f;
    f.inner.answers["ns1.example.net"] = answer({"192.0.2.1"}, 600);
    f.make();
    f.ask(cacheable("ns1.example.net"));
    f.now += 599s;
    f.ask(cacheable("ns1.example.net"));
    EXPECT_EQ(f.inner.asked.size(), 1u);
    f.now += 1s;
    f.inner.answers["ns1.example.net"] = answer({"192.0.2.9"}, 600);
    EXPECT_EQ(f.ask(cacheable("ns1.example.net")).values, std::vector<std::string>{"192.0.2.9"});
    EXPECT_EQ(f.inner.asked.size(), 2u);
    EXPECT_EQ(f.cache->stats().hits, 1u);
    EXPECT_EQ(f.cache->stats().misses, 2u);
}

TEST(LookupCache, TtlIsClampedToTheConfiguredBounds) {
    Fixture f;
    f.settings.min_ttl = 30s;
    f.settings.max_ttl = 100s;
    f.inner.answers["short.example"] = answer({"192.0.2.1"}, 1);
    f.inner.answers["long.example"] = answer({"192.0.2.2"}, 86400);
    f.make();
    f.ask(cacheable("short.example"));
    f.ask(cacheable("long.example"));
    f.now += 29s;
    f.ask(cacheable("short.example")); // still cached: min_ttl
    EXPECT_EQ(f.inner.asked.size(), 2u);
    f.now += 71s; // 100 s after: both gone (max_ttl caps the long one)
    f.ask(cacheable("short.example"));
    f.ask(cacheable("long.example"));
    EXPECT_EQ(f.inner.asked.size(), 4u);
}

TEST(LookupCache, IdenticalRequestsInFlightShareOneInnerQuery) {
    Fixture f;
    f.inner.answers["example.com"] = answer({"ns1.example.net", "ns2.example.net"}, 600);
    f.make();
    std::vector<LookupResult> got;
    for (int i = 0; i < 3; ++i) {
        f.cache->submit(cacheable("example.com", RecordType::ns),
                        [&got](LookupResult result) { got.push_back(std::move(result)); });
    }
    EXPECT_TRUE(got.empty());
    f.cache->run();
    ASSERT_EQ(got.size(), 3u);
    for (const auto& result : got) {
        EXPECT_EQ(result.values.size(), 2u);
        EXPECT_EQ(result.request.type, RecordType::ns);
    }
    EXPECT_EQ(f.inner.asked.size(), 1u);
    EXPECT_EQ(f.cache->stats().misses, 1u);
    EXPECT_EQ(f.cache->stats().coalesced, 2u);
}

TEST(LookupCache, RequestsThatDifferInAnyFieldDoNotShare) {
    Fixture f;
    f.inner.answers["example.com"] = answer({"x"}, 600);
    f.make();
    LookupRequest plain = cacheable("example.com", RecordType::soa);
    LookupRequest other_type = cacheable("example.com", RecordType::ns);
    LookupRequest dnssec = plain;
    dnssec.dnssec = true;
    LookupRequest directed = plain;
    directed.server = ServerAddress{"127.0.0.2", 5300, false};
    LookupRequest directed_other = plain;
    directed_other.server = ServerAddress{"127.0.0.3", 5300, false};
    int delivered = 0;
    for (const auto& request : {plain, other_type, dnssec, directed, directed_other}) {
        f.cache->submit(request, [&delivered, request](LookupResult result) {
            ++delivered;
            EXPECT_EQ(result.request, request);
        });
    }
    f.cache->run();
    EXPECT_EQ(delivered, 5);
    EXPECT_EQ(f.inner.asked.size(), 5u);
    EXPECT_EQ(f.cache->stats().coalesced, 0u);
}

TEST(LookupCache, NonCacheableRequestsPassThroughUntouched) {
    Fixture f;
    f.inner.answers["a._domainkey.example.com"] = answer({}, 3600);
    f.make();
    const LookupRequest request{"a._domainkey.example.com", RecordType::cname};
    f.ask(request);
    f.ask(request);
    ASSERT_EQ(f.inner.asked.size(), 2u);
    EXPECT_EQ(f.inner.asked[0], request);
    EXPECT_EQ(f.inner.asked[1], request);
    EXPECT_EQ(f.cache->stats().hits, 0u);
    EXPECT_EQ(f.cache->stats().misses, 0u);
    EXPECT_EQ(f.cache->stats().coalesced, 0u);
}

TEST(LookupCache, FailuresAreKeptForTheFailureTtlOnly) {
    Fixture f;
    f.settings.failure_ttl = 7s;
    LookupResult timeout;
    timeout.outcome = LookupOutcome::timeout;
    timeout.ttl = 3600; // ignored for a failure
    f.inner.answers["slow.example"] = timeout;
    LookupResult servfail;
    servfail.outcome = LookupOutcome::servfail;
    f.inner.answers["broken.example"] = servfail;
    f.make();
    f.ask(cacheable("slow.example"));
    f.ask(cacheable("broken.example"));
    f.now += 6s;
    EXPECT_EQ(f.ask(cacheable("slow.example")).outcome, LookupOutcome::timeout);
    EXPECT_EQ(f.ask(cacheable("broken.example")).outcome, LookupOutcome::servfail);
    EXPECT_EQ(f.inner.asked.size(), 2u);
    f.now += 1s;
    f.ask(cacheable("slow.example"));
    f.ask(cacheable("broken.example"));
    EXPECT_EQ(f.inner.asked.size(), 4u);
}

TEST(LookupCache, NegativeAnswersAreKeptForTheirTtl) {
    Fixture f; // unknown names: NXDOMAIN with ttl 300
    f.make();
    EXPECT_EQ(f.ask(cacheable("gone.example")).outcome, LookupOutcome::nxdomain);
    f.now += 299s;
    f.ask(cacheable("gone.example"));
    EXPECT_EQ(f.inner.asked.size(), 1u);
    f.now += 1s;
    f.ask(cacheable("gone.example"));
    EXPECT_EQ(f.inner.asked.size(), 2u);
}

TEST(LookupCache, MaxEntriesEvictsTheSoonestExpiring) {
    Fixture f;
    f.settings.max_entries = 2;
    f.inner.answers["a.example"] = answer({"1"}, 100);
    f.inner.answers["b.example"] = answer({"2"}, 50);
    f.inner.answers["c.example"] = answer({"3"}, 200);
    f.make();
    f.ask(cacheable("a.example"));
    f.ask(cacheable("b.example"));
    f.ask(cacheable("c.example")); // evicts b (expires first)
    EXPECT_EQ(f.inner.asked.size(), 3u);
    f.ask(cacheable("a.example"));
    f.ask(cacheable("c.example"));
    EXPECT_EQ(f.inner.asked.size(), 3u);
    f.ask(cacheable("b.example"));
    EXPECT_EQ(f.inner.asked.size(), 4u);
    EXPECT_EQ(f.cache->stats().hits, 2u);
}

TEST(LookupCache, CallbacksMaySubmitAgainAndRunDeliversEverything) {
    Fixture f;
    f.inner.answers["example.com"] = answer({"ns1.example.net"}, 600);
    f.inner.answers["ns1.example.net"] = answer({"192.0.2.1"}, 600);
    f.make();
    f.ask(cacheable("example.com", RecordType::ns)); // cached now

    // cached NS -> (miss) address -> cached NS again -> plain lookup through the inner service
    std::vector<std::string> order;
    auto& cache = *f.cache;
    cache.submit(cacheable("example.com", RecordType::ns), [&](LookupResult ns) {
        order.push_back("ns " + ns.values.at(0));
        cache.submit(cacheable(ns.values.at(0)), [&](LookupResult address) {
            order.push_back("a " + address.values.at(0));
            cache.submit(cacheable("example.com", RecordType::ns), [&](LookupResult again) {
                order.push_back("ns again " + again.values.at(0));
                cache.submit({"x._domainkey.example.com", RecordType::txt}, [&](LookupResult txt) {
                    order.push_back(std::string("txt ") + lookup_outcome_name(txt.outcome));
                });
            });
        });
    });
    cache.run();
    EXPECT_EQ(order, (std::vector<std::string>{"ns ns1.example.net", "a 192.0.2.1",
                                               "ns again ns1.example.net", "txt nxdomain"}));
    EXPECT_EQ(f.inner.asked.size(), 3u);
    EXPECT_EQ(f.cache->stats().hits, 2u);
}

TEST(LookupCache, ClearDropsEntriesAndDetachesQueriesInFlight) {
    Fixture f;
    f.inner.answers["a.example"] = answer({"1"}, 600);
    f.make();
    f.ask(cacheable("a.example"));
    f.cache->clear();
    f.ask(cacheable("a.example"));
    EXPECT_EQ(f.inner.asked.size(), 2u);

    // A query in flight during clear() still answers its waiters, but a request made after the
    // clear does not join it, and its answer is not kept.
    f.cache->clear();
    int first = 0;
    int second = 0;
    f.cache->submit(cacheable("b.example"), [&first](LookupResult) { ++first; });
    f.cache->clear();
    f.cache->submit(cacheable("b.example"), [&second](LookupResult) { ++second; });
    f.cache->run();
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
    EXPECT_EQ(f.inner.asked.size(), 4u);
    f.ask(cacheable("b.example")); // the second query's answer is cached
    EXPECT_EQ(f.inner.asked.size(), 4u);
}

} // namespace
