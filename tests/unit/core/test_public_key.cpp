#include "core/public_key.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Bytes = std::vector<unsigned char>;

std::string read_fixture(const std::string& name) {
    const std::string path = std::string(DKIMWATCH_TEST_DATA_DIR) + "/keys/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "cannot open fixture " << path;
        return {};
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

std::span<const unsigned char> as_span(std::string_view text) {
    return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

// The DER inside a PEM file (its lines between the -----BEGIN and -----END lines).
Bytes pem_der(const std::string& name) {
    std::istringstream in(read_fixture(name));
    std::string line;
    std::string base64;
    while (std::getline(in, line)) {
        if (!line.starts_with("-----")) {
            base64 += line;
        }
    }
    auto der = base64_decode(base64);
    EXPECT_TRUE(der.ok()) << name;
    return der.ok() ? der.value() : Bytes{};
}

std::string pem_der_string(const std::string& name) {
    const Bytes der = pem_der(name);
    return std::string(der.begin(), der.end());
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// ---- base64 ----

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(base64_encode(to_bytes("")), "");
    EXPECT_EQ(base64_encode(to_bytes("f")), "Zg==");
    EXPECT_EQ(base64_encode(to_bytes("fo")), "Zm8=");
    EXPECT_EQ(base64_encode(to_bytes("foo")), "Zm9v");
    EXPECT_EQ(base64_encode(to_bytes("foob")), "Zm9vYg==");
    EXPECT_EQ(base64_encode(to_bytes("fooba")), "Zm9vYmE=");
    EXPECT_EQ(base64_encode(to_bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648VectorsWithPaddingRemoved) {
    const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                      {"Zg==", "f"},
                                                                      {"Zm8=", "fo"},
                                                                      {"Zm9v", "foo"},
                                                                      {"Zm9vYg==", "foob"},
                                                                      {"Zm9vYmE=", "fooba"},
                                                                      {"Zm9vYmFy", "foobar"}};
    for (const auto& [text, plain] : vectors) {
        auto decoded = base64_decode(text);
        ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error();
        EXPECT_EQ(decoded.value(), to_bytes(plain)) << text;
    }
}

TEST(Base64, DecodesBinaryZeroBytesAndHighBytes) {
    auto decoded = base64_decode("AAD/");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value(), (Bytes{0x00, 0x00, 0xFF}));
    decoded = base64_decode("+/+/");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value(), (Bytes{0xFB, 0xFF, 0xBF}));
}

TEST(Base64, RejectsMalformedTextWithReason) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Zg=", "not valid base64: length 3 is not a multiple of 4"},
        {"A", "not valid base64: length 1 is not a multiple of 4"},
        {"Zm9vY", "not valid base64: length 5 is not a multiple of 4"},
        {"Zm9v Zg==", "not valid base64: a space at offset 4 is not in the base64 alphabet"},
        {"Zm9v\nZg==", "not valid base64: byte 0x0A at offset 4 is not in the base64 alphabet"},
        {"Zm9!", "not valid base64: '!' at offset 3 is not in the base64 alphabet"},
        {"Zm-v", "not valid base64: '-' at offset 2 is not in the base64 alphabet"},
        {"Zm9\xC3", "not valid base64: byte 0xC3 at offset 3 is not in the base64 alphabet"},
        {std::string("Zm9\0", 4), "not valid base64: byte 0x00 at offset 3 is not in the base64 "
                                  "alphabet"},
        {"Zg==Zg==", "not valid base64: '=' padding before the end"},
        {"Z=g=", "not valid base64: '=' padding before the end"},
        {"Z===", "not valid base64: too much '=' padding"},
        {"====", "not valid base64: too much '=' padding"},
    };
    for (const auto& [text, expected] : cases) {
        auto decoded = base64_decode(text);
        ASSERT_FALSE(decoded.ok()) << text;
        EXPECT_EQ(decoded.error(), expected) << text;
    }
}

