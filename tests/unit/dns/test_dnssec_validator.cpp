#include "dns/dnssec_validator.hpp"
#include "dns/trust_anchors.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Zones signed in-process with ldns (ECDSA P-256 keys made per test run), answers built as
// wire packets, and a small "world" that answers the validator's DNSKEY and DS lookups the way
// a resolver with DO=1 CD=1 would.

namespace dkimwatch {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Lines = std::vector<std::string>;
using Clock = std::chrono::system_clock;

// 2026-12-01 00:00:00 UTC.
const Clock::time_point k_now = Clock::time_point(std::chrono::seconds(1796083200));
constexpr std::uint32_t k_day = 86400;
std::uint32_t at(std::int64_t days) {
    return static_cast<std::uint32_t>(1796083200 + days * k_day);
}

std::string rr_to_text(const ldns_rr* rr) {
    char* text = ldns_rr2str(rr);
    std::string line = text;
    std::free(text);
    while (!line.empty() && line.back() == '\n') {
        line.pop_back();
    }
    return line;
}

ldns_rr* parse_rr(const std::string& line) {
    ldns_rr* rr = nullptr;
    const ldns_status status = ldns_rr_new_frm_str(&rr, line.c_str(), 3600, nullptr, nullptr);
    EXPECT_EQ(status, LDNS_STATUS_OK) << line;
    return rr;
}

// A signed zone: one ECDSA key (flags 257) that signs everything, signatures valid from
// k_now - 1 day to k_now + `valid_days` unless a window is given to sign().
class TestZone {
public:
    TestZone(const std::string& apex, std::int64_t valid_days = 10) : m_apex(apex) {
        m_keys = ldns_key_list_new();
        ldns_key* key = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
        ldns_key_set_pubkey_owner(key, ldns_dname_new_frm_str(apex.c_str()));
        ldns_key_set_flags(key, 257);
        ldns_key_set_inception(key, valid_days < 0 ? at(valid_days - 28) : at(-1));
        ldns_key_set_expiration(key, at(valid_days));
        ldns_rr* dnskey = ldns_key2rr(key);
        ldns_rr_set_ttl(dnskey, 3600);
        ldns_key_set_keytag(key, ldns_calc_keytag(dnskey));
        ldns_key_list_push_key(m_keys, key);
        m_dnskey = rr_to_text(dnskey);
        ldns_rr* ds = ldns_key_rr2ds(dnskey, LDNS_SHA256);
        m_ds = rr_to_text(ds);
        ldns_rr_free(ds);
        ldns_rr_free(dnskey);
    }
    TestZone(const TestZone&) = delete;
    TestZone& operator=(const TestZone&) = delete;
    ~TestZone() { ldns_key_list_free(m_keys); }

    const std::string& apex() const { return m_apex; }
    const std::string& dnskey() const { return m_dnskey; }
    const std::string& ds() const { return m_ds; }

    // The records (one RRset) followed by their RRSIG.
    Lines sign(const Lines& rrset,
               std::optional<std::pair<std::uint32_t, std::uint32_t>> window = std::nullopt) const {
        ldns_key* key = ldns_key_list_key(m_keys, 0);
        const std::uint32_t inception = ldns_key_inception(key);
        const std::uint32_t expiration = ldns_key_expiration(key);
        if (window) {
            ldns_key_set_inception(key, window->first);
            ldns_key_set_expiration(key, window->second);
        }
        ldns_rr_list* list = ldns_rr_list_new();
        for (const auto& line : rrset) {
            ldns_rr_list_push_rr(list, parse_rr(line));
        }
        ldns_rr_list* sigs = ldns_sign_public(list, m_keys);
        ldns_key_set_inception(key, inception);
        ldns_key_set_expiration(key, expiration);
        Lines out = rrset;
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(sigs); ++i) {
            out.push_back(rr_to_text(ldns_rr_list_rr(sigs, i)));
        }
        ldns_rr_list_deep_free(sigs);
        ldns_rr_list_deep_free(list);
        return out;
    }

private:
    std::string m_apex;
    ldns_key_list* m_keys = nullptr;
    std::string m_dnskey;
    std::string m_ds;
};

