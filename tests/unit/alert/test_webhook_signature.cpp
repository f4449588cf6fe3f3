#include "alert/webhook_signature.hpp"
#include "alert_test_support.hpp"

#include <array>
#include <cstdio>
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

// An independent computation through OpenSSL's EVP_MAC interface (the code under test uses
// HMAC()).
std::string evp_mac_hmac_sha256_hex(const std::string& key, const std::string& data) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    std::array<unsigned char, 32> out{};
    std::size_t length = 0;
    EXPECT_EQ(
        EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params),
        1);
    EXPECT_EQ(EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()),
              1);
    EXPECT_EQ(EVP_MAC_final(ctx, out.data(), &length, out.size()), 1);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    std::string hex;
    for (std::size_t i = 0; i < length; ++i) {
        char byte[3];
        std::snprintf(byte, sizeof byte, "%02x", out[i]);
        hex += byte;
    }
    return hex;
}

TEST(HmacSha256Hex, KnownVector) {
    // The well-known example (also `openssl dgst -sha256 -hmac key`).
    EXPECT_EQ(hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog"),
              "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(HmacSha256Hex, MatchesEvpMacForOtherInputs) {
    const std::string key = "whsec_\x01\xff binary key";
    const std::string data(5000, 'x');
    EXPECT_EQ(hmac_sha256_hex(key, data), evp_mac_hmac_sha256_hex(key, data));
    EXPECT_EQ(hmac_sha256_hex("", "body"), evp_mac_hmac_sha256_hex("", "body"));
}

TEST(WebhookSignature, TimestampDotBody) {
    // printf '%s' '1704499800.{"version":1,"type":"event"}' |
    //     openssl dgst -sha256 -hmac whsec_example
    EXPECT_EQ(webhook_signature("whsec_example", test::utc(2024, 1, 6, 0, 10, 0) + 999ms,
                                R"({"version":1,"type":"event"})"),
              "t=1704499800,v1=ed1e1524627c5a9817e76de0d09d9ea6ed6df9b589631be292852b1eb96736ac");
}

TEST(WebhookSignature, ChangesWithSecretTimeAndBody) {
    const TimePoint now = test::utc(2024, 1, 6);
    const std::string base = webhook_signature("s", now, "{}");
    EXPECT_NE(webhook_signature("t", now, "{}"), base);
    EXPECT_NE(webhook_signature("s", now + 1s, "{}"), base);
    EXPECT_NE(webhook_signature("s", now, "{ }"), base);
    EXPECT_EQ(k_webhook_signature_header, "X-Dkimwatch-Signature");
}

} // namespace
} // namespace dkimwatch
