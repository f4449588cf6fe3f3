// The record probe driven by a table of canned answers (resolver and directed queries alike)
// and a fake DNSSEC validator: the dnssec flag on the record-name lookups, the folding of each
// DNSSEC outcome into the verdict, and the authoritative phase through the real
// check_authoritative, alone and together with DNSSEC.

#include "core/record_probe.hpp"

#include <gtest/gtest.h>
#include <map>
#include <tuple>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

const std::string k_name = "a._domainkey.example.com";
const std::string k_target = "a.dkim.amazonses.com";
const std::chrono::system_clock::time_point k_now{
    std::chrono::sys_days{std::chrono::year{2026} / 12 / 3}};

RecordExpectation easy_expectation() {
    RecordExpectation expectation;
    expectation.kind = RecordExpectation::Kind::easy_dkim_cname;
    expectation.name = k_name;
    expectation.domain = "example.com";
    expectation.region = "us-east-1";
    expectation.token = "a";
    expectation.signing_hosted_zone = "dkim.amazonses.com";
    expectation.expected_target = k_target;
    expectation.all_tokens = {"a", "b", "c"};
    return expectation;
}

// Canned answers by (name, type, server ip or "" for the resolvers). Anything else: NXDOMAIN.
// Directed answers carry AA unless told otherwise.
struct World {
    std::map<std::tuple<std::string, RecordType, std::string>, LookupResult> answers;
    std::vector<LookupRequest> asked;

    void set(const std::string& name, RecordType type, LookupResult result,
             const std::string& server = {}) {
        answers[{name, type, server}] = std::move(result);
    }

    LookupResult answer(const LookupRequest& request) {
        asked.push_back(request);
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
            result.wires = {{0x12, 0x34}}; // what the validator would parse
        }
        return result;
    }
};

LookupResult cname_answer(const std::string& target, std::uint32_t ttl = 3600) {
    LookupResult result;
    result.outcome = LookupOutcome::answer;
    result.cname_chain = {target};
    result.ttl = ttl;
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

void publish_at_resolver(World& world) {
    world.set(k_name, RecordType::cname, cname_answer(k_target));
    world.set(k_name, RecordType::txt, txt_through(k_target));
}

// A zone example.com with ns1 (127.0.0.2) and ns2 (127.0.0.3).
void zone_with_two_servers(World& world) {
    LookupResult soa;
    soa.outcome = LookupOutcome::nodata;
    soa.soa_owner = "example.com";
    soa.soa_serial = 7;
    world.set("_domainkey.example.com", RecordType::soa, soa);
    LookupResult ns;
    ns.outcome = LookupOutcome::answer;
    ns.values = {"ns1.example.com", "ns2.example.com"};
    world.set("example.com", RecordType::ns, ns);
    for (const auto& [host, ip] :
         {std::pair<std::string, std::string>{"ns1.example.com", "127.0.0.2"},
          {"ns2.example.com", "127.0.0.3"}}) {
        LookupResult address;
        address.outcome = LookupOutcome::answer;
        address.values = {ip};
        world.set(host, RecordType::a, address);
        LookupResult none;
        none.outcome = LookupOutcome::nodata;
        world.set(host, RecordType::aaaa, none);
    }
    LookupResult target_txt;
    target_txt.outcome = LookupOutcome::answer;
    target_txt.txt_records = {{"p="}};
    world.set(k_target, RecordType::txt, target_txt);
}

void serve_at(World& world, const std::string& ip) {
    world.set(k_name, RecordType::cname, cname_answer(k_target), ip);
    world.set(k_name, RecordType::txt, txt_through(k_target), ip);
}

// A validator that asks for the DNSKEY of example.com once, then returns `result`. It records
// what it was handed.
class FakeValidator : public DnssecValidator {
public:
    DnssecResult result;
    bool repeat = false; // asks for the same request again instead of answering
    mutable std::vector<LookupResult> seen_answer;
    mutable int calls = 0;

    DnssecStep validate(std::span<const LookupResult> answer, std::span<const LookupResult> chain,
                        std::chrono::system_clock::time_point now) const override {
        ++calls;
        EXPECT_EQ(now, k_now);
        seen_answer.assign(answer.begin(), answer.end());
        LookupRequest dnskey{"example.com", RecordType::dnskey};
        dnskey.dnssec = true;
        dnskey.cacheable = true;
        if (chain.empty() || repeat) {
            return NeedLookups{{dnskey}};
        }
        return result;
    }
};

struct ProbeRun {
    RecordVerdict verdict;
    std::vector<std::vector<LookupRequest>> rounds;
};

// Drives the probe to its verdict, checking that it never returns an empty NeedLookups and
// never asks for a request twice.
ProbeRun drive(RecordProbe& probe, World& world) {
    ProbeRun run;
    std::vector<LookupRequest> all;
    ProbeStep step = probe.step({});
    for (int round = 0; round < 50; ++round) {
        if (auto* verdict = std::get_if<RecordVerdict>(&step)) {
            run.verdict = std::move(*verdict);
            return run;
        }
        const auto& need = std::get<NeedLookups>(step);
        EXPECT_FALSE(need.requests.empty());
        run.rounds.push_back(need.requests);
        std::vector<LookupResult> results;
        for (const auto& request : need.requests) {
            EXPECT_EQ(std::count(all.begin(), all.end(), request), 0)
                << "asked twice: " << request.name << " " << record_type_name(request.type);
            all.push_back(request);
            results.push_back(world.answer(request));
        }
        step = probe.step(std::move(results));
    }
    ADD_FAILURE() << "the probe did not finish";
    return run;
}

ProbeSettings settings_with(const DnssecValidator* validator, bool authoritative = false) {
    ProbeSettings settings;
    settings.dnssec = validator;
    settings.authoritative = authoritative;
    settings.authoritative_port = 5300;
    settings.now = k_now;
    return settings;
}

DnssecResult secure(std::chrono::system_clock::time_point expiry) {
    DnssecResult result;
    result.status = DnssecStatus::secure;
    result.earliest_expiry = expiry;
    result.earliest_expiry_zone = "example.com";
    return result;
}

DnssecResult bogus(std::string reason) {
    DnssecResult result;
    result.status = DnssecStatus::bogus;
    result.reason = std::move(reason);
    return result;
}

TEST(RecordProbe, BothPhasesOffIsTheEvaluatorAlone) {
    World world;
    publish_at_resolver(world);
    const ProbeSettings settings = settings_with(nullptr);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok);
    EXPECT_FALSE(run.verdict.dnssec.has_value());
    EXPECT_TRUE(run.verdict.authoritative.empty());
    EXPECT_TRUE(run.verdict.zone.empty());
    for (const auto& request : world.asked) {
        EXPECT_FALSE(request.dnssec);
        EXPECT_FALSE(request.server.has_value());
    }
    EXPECT_EQ(probe.expectation().name, k_name);
}

