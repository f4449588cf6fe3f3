#include "dkim/dkim_verifier.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// dkim.h is C and spells its booleans _Bool (same ABI as bool).
#define _Bool bool
#include <dkim.h>
#undef _Bool

#if defined(__SANITIZE_ADDRESS__)
#define DKIMWATCH_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DKIMWATCH_TEST_LSAN 1
#endif
#endif
#ifdef DKIMWATCH_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

// The messages are signed here, in-process, by libopendkim's own signer, with keys made by
// OpenSSL; the keys are served from a table, so nothing touches the network.

namespace dkimwatch {
namespace {

using Seconds = std::chrono::seconds;
constexpr std::uint64_t k_signed_at = 1'760'000'000; // 2025-10-09, a fixed signing time

std::chrono::system_clock::time_point at(std::uint64_t seconds) {
    return std::chrono::system_clock::time_point(Seconds(seconds));
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

// A key pair: the PEM private key for the signer and the key record for DNS.
struct TestKey {
    std::string private_pem;
    std::string public_base64; // p=
    std::string key_type;      // k=
    std::string record(const std::string& extra = "") const {
        return "v=DKIM1; k=" + key_type + "; " + extra + "p=" + public_base64;
    }
};

TestKey make_key(const char* type, std::size_t rsa_bits) {
    EVP_PKEY* raw = std::strcmp(type, "RSA") == 0
                        ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits)
                        : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    if (raw == nullptr) {
        throw std::runtime_error("key generation failed");
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, EVP_PKEY_free);
    TestKey out;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* pem = nullptr;
    const long pem_size = BIO_get_mem_data(bio.get(), &pem);
    out.private_pem.assign(pem, static_cast<std::size_t>(pem_size));
    if (std::strcmp(type, "RSA") == 0) {
        unsigned char* der = nullptr;
        const int der_size = i2d_PUBKEY(key.get(), &der);
        out.public_base64 = base64(der, static_cast<std::size_t>(der_size));
        OPENSSL_free(der);
        out.key_type = "rsa";
    } else {
        unsigned char public_key[64];
        std::size_t size = sizeof public_key;
        EVP_PKEY_get_raw_public_key(key.get(), public_key, &size);
        out.public_base64 = base64(public_key, size);
        out.key_type = "ed25519";
    }
    return out;
}

const TestKey& rsa2048() {
    static const TestKey key = make_key("RSA", 2048);
    return key;
}
const TestKey& other_rsa2048() {
    static const TestKey key = make_key("RSA", 2048);
    return key;
}
const TestKey& rsa1024() {
    static const TestKey key = make_key("RSA", 1024);
    return key;
}
const TestKey& ed25519() {
    static const TestKey key = make_key("ED25519", 0);
    return key;
}

// A message as the parser gives it: raw fields with CRLF folding, no final CRLF; body in CRLF.
struct Message {
    std::vector<std::string> fields;
    std::string body;