TEST(Base64, RoundTripsEveryLengthUpTo300) {
    std::mt19937 random(42);
    for (std::size_t length = 0; length <= 300; ++length) {
        Bytes bytes(length);
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(random());
        }
        const std::string text = base64_encode(bytes);
        EXPECT_EQ(text.size(), (length + 2) / 3 * 4);
        auto decoded = base64_decode(text);
        ASSERT_TRUE(decoded.ok()) << length;
        EXPECT_EQ(decoded.value(), bytes) << length;
    }
}

TEST(Base64, RoundTripsInputsLargerThanOneChunk) {
    for (std::size_t length : {std::size_t{49152}, std::size_t{49153}, std::size_t{200001}}) {
        Bytes bytes(length);
        for (std::size_t i = 0; i < length; ++i) {
            bytes[i] = static_cast<unsigned char>(i * 7 + 3);
        }
        const std::string text = base64_encode(bytes);
        ASSERT_EQ(text.size(), (length + 2) / 3 * 4);
        auto decoded = base64_decode(text);
        ASSERT_TRUE(decoded.ok()) << length;
        EXPECT_EQ(decoded.value(), bytes) << length;
    }
}

TEST(Base64, FixtureBase64IsTheDerFile) {
    auto decoded = base64_decode(read_fixture("rsa2048_pub_spki.b64"));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value(), to_bytes(read_fixture("rsa2048_pub_spki.der")));
    EXPECT_EQ(base64_encode(decoded.value()), read_fixture("rsa2048_pub_spki.b64"));
}

// ---- decode_dkim_public_key ----

TEST(DecodeDkimPublicKey, DecodesRsaSubjectPublicKeyInfo) {
    const std::string der = read_fixture("rsa1024_pub_spki.der");
    auto key = decode_dkim_public_key("rsa", as_span(der));
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->algorithm, KeyAlgorithm::rsa);
    EXPECT_EQ(key->bits, 1024);
    EXPECT_EQ(key->canonical_der, to_bytes(der));

    const std::string der2048 = read_fixture("rsa2048_pub_spki.der");
    auto key2048 = decode_dkim_public_key("rsa", as_span(der2048));
    ASSERT_TRUE(key2048.ok()) << key2048.error();
    EXPECT_EQ(key2048->bits, 2048);
    EXPECT_EQ(key2048->canonical_der, to_bytes(der2048));
    EXPECT_NE(key.value(), key2048.value());
}

TEST(DecodeDkimPublicKey, Pkcs1RsaPublicKeyComparesEqualToItsSpki) {
    const std::string pkcs1 = read_fixture("rsa1024_pub_pkcs1.der");
    const std::string spki = read_fixture("rsa1024_pub_spki.der");
    auto from_pkcs1 = decode_dkim_public_key("rsa", as_span(pkcs1));
    auto from_spki = decode_dkim_public_key("rsa", as_span(spki));
    ASSERT_TRUE(from_pkcs1.ok()) << from_pkcs1.error();
    ASSERT_TRUE(from_spki.ok());
    EXPECT_EQ(from_pkcs1.value(), from_spki.value());
    EXPECT_EQ(from_pkcs1->canonical_der, to_bytes(spki));

    const Bytes pkcs1_2048 = pem_der("rsa2048_pub_pkcs1.pem");
    auto from_pkcs1_2048 = decode_dkim_public_key("rsa", pkcs1_2048);
    ASSERT_TRUE(from_pkcs1_2048.ok());
    EXPECT_EQ(from_pkcs1_2048->bits, 2048);
    EXPECT_EQ(from_pkcs1_2048->canonical_der, to_bytes(read_fixture("rsa2048_pub_spki.der")));
}

TEST(DecodeDkimPublicKey, KeyTypeIsCaseInsensitive) {
    const std::string der = read_fixture("rsa1024_pub_spki.der");
    EXPECT_TRUE(decode_dkim_public_key("RSA", as_span(der)).ok());
}