TEST(RecordProbe, DnssecFlagIsSetOnTheRecordNameLookupsOnly) {
    World world; // nothing published: the evaluator also probes the doubled name
    FakeValidator validator;
    validator.result = secure(k_now + 30 * 24h);
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);

    EXPECT_EQ(run.verdict.code, VerdictCode::missing) << run.verdict.message;
    bool saw_doubled = false;
    for (const auto& request : world.asked) {
        if (request.name == k_name) {
            EXPECT_TRUE(request.dnssec) << record_type_name(request.type);
        } else if (request.name == k_name + ".example.com") {
            saw_doubled = true;
            EXPECT_FALSE(request.dnssec);
        }
    }
    EXPECT_TRUE(saw_doubled);
    // The validator got the record-name lookups as made, wires included.
    ASSERT_EQ(validator.seen_answer.size(), 2u);
    for (const auto& lookup : validator.seen_answer) {
        EXPECT_EQ(lookup.request.name, k_name);
        EXPECT_TRUE(lookup.request.dnssec);
        EXPECT_FALSE(lookup.wires.empty());
    }
}

TEST(RecordProbe, SecureKeepsOkAndReportsTheExpiry) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.result = secure(k_now + 30 * 24h);
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok);
    EXPECT_EQ(run.verdict.severity, Severity::ok);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::secure);
    EXPECT_TRUE(run.verdict.dnssec_reason.empty());
    EXPECT_EQ(run.verdict.dnssec_expiry, k_now + 30 * 24h);
    EXPECT_EQ(run.verdict.dnssec_expiry_zone, "example.com");
    EXPECT_EQ(run.verdict.observed, k_target);
}

TEST(RecordProbe, BogusReplacesOk) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.result = bogus("the RRSIG of example.com/DNSKEY expired on 2026-11-30 12:00:00 UTC");
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::dnssec_bogus);
    EXPECT_EQ(run.verdict.severity, Severity::error);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::bogus);
    EXPECT_EQ(run.verdict.dnssec_reason, validator.result.reason);
    EXPECT_NE(run.verdict.message.find("expired on 2026-11-30"), std::string::npos);
    EXPECT_NE(run.verdict.message.find("SERVFAIL"), std::string::npos);
    EXPECT_NE(run.verdict.message.find("DS at the registrar"), std::string::npos);
    EXPECT_EQ(run.verdict.observed, k_target); // what the record holds is still shown
}

