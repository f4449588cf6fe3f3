// Cross-check of the validator with zones signed by ldns-signzone (ldnsutils) and judged by
// ldns-verify-zone: both must agree on a good zone (secure, expiry = the -e date) and on one
// whose signatures expired (bogus). Skipped when ldnsutils is not installed. Signature dates are
// relative to the real clock, because ldns-verify-zone checks against it.

#include "dns/dnssec_validator.hpp"
#include "dns/trust_anchors.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace dkimwatch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

struct Command {
    int status = -1;
    std::string output;
};

Command run_command(const std::string& command) {
    Command result;
    std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        result.output += buffer.data();
    }
    result.status = pclose(pipe);
    return result;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string yyyymmdd(Clock::time_point time) {
    const std::time_t seconds = Clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[16];
    std::strftime(buffer, sizeof buffer, "%Y%m%d", &parts);
    return buffer;
}

// A temporary directory with a key made by ldns-keygen and a small zone signed by
// ldns-signzone with the given inception and expiration dates.
class SignedZone {
public:
    SignedZone(Clock::time_point inception, Clock::time_point expiration) {
        m_dir = fs::temp_directory_path() / ("dkimwatch-signzone-" + std::to_string(getpid()) +
                                             "-" + std::to_string(s_counter++));
        fs::create_directories(m_dir);
        const std::string cd = "cd '" + m_dir.string() + "' && ";
        Command keygen = run_command(cd + "ldns-keygen -a ECDSAP256SHA256 -k example.test");
        EXPECT_EQ(keygen.status, 0) << keygen.output;
        std::string base = keygen.output;
        while (!base.empty() && (base.back() == '\n' || base.back() == ' ')) {
            base.pop_back();
        }
        m_ds = read_text(m_dir / (base + ".ds"));
        std::ofstream(m_dir / "zone") << "$ORIGIN example.test.\n"
                                         "$TTL 3600\n"
                                         "@ IN SOA ns.example.test. h.example.test. 1 3600 600 "
                                         "86400 300\n"
                                         "@ IN NS ns.example.test.\n"
                                         "ns IN A 192.0.2.1\n"
                                         "sel._domainkey IN TXT \"v=DKIM1; p=abc\"\n";
        Command sign = run_command(cd + "ldns-signzone -o example.test. -i " + yyyymmdd(inception) +
                                   " -e " + yyyymmdd(expiration) + " zone " + base);
        EXPECT_EQ(sign.status, 0) << sign.output;
        std::FILE* file = std::fopen((m_dir / "zone.signed").c_str(), "r");
        EXPECT_NE(file, nullptr);
        if (file != nullptr) {
            EXPECT_EQ(ldns_zone_new_frm_fp(&m_zone, file, nullptr, 3600, LDNS_RR_CLASS_IN),
                      LDNS_STATUS_OK);
            std::fclose(file);
        }
    }
    SignedZone(const SignedZone&) = delete;
    SignedZone& operator=(const SignedZone&) = delete;
    ~SignedZone() {
        ldns_zone_deep_free(m_zone);
        std::error_code ignored;
        fs::remove_all(m_dir, ignored);
    }

    bool verifies() const {
        return run_command("ldns-verify-zone '" + (m_dir / "zone.signed").string() + "'").status ==
               0;
    }
    const std::string& ds() const { return m_ds; }

    // A response to name/type from the signed zone: the RRset and its RRSIGs.
    std::vector<std::uint8_t> response(const std::string& name, ldns_rr_type type) const {
        ldns_pkt* pkt = ldns_pkt_new();
        ldns_pkt_set_qr(pkt, true);
        ldns_pkt_set_cd(pkt, true);
        ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
        ldns_rr* question = ldns_rr_new();
        ldns_rr_set_question(question, true);
        ldns_rr_set_owner(question, ldns_rdf_clone(owner));
        ldns_rr_set_type(question, type);
        ldns_rr_set_class(question, LDNS_RR_CLASS_IN);
        ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
        std::vector<const ldns_rr*> all;
        all.push_back(ldns_zone_soa(m_zone));
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(m_zone)); ++i) {
            all.push_back(ldns_rr_list_rr(ldns_zone_rrs(m_zone), i));
        }
        for (const ldns_rr* rr : all) {
            if (rr == nullptr || ldns_dname_compare(ldns_rr_owner(rr), owner) != 0) {
                continue;
            }
            const bool data = ldns_rr_get_type(rr) == type;
            const bool signature = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
                                   ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type;
            if (data || signature) {
                ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
            }
        }
        ldns_rdf_deep_free(owner);
        std::uint8_t* wire = nullptr;
        std::size_t size = 0;
        EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
        std::vector<std::uint8_t> bytes(wire, wire + size);
        std::free(wire);
        ldns_pkt_free(pkt);
        return bytes;
    }