TEST(DecodeDkimPublicKey, DecodesRawEd25519Key) {
    auto raw = base64_decode(read_fixture("ed25519_pub_raw.b64"));
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw->size(), 32u);
    auto key = decode_dkim_public_key("ed25519", raw.value());
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->algorithm, KeyAlgorithm::ed25519);
    EXPECT_EQ(key->bits, 256);
    EXPECT_EQ(key->canonical_der, raw.value());
    // The raw key is the tail of the SubjectPublicKeyInfo.
    const Bytes spki = pem_der("ed25519_pub_spki.pem");
    EXPECT_TRUE(std::equal(raw->begin(), raw->end(), spki.end() - 32));
}

struct DecodeCase {
    std::string name;
    std::string k;
    Bytes der;
    std::string error;
};

std::vector<DecodeCase> decode_error_cases() {
    const Bytes spki1024 = to_bytes(read_fixture("rsa1024_pub_spki.der"));
    const Bytes spki2048 = to_bytes(read_fixture("rsa2048_pub_spki.der"));
    auto raw_ed = base64_decode(read_fixture("ed25519_pub_raw.b64"));
    const Bytes ed_raw = raw_ed.ok() ? raw_ed.value() : Bytes{};
    Bytes trailing = spki1024;
    trailing.push_back(0x00);
    Bytes trailing3 = spki1024;
    trailing3.insert(trailing3.end(), {0x01, 0x02, 0x03});
    const Bytes truncated(spki2048.begin(), spki2048.begin() + 200);
    const Bytes header_only(spki2048.begin(), spki2048.begin() + 3);
    Bytes ssh_blob = {0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's', 'a', 0, 0, 0, 1, 1};
    const Bytes ed31(ed_raw.begin(), ed_raw.end() - 1);
    Bytes ed33 = ed_raw;
    ed33.push_back(0);
    return {
        {"empty", "rsa", {}, "no key bytes"},
        {"text", "rsa", to_bytes("hello"),
         "not a DER public key: it does not start with an ASN.1 "
         "SEQUENCE"},
        {"trailing byte", "rsa", trailing,
         "not a DER public key: 1 byte of trailing data follows the key"},
        {"trailing bytes", "rsa", trailing3,
         "not a DER public key: 3 bytes of trailing data follow the key"},
        {"truncated", "rsa", truncated, "not a DER public key: the bytes end early (truncated?)"},
        {"header only", "rsa", header_only,
         "not a DER public key: the bytes end early (truncated?)"},
        {"lone sequence tag",
         "rsa",
         {0x30},
         "not a DER public key: the bytes end early "
         "(truncated?)"},
        {"indefinite length",
         "rsa",
         {0x30, 0x80, 0x00, 0x00},
         "not a DER public key: its ASN.1 length field is not valid DER"},
        {"empty sequence",
         "rsa",
         {0x30, 0x00},
         "not a DER public key: the ASN.1 structure is not a known key format"},
        {"ec key", "rsa", pem_der("ec_p256_pub_spki.pem"),
         "an EC key given with k=rsa: DKIM needs an RSA key here"},
        {"ed25519 spki as rsa", "rsa", pem_der("ed25519_pub_spki.pem"),
         "an Ed25519 key given with k=rsa: RFC 8463 publishes Ed25519 keys with k=ed25519 and "
         "the raw 32-byte key"},
        {"raw ed25519 as rsa", "rsa", ed_raw,
         "not a DER public key: 32 raw bytes, like an Ed25519 key published without k=ed25519"},
        {"pkcs8 private key", "rsa", to_bytes(read_fixture("rsa1024_pkcs8.der")),
         "a private key was published (PKCS#8 private key): publish only the public key, and "
         "replace this key pair because its private half is now public"},
        {"pkcs1 private key", "rsa", to_bytes(read_fixture("rsa1024_pkcs1.der")),
         "a private key was published (PKCS#1 private key): publish only the public key, and "
         "replace this key pair because its private half is now public"},
        {"encrypted private key", "rsa", pem_der("rsa2048_pkcs8_encrypted.pem"),
         "an encrypted private key was published instead of the public key: publish only the "
         "public key"},
        {"ssh blob", "rsa", ssh_blob,
         "an OpenSSH public key blob, not DER: publish the base64 DER SubjectPublicKeyInfo "
         "(ssh-keygen -e -m PKCS8 -f KEY.pub)"},
        {"ed25519 empty", "ed25519", {}, "no key bytes"},
        {"ed25519 31 bytes", "ed25519", ed31,
         "k=ed25519 needs exactly 32 bytes (RFC 8463), got 31"},
        {"ed25519 33 bytes", "ed25519", ed33,
         "k=ed25519 needs exactly 32 bytes (RFC 8463), got 33"},
        {"ed25519 spki", "ed25519", pem_der("ed25519_pub_spki.pem"),
         "k=ed25519 needs the raw 32-byte key (RFC 8463), not a SubjectPublicKeyInfo: publish only "
         "its last 32 bytes"},
        {"rsa key as ed25519", "ed25519", spki1024,
         "an RSA key (SubjectPublicKeyInfo) given with k=ed25519"},
        {"unknown k", "dsa", spki1024, "unknown key type k=dsa (known: rsa, ed25519)"},
        {"empty k", "", spki1024, "unknown key type k= (known: rsa, ed25519)"},
        {"k with control byte", std::string("rs\x01", 3), spki1024,
         "unknown key type k=rs\\x01 (known: rsa, ed25519)"},
    };
}