Lines operator+(Lines a, const Lines& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Bytes response(const std::string& qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
               const Lines& answer, const Lines& authority = {}) {
    ldns_pkt* pkt = ldns_pkt_new();
    ldns_pkt_set_id(pkt, 7);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rd(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_cd(pkt, true);
    ldns_pkt_set_rcode(pkt, rcode);
    ldns_rr* question = ldns_rr_new();
    ldns_rr_set_question(question, true);
    ldns_rr_set_owner(question, ldns_dname_new_frm_str(qname.c_str()));
    ldns_rr_set_type(question, qtype);
    ldns_rr_set_class(question, LDNS_RR_CLASS_IN);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
    for (const auto& line : answer) {
        ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, parse_rr(line));
    }
    for (const auto& line : authority) {
        ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, parse_rr(line));
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
    Bytes bytes(wire, wire + size);
    std::free(wire);
    ldns_pkt_free(pkt);
    return bytes;
}

std::string canonical(std::string name) {
    if (name.size() > 1 && name.back() == '.') {
        name.pop_back();
    }
    return name;
}

LookupResult result_of(const std::string& name, RecordType type, LookupOutcome outcome,
                       std::vector<Bytes> wires) {
    LookupResult result;
    result.request = LookupRequest(canonical(name), type);
    result.request.dnssec = true;
    result.outcome = outcome;
    result.wires = std::move(wires);
    return result;
}

// test. (the anchor), example.test. and amazonses.test. (signed, DS at test.), unsigned.test.
// (a delegation without DS, proven by test.'s NSEC).
class World {
public:
    World() {
        add_zone("test.");
        add_zone("example.test.");
        add_zone("amazonses.test.");
    }

    const TestZone& zone(const std::string& apex) const { return *m_zones.at(apex); }
    void add_zone(const std::string& apex, std::int64_t valid_days = 10) {
        m_zones[apex] = std::make_unique<TestZone>(apex, valid_days);
    }
    // Replaces what the world answers for name/type.
    void set(const std::string& name, RecordType type, LookupResult result) {
        m_fixed[{canonical(name), type}] = std::move(result);
    }

    // The anchor record (default: the DS of test.).
    void set_anchor(std::string record) { m_anchor = std::move(record); }

    TrustAnchors anchors() const {
        auto loaded = load_trust_anchors_from_text(
            (m_anchor.empty() ? m_zones.at("test.")->ds() : m_anchor) + "\n", "test-anchor");
        EXPECT_TRUE(loaded.ok()) << loaded.error();
        return std::move(loaded).value();
    }

    LookupResult answer(const LookupRequest& request) const {
        auto fixed = m_fixed.find({request.name, request.type});
        if (fixed != m_fixed.end()) {
            return fixed->second;
        }
        const std::string name = request.name == "." ? "." : request.name + ".";
        if (request.type == RecordType::dnskey && m_zones.count(name) > 0) {
            const TestZone& zone = *m_zones.at(name);
            return result_of(name, RecordType::dnskey, LookupOutcome::answer,
                             {response(name, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR,
                                       zone.sign({zone.dnskey()}))});
        }
        if (request.type == RecordType::ds) {
            const TestZone* parent = enclosing(name, /*proper=*/true);
            if (m_zones.count(name) > 0 && parent != nullptr) {
                return result_of(name, RecordType::ds, LookupOutcome::answer,
                                 {response(name, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR,
                                           parent->sign({m_zones.at(name)->ds()}))});
            }
            if (name == "unsigned.test.") {
                return result_of(name, RecordType::ds, LookupOutcome::nodata,
                                 {response(name, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, {},
                                           parent->sign({"unsigned.test. 3600 IN NSEC "
                                                         "zz.test. NS RRSIG NSEC"}))});
            }
            // A name inside a zone, not a cut: the zone's NSEC at the name without NS or DS.
            const TestZone* zone = enclosing(name, /*proper=*/false);
            if (zone != nullptr) {
                return result_of(name, RecordType::ds, LookupOutcome::nodata,
                                 {response(name, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, {},
                                           zone->sign({name + " 3600 IN NSEC zzz." + zone->apex() +
                                                       " TXT CNAME RRSIG NSEC"}))});
            }
        }
        LookupResult timeout = result_of(name, request.type, LookupOutcome::timeout, {});
        timeout.detail = "no answer in the test world";
        return timeout;
    }

private:
    const TestZone* enclosing(const std::string& name, bool proper) const {
        const TestZone* best = nullptr;
        for (const auto& [apex, zone] : m_zones) {
            const bool below = name.size() > apex.size() &&
                               name.compare(name.size() - apex.size(), apex.size(), apex) == 0 &&
                               name[name.size() - apex.size() - 1] == '.';
            if ((below || (!proper && name == apex)) &&
                (best == nullptr || apex.size() > best->apex().size())) {
                best = zone.get();
            }
        }
        return best;
    }

    std::map<std::string, std::unique_ptr<TestZone>> m_zones;
    std::map<std::pair<std::string, RecordType>, LookupResult> m_fixed;
    std::string m_anchor;
};

struct Outcome {
    DnssecResult result;
    std::vector<LookupRequest> asked;
    int rounds = 0;
};

// Drives the validator as the probe does, answering from the world, and checks the step
// contract on the way (dnssec and cacheable set, nothing asked twice).
Outcome run(const World& world, const LdnsDnssecValidator& validator,
            std::vector<LookupResult> answer, Clock::time_point now = k_now) {
    std::vector<LookupResult> chain;
    Outcome outcome;
    for (int round = 0; round < 40; ++round) {
        DnssecStep step = validator.validate(answer, chain, now);
        if (auto* result = std::get_if<DnssecResult>(&step)) {
            outcome.result = *result;
            outcome.rounds = round;
            return outcome;
        }
        const auto& needs = std::get<NeedLookups>(step);
        EXPECT_FALSE(needs.requests.empty());
        for (const auto& request : needs.requests) {
            EXPECT_TRUE(request.dnssec);
            EXPECT_TRUE(request.cacheable);
            for (const auto& done : chain) {
                EXPECT_FALSE(done.request.name == request.name && done.request.type == request.type)
                    << "asked again for " << request.name;
            }
            outcome.asked.push_back(request);
            LookupResult result = world.answer(request);
            result.request = request;
            chain.push_back(std::move(result));
        }
    }
    ADD_FAILURE() << "the validator did not finish in 40 rounds";
    return outcome;
}

Outcome run(const World& world, std::vector<LookupResult> answer, Clock::time_point now = k_now) {
    LdnsDnssecValidator validator(world.anchors());
    return run(world, validator, std::move(answer), now);
}

const std::string k_selector = "sel._domainkey.example.test.";
const std::string k_target = "sel.dkim.amazonses.test.";

// The CNAME of the selector and the TXT of its target in one response, as a resolver gives.
LookupResult cname_answer(const Lines& cname_rrset, const Lines& txt_rrset) {
    return result_of(
        k_selector, RecordType::txt, LookupOutcome::answer,
        {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, cname_rrset + txt_rrset)});
}

