#include "alert/webhook_signature.hpp"

#include "alert/alert_time.hpp"

#include <array>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>

namespace dkimwatch {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // An empty key is passed as a valid pointer: HMAC() treats nullptr as "reuse the last key".
    static const unsigned char k_empty = 0;
    const void* key_data = key.empty() ? static_cast<const void*>(&k_empty) : key.data();
    if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
             &length) == nullptr) {
        // Only an OpenSSL that cannot do SHA-256 at all fails here: fatal.
        throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
    }
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4U];
        out += k_hex[digest[i] & 0x0FU];
    }
    return out;
}

std::string webhook_signature(std::string_view secret, TimePoint now, std::string_view body) {
    const std::string t = std::to_string(unix_seconds(now));
    std::string signed_text = t;
    signed_text += '.';
    signed_text += body;
    return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

} // namespace dkimwatch
