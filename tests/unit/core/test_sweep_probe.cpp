// The sweep with its probe phases on (SweepOptions::probe): a fake DNSSEC validator, the
// authoritative check through the real check_authoritative, the sweep's time, and the lookup
// cache in front of the service sharing one zone's discovery among its records.

#include "core/lookup_cache.hpp"
#include "core/sweep.hpp"

#include <deque>
#include <gtest/gtest.h>
#include <map>
#include <tuple>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

// Answers from a table by (name, type, server ip or "" for the resolvers), inside run(), in
// submission order; anything else is NXDOMAIN (with AA on directed queries).
class WorldLookups : public LookupService {
public:
    std::map<std::tuple<std::string, RecordType, std::string>, LookupResult> answers;
    std::vector<LookupRequest> asked;

    void set(const std::string& name, RecordType type, LookupResult result,
             const std::string& server = {}) {
        answers[{name, type, server}] = std::move(result);
    }

    void submit(LookupRequest request, Callback callback) override {
        asked.push_back(request);
        m_queue.emplace_back(std::move(request), std::move(callback));
    }

    void run() override {
        while (!m_queue.empty()) {
            auto item = std::move(m_queue.front());
            m_queue.pop_front();
            const LookupRequest& request = item.first;
            const std::string server = request.server ? request.server->ip : std::string();
            LookupResult result;
            const auto found = answers.find({request.name, request.type, server});
            if (found != answers.end()) {
                result = found->second;
            } else {
                result.outcome = LookupOutcome::nxdomain;
                result.authoritative_answer = request.server.has_value();
            }
            result.request = request;
            if (request.dnssec) {
                result.wires = {{0xab}};
            }
            item.second(std::move(result));
        }
    }

private:
    std::deque<std::pair<LookupRequest, Callback>> m_queue;
};

Identity easy(const std::string& domain) {
    Identity identity;
    identity.domain = domain;
    identity.account = "1";
    identity.region = "us-east-1";
    EasyDkim method;
    method.tokens = {"a", "b", "c"};
    method.signing_hosted_zone = "dkim.amazonses.com";
    identity.method = method;
    return identity;
}

LookupResult cname_answer(const std::string& target) {
    LookupResult result;
    result.outcome = LookupOutcome::answer;
    result.cname_chain = {target};
    result.ttl = 3600;
    result.authoritative_answer = true;
    return result;
}

LookupResult txt_through(const std::string& target) {
    LookupResult result;
    result.outcome = LookupOutcome::answer;
    result.cname_chain = {target};
    result.txt_records = {{"p="}};
    result.authoritative_answer = true;
    return result;
}

// Publishes the three records of `domain` at the resolvers and, for each ip in `servers`, at
// that authoritative server.
void publish(WorldLookups& world, const std::string& domain,
             const std::vector<std::string>& servers = {}) {
    for (const char* token : {"a", "b", "c"}) {
        const std::string name = std::string(token) + "._domainkey." + domain;
        const std::string target = std::string(token) + ".dkim.amazonses.com";
        world.set(name, RecordType::cname, cname_answer(target));
        world.set(name, RecordType::txt, txt_through(target));
        for (const auto& ip : servers) {
            world.set(name, RecordType::cname, cname_answer(target), ip);
            world.set(name, RecordType::txt, txt_through(target), ip);
        }
        LookupResult target_txt;
        target_txt.outcome = LookupOutcome::answer;
        target_txt.txt_records = {{"p="}};
        world.set(target, RecordType::txt, target_txt);
    }
}

// The zone `domain` served by ns1 (127.0.0.2) and ns2 (127.0.0.3), with TTLs for the cache.
void zone(WorldLookups& world, const std::string& domain) {
    LookupResult soa;
    soa.outcome = LookupOutcome::nodata;
    soa.soa_owner = domain;
    soa.ttl = 300;
    world.set("_domainkey." + domain, RecordType::soa, soa);
    LookupResult ns;
    ns.outcome = LookupOutcome::answer;
    ns.values = {"ns1." + domain, "ns2." + domain};
    ns.ttl = 3600;
    world.set(domain, RecordType::ns, ns);
    int last = 2;
    for (const char* host : {"ns1.", "ns2."}) {
        LookupResult address;
        address.outcome = LookupOutcome::answer;
        address.values = {"127.0.0." + std::to_string(last++)};
        address.ttl = 3600;
        world.set(host + domain, RecordType::a, address);
        LookupResult none;
        none.outcome = LookupOutcome::nodata;
        none.ttl = 3600;
        world.set(host + domain, RecordType::aaaa, none);
    }
}

// Secure for every record, except bogus under "bad.test". Records the times it was given.
class FakeValidator : public DnssecValidator {
public:
    mutable std::vector<std::chrono::system_clock::time_point> times;