Lines signed_cname(const World& world) {
    return world.zone("example.test.").sign({k_selector + " 3600 IN CNAME " + k_target});
}
Lines signed_txt(const World& world) {
    return world.zone("amazonses.test.").sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""});
}

TEST(DnssecValidator, SecureChainThroughCnameToTxt) {
    World world;
    auto outcome = run(world, {cname_answer(signed_cname(world), signed_txt(world))});
    EXPECT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;
    EXPECT_TRUE(outcome.result.reason.empty());
    ASSERT_TRUE(outcome.result.earliest_expiry.has_value());
    EXPECT_EQ(*outcome.result.earliest_expiry, Clock::time_point(std::chrono::seconds(at(10))));
    // DNSKEY of test, example.test and amazonses.test; DS of the two children.
    EXPECT_EQ(outcome.asked.size(), 5u);
}

// Anchors and DS records carry TTLs of their own; matching a key must ignore them.
TEST(DnssecValidator, AnchorsAndDsMatchKeysWhateverTheirTtl) {
    for (const bool dnskey_anchor : {false, true}) {
        World world;
        std::string anchor =
            dnskey_anchor ? world.zone("test.").dnskey() : world.zone("test.").ds();
        anchor.replace(anchor.find("3600"), 4, "172800");
        world.set_anchor(anchor);
        std::string ds = world.zone("example.test.").ds();
        ds.replace(ds.find("3600"), 4, "86400");
        world.set("example.test.", RecordType::ds,
                  result_of("example.test.", RecordType::ds, LookupOutcome::answer,
                            {response("example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR,
                                      world.zone("test.").sign({ds}))}));
        auto outcome = run(world, {cname_answer(signed_cname(world), signed_txt(world))});
        EXPECT_EQ(outcome.result.status, DnssecStatus::secure)
            << (dnskey_anchor ? "DNSKEY anchor: " : "DS anchor: ") << outcome.result.reason;
    }
}