private:
    static inline int s_counter = 0;
    fs::path m_dir;
    std::string m_ds;
    ldns_zone* m_zone = nullptr;
};

bool have_ldnsutils() {
    return run_command("command -v ldns-signzone && command -v ldns-verify-zone && "
                       "command -v ldns-keygen")
               .status == 0;
}

LookupResult lookup(const std::string& name, RecordType type, std::vector<std::uint8_t> wire) {
    LookupResult result;
    result.request = LookupRequest(name, type);
    result.request.dnssec = true;
    result.outcome = LookupOutcome::answer;
    result.wires.push_back(std::move(wire));
    return result;
}

// The validator's verdict on sel._domainkey.example.test/TXT with the zone's DS as anchor.
DnssecResult validate_zone(const SignedZone& zone, Clock::time_point now) {
    auto anchors = load_trust_anchors_from_text(zone.ds(), "ds");
    EXPECT_TRUE(anchors.ok()) << anchors.error();
    LdnsDnssecValidator validator(std::move(anchors).value());
    std::vector<LookupResult> answer = {
        lookup("sel._domainkey.example.test", RecordType::txt,
               zone.response("sel._domainkey.example.test.", LDNS_RR_TYPE_TXT))};
    std::vector<LookupResult> chain;
    for (int round = 0; round < 10; ++round) {
        DnssecStep step = validator.validate(answer, chain, now);
        if (auto* result = std::get_if<DnssecResult>(&step)) {
            return *result;
        }
        for (const auto& request : std::get<NeedLookups>(step).requests) {
            EXPECT_EQ(request.name, "example.test");
            EXPECT_EQ(request.type, RecordType::dnskey);
            chain.push_back(lookup(request.name, request.type,
                                   zone.response("example.test.", LDNS_RR_TYPE_DNSKEY)));
        }
    }
    ADD_FAILURE() << "no result in 10 rounds";
    return {};
}

TEST(DnssecSignzoneCrosscheck, AGoodZoneIsSecureForBoth) {
    if (!have_ldnsutils()) {
        GTEST_SKIP() << "ldnsutils is not installed";
    }
    const auto now = Clock::now();
    SignedZone zone(now - std::chrono::hours(48), now + std::chrono::hours(24 * 10));
    EXPECT_TRUE(zone.verifies());
    DnssecResult result = validate_zone(zone, now);
    EXPECT_EQ(result.status, DnssecStatus::secure) << result.reason;
    ASSERT_TRUE(result.earliest_expiry.has_value());
    // ldns-signzone -e YYYYMMDD means that day at 00:00:00 UTC.
    EXPECT_EQ(yyyymmdd(*result.earliest_expiry), yyyymmdd(now + std::chrono::hours(24 * 10)));
    EXPECT_EQ(result.earliest_expiry_zone, "example.test");
}

TEST(DnssecSignzoneCrosscheck, AnExpiredZoneIsBogusForBoth) {
    if (!have_ldnsutils()) {
        GTEST_SKIP() << "ldnsutils is not installed";
    }
    const auto now = Clock::now();
    const auto expired = now - std::chrono::hours(24 * 3);
    SignedZone zone(now - std::chrono::hours(24 * 30), expired);
    EXPECT_FALSE(zone.verifies());
    DnssecResult result = validate_zone(zone, now);
    EXPECT_EQ(result.status, DnssecStatus::bogus);
    EXPECT_NE(result.reason.find("expired on " +
                                 [&] {
                                     std::string day = yyyymmdd(expired);
                                     return day.substr(0, 4) + "-" + day.substr(4, 2) + "-" +
                                            day.substr(6, 2);
                                 }()),
              std::string::npos)
        << result.reason;
}

} // namespace
} // namespace dkimwatch