TEST(DecodeDkimPublicKey, RejectsWithPreciseReason) {
    for (const DecodeCase& c : decode_error_cases()) {
        auto key = decode_dkim_public_key(c.k, c.der);
        ASSERT_FALSE(key.ok()) << c.name;
        EXPECT_EQ(key.error(), c.error) << c.name;
    }
}

TEST(DecodeDkimPublicKey, SurvivesEveryTruncationAndByteFlip) {
    for (const char* name : {"rsa1024_pub_spki.der", "rsa1024_pub_pkcs1.der"}) {
        const Bytes der = to_bytes(read_fixture(name));
        for (std::size_t length = 0; length < der.size(); ++length) {
            auto key = decode_dkim_public_key("rsa", std::span(der.data(), length));
            EXPECT_FALSE(key.ok()) << name << " cut at " << length;
        }
        for (std::size_t i = 0; i < der.size(); ++i) {
            for (unsigned char flip : {0x01, 0xFF}) {
                Bytes mutated = der;
                mutated[i] ^= flip;
                auto key = decode_dkim_public_key("rsa", mutated);
                if (key.ok()) { // a flip inside the modulus still gives a key, of another value
                    EXPECT_EQ(key->algorithm, KeyAlgorithm::rsa);
                }
            }
        }
    }
}

TEST(DecodeDkimPublicKey, SurvivesRandomBytes) {
    std::mt19937 random(7);
    for (int round = 0; round < 400; ++round) {
        Bytes bytes(random() % 300);
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(random());
        }
        if (bytes.size() >= 2 && bytes.size() < 130 && round % 2 == 0) {
            // A well-formed outer SEQUENCE header sends the bytes through OpenSSL's decoders.
            bytes[0] = 0x30;
            bytes[1] = static_cast<unsigned char>(bytes.size() - 2);
        }
        EXPECT_FALSE(decode_dkim_public_key("rsa", bytes).ok());
        const auto ed = decode_dkim_public_key("ed25519", bytes);
        EXPECT_EQ(ed.ok(), bytes.size() == 32);
    }
}

// ---- load_byodkim_key ----

struct LoadCase {
    std::string fixture;
    int bits;
    bool from_private_key;
    std::string format;
};

