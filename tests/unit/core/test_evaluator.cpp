// The evaluator is driven here with canned lookups: each case lists what DNS answers to every
// question the evaluator may ask, and the verdict an expert would give.

#include "core/evaluator.hpp"
#include "core/public_key.hpp"

#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>

using namespace dkimwatch;

namespace {

// A fresh RSA key's SubjectPublicKeyInfo DER. Keys are cached: generation takes a while.
const std::vector<unsigned char>& rsa_spki(unsigned bits, int variant = 0) {
    static std::map<std::pair<unsigned, int>, std::vector<unsigned char>> cache;
    auto& der = cache[{bits, variant}];
    if (der.empty()) {
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(bits), EVP_PKEY_free);
        unsigned char* out = nullptr;
        const int length = i2d_PUBKEY(key.get(), &out);
        der.assign(out, out + length);
        OPENSSL_free(out);
    }
    return der;
}

std::string b64(const std::vector<unsigned char>& der) {
    return base64_encode(der);
}

LookupResult result(std::string name, RecordType type, LookupOutcome outcome) {
    LookupResult lookup;
    lookup.request = {std::move(name), type};
    lookup.outcome = outcome;
    lookup.server = "127.0.0.1:53";
    return lookup;
}

LookupResult cname(std::string name, std::string target) {
    auto lookup = result(std::move(name), RecordType::cname, LookupOutcome::answer);
    lookup.cname_chain = {std::move(target)};
    return lookup;
}

LookupResult txt(std::string name, std::vector<std::vector<std::string>> records) {
    auto lookup = result(std::move(name), RecordType::txt, LookupOutcome::answer);
    lookup.txt_records = std::move(records);
    return lookup;
}

Identity easy_identity(std::string region = "us-east-1", std::string zone = "dkim.amazonses.com") {
    Identity identity;
    identity.domain = "example.com";
    identity.account = "111122223333";
    identity.region = std::move(region);
    EasyDkim easy;
    easy.tokens = {"tok1", "tok2", "tok3"};
    easy.signing_hosted_zone = std::move(zone);
    identity.method = easy;
    return identity;
}

Identity byo_identity(unsigned bits = 2048) {
    Identity identity;
    identity.domain = "example.org";
    identity.account = "111122223333";
    identity.region = "eu-west-1";
    Byodkim byo;
    byo.selector = "sel1";
    byo.public_key_der = rsa_spki(bits);
    byo.key_bits = static_cast<int>(bits);
    identity.method = byo;
    return identity;
}

// Plays the evaluator against a table of canned answers, the way the sweep would. Fails the
// test if the evaluator asks a question the table does not answer or asks one twice.
RecordVerdict play(const RecordExpectation& expectation, const std::vector<LookupResult>& table,
                   std::vector<LookupRequest>* asked = nullptr) {
    std::vector<LookupResult> done;
    for (int step = 0; step < 10; ++step) {
        auto next = evaluate_record(expectation, done);
        if (auto* verdict = std::get_if<RecordVerdict>(&next)) {
            return *verdict;
        }
        for (const auto& request : std::get<NeedLookups>(next).requests) {
            if (asked != nullptr) {
                asked->push_back(request);
            }
            bool found = false;
            for (const auto& canned : table) {
                if (canned.request == request) {
                    done.push_back(canned);
                    found = true;
                }
            }
            if (!found) {
                ADD_FAILURE() << "unexpected question " << request.name << " "
                              << record_type_name(request.type);
                return {};
            }
        }
    }
    ADD_FAILURE() << "evaluator did not decide within 10 steps";
    return {};
}

constexpr const char* k_name = "tok1._domainkey.example.com";
constexpr const char* k_target = "tok1.dkim.amazonses.com";
constexpr const char* k_doubled = "tok1._domainkey.example.com.example.com";

struct EasyCase {
    const char* title;
    std::vector<LookupResult> table;
    VerdictCode code;
    const char* message_part;
};