    MailMessage parsed() const {
        MailMessage message;
        std::size_t line = 1;
        for (const std::string& raw : fields) {
            MailHeaderField field;
            field.raw = raw;
            field.name = raw.substr(0, raw.find(':'));
            field.line = line;
            for (char c : raw) {
                line += c == '\n' ? 1 : 0;
            }
            ++line;
            message.headers.push_back(std::move(field));
        }
        message.body = body;
        message.line_endings = "crlf";
        return message;
    }
};

Message sample_message() {
    return Message{
        {"Received: from mx.example.test by mx.example.net; Thu, 9 Oct 2025 08:53:20 +0000",
         "From: Alice <alice@example.test>", "To: bob@example.net", "Subject: quarterly\r\n report",
         "Date: Thu, 9 Oct 2025 08:53:20 +0000", "Message-ID: <1@example.test>"},
        "Hello Bob,\r\n\r\nthe report is attached.\r\n"};
}

struct Signing {
    std::string domain = "example.test";
    std::string selector = "sel";
    const TestKey* key = nullptr;
    dkim_canon_t header_canon = DKIM_CANON_RELAXED;
    dkim_canon_t body_canon = DKIM_CANON_RELAXED;
    dkim_alg_t algorithm = DKIM_SIGN_RSASHA256;
    std::uint64_t time = k_signed_at;
    std::uint64_t ttl = 0;    // x= = t= + ttl when set
    bool sign_length = false; // l=
    std::string identity;     // i=, when set
};

// libopendkim 2.11's signer never frees an ed25519 private key (dkim_free leaks its crypto
// state and the EVP_PKEY). That is the test's signer, not the verifier under test: the leak
// checker is paused while such a signature is made, and only then.
class SignerLeakPause {
public:
    explicit SignerLeakPause(bool pause) : m_paused(pause) {
#ifdef DKIMWATCH_TEST_LSAN
        if (m_paused) {
            __lsan_disable();
        }
#endif
    }
    ~SignerLeakPause() {
#ifdef DKIMWATCH_TEST_LSAN
        if (m_paused) {
            __lsan_enable();
        }
#endif
    }
    SignerLeakPause(const SignerLeakPause&) = delete;
    SignerLeakPause& operator=(const SignerLeakPause&) = delete;

private:
    [[maybe_unused]] bool m_paused;
};

// Signs `message` with libopendkim and returns the "DKIM-Signature: ..." field (CRLF folding).
std::string sign(const Message& message, const Signing& how) {
    const SignerLeakPause pause(how.algorithm == DKIM_SIGN_ED25519SHA256);
    DKIM_LIB* lib = dkim_init(nullptr, nullptr);
    if (lib == nullptr) {
        throw std::runtime_error("dkim_init failed");
    }
    std::uint64_t time = how.time;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &time, sizeof time);
    unsigned int min_key_bits = 512; // let the signer make what the verifier must refuse
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &min_key_bits, sizeof min_key_bits);
    if (how.ttl != 0) {
        std::uint64_t ttl = how.ttl;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl);
    }
    if (how.sign_length) {
        std::uint32_t flags = DKIM_LIBFLAGS_SIGNLEN;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    }
    DKIM_STAT status = DKIM_STAT_OK;
    std::string pem = how.key->private_pem;
    DKIM* dkim = dkim_sign(lib, reinterpret_cast<const unsigned char*>("test"), nullptr,
                           reinterpret_cast<dkim_sigkey_t>(pem.data()),
                           reinterpret_cast<const unsigned char*>(how.selector.c_str()),
                           reinterpret_cast<const unsigned char*>(how.domain.c_str()),
                           how.header_canon, how.body_canon, how.algorithm, -1, &status);
    std::string out;
    if (dkim != nullptr && status == DKIM_STAT_OK) {
        if (!how.identity.empty()) {
            dkim_set_signer(dkim, reinterpret_cast<const u_char*>(how.identity.c_str()));
        }
        for (const std::string& field : message.fields) {
            std::string copy = field;
            status = dkim_header(dkim, reinterpret_cast<u_char*>(copy.data()), copy.size());
        }
        dkim_eoh(dkim);
        std::string body = message.body;
        if (!body.empty()) {
            dkim_body(dkim, reinterpret_cast<u_char*>(body.data()), body.size());
        }
        bool testkey = false;
        status = dkim_eom(dkim, &testkey);
        u_char* header = nullptr;
        size_t length = 0;
        const std::string prefix = "DKIM-Signature: ";
        if (status == DKIM_STAT_OK &&
            dkim_getsighdr_d(dkim, prefix.size(), &header, &length) == DKIM_STAT_OK) {
            out = prefix + std::string(reinterpret_cast<const char*>(header), length);
        }
    }
    if (dkim != nullptr) {
        dkim_free(dkim);
    }
    dkim_close(lib);
    if (out.empty()) {
        throw std::runtime_error("signing failed: " + std::to_string(status));
    }
    return out;
}

Message signed_message(const Signing& how, Message message = sample_message()) {
    message.fields.insert(message.fields.begin(), sign(message, how));
    return message;
}

// Serves key records from a table and counts the lookups per "selector._domainkey.domain".
struct KeyTable {
    std::map<std::string, DkimKeyAnswer> answers;
    std::map<std::string, int> calls;