TEST(LoadByodkimKey, LoadsEveryAcceptedFixture) {
    const std::vector<LoadCase> cases = {
        {"rsa1024_pub_spki.pem", 1024, false, "PEM SubjectPublicKeyInfo"},
        {"rsa1024_pub_pkcs1.pem", 1024, false, "PEM PKCS#1 public key"},
        {"rsa1024_pkcs8.pem", 1024, true, "PEM PKCS#8 private key"},
        {"rsa1024_pkcs1.pem", 1024, true, "PEM PKCS#1 private key"},
        {"rsa1024_pub_spki.der", 1024, false, "DER SubjectPublicKeyInfo"},
        {"rsa1024_pub_pkcs1.der", 1024, false, "DER PKCS#1 public key"},
        {"rsa1024_pkcs8.der", 1024, true, "DER PKCS#8 private key"},
        {"rsa1024_pkcs1.der", 1024, true, "DER PKCS#1 private key"},
        {"rsa1024_pub_spki.b64", 1024, false, "base64 DER SubjectPublicKeyInfo"},
        {"rsa2048_pub_spki.pem", 2048, false, "PEM SubjectPublicKeyInfo"},
        {"rsa2048_pub_pkcs1.pem", 2048, false, "PEM PKCS#1 public key"},
        {"rsa2048_pkcs8.pem", 2048, true, "PEM PKCS#8 private key"},
        {"rsa2048_pkcs1.pem", 2048, true, "PEM PKCS#1 private key"},
        {"rsa2048_pub_spki.der", 2048, false, "DER SubjectPublicKeyInfo"},
        {"rsa2048_pub_spki.b64", 2048, false, "base64 DER SubjectPublicKeyInfo"},
    };
    for (const LoadCase& c : cases) {
        const std::string content = read_fixture(c.fixture);
        auto loaded = load_byodkim_key(content);
        ASSERT_TRUE(loaded.ok()) << c.fixture << ": " << loaded.error();
        EXPECT_EQ(loaded->key.algorithm, KeyAlgorithm::rsa) << c.fixture;
        EXPECT_EQ(loaded->key.bits, c.bits) << c.fixture;
        EXPECT_EQ(loaded->from_private_key, c.from_private_key) << c.fixture;
        EXPECT_EQ(loaded->format, c.format) << c.fixture;
        const std::string spki =
            read_fixture(c.bits == 1024 ? "rsa1024_pub_spki.der" : "rsa2048_pub_spki.der");
        EXPECT_EQ(loaded->key.canonical_der, to_bytes(spki)) << c.fixture;
    }
}

TEST(LoadByodkimKey, EveryFormOfAKeyEqualsTheKeyPublishedInDns) {
    const std::string published = read_fixture("rsa2048_pub_spki.b64");
    auto der = base64_decode(published);
    ASSERT_TRUE(der.ok());
    auto in_dns = decode_dkim_public_key("rsa", der.value());
    ASSERT_TRUE(in_dns.ok());
    for (const char* name : {"rsa2048_pkcs1.pem", "rsa2048_pkcs8.pem", "rsa2048_pub_pkcs1.pem",
                             "rsa2048_pub_spki.pem", "rsa2048_pub_spki.der"}) {
        auto loaded = load_byodkim_key(read_fixture(name));
        ASSERT_TRUE(loaded.ok()) << name;
        EXPECT_EQ(loaded->key, in_dns.value()) << name;
    }
    auto other = load_byodkim_key(read_fixture("rsa1024_pkcs8.pem"));
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->key, in_dns.value());
}

TEST(LoadByodkimKey, AcceptsCrlfBomAndSurroundingWhitespace) {
    const std::string pem = read_fixture("rsa1024_pkcs8.pem");
    for (const std::string& content :
         {replace_all(pem, "\n", "\r\n"), "\n\n  \t" + pem + "\n\n  ", "\xEF\xBB\xBF" + pem,
          "Bag Attributes\n    friendlyName: dkim\n" + pem, replace_all(pem, "\n", "\n\n")}) {
        auto loaded = load_byodkim_key(content);
        ASSERT_TRUE(loaded.ok()) << loaded.error();
        EXPECT_EQ(loaded->format, "PEM PKCS#8 private key");
        EXPECT_EQ(loaded->key.bits, 1024);
    }
}