TEST(DnssecValidator, EarliestExpiryIsTheSoonestSignatureOnTheChain) {
    World world;
    world.add_zone("amazonses.test.", 5);
    Lines txt =
        world.zone("amazonses.test.")
            .sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""}, std::make_pair(at(-1), at(3)));
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    ASSERT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;
    ASSERT_TRUE(outcome.result.earliest_expiry.has_value());
    EXPECT_EQ(*outcome.result.earliest_expiry, Clock::time_point(std::chrono::seconds(at(3))));
    EXPECT_EQ(outcome.result.earliest_expiry_zone, "amazonses.test");
}

TEST(DnssecValidator, ExpiredRrsigIsBogusAndNamesTheDate) {
    World world;
    Lines txt =
        world.zone("amazonses.test.")
            .sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""}, std::make_pair(at(-30), at(-2)));
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason,
              "the RRSIG of sel.dkim.amazonses.test/TXT expired on 2026-11-29 00:00:00 UTC");
}

TEST(DnssecValidator, ExpiredZoneKeysAreBogus) {
    World world;
    world.add_zone("example.test.", -2);
    auto outcome = run(world, {cname_answer(world.zone("example.test.")
                                                .sign({k_selector + " 3600 IN CNAME " + k_target},
                                                      std::make_pair(at(-1), at(5))),
                                            signed_txt(world))});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_NE(outcome.result.reason.find("example.test/DNSKEY expired on 2026-11-29"),
              std::string::npos)
        << outcome.result.reason;
}

// One validator serves many checks and memoizes signature checks: time must still count.
TEST(DnssecValidator, AReusedValidatorChecksTimeOnEveryCall) {
    World world;
    LdnsDnssecValidator validator(world.anchors());
    const auto answer = cname_answer(signed_cname(world), signed_txt(world));
    EXPECT_EQ(run(world, validator, {answer}).result.status, DnssecStatus::secure);
    EXPECT_EQ(run(world, validator, {answer}).result.status, DnssecStatus::secure);
    auto later = run(world, validator, {answer}, k_now + std::chrono::hours(24 * 11));
    EXPECT_EQ(later.result.status, DnssecStatus::bogus);
    EXPECT_NE(later.result.reason.find("expired on 2026-12-11 00:00:00 UTC"), std::string::npos)
        << later.result.reason;
    auto earlier = run(world, validator, {answer}, k_now - std::chrono::hours(24 * 2));
    EXPECT_EQ(earlier.result.status, DnssecStatus::bogus);
    EXPECT_NE(earlier.result.reason.find("is not valid before 2026-11-30 00:00:00 UTC"),
              std::string::npos)
        << earlier.result.reason;
    // A tampered record with the same signature is still caught after the good one was seen.
    Lines txt = signed_txt(world);
    txt[0] = k_target + " 3600 IN TXT \"v=DKIM1; p=evil\"";
    EXPECT_EQ(run(world, validator, {cname_answer(signed_cname(world), txt)}).result.status,
              DnssecStatus::bogus);
}