    void publish(const std::string& name, std::string record) {
        answers[name] = {DkimKeyAnswer::Status::found, std::move(record), ""};
    }
    DkimKeyLookup lookup() {
        return [this](const std::string& domain, const std::string& selector) {
            const std::string name = selector + "._domainkey." + domain;
            ++calls[name];
            const auto found = answers.find(name);
            if (found == answers.end()) {
                return DkimKeyAnswer{DkimKeyAnswer::Status::no_key, "", "NXDOMAIN"};
            }
            return found->second;
        };
    }
};

std::vector<DkimSignatureCheck> verify(const Message& message, KeyTable& keys,
                                       std::uint64_t now = k_signed_at + 60) {
    DkimVerifyOptions options;
    options.now = at(now);
    auto result = verify_dkim_signatures(message.parsed(), keys.lookup(), options);
    if (!result.ok()) {
        ADD_FAILURE() << result.error();
        return {};
    }
    return std::move(result).value();
}

Signing with_key(const TestKey& key) {
    Signing how;
    how.key = &key;
    return how;
}

TEST(DkimVerifier, RelaxedRelaxedPassesWithEveryTagFilled) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    const DkimSignatureCheck& check = checks[0];
    EXPECT_EQ(check.result, SignatureResult::pass) << check.reason;
    EXPECT_EQ(check.failure, SignatureFailure::none);
    EXPECT_EQ(check.reason, "");
    EXPECT_EQ(check.header_index, 0u);
    EXPECT_EQ(check.domain, "example.test");
    EXPECT_EQ(check.selector, "sel");
    EXPECT_EQ(check.algorithm, "rsa-sha256");
    EXPECT_EQ(check.canonicalization, "relaxed/relaxed");
    EXPECT_EQ(check.agent_identifier, "@example.test");
    ASSERT_FALSE(check.signed_header_fields.empty());
    EXPECT_NE(
        std::find(check.signed_header_fields.begin(), check.signed_header_fields.end(), "from"),
        check.signed_header_fields.end());
    EXPECT_NE(
        std::find(check.signed_header_fields.begin(), check.signed_header_fields.end(), "subject"),
        check.signed_header_fields.end());
    ASSERT_TRUE(check.signed_at.has_value());
    EXPECT_EQ(*check.signed_at, static_cast<std::int64_t>(k_signed_at));
    EXPECT_FALSE(check.expires_at.has_value());
    EXPECT_FALSE(check.body_length.has_value());
    ASSERT_TRUE(check.canonical_body_length.has_value());
    EXPECT_GT(*check.canonical_body_length, 0u);
    EXPECT_FALSE(check.expired);
    EXPECT_FALSE(check.partial_body);
    EXPECT_FALSE(check.testing_key);
    EXPECT_EQ(check.key_bits, 2048u);
}

TEST(DkimVerifier, SimpleSimpleAndRelaxedSimplePass) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing simple = with_key(rsa2048());
    simple.header_canon = DKIM_CANON_SIMPLE;
    simple.body_canon = DKIM_CANON_SIMPLE;
    auto checks = verify(signed_message(simple), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[0].canonicalization, "simple/simple");

    Signing relaxed_simple = with_key(rsa2048());
    relaxed_simple.body_canon = DKIM_CANON_SIMPLE;
    checks = verify(signed_message(relaxed_simple), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[0].canonicalization, "relaxed/simple");
}

TEST(DkimVerifier, A1024BitKeyPassesAndReportsItsSize) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa1024().record());
    const auto checks = verify(signed_message(with_key(rsa1024())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[0].key_bits, 1024u);
}

TEST(DkimVerifier, Ed25519Passes) {
    KeyTable keys;
    keys.publish("ed._domainkey.example.test", ed25519().record());
    Signing how = with_key(ed25519());
    how.selector = "ed";
    how.algorithm = DKIM_SIGN_ED25519SHA256;
    const auto checks = verify(signed_message(how), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[0].algorithm, "ed25519-sha256");
}