class EasyDkimVerdicts : public testing::TestWithParam<EasyCase> {};

TEST_P(EasyDkimVerdicts, GiveTheExpertsVerdict) {
    const auto& param = GetParam();
    const auto expectation = expectations_for(easy_identity()).front();
    const auto verdict = play(expectation, param.table);
    EXPECT_EQ(verdict_code_name(verdict.code), std::string(verdict_code_name(param.code)))
        << verdict.message;
    EXPECT_EQ(verdict.severity, severity_of(param.code));
    EXPECT_NE(verdict.message.find(param.message_part), std::string::npos) << verdict.message;
    EXPECT_EQ(verdict.name, k_name);
    EXPECT_EQ(verdict.type, "CNAME");
    EXPECT_EQ(verdict.expected, k_target);
}

const auto k_txt_ok = txt(k_name, {{"p=MIGf"}});
const auto k_txt_empty = txt(k_name, {{""}});

INSTANTIATE_TEST_SUITE_P(
    Table, EasyDkimVerdicts,
    testing::Values(
        EasyCase{"correct", {cname(k_name, k_target), k_txt_ok}, VerdictCode::ok, "SES target"},
        EasyCase{"target in other case with trailing dot",
                 {cname(k_name, "TOK1.DKIM.AmazonSES.com."), k_txt_ok},
                 VerdictCode::ok,
                 "SES target"},
        EasyCase{"empty TXT during rotation is fine",
                 {cname(k_name, k_target), k_txt_empty},
                 VerdictCode::ok,
                 "rotates keys"},
        EasyCase{"TXT nodata at target is fine",
                 {cname(k_name, k_target), result(k_name, RecordType::txt, LookupOutcome::nodata)},
                 VerdictCode::ok,
                 "SES target"},
        EasyCase{
            "txt servfail",
            {cname(k_name, k_target), result(k_name, RecordType::txt, LookupOutcome::servfail)},
            VerdictCode::txt_servfail,
            "Route 53"},
        EasyCase{"txt timeout with a correct cname is indeterminate",
                 {cname(k_name, k_target), result(k_name, RecordType::txt, LookupOutcome::timeout)},
                 VerdictCode::dns_error,
                 "The CNAME is correct"},
        EasyCase{"swapped token",
                 {cname(k_name, "tok2.dkim.amazonses.com"), k_txt_ok},
                 VerdictCode::wrong_target,
                 "another of this identity's tokens (tok2)"},
        EasyCase{"other region's zone",
                 {cname(k_name, "tok1.dkim.eu-south-1.amazonses.com"), k_txt_ok},
                 VerdictCode::wrong_target,
                 "the SES zone of region eu-south-1"},
        EasyCase{"token of another account",
                 {cname(k_name, "zzzz.dkim.amazonses.com"), k_txt_ok},
                 VerdictCode::wrong_target,
                 "another token"},
        EasyCase{"domain appended to the value",
                 {cname(k_name, "tok1.dkim.amazonses.com.example.com"), k_txt_ok},
                 VerdictCode::wrong_target,
                 "appended the domain to the value"},
        EasyCase{"unrelated target",
                 {cname(k_name, "mail.example.net"), k_txt_ok},
                 VerdictCode::wrong_target,
                 "Change the CNAME's value to tok1.dkim.amazonses.com"},
        EasyCase{"nxdomain",
                 {result(k_name, RecordType::cname, LookupOutcome::nxdomain),
                  result(k_name, RecordType::txt, LookupOutcome::nxdomain),
                  result(k_doubled, RecordType::cname, LookupOutcome::nxdomain)},
                 VerdictCode::missing,
                 "NXDOMAIN"},
        EasyCase{"nodata",
                 {result(k_name, RecordType::cname, LookupOutcome::nodata),
                  result(k_name, RecordType::txt, LookupOutcome::nodata),
                  result(k_doubled, RecordType::cname, LookupOutcome::nxdomain)},
                 VerdictCode::missing,
                 "NODATA"},
        EasyCase{"missing, doubled probe indeterminate",
                 {result(k_name, RecordType::cname, LookupOutcome::nxdomain),
                  result(k_name, RecordType::txt, LookupOutcome::nxdomain),
                  result(k_doubled, RecordType::cname, LookupOutcome::timeout)},
                 VerdictCode::missing,
                 "Could not check"},
        EasyCase{"doubled domain",
                 {result(k_name, RecordType::cname, LookupOutcome::nxdomain),
                  result(k_name, RecordType::txt, LookupOutcome::nxdomain),
                  cname(k_doubled, k_target)},
                 VerdictCode::doubled_domain,
                 "automatically append the domain name"},
        EasyCase{"txt where a cname belongs (flattened)",
                 {result(k_name, RecordType::cname, LookupOutcome::nodata),
                  txt(k_name, {{"v=DKIM1; k=rsa; p=MIGfMA0"}})},
                 VerdictCode::wrong_type,
                 "flattened"},
        EasyCase{"cname servfail",
                 {result(k_name, RecordType::cname, LookupOutcome::servfail),
                  result(k_name, RecordType::txt, LookupOutcome::servfail)},
                 VerdictCode::dns_error,
                 "SERVFAIL"},
        EasyCase{"cname timeout",
                 {result(k_name, RecordType::cname, LookupOutcome::timeout),
                  result(k_name, RecordType::txt, LookupOutcome::timeout)},
                 VerdictCode::dns_error,
                 "no answer in time"},
        EasyCase{"cname refused",
                 {result(k_name, RecordType::cname, LookupOutcome::refused),
                  result(k_name, RecordType::txt, LookupOutcome::refused)},
                 VerdictCode::dns_error,
                 "REFUSED"}),
    [](const testing::TestParamInfo<EasyCase>& info) {
        std::string name = info.param.title;
        for (auto& ch : name) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) {
                ch = '_';
            }
        }
        return name;
    });