TEST(DnssecValidator, RrsigNotYetValidIsBogus) {
    World world;
    Lines txt =
        world.zone("amazonses.test.")
            .sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""}, std::make_pair(at(1), at(9)));
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason,
              "the RRSIG of sel.dkim.amazonses.test/TXT is not valid before 2026-12-02 00:00:00 "
              "UTC");
}

TEST(DnssecValidator, TamperedRecordIsABadSignature) {
    World world;
    Lines txt = signed_txt(world);
    txt[0] = k_target + " 3600 IN TXT \"v=DKIM1; p=evil\"";
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason.rfind("bad signature over sel.dkim.amazonses.test/TXT", 0), 0u)
        << outcome.result.reason;
}

TEST(DnssecValidator, DsThatMatchesNoDnskeyIsBogus) {
    World world;
    TestZone stale("example.test."); // the old provider's key, still at the registrar
    world.set("example.test.", RecordType::ds,
              result_of("example.test.", RecordType::ds, LookupOutcome::answer,
                        {response("example.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR,
                                  world.zone("test.").sign({stale.ds()}))}));
    auto outcome = run(world, {cname_answer(signed_cname(world), signed_txt(world))});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason, "no DNSKEY of example.test matches the DS at test");
}

TEST(DnssecValidator, RrsigByAnUnknownKeyIsBogusWithTheKeyTag) {
    World world;
    TestZone rogue("amazonses.test.");
    Lines txt = rogue.sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""});
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason.rfind("no DNSKEY of amazonses.test matches the RRSIG over "
                                          "sel.dkim.amazonses.test/TXT (key tag ",
                                          0),
              0u)
        << outcome.result.reason;
}

TEST(DnssecValidator, RrsigFromAZoneNotAboveTheOwnerIsBogus) {
    World world;
    Lines txt = world.zone("example.test.").sign({k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""});
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason,
              "the RRSIG over sel.dkim.amazonses.test/TXT names the signer example.test, which "
              "is not a zone above it");
}

TEST(DnssecValidator, SignedCnameToAnUnsignedZoneIsInsecureWithTheSignedPartsExpiry) {
    World world;
    const std::string target = "sel.unsigned.test.";
    auto answer = result_of(k_selector, RecordType::txt, LookupOutcome::answer,
                            {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                                      world.zone("example.test.")
                                              .sign({k_selector + " 3600 IN CNAME " + target},
                                                    std::make_pair(at(-1), at(4))) +
                                          Lines{target + " 3600 IN TXT \"v=DKIM1; p=abc\""})});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::insecure) << outcome.result.reason;
    ASSERT_TRUE(outcome.result.earliest_expiry.has_value());
    EXPECT_EQ(*outcome.result.earliest_expiry, Clock::time_point(std::chrono::seconds(at(4))));
}

TEST(DnssecValidator, MissingRrsigInASignedZoneIsBogus) {
    World world;
    Lines txt = {k_target + " 3600 IN TXT \"v=DKIM1; p=abc\""};
    auto outcome = run(world, {cname_answer(signed_cname(world), txt)});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason, "no RRSIG over sel.dkim.amazonses.test/TXT");
}

TEST(DnssecValidator, UnsignedZoneBelowAProvenInsecureDelegationIsInsecure) {
    World world;
    const std::string name = "sel._domainkey.unsigned.test.";
    auto answer = result_of(name, RecordType::txt, LookupOutcome::answer,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                                      {name + " 3600 IN TXT \"v=DKIM1; p=abc\""})});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::insecure) << outcome.result.reason;
    EXPECT_TRUE(outcome.result.reason.empty());
}