TEST(DkimVerifier, TwoSignaturesBothPassInHeaderOrder) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    keys.publish("ses1._domainkey.amazonses.test", other_rsa2048().record());
    Message message = sample_message();
    // Received stays on top, as a relay adds it: the signatures go below it.
    const std::string domain_signature = sign(message, with_key(rsa2048()));
    message.fields.insert(message.fields.begin() + 1, domain_signature);
    Signing ses = with_key(other_rsa2048());
    ses.domain = "amazonses.test";
    ses.selector = "ses1";
    const std::string ses_signature = sign(message, ses);
    message.fields.insert(message.fields.begin() + 1, ses_signature);

    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_EQ(checks[0].header_index, 1u);
    EXPECT_EQ(checks[0].domain, "amazonses.test");
    EXPECT_EQ(checks[0].selector, "ses1");
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[1].header_index, 2u);
    EXPECT_EQ(checks[1].domain, "example.test");
    EXPECT_EQ(checks[1].result, SignatureResult::pass) << checks[1].reason;
}

TEST(DkimVerifier, AModifiedBodyFailsOnTheBodyHash) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Message message = signed_message(with_key(rsa2048()));
    message.body = "Hello Bob,\r\n\r\nthe report is NOT attached.\r\n";
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::fail);
    EXPECT_EQ(checks[0].failure, SignatureFailure::body_hash);
    EXPECT_EQ(checks[0].reason,
              "the body hash does not match bh=: the body was changed after signing");
}

TEST(DkimVerifier, AModifiedSignedHeaderFailsOnTheSignature) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Message message = signed_message(with_key(rsa2048()));
    for (std::string& field : message.fields) {
        if (field.rfind("Subject:", 0) == 0) {
            field = "Subject: quarterly report (edited)";
        }
    }
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::fail);
    EXPECT_EQ(checks[0].failure, SignatureFailure::signature);
    EXPECT_NE(checks[0].reason.find("a signed header field was changed"), std::string::npos);
}

TEST(DkimVerifier, AWrongPublishedKeyFailsOnTheSignature) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", other_rsa2048().record());
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::fail);
    EXPECT_EQ(checks[0].failure, SignatureFailure::signature);
    EXPECT_EQ(checks[0].key_bits, 2048u);
}

TEST(DkimVerifier, NoKeyRecordIsAKeyPermerror) {
    KeyTable keys;
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::key);
    EXPECT_EQ(checks[0].reason, "no key record at sel._domainkey.example.test (NXDOMAIN)");
    EXPECT_EQ(checks[0].key_bits, 0u);
}

TEST(DkimVerifier, ARevokedKeyIsAKeyPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", "v=DKIM1; k=rsa; p=");
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::key);
    EXPECT_EQ(checks[0].reason, "the key record at sel._domainkey.example.test has an empty p=: "
                                "the key is revoked");
}

TEST(DkimVerifier, AGarbledKeyIsAKeyPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", "v=DKIM1; k=rsa; p=AAAAbm90IGEga2V5");
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::key);
    EXPECT_NE(checks[0].reason.find("cannot be decoded"), std::string::npos) << checks[0].reason;
}

TEST(DkimVerifier, AKeyTooSmallIsAKeyPermerror) {
    const TestKey small = make_key("RSA", 512);
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", small.record());
    const auto checks = verify(signed_message(with_key(small)), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::key);
    EXPECT_EQ(checks[0].key_bits, 512u);
    EXPECT_EQ(checks[0].reason,
              "the key at sel._domainkey.example.test has 512 bits: at least 1024 are required");
}

TEST(DkimVerifier, AKeyRecordWithANulByteIsAKeyPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test",
                 std::string("v=DKIM1; k=rsa;\0 p=", 20) + rsa2048().public_base64);
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::key);
    EXPECT_NE(checks[0].reason.find("holds a NUL byte"), std::string::npos) << checks[0].reason;
}

TEST(DkimVerifier, ATemporaryLookupFailureIsATemperrorWithItsDetail) {
    KeyTable keys;
    keys.answers["sel._domainkey.example.test"] = {DkimKeyAnswer::Status::temporary_failure, "",
                                                   "SERVFAIL from 127.0.0.1"};
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::temperror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::none);
    EXPECT_EQ(checks[0].reason, "the key record at sel._domainkey.example.test could not be "
                                "fetched: SERVFAIL from 127.0.0.1");
}