    DnssecStep validate(std::span<const LookupResult> answer, std::span<const LookupResult> chain,
                        std::chrono::system_clock::time_point now) const override {
        times.push_back(now);
        LookupRequest dnskey{"test", RecordType::dnskey};
        dnskey.dnssec = true;
        dnskey.cacheable = true;
        if (chain.empty()) {
            return NeedLookups{{dnskey}};
        }
        DnssecResult result;
        result.status = DnssecStatus::secure;
        result.earliest_expiry = now + 30 * 24h;
        result.earliest_expiry_zone = "test";
        for (const auto& lookup : answer) {
            if (lookup.request.name.ends_with(".bad.test")) {
                result.status = DnssecStatus::bogus;
                result.reason = "bad signature over " + lookup.request.name;
                result.earliest_expiry.reset();
            }
        }
        return result;
    }
};

TEST(SweepProbe, DnssecOutcomesReachEveryRecord) {
    WorldLookups world;
    publish(world, "good.test");
    publish(world, "bad.test");
    FakeValidator validator;
    SweepOptions options;
    options.probe.dnssec = &validator;
    options.probe.now = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3};
    const std::vector<Identity> identities{easy("good.test"), easy("bad.test")};
    const auto reports = run_sweep(identities, world, options);

    ASSERT_EQ(reports.size(), 2u);
    EXPECT_TRUE(reports[0].complete);
    EXPECT_EQ(reports[0].worst, Severity::ok);
    for (const auto& record : reports[0].records) {
        EXPECT_EQ(record.code, VerdictCode::ok);
        EXPECT_EQ(record.dnssec, DnssecStatus::secure);
    }
    EXPECT_TRUE(reports[1].complete);
    EXPECT_EQ(reports[1].worst, Severity::error);
    for (const auto& record : reports[1].records) {
        EXPECT_EQ(record.code, VerdictCode::dnssec_bogus);
        EXPECT_NE(record.dnssec_reason.find(record.name), std::string::npos);
    }
    ASSERT_EQ(validator.times.size(), 12u); // two calls per record
    for (const auto& time : validator.times) {
        EXPECT_EQ(time, options.probe.now);
    }
    for (const auto& request : world.asked) {
        EXPECT_EQ(request.dnssec, request.name.find("._domainkey.") != std::string::npos ||
                                      request.type == RecordType::dnskey)
            << request.name;
    }
}

TEST(SweepProbe, TheEpochMeansTheSweepsStart) {
    WorldLookups world;
    publish(world, "good.test");
    FakeValidator validator;
    SweepOptions options;
    options.probe.dnssec = &validator;
    const auto before = std::chrono::system_clock::now();
    run_sweep({easy("good.test"), easy("good.test")}, world, options);
    const auto after = std::chrono::system_clock::now();
    ASSERT_EQ(validator.times.size(), 12u);
    for (const auto& time : validator.times) {
        EXPECT_EQ(time, validator.times.front()) << "one time for the whole sweep";
    }
    EXPECT_GE(validator.times.front(), before);
    EXPECT_LE(validator.times.front(), after);
}

TEST(SweepProbe, AuthoritativeCheckThroughTheCacheDiscoversTheZoneOnce) {
    WorldLookups world;
    publish(world, "split.test", {"127.0.0.2"}); // ns2 (127.0.0.3) lacks the records
    zone(world, "split.test");
    CachingLookupService cache(world, {}, [] { return std::chrono::steady_clock::time_point{}; });
    SweepOptions options;
    options.probe.authoritative = true;
    options.probe.authoritative_port = 5300;
    const auto reports = run_sweep({easy("split.test")}, cache, options);

    ASSERT_EQ(reports.size(), 1u);
    EXPECT_TRUE(reports[0].complete);
    EXPECT_EQ(reports[0].worst, Severity::error);
    for (const auto& record : reports[0].records) {
        EXPECT_EQ(record.code, VerdictCode::ns_split) << record.message;
        EXPECT_EQ(record.zone, "split.test");
        EXPECT_EQ(record.authoritative.size(), 2u);
        EXPECT_FALSE(record.dnssec.has_value());
    }
    // SOA, NS, and A + AAAA of two servers: asked once for the three records.
    std::size_t discovery = 0;
    for (const auto& request : world.asked) {
        if (request.cacheable) {
            ++discovery;
        }
    }
    EXPECT_EQ(discovery, 6u);
    EXPECT_EQ(cache.stats().misses, 6u);
    EXPECT_EQ(cache.stats().hits + cache.stats().coalesced, 12u);
}

TEST(SweepProbe, BothPhasesOffAsksOnlyTheResolvers) {
    WorldLookups world;
    publish(world, "good.test", {"127.0.0.2"});
    zone(world, "good.test");
    const auto reports = run_sweep({easy("good.test")}, world);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].worst, Severity::ok);
    EXPECT_EQ(world.asked.size(), 6u); // CNAME and TXT per record
    for (const auto& request : world.asked) {
        EXPECT_FALSE(request.server.has_value());
        EXPECT_FALSE(request.dnssec);
        EXPECT_FALSE(request.cacheable);
    }
    for (const auto& record : reports[0].records) {
        EXPECT_FALSE(record.dnssec.has_value());
        EXPECT_TRUE(record.authoritative.empty());
    }
}

} // namespace