TEST(RecordProbe, BogusWithAnExistingErrorKeepsTheErrorAndAddsTheReason) {
    World world; // missing record
    FakeValidator validator;
    validator.result = bogus("no DNSKEY of example.com matches the DS at com");
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::missing);
    EXPECT_EQ(run.verdict.severity, Severity::error);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::bogus);
    EXPECT_EQ(run.verdict.message.find("No CNAME at"), 0u) << run.verdict.message;
    EXPECT_NE(run.verdict.message.find("no DNSKEY of example.com matches the DS at com"),
              std::string::npos);
}

TEST(RecordProbe, BogusExplainsAnIndeterminateResolverAnswer) {
    World world;
    LookupResult servfail;
    servfail.outcome = LookupOutcome::servfail;
    world.set(k_name, RecordType::cname, servfail);
    world.set(k_name, RecordType::txt, servfail);
    {
        const ProbeSettings settings = settings_with(nullptr);
        RecordProbe probe(easy_expectation(), settings);
        ASSERT_EQ(drive(probe, world).verdict.code, VerdictCode::dns_error);
    }
    FakeValidator validator;
    validator.result = bogus("no RRSIG over example.com/DNSKEY");
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::dnssec_bogus);
    EXPECT_EQ(run.verdict.severity, Severity::error);
    EXPECT_EQ(run.verdict.message.find("(Also: "), std::string::npos) << run.verdict.message;
}

TEST(RecordProbe, ExpiringSignatureReplacesOkWithAWarning) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.result = secure(k_now + 26h);
    ProbeSettings settings = settings_with(&validator);
    settings.dnssec_expiry_warning = 72h;
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::dnssec_expiring);
    EXPECT_EQ(run.verdict.severity, Severity::warning);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::secure);
    EXPECT_NE(run.verdict.message.find("example.com"), std::string::npos);
    EXPECT_NE(run.verdict.message.find("2026-12-04 02:00:00 UTC"), std::string::npos)
        << run.verdict.message;
    EXPECT_NE(run.verdict.message.find("(in 1d2h)"), std::string::npos) << run.verdict.message;
    EXPECT_NE(run.verdict.message.find("stopped re-signing"), std::string::npos);
}

TEST(RecordProbe, ExpiringSignatureOutsideTheWindowOrOnAnErrorChangesNothing) {
    FakeValidator validator;
    ProbeSettings settings = settings_with(&validator);
    settings.dnssec_expiry_warning = 24h;
    {
        World world;
        publish_at_resolver(world);
        validator.result = secure(k_now + 25h);
        RecordProbe probe(easy_expectation(), settings);
        EXPECT_EQ(drive(probe, world).verdict.code, VerdictCode::ok);
    }
    {
        World world; // missing
        validator.result = secure(k_now + 1h);
        RecordProbe probe(easy_expectation(), settings);
        const ProbeRun run = drive(probe, world);
        EXPECT_EQ(run.verdict.code, VerdictCode::missing);
        EXPECT_EQ(run.verdict.dnssec_expiry, k_now + 1h);
    }
}

TEST(RecordProbe, IndeterminateKeepsTheCodeAndTheReason) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.result.status = DnssecStatus::indeterminate;
    validator.result.reason = "the DNSKEY of example.com could not be fetched: timeout";
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::indeterminate);
    EXPECT_EQ(run.verdict.dnssec_reason, validator.result.reason);
}

TEST(RecordProbe, InsecureChangesNothing) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.result.status = DnssecStatus::insecure;
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::insecure);
    EXPECT_FALSE(run.verdict.dnssec_expiry.has_value());
}

TEST(RecordProbe, AValidatorThatRepeatsARequestEndsIndeterminate) {
    World world;
    publish_at_resolver(world);
    FakeValidator validator;
    validator.repeat = true;
    const ProbeSettings settings = settings_with(&validator);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok);
    EXPECT_EQ(run.verdict.dnssec, DnssecStatus::indeterminate);
    EXPECT_FALSE(run.verdict.dnssec_reason.empty());
    EXPECT_EQ(validator.calls, 2);
}