TEST(DkimVerifier, ALookupThatThrowsIsATemperror) {
    const Message message = signed_message(with_key(rsa2048()));
    DkimVerifyOptions options;
    options.now = at(k_signed_at + 60);
    const auto result = verify_dkim_signatures(
        message.parsed(),
        [](const std::string&, const std::string&) -> DkimKeyAnswer {
            throw std::runtime_error("resolver gone");
        },
        options);
    ASSERT_TRUE(result.ok()) << result.error();
    ASSERT_EQ(result->size(), 1u);
    EXPECT_EQ((*result)[0].result, SignatureResult::temperror);
    EXPECT_NE((*result)[0].reason.find("resolver gone"), std::string::npos);
}

TEST(DkimVerifier, AKeyRecordTooLongForLibopendkimIsATemperror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test",
                 rsa2048().record("n=" + std::string(2000, 'x') + "; "));
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::temperror);
    EXPECT_NE(checks[0].reason.find("libopendkim accepts at most 1024"), std::string::npos)
        << checks[0].reason;
}

TEST(DkimVerifier, ExpiryIsJudgedAgainstTheVerificationTime) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing how = with_key(rsa2048());
    how.ttl = 3600;
    const Message message = signed_message(how);

    auto checks = verify(message, keys, k_signed_at + 7200);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::expired);
    EXPECT_TRUE(checks[0].expired);
    ASSERT_TRUE(checks[0].expires_at.has_value());
    EXPECT_EQ(*checks[0].expires_at, static_cast<std::int64_t>(k_signed_at + 3600));

    // Before x= it passes, although the real clock (years later) is long past x=.
    checks = verify(message, keys, k_signed_at + 60);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_FALSE(checks[0].expired);
}

TEST(DkimVerifier, ASignatureTimeInTheFutureIsASyntaxPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    const Message message = signed_message(with_key(rsa2048()));
    auto checks = verify(message, keys, k_signed_at - 3600);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::syntax);
    EXPECT_NE(checks[0].reason.find("t=1760000000 is in the future"), std::string::npos)
        << checks[0].reason;
    // Within libopendkim's five minutes of clock drift it passes.
    checks = verify(message, keys, k_signed_at - 200);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
}

TEST(DkimVerifier, ABodyLengthSignaturePassesWithTextAppended) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing how = with_key(rsa2048());
    how.sign_length = true;
    Message message = signed_message(how);
    const std::size_t signed_length = message.body.size();
    message.body += "-- \r\nappended by a list\r\n";
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_TRUE(checks[0].partial_body);
    ASSERT_TRUE(checks[0].body_length.has_value());
    EXPECT_EQ(*checks[0].body_length, signed_length); // relaxed leaves this body as it is
}

TEST(DkimVerifier, ABodyCutShorterThanLFailsOnTheBody) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing how = with_key(rsa2048());
    how.sign_length = true;
    Message message = signed_message(how);
    message.body = "Hello Bob,\r\n";
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::fail);
    EXPECT_EQ(checks[0].failure, SignatureFailure::body_hash);
    EXPECT_TRUE(checks[0].partial_body);
    EXPECT_EQ(checks[0].reason,
              "l= is longer than the canonicalized body: the body was cut after signing");
}

TEST(DkimVerifier, TheFieldNameIsMatchedWithoutRegardToCase) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Message message = signed_message(with_key(rsa2048())); // relaxed: the name is lowercased
    message.fields[0].replace(0, std::strlen("DKIM-Signature"), "dkim-signature");
    message.fields.insert(message.fields.begin(), "X-First: 1");
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].header_index, 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
}

TEST(DkimVerifier, ATestingKeyIsReported) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record("t=y; "));
    const auto checks = verify(signed_message(with_key(rsa2048())), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_TRUE(checks[0].testing_key);
}

TEST(DkimVerifier, AnIdentityOutsideTheDomainIsASyntaxPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing how = with_key(rsa2048());
    how.identity = "alice@example.test"; // libopendkim's signer refuses one outside d=
    Message message = signed_message(how);
    std::string& field = message.fields[0];
    const std::size_t i = field.find("i=alice@example.test");
    ASSERT_NE(i, std::string::npos) << field;
    field.replace(i, std::strlen("i=alice@example.test"), "i=alice@elsewhere.test");
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::syntax);
    EXPECT_EQ(checks[0].agent_identifier, "alice@elsewhere.test");
    EXPECT_EQ(checks[0].reason, "i= is not in d= or a subdomain of it");
}