TEST(EasyDkim, ExpectationsFollowTheRegionsZone) {
    const auto expectations =
        expectations_for(easy_identity("eu-south-1", "dkim.eu-south-1.amazonses.com"));
    ASSERT_EQ(expectations.size(), 3u);
    EXPECT_EQ(expectations[1].name, "tok2._domainkey.example.com");
    EXPECT_EQ(expectations[1].expected_target, "tok2.dkim.eu-south-1.amazonses.com");
    const auto verdict = play(expectations[0], {cname(k_name, k_target), k_txt_ok});
    EXPECT_EQ(verdict.code, VerdictCode::wrong_target);
    EXPECT_NE(verdict.message.find("the shared SES zone"), std::string::npos) << verdict.message;
}

TEST(EasyDkim, AsksCnameAndTxtTogetherAndProbesDoubledNameOnlyWhenMissing) {
    const auto expectation = expectations_for(easy_identity()).front();
    std::vector<LookupRequest> asked;
    play(expectation, {cname(k_name, k_target), k_txt_ok}, &asked);
    ASSERT_EQ(asked.size(), 2u);
    asked.clear();
    play(expectation,
         {result(k_name, RecordType::cname, LookupOutcome::nxdomain),
          result(k_name, RecordType::txt, LookupOutcome::nxdomain),
          result(k_doubled, RecordType::cname, LookupOutcome::nxdomain)},
         &asked);
    ASSERT_EQ(asked.size(), 3u);
    EXPECT_EQ(asked[2].name, k_doubled);
}

TEST(EasyDkim, ObservedIsNullWhenNothingFound) {
    const auto expectation = expectations_for(easy_identity()).front();
    const auto verdict =
        play(expectation, {result(k_name, RecordType::cname, LookupOutcome::nxdomain),
                           result(k_name, RecordType::txt, LookupOutcome::nxdomain),
                           result(k_doubled, RecordType::cname, LookupOutcome::nxdomain)});
    EXPECT_FALSE(verdict.observed.has_value());
}