TEST(DnssecValidator, UnprovenMissingDsIsBogus) {
    World world;
    // The parent says "no DS" for unsigned.test without any NSEC: a downgrade attempt.
    world.set("unsigned.test.", RecordType::ds,
              result_of("unsigned.test.", RecordType::ds, LookupOutcome::nodata,
                        {response("unsigned.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, {})}));
    const std::string name = "sel._domainkey.unsigned.test.";
    auto answer = result_of(name, RecordType::txt, LookupOutcome::answer,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                                      {name + " 3600 IN TXT \"v=DKIM1; p=abc\""})});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason, "no signed NSEC or NSEC3 denies unsigned.test/DS");
}

TEST(DnssecValidator, NameWithoutTrustAnchorAboveIsInsecureWithoutLookups) {
    World world;
    const std::string name = "sel._domainkey.example.org.";
    auto answer = result_of(name, RecordType::txt, LookupOutcome::answer,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                                      {name + " 3600 IN TXT \"v=DKIM1; p=abc\""})});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::insecure);
    EXPECT_TRUE(outcome.asked.empty());
    EXPECT_FALSE(outcome.result.earliest_expiry.has_value());
}

TEST(DnssecValidator, NxdomainWithCoveringNsecIsSecure) {
    World world;
    const std::string name = "gone._domainkey.example.test.";
    auto nsec = world.zone("example.test.")
                    .sign({"example.test. 3600 IN NSEC zz.example.test. SOA NS DNSKEY RRSIG NSEC"});
    auto answer = result_of(name, RecordType::txt, LookupOutcome::nxdomain,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, {}, nsec)});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;
}

TEST(DnssecValidator, NxdomainWithNsecThatCoversNothingIsBogusDenial) {
    World world;
    const std::string name = "gone._domainkey.example.test.";
    // Validly signed, but it says nothing about the name asked.
    auto nsec = world.zone("example.test.")
                    .sign({"example.test. 3600 IN NSEC _a.example.test. SOA NS DNSKEY RRSIG NSEC"});
    auto answer = result_of(name, RecordType::txt, LookupOutcome::nxdomain,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, {}, nsec)});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason.rfind(
                  "bogus denial of existence for gone._domainkey.example.test/TXT", 0),
              0u)
        << outcome.result.reason;
}

TEST(DnssecValidator, NodataWithNsecAtTheNameIsSecure) {
    World world;
    auto nsec = world.zone("example.test.")
                    .sign({k_selector + " 3600 IN NSEC zz.example.test. A RRSIG NSEC"});
    auto answer = result_of(k_selector, RecordType::txt, LookupOutcome::nodata,
                            {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, {}, nsec)});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;
    ASSERT_TRUE(outcome.result.earliest_expiry.has_value());
}

TEST(DnssecValidator, NodataWhoseNsecListsTheTypeIsBogusDenial) {
    World world;
    auto nsec = world.zone("example.test.")
                    .sign({k_selector + " 3600 IN NSEC zz.example.test. TXT RRSIG NSEC"});
    auto answer = result_of(k_selector, RecordType::txt, LookupOutcome::nodata,
                            {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, {}, nsec)});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason.rfind(
                  "bogus denial of existence for sel._domainkey.example.test/TXT", 0),
              0u)
        << outcome.result.reason;
}

TEST(DnssecValidator, NegativeAnswerWithoutNsecInASignedZoneIsBogus) {
    World world;
    auto answer = result_of(k_selector, RecordType::txt, LookupOutcome::nxdomain,
                            {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, {})});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus);
    EXPECT_EQ(outcome.result.reason,
              "no signed NSEC or NSEC3 denies sel._domainkey.example.test/TXT");
}

// The NSEC3 owner name of `name` in example.test (SHA-1, no iterations, no salt).
std::string nsec3_label(const std::string& name) {
    ldns_rdf* dname = ldns_dname_new_frm_str(name.c_str());
    ldns_rdf* hashed = ldns_nsec3_hash_name(dname, 1, 0, 0, nullptr);
    char* text = ldns_rdf2str(hashed);
    std::string label = text;
    std::free(text);
    ldns_rdf_deep_free(hashed);
    ldns_rdf_deep_free(dname);
    if (!label.empty() && label.back() == '.') {
        label.pop_back();
    }
    return label;
}