TEST(DkimVerifier, ASignatureWithoutDIsASyntaxPermerror) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Message message = signed_message(with_key(rsa2048()));
    std::string& field = message.fields[0];
    const std::size_t d = field.find("d=example.test;");
    ASSERT_NE(d, std::string::npos) << field;
    field.erase(d, std::strlen("d=example.test;"));
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::permerror);
    EXPECT_EQ(checks[0].failure, SignatureFailure::syntax);
    EXPECT_EQ(checks[0].reason, "the d= tag is missing (libopendkim: missing parameter(s) in "
                                "signature data)");
    EXPECT_EQ(checks[0].domain, "");
    EXPECT_EQ(checks[0].selector, "sel");
    EXPECT_TRUE(keys.calls.empty());
}

TEST(DkimVerifier, GarbageSignatureFieldsArePermerrorsThatNameTheProblem) {
    struct Case {
        std::string field;
        SignatureFailure failure;
        std::string reason_start;
    };
    const std::string tail = "s=sel; h=from; bh=x; b=y";
    const std::vector<Case> cases = {
        {"DKIM-Signature: ;;;==", SignatureFailure::syntax,
         "the d= tag is missing (libopendkim: syntax error in signature data"},
        {"DKIM-Signature:", SignatureFailure::syntax, "the d= tag is missing"},
        {"DKIM-Signature: d=", SignatureFailure::syntax, "the d= tag is empty"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=sel; h=from; bh=; b=",
         SignatureFailure::syntax, "the bh= tag is empty"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=ex\xc3\xa4mple.test; " + tail,
         SignatureFailure::syntax, "the d= tag is missing (libopendkim: invalid character"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail +
             "; x=99999999999999999999999",
         SignatureFailure::syntax,
         "the field is not a valid DKIM-Signature tag list (libopendkim: invalid \"x\" value"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail + "; t=-5",
         SignatureFailure::syntax,
         "the field is not a valid DKIM-Signature tag list (libopendkim: invalid \"t\" value"},
        {"DKIM-Signature: v=2; a=rsa-sha256; d=example.test; " + tail, SignatureFailure::syntax,
         "v= is not 1"},
        {"DKIM-Signature: v=1; a=rot13; d=example.test; " + tail, SignatureFailure::syntax,
         "a= names an unknown"},
        {"DKIM-Signature: v=1; a=rsa-sha256; c=fancy/simple; d=example.test; " + tail,
         SignatureFailure::syntax, "c= names an unknown header canonicalization"},
        {"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/fancy; d=example.test; " + tail,
         SignatureFailure::syntax, "c= names an unknown body canonicalization"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=sel; h=subject; bh=x; b=y",
         SignatureFailure::syntax, "h= does not list From"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail + "; l=abc",
         SignatureFailure::syntax, "l= is not a valid length"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail + "; x=1759999000; t=9",
         SignatureFailure::expired, "the signature expired: x=1759999000 is before"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail +
             "; t=1760000000; x=1759999999999",
         SignatureFailure::syntax, "b= is not valid base64"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail +
             "; t=1760000090; x=1760000080",
         SignatureFailure::syntax, "x= is before t="},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.test; " + tail + "; " +
             std::string(5000, 'z') + "=1",
         SignatureFailure::syntax, "b= is not valid base64"},
    };
    for (const Case& item : cases) {
        KeyTable keys;
        keys.publish("sel._domainkey.example.test", rsa2048().record());
        Message message = sample_message();
        message.fields.insert(message.fields.begin(), item.field);
        const auto checks = verify(message, keys);
        ASSERT_EQ(checks.size(), 1u) << item.field;
        EXPECT_EQ(checks[0].header_index, 0u);
        EXPECT_EQ(checks[0].result, SignatureResult::permerror) << item.field;
        EXPECT_EQ(checks[0].failure, item.failure) << item.field;
        EXPECT_EQ(checks[0].reason.rfind(item.reason_start, 0), 0u)
            << item.field << "\n  gave: " << checks[0].reason;
        EXPECT_EQ(checks[0].canonicalization.find('/') != std::string::npos, true);
    }
}