// ---- BYODKIM --------------------------------------------------------------------------------

constexpr const char* k_sel = "sel1._domainkey.example.org";
constexpr const char* k_sel_doubled = "sel1._domainkey.example.org.example.org";

RecordVerdict play_byo(const std::vector<LookupResult>& table, unsigned configured_bits = 2048) {
    return play(expectations_for(byo_identity(configured_bits)).front(), table);
}

std::vector<std::string> split255(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size(); i += 255) {
        out.push_back(text.substr(i, 255));
    }
    return out;
}

TEST(Byodkim, ConfiguredKeySplitOverStringsIsOk) {
    const std::string record = "v=DKIM1; k=rsa; p=" + b64(rsa_spki(2048));
    const auto verdict = play_byo({txt(k_sel, {split255(record)})});
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
    EXPECT_EQ(verdict.type, "TXT");
    EXPECT_EQ(verdict.expected, record);
}

TEST(Byodkim, WhitespaceInsidePIsAllowed) {
    const std::string key = b64(rsa_spki(2048));
    const std::string record = "p=" + key.substr(0, 100) + " " + key.substr(100);
    EXPECT_EQ(play_byo({txt(k_sel, {{record}})}).code, VerdictCode::ok);
}

TEST(Byodkim, OtherKeyIsMismatch) {
    const auto verdict = play_byo({txt(k_sel, {{"p=" + b64(rsa_spki(2048, 1))}})});
    EXPECT_EQ(verdict.code, VerdictCode::key_mismatch);
    EXPECT_NE(verdict.message.find("not the configured one"), std::string::npos);
}

TEST(Byodkim, EmptyPIsRevoked) {
    EXPECT_EQ(play_byo({txt(k_sel, {{"v=DKIM1; k=rsa; p="}})}).code, VerdictCode::key_revoked);
}

TEST(Byodkim, OddKeySizeIsKeySize) {
    const auto verdict = play_byo({txt(k_sel, {{"p=" + b64(rsa_spki(512))}})});
    EXPECT_EQ(verdict.code, VerdictCode::key_size);
    EXPECT_NE(verdict.message.find("RSA 512-bit"), std::string::npos) << verdict.message;
}

TEST(Byodkim, ConfiguredKeyOf1024BitsIsWeak) {
    const auto verdict = play_byo({txt(k_sel, {{"p=" + b64(rsa_spki(1024))}})}, 1024);
    EXPECT_EQ(verdict.code, VerdictCode::weak_key);
    EXPECT_EQ(verdict.severity, Severity::warning);
}

TEST(Byodkim, TestingFlagIsTestingMode) {
    const auto verdict = play_byo({txt(k_sel, {{"v=DKIM1; t=y; p=" + b64(rsa_spki(2048))}})});
    EXPECT_EQ(verdict.code, VerdictCode::testing_mode);
    EXPECT_EQ(verdict.severity, Severity::warning);
}

TEST(Byodkim, TwoKeysAreMultipleRecords) {
    const auto verdict =
        play_byo({txt(k_sel, {{"p=" + b64(rsa_spki(2048))}, {"p=" + b64(rsa_spki(2048, 1))}})});
    EXPECT_EQ(verdict.code, VerdictCode::multiple_records);
}

TEST(Byodkim, UnrelatedTxtBesideTheKeyIsIgnored) {
    const auto verdict =
        play_byo({txt(k_sel, {{"google-site-verification=abc"}, {"p=" + b64(rsa_spki(2048))}})});
    EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
}