TEST(RecordProbe, AuthoritativeServersThatAgreeKeepTheVerdictAndAreListed) {
    World world;
    publish_at_resolver(world);
    zone_with_two_servers(world);
    serve_at(world, "127.0.0.2");
    serve_at(world, "127.0.0.3");
    const ProbeSettings settings = settings_with(nullptr, true);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ok) << run.verdict.message;
    EXPECT_EQ(run.verdict.zone, "example.com");
    ASSERT_EQ(run.verdict.authoritative.size(), 2u);
    EXPECT_EQ(run.verdict.authoritative[0].server, "ns1.example.com");
    EXPECT_EQ(run.verdict.authoritative[1].address, "127.0.0.3");
    EXPECT_FALSE(run.verdict.dnssec.has_value());
    bool directed_on_port = false;
    for (const auto& request : world.asked) {
        if (request.server) {
            directed_on_port = request.server->port == 5300;
            EXPECT_FALSE(request.dnssec);
        }
    }
    EXPECT_TRUE(directed_on_port);
}

TEST(RecordProbe, ASplitBetweenServersIsReported) {
    World world;
    publish_at_resolver(world);
    zone_with_two_servers(world);
    serve_at(world, "127.0.0.2"); // ns2 lags: NXDOMAIN
    const ProbeSettings settings = settings_with(nullptr, true);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::ns_split) << run.verdict.message;
    EXPECT_EQ(run.verdict.severity, Severity::error);
    EXPECT_FALSE(run.verdict.dnssec.has_value());
}

TEST(RecordProbe, TheResolverTtlReachesTheEarlyWarning) {
    World world;
    publish_at_resolver(world);
    world.set(k_name, RecordType::cname, cname_answer(k_target, 1234));
    zone_with_two_servers(world); // neither server has the record any more
    const ProbeSettings settings = settings_with(nullptr, true);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::missing) << run.verdict.message;
    EXPECT_EQ(run.verdict.cached_answer_ttl, std::optional<std::chrono::seconds>(1234));
    EXPECT_EQ(run.verdict.message.find("1234"), std::string::npos) << run.verdict.message;
}

TEST(RecordProbe, BogusIsNotLostWhenTheAuthoritativeCheckDecides) {
    FakeValidator validator;
    validator.result = bogus("bad signature over a._domainkey.example.com/CNAME");
    const ProbeSettings settings = settings_with(&validator, true);
    {
        // Servers agree and the record is right: dnssec_bogus, with the servers listed.
        World world;
        publish_at_resolver(world);
        zone_with_two_servers(world);
        serve_at(world, "127.0.0.2");
        serve_at(world, "127.0.0.3");
        RecordProbe probe(easy_expectation(), settings);
        const ProbeRun run = drive(probe, world);
        EXPECT_EQ(run.verdict.code, VerdictCode::dnssec_bogus) << run.verdict.message;
        EXPECT_EQ(run.verdict.authoritative.size(), 2u);
        EXPECT_EQ(run.verdict.zone, "example.com");
    }
    {
        // A split (error) stays, and the DNSSEC reason is added to its message.
        World world;
        publish_at_resolver(world);
        zone_with_two_servers(world);
        serve_at(world, "127.0.0.2");
        RecordProbe probe(easy_expectation(), settings);
        const ProbeRun run = drive(probe, world);
        EXPECT_EQ(run.verdict.code, VerdictCode::ns_split);
        EXPECT_EQ(run.verdict.dnssec, DnssecStatus::bogus);
        EXPECT_NE(run.verdict.message.find("bad signature over"), std::string::npos)
            << run.verdict.message;
    }
}

TEST(RecordProbe, ALameServerWarningIsReplacedByBogusAndKeptInTheMessage) {
    World world;
    publish_at_resolver(world);
    zone_with_two_servers(world);
    serve_at(world, "127.0.0.2");
    LookupResult refused;
    refused.outcome = LookupOutcome::refused;
    world.set(k_name, RecordType::cname, refused, "127.0.0.3");
    world.set(k_name, RecordType::txt, refused, "127.0.0.3");
    world.set("example.com", RecordType::soa, refused, "127.0.0.3");
    {
        const ProbeSettings settings = settings_with(nullptr, true);
        RecordProbe probe(easy_expectation(), settings);
        const ProbeRun run = drive(probe, world);
        ASSERT_EQ(run.verdict.code, VerdictCode::lame_server) << run.verdict.message;
    }
    FakeValidator validator;
    validator.result = bogus("no RRSIG over a._domainkey.example.com/CNAME");
    const ProbeSettings settings = settings_with(&validator, true);
    RecordProbe probe(easy_expectation(), settings);
    const ProbeRun run = drive(probe, world);
    EXPECT_EQ(run.verdict.code, VerdictCode::dnssec_bogus);
    EXPECT_NE(run.verdict.message.find("(Also: "), std::string::npos) << run.verdict.message;
}

} // namespace