TEST(DkimVerifier, AMessageWithoutASignatureGivesNothing) {
    KeyTable keys;
    Message message = sample_message();
    message.fields.push_back("ARC-Message-Signature: i=1; a=rsa-sha256; d=example.net; s=arc; "
                             "h=from; bh=x; b=y");
    message.fields.push_back("DomainKey-Signature: a=rsa-sha1; d=example.test; s=sel; b=y");
    const auto checks = verify(message, keys);
    EXPECT_TRUE(checks.empty());
    EXPECT_TRUE(keys.calls.empty());

    message.body.clear();
    EXPECT_TRUE(verify(message, keys).empty());
}

TEST(DkimVerifier, EachDistinctDomainAndSelectorIsLookedUpOnce) {
    const Message base = sample_message();
    Message message = base;
    message.fields.insert(message.fields.begin(), sign(base, with_key(rsa2048())));
    Signing relaxed_simple = with_key(rsa2048());
    relaxed_simple.body_canon = DKIM_CANON_SIMPLE;
    message.fields.insert(message.fields.begin(), sign(base, relaxed_simple));
    Signing other = with_key(other_rsa2048());
    other.domain = "amazonses.test";
    other.selector = "ses1";
    message.fields.insert(message.fields.begin(), sign(base, other));

    KeyTable missing; // every lookup answers NXDOMAIN: libopendkim cannot share a key
    auto checks = verify(message, missing);
    ASSERT_EQ(checks.size(), 3u);
    for (const auto& check : checks) {
        EXPECT_EQ(check.result, SignatureResult::permerror);
        EXPECT_EQ(check.failure, SignatureFailure::key);
    }
    EXPECT_EQ(missing.calls["sel._domainkey.example.test"], 1);
    EXPECT_EQ(missing.calls["ses1._domainkey.amazonses.test"], 1);
    EXPECT_EQ(missing.calls.size(), 2u);

    KeyTable temporary;
    temporary.answers["sel._domainkey.example.test"] = {DkimKeyAnswer::Status::temporary_failure,
                                                        "", "timeout"};
    temporary.publish("ses1._domainkey.amazonses.test", other_rsa2048().record());
    checks = verify(message, temporary);
    ASSERT_EQ(checks.size(), 3u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[1].result, SignatureResult::temperror);
    EXPECT_EQ(checks[2].result, SignatureResult::temperror);
    EXPECT_EQ(temporary.calls["sel._domainkey.example.test"], 1);
    EXPECT_EQ(temporary.calls["ses1._domainkey.amazonses.test"], 1);

    KeyTable published;
    published.publish("sel._domainkey.example.test", rsa2048().record());
    published.publish("ses1._domainkey.amazonses.test", other_rsa2048().record());
    checks = verify(message, published);
    ASSERT_EQ(checks.size(), 3u);
    for (const auto& check : checks) {
        EXPECT_EQ(check.result, SignatureResult::pass) << check.reason;
    }
    EXPECT_EQ(published.calls["sel._domainkey.example.test"], 1);
    EXPECT_EQ(published.calls["ses1._domainkey.amazonses.test"], 1);
}

TEST(DkimVerifier, TheDomainIsLookedUpInCanonicalForm) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Signing how = with_key(rsa2048());
    how.domain = "Example.TEST";
    const auto checks = verify(signed_message(how), keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
    EXPECT_EQ(checks[0].domain, "example.test");
    EXPECT_EQ(keys.calls["sel._domainkey.example.test"], 1);
}

TEST(DkimVerifier, AFieldThatLibopendkimRefusesDoesNotStopTheOthers) {
    KeyTable keys;
    keys.publish("sel._domainkey.example.test", rsa2048().record());
    Message message = signed_message(with_key(rsa2048()));
    // A field name with a byte libopendkim refuses, and a field without a colon: unsigned extras.
    message.fields.push_back("X-Bad\x01Name: value");
    message.fields.push_back("X-Also:bad\xff value");
    const auto checks = verify(message, keys);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].result, SignatureResult::pass) << checks[0].reason;
}

} // namespace
} // namespace dkimwatch