TEST(Byodkim, MalformedRecordsSayWhy) {
    const std::string key = b64(rsa_spki(2048));
    const std::vector<std::string> malformed = {
        "v=DKIM1; p=" + key + "; p=" + key,                                // duplicate tag
        "v=DKIM2; p=" + key,                                               // wrong version
        "p=-----BEGIN PUBLIC KEY-----" + key + "-----END PUBLIC KEY-----", // PEM pasted
        "p=" + key.substr(0, 250),                                         // truncated
        "p=" + key.substr(0, 100) + "\n" + key.substr(100),                // line break
        "k=rsa p=" + key,                                                  // missing ';'
        "some text without tags",                                          // not a key record
    };
    for (const auto& text : malformed) {
        const auto verdict = play_byo({txt(k_sel, {{text}})});
        EXPECT_EQ(verdict.code, VerdictCode::key_malformed) << text << "\n" << verdict.message;
        EXPECT_NE(verdict.message.find("Publish exactly"), std::string::npos);
    }
}

TEST(Byodkim, MissingAndDoubled) {
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::nxdomain),
                        result(k_sel_doubled, RecordType::txt, LookupOutcome::nxdomain)})
                  .code,
              VerdictCode::missing);
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::nodata),
                        txt(k_sel_doubled, {{"p=" + b64(rsa_spki(2048))}})})
                  .code,
              VerdictCode::doubled_domain);
}

TEST(Byodkim, ServfailWithWorkingCnameIsTxtServfail) {
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::servfail),
                        cname(k_sel, "keys.example.net")})
                  .code,
              VerdictCode::txt_servfail);
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::servfail),
                        result(k_sel, RecordType::cname, LookupOutcome::servfail)})
                  .code,
              VerdictCode::dns_error);
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::timeout)}).code,
              VerdictCode::dns_error);
}

TEST(Byodkim, HostileBytesNeverBreakTheEvaluator) {
    std::string noise;
    for (int i = 0; i < 600; ++i) {
        noise.push_back(static_cast<char>((i * 37) % 256));
    }
    const auto verdict = play_byo({txt(k_sel, {{noise, "p=\"\\;", ""}, {}})});
    EXPECT_NE(verdict.code, VerdictCode::ok);
    ASSERT_TRUE(verdict.observed.has_value());
    for (const char ch : *verdict.observed) {
        EXPECT_TRUE(ch >= 0x20 && ch <= 0x7e) << "unescaped byte in observed";
    }
}

} // namespace

namespace {

TEST(Evaluator, AnAnswerWithoutRecordsCountsAsNodata) {
    auto empty_cname = result(k_name, RecordType::cname, LookupOutcome::answer);
    const auto easy = play(expectations_for(easy_identity()).front(),
                           {empty_cname, result(k_name, RecordType::txt, LookupOutcome::answer),
                            result(k_doubled, RecordType::cname, LookupOutcome::answer)});
    EXPECT_EQ(easy.code, VerdictCode::missing);
    EXPECT_EQ(play_byo({result(k_sel, RecordType::txt, LookupOutcome::answer),
                        result(k_sel_doubled, RecordType::txt, LookupOutcome::nxdomain)})
                  .code,
              VerdictCode::missing);
}

} // namespace