TEST(DnssecValidator, NxdomainWithNsec3IsSecureAndAWrongChainIsBogus) {
    World world;
    const std::string apex = nsec3_label("example.test.");
    const std::string www = nsec3_label("www.example.test.");
    const std::string& first = std::min(apex, www);
    const std::string& second = std::max(apex, www);
    auto bitmap = [&](const std::string& label) {
        return label == apex ? std::string(" NS SOA RRSIG DNSKEY NSEC3PARAM")
                             : std::string(" A RRSIG");
    };
    const TestZone& zone = world.zone("example.test.");
    Lines chain =
        zone.sign({first + ".example.test. 3600 IN NSEC3 1 0 0 - " + second + bitmap(first)}) +
        zone.sign({second + ".example.test. 3600 IN NSEC3 1 0 0 - " + first + bitmap(second)});
    const std::string name = "gone._domainkey.example.test.";
    auto answer = result_of(name, RecordType::txt, LookupOutcome::nxdomain,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, {}, chain)});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;

    // Only the record of www: no NSEC3 matches a closest encloser.
    Lines www_only =
        zone.sign({www + ".example.test. 3600 IN NSEC3 1 0 0 - " + apex + bitmap(www)});
    auto forged = result_of(name, RecordType::txt, LookupOutcome::nxdomain,
                            {response(name, LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN, {}, www_only)});
    outcome = run(world, {forged});
    EXPECT_EQ(outcome.result.status, DnssecStatus::bogus) << outcome.result.reason;
}

TEST(DnssecValidator, DnskeyFetchTimeoutIsIndeterminate) {
    World world;
    LookupResult timeout =
        result_of("example.test.", RecordType::dnskey, LookupOutcome::timeout, {});
    timeout.detail = "timeout after 3 attempts";
    world.set("example.test.", RecordType::dnskey, timeout);
    auto outcome = run(world, {cname_answer(signed_cname(world), signed_txt(world))});
    EXPECT_EQ(outcome.result.status, DnssecStatus::indeterminate);
    EXPECT_EQ(outcome.result.reason,
              "the DNSKEY example.test lookup failed: timeout (timeout after 3 attempts)");
}

TEST(DnssecValidator, FailedRecordLookupIsIndeterminate) {
    World world;
    auto answer = result_of(k_selector, RecordType::txt, LookupOutcome::servfail, {});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::indeterminate);
    EXPECT_NE(outcome.result.reason.find("servfail"), std::string::npos);
}

TEST(DnssecValidator, HostileWiresAreIndeterminateNotACrash) {
    World world;
    Bytes good = response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                          signed_cname(world) + signed_txt(world));
    std::vector<Bytes> hostile;
    hostile.push_back({});
    hostile.push_back(Bytes(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
    hostile.push_back(Bytes(64, 0xff));
    Bytes huge = good;
    huge[6] = 0xff; // ANCOUNT 65535+
    huge[7] = 0xff;
    hostile.push_back(huge);
    for (const Bytes& wire : hostile) {
        auto outcome =
            run(world, {result_of(k_selector, RecordType::txt, LookupOutcome::answer, {wire})});
        EXPECT_EQ(outcome.result.status, DnssecStatus::indeterminate) << wire.size();
        EXPECT_FALSE(outcome.result.reason.empty());
    }
    // Hostile data in the chain (a DNSKEY response of garbage).
    world.set("test.", RecordType::dnskey,
              result_of("test.", RecordType::dnskey, LookupOutcome::answer, {Bytes(40, 0x01)}));
    auto outcome =
        run(world, {result_of(k_selector, RecordType::txt, LookupOutcome::answer, {good})});
    EXPECT_EQ(outcome.result.status, DnssecStatus::indeterminate);
    EXPECT_NE(outcome.result.reason.find("unparsable"), std::string::npos) << outcome.result.reason;
}

TEST(DnssecValidator, ChainOfCnameResponsesIsValidatedHopByHop) {
    World world;
    // The resolver followed the CNAME with a second query: two responses.
    LookupResult answer =
        result_of(k_selector, RecordType::txt, LookupOutcome::answer,
                  {response(k_selector, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, signed_cname(world)),
                   response(k_target, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, signed_txt(world))});
    auto outcome = run(world, {answer});
    EXPECT_EQ(outcome.result.status, DnssecStatus::secure) << outcome.result.reason;
}

} // namespace
} // namespace dkimwatch