TEST(LoadByodkimKey, AcceptsBareBase64WithLineBreaks) {
    // The body of a PEM file without its header and footer lines, as users copy it.
    std::string body;
    for (const char* name : {"rsa2048_pub_spki.pem", "rsa2048_pkcs8.pem"}) {
        std::istringstream in(read_fixture(name));
        std::string line;
        body.clear();
        while (std::getline(in, line)) {
            if (!line.starts_with("-----")) {
                body += line + "\r\n";
            }
        }
        auto loaded = load_byodkim_key("  " + body);
        ASSERT_TRUE(loaded.ok()) << name << ": " << loaded.error();
        EXPECT_EQ(loaded->key.bits, 2048);
    }
    auto last = load_byodkim_key(body);
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last->format, "base64 DER PKCS#8 private key");
    EXPECT_TRUE(last->from_private_key);
}

TEST(LoadByodkimKey, AcceptsPrivateAndPublicOfTheSameKeyInOneFile) {
    auto loaded =
        load_byodkim_key(read_fixture("rsa1024_pkcs1.pem") + read_fixture("rsa1024_pub_spki.pem"));
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->format, "PEM PKCS#1 private key");
}

struct LoadErrorCase {
    std::string name;
    std::string content;
    std::string error;
};

std::vector<LoadErrorCase> load_error_cases() {
    const std::string spki_pem = read_fixture("rsa2048_pub_spki.pem");
    const std::string pkcs1_pub_pem = read_fixture("rsa1024_pub_pkcs1.pem");
    const std::string der = read_fixture("rsa1024_pub_spki.der");
    const std::string b64 = read_fixture("rsa2048_pub_spki.b64");
    const std::string ses_rsa = ": SES BYODKIM needs an RSA key of 1024 or 2048 bits";
    std::string no_end = spki_pem.substr(0, spki_pem.find("-----END"));
    // The same body under a label that promises another form.
    std::string relabelled = replace_all(pkcs1_pub_pem, "RSA PUBLIC KEY", "PUBLIC KEY");
    // Lines deleted from the middle of the base64 body.
    std::string cut_body = spki_pem;
    const std::size_t second_line = cut_body.find('\n') + 1;
    cut_body.erase(second_line + 65, 130);
    std::string bad_char_body = spki_pem;
    bad_char_body[second_line + 10] = '!';
    std::string proc_type = read_fixture("rsa1024_pkcs1.pem");
    proc_type.insert(
        proc_type.find('\n') + 1,
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n");
    std::string mismatched =
        replace_all(spki_pem, "-----END PUBLIC KEY", "-----END RSA PUBLIC KEY");
    return {
        {"empty", "", "empty: no key found"},
        {"blank", " \n\t\r\n ", "empty: no key found"},
        {"encrypted pkcs8", read_fixture("rsa2048_pkcs8_encrypted.pem"),
         "an encrypted PKCS#8 private key (ENCRYPTED PRIVATE KEY): SES needs the unencrypted key; "
         "decrypt it with: openssl pkcs8 -in KEY -out PLAIN.pem"},
        {"encrypted pkcs8 der", pem_der_string("rsa2048_pkcs8_encrypted.pem"),
         "an encrypted PKCS#8 private key (ENCRYPTED PRIVATE KEY): SES needs the unencrypted key; "
         "decrypt it with: openssl pkcs8 -in KEY -out PLAIN.pem"},
        {"encrypted pkcs1", proc_type,
         "an encrypted PKCS#1 private key (RSA PRIVATE KEY with Proc-Type: 4,ENCRYPTED): SES "
         "needs the unencrypted key; decrypt it with: openssl rsa -in KEY -out PLAIN.pem"},
        {"ec pkcs8", read_fixture("ec_p256_pkcs8.pem"), "an EC key" + ses_rsa},
        {"ec sec1", read_fixture("ec_p256_sec1.pem"), "an EC key" + ses_rsa},
        {"ec public", read_fixture("ec_p256_pub_spki.pem"), "an EC key" + ses_rsa},
        {"ec der", pem_der_string("ec_p256_pub_spki.pem"), "an EC key" + ses_rsa},
        {"ec parameters then key",
         "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" +
             read_fixture("ec_p256_sec1.pem"),
         "an EC key" + ses_rsa},
        {"ec parameters only",
         "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
         "EC parameters only, no key" + ses_rsa},
        {"ed25519 private", read_fixture("ed25519_pkcs8.pem"), "an Ed25519 key" + ses_rsa},
        {"ed25519 public", read_fixture("ed25519_pub_spki.pem"), "an Ed25519 key" + ses_rsa},
        {"rsa 4096", read_fixture("rsa4096_pkcs8.pem"),
         "a 4096-bit RSA key: SES BYODKIM accepts 1024 or 2048 bits"},
        {"rsa 512", read_fixture("rsa512_pkcs8.pem"),
         "a 512-bit RSA key: SES BYODKIM accepts 1024 or 2048 bits"},
        {"pem without begin", read_fixture("rsa2048_pub_spki_no_begin.pem"),
         "a PEM footer (-----END PUBLIC KEY-----) without its -----BEGIN header line"},
        {"pem without end", no_end,
         "a PEM header (-----BEGIN PUBLIC KEY-----) without its -----END footer line"},
        {"pem begin followed by another begin", no_end + read_fixture("rsa1024_pub_spki.pem"),
         "a PEM header (-----BEGIN PUBLIC KEY-----) without its -----END footer line"},
        {"pem damaged begin", "-----BEGIN PUBLIC KEY\nMIIB\n-----END PUBLIC KEY-----\n",
         "a damaged PEM header line (-----BEGIN without its closing -----)"},
        {"pem mismatched labels", mismatched,
         "a PEM block whose footer (-----END RSA PUBLIC KEY-----) does not match its header "
         "(-----BEGIN PUBLIC KEY-----)"},
        {"pem label does not match content", relabelled,
         "the PEM PUBLIC KEY block holds a PKCS#1 public key: the -----BEGIN line does not match "
         "the content"},
        {"pem body cut", cut_body,
         "the PEM PUBLIC KEY block does not hold a key: the bytes end early (truncated?)"},
        {"pem body bad char", bad_char_body,
         "the PEM PUBLIC KEY block's body is not valid base64: '!' at offset 10 is not in the "
         "base64 alphabet"},
        {"openssh private", read_fixture("openssh_ed25519.key"),
         "an OpenSSH private key (OPENSSH PRIVATE KEY): SES needs a PKCS#1 or PKCS#8 key; convert "
         "a copy with: ssh-keygen -p -m PEM -f KEY"},
        {"openssh public", read_fixture("openssh_ed25519.pub"),
         "an OpenSSH public key (ssh-ed25519 ...): SES needs a PEM or DER key; convert it with: "
         "ssh-keygen -e -m PKCS8 -f KEY.pub"},
        {"openssh rsa public", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host\n",
         "an OpenSSH public key (ssh-rsa ...): SES needs a PEM or DER key; convert it with: "
         "ssh-keygen -e -m PKCS8 -f KEY.pub"},
        {"ssh2 public", "---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n",
         "an SSH2 public key (RFC 4716): SES needs a PEM or DER key; convert it with: ssh-keygen "
         "-i -m PKCS8 -f KEY.pub"},
        {"certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
         "an X.509 certificate (CERTIFICATE), not a key: give the key itself"},
        {"csr", "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
         "a certificate signing request (CERTIFICATE REQUEST), not a key"},
        {"pgp",
         "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQEN\n-----END PGP PUBLIC KEY BLOCK-----\n",
         "an OpenPGP block (PGP PUBLIC KEY BLOCK): SES needs an RSA key in PEM or DER"},
        {"unknown pem", "-----BEGIN FOO-----\nMIIB\n-----END FOO-----\n",
         "a PEM block of an unknown kind (-----BEGIN FOO-----): expected PUBLIC KEY, RSA PUBLIC "
         "KEY, PRIVATE KEY or RSA PRIVATE KEY"},
        {"two different keys", spki_pem + read_fixture("rsa1024_pub_spki.pem"),
         "the file holds 2 PEM blocks with different keys: keep only the key SES signs with"},
        {"text", "hello world", "not a key: neither PEM, DER nor base64 DER"},
        {"dkim record", "v=DKIM1; k=rsa; p=" + b64, "not a key: neither PEM, DER nor base64 DER"},
        {"base64 of text", "aGVsbG8gd29ybGQ=", "not a key: neither PEM, DER nor base64 DER"},
        {"binary garbage", std::string("\x01\x02\x03\xFF", 4),
         "not a key: neither PEM, DER nor base64 DER"},
        {"der truncated", der.substr(0, 100),
         "DER data that is not a key: the bytes end early "
         "(truncated?)"},
        {"der trailing", der + std::string("\x00\x00", 2),
         "DER data that is not a key: 2 bytes of trailing data follow the key"},
        {"base64 truncated to a multiple of 4", b64.substr(0, 300),
         "base64 DER that is not a key: the bytes end early (truncated?)"},
        {"base64 cut", b64.substr(0, 255),
         "base64 text that does not decode (not valid base64: length 255 is not a multiple of 4; "
         "truncated?)"},
    };
}

TEST(LoadByodkimKey, RejectsWithExactReason) {
    for (const LoadErrorCase& c : load_error_cases()) {
        auto loaded = load_byodkim_key(c.content);
        ASSERT_FALSE(loaded.ok()) << c.name;
        EXPECT_EQ(loaded.error(), c.error) << c.name;
    }
}

TEST(LoadByodkimKey, ErrorsNeverQuoteKeyMaterial) {
    const std::string body_start = read_fixture("rsa4096_pkcs8.pem").substr(28, 12);
    for (const LoadErrorCase& c : load_error_cases()) {
        auto loaded = load_byodkim_key(c.content);
        ASSERT_FALSE(loaded.ok());
        EXPECT_EQ(loaded.error().find("MII"), std::string::npos) << c.name;
        EXPECT_EQ(loaded.error().find(body_start), std::string::npos) << c.name;
    }
}

TEST(LoadByodkimKey, SurvivesTruncationAtEveryLength) {
    for (const char* name : {"rsa1024_pub_spki.der", "rsa1024_pkcs1.der", "rsa1024_pkcs8.der"}) {
        const std::string der = read_fixture(name);
        for (std::size_t length = 0; length < der.size(); ++length) {
            EXPECT_FALSE(load_byodkim_key(der.substr(0, length)).ok()) << name << " " << length;
        }
    }
    for (const char* name : {"rsa1024_pkcs8.pem", "rsa1024_pub_pkcs1.pem"}) {
        const std::string pem = read_fixture(name);
        for (std::size_t length = 0; length + 1 < pem.size(); length += 3) {
            // Only the whole key, possibly without the final newline, may load.
            EXPECT_FALSE(load_byodkim_key(pem.substr(0, length)).ok()) << name << " " << length;
        }
    }
    const std::string b64 = read_fixture("rsa1024_pub_spki.b64");
    for (std::size_t length = 0; length < b64.size(); ++length) {
        EXPECT_FALSE(load_byodkim_key(b64.substr(0, length)).ok()) << length;
    }
}

TEST(LoadByodkimKey, SurvivesRandomAndMutatedInput) {
    std::mt19937 random(11);
    const std::string pem = read_fixture("rsa1024_pkcs1.pem");
    const std::string der = read_fixture("rsa1024_pkcs8.der");
    for (int round = 0; round < 200; ++round) {
        std::string bytes(random() % 400, '\0');
        for (auto& b : bytes) {
            b = static_cast<char>(random());
        }
        (void)load_byodkim_key(bytes);
        (void)load_byodkim_key("-----BEGIN PRIVATE KEY-----\n" + bytes);
        (void)load_byodkim_key("-----END X-----" + bytes);

        std::string mutated_pem = pem;
        mutated_pem[random() % mutated_pem.size()] = static_cast<char>(random());
        (void)load_byodkim_key(mutated_pem);
        std::string mutated_der = der;
        mutated_der[random() % mutated_der.size()] ^= static_cast<char>(1 + random() % 255);
        auto loaded = load_byodkim_key(mutated_der);
        if (loaded.ok()) {
            EXPECT_EQ(loaded->key.algorithm, KeyAlgorithm::rsa);
        }
    }
}

} // namespace
} // namespace dkimwatch