namespace {

// ---- BYODKIM without a configured key (discovered through SES) ------------------------------

RecordVerdict play_unconfigured(const std::vector<LookupResult>& table) {
    Identity identity = byo_identity();
    auto& byo = std::get<Byodkim>(identity.method);
    byo.public_key_der.clear();
    byo.key_bits = 0;
    byo.key_source.clear();
    return play(expectations_for(identity).front(), table);
}

TEST(ByodkimUnconfigured, AnyValidRsaKeyOfAnAcceptedSizeIsOk) {
    for (const int variant : {0, 1, 2}) {
        const auto verdict = play_unconfigured(
            {txt(k_sel, {split255("v=DKIM1; k=rsa; p=" + b64(rsa_spki(2048, variant)))})});
        EXPECT_EQ(verdict.code, VerdictCode::ok) << verdict.message;
        EXPECT_EQ(verdict.expected, "a valid RSA public key (none configured)");
        EXPECT_NE(verdict.message.find("RSA 2048-bit"), std::string::npos) << verdict.message;
        EXPECT_NE(verdict.message.find("no key is configured"), std::string::npos)
            << verdict.message;
    }
}

TEST(ByodkimUnconfigured, KeyOf1024BitsIsWeakNeverMismatch) {
    const auto verdict = play_unconfigured({txt(k_sel, {{"p=" + b64(rsa_spki(1024))}})});
    EXPECT_EQ(verdict.code, VerdictCode::weak_key) << verdict.message;
    EXPECT_EQ(verdict.severity, Severity::warning);
    EXPECT_EQ(verdict.message.find("correct"), std::string::npos) << verdict.message;
}

TEST(ByodkimUnconfigured, KeySizesSesRejectsAreKeySize) {
    for (const unsigned bits : {512U, 1536U, 3072U}) {
        const auto verdict = play_unconfigured({txt(k_sel, {{"p=" + b64(rsa_spki(bits))}})});
        EXPECT_EQ(verdict.code, VerdictCode::key_size) << bits << ": " << verdict.message;
        EXPECT_NE(verdict.message.find("RSA " + std::to_string(bits) + "-bit"), std::string::npos)
            << verdict.message;
        // Nothing is configured, so the message must not claim a configured size.
        EXPECT_EQ(verdict.message.find("configured key ("), std::string::npos) << verdict.message;
    }
}

TEST(ByodkimUnconfigured, Ed25519KeyIsNotOneSesAccepts) {
    const std::vector<unsigned char> raw(32, 7);
    const auto verdict = play_unconfigured({txt(k_sel, {{"v=DKIM1; k=ed25519; p=" + b64(raw)}})});
    EXPECT_EQ(verdict.code, VerdictCode::key_size) << verdict.message;
    EXPECT_NE(verdict.message.find("Ed25519"), std::string::npos) << verdict.message;
}

TEST(ByodkimUnconfigured, BrokenRevokedMissingAndTestingKeepTheirVerdicts) {
    const std::string key = b64(rsa_spki(2048));
    EXPECT_EQ(play_unconfigured({txt(k_sel, {{"v=DKIM1; k=rsa; p="}})}).code,
              VerdictCode::key_revoked);
    const auto malformed = play_unconfigured({txt(k_sel, {{"p=" + key.substr(0, 250)}})});
    EXPECT_EQ(malformed.code, VerdictCode::key_malformed);
    // The hint cannot print a key that nobody configured.
    EXPECT_EQ(malformed.message.find("Publish exactly"), std::string::npos) << malformed.message;
    EXPECT_NE(malformed.message.find("Publish the public key of the key pair you gave SES"),
              std::string::npos)
        << malformed.message;
    EXPECT_EQ(play_unconfigured({result(k_sel, RecordType::txt, LookupOutcome::nxdomain),
                                 result(k_sel_doubled, RecordType::txt, LookupOutcome::nxdomain)})
                  .code,
              VerdictCode::missing);
    EXPECT_EQ(play_unconfigured({txt(k_sel, {{"v=DKIM1; t=y; p=" + key}})}).code,
              VerdictCode::testing_mode);
    EXPECT_EQ(play_unconfigured({txt(k_sel, {{"p=" + key}, {"p=" + b64(rsa_spki(2048, 1))}})}).code,
              VerdictCode::multiple_records);
    EXPECT_EQ(play_unconfigured({txt(k_sel, {{"v=DKIM1; s=other; p=" + key}})}).code,
              VerdictCode::key_malformed);
}

TEST(ByodkimUnconfigured, ConfiguredKeyStillReportsMismatch) {
    // The same record against a configured key: the comparison is only skipped without one.
    const auto record = txt(k_sel, {{"p=" + b64(rsa_spki(2048, 2))}});
    EXPECT_EQ(play_unconfigured({record}).code, VerdictCode::ok);
    EXPECT_EQ(play_byo({record}).code, VerdictCode::key_mismatch);
}

} // namespace
