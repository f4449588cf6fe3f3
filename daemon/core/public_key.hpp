#pragma once
// Public keys as DKIM and SES handle them: decoding the bytes of a DKIM p= tag, and loading the
// key a user configures for BYODKIM (public or private, PEM or DER or bare base64).
// Pure computation over bytes (OpenSSL does the ASN.1); reading files is the caller's job.

#include "core/result.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

enum class KeyAlgorithm { rsa, ed25519 };

struct PublicKeyInfo {
    KeyAlgorithm algorithm = KeyAlgorithm::rsa;
    int bits = 0; // RSA modulus size in bits; 256 for ed25519
    // Canonical form used for comparing keys: DER SubjectPublicKeyInfo for RSA (whatever form
    // was given), the raw 32 bytes for ed25519.
    std::vector<unsigned char> canonical_der;

    friend bool operator==(const PublicKeyInfo&, const PublicKeyInfo&) = default;
};

// Decodes the already base64-decoded bytes of a DKIM p= value for key type `k` ("rsa" or
// "ed25519"). For rsa both SubjectPublicKeyInfo and PKCS#1 RSAPublicKey are accepted (RFC 6376
// names the latter, practice uses the former). Errors say why ("not DER", "an EC key", ...).
Result<PublicKeyInfo> decode_dkim_public_key(std::string_view k, std::span<const unsigned char> der);

// What a configured BYODKIM key was loaded from.
struct LoadedKey {
    PublicKeyInfo key;
    bool from_private_key = false;
    std::string format; // "PEM SubjectPublicKeyInfo", "PEM PKCS#8 private key", ...
};

// Loads a key from the content of a file or config value: PEM (PUBLIC KEY, RSA PUBLIC KEY,
// PRIVATE KEY, RSA PRIVATE KEY), binary DER, or bare base64 DER (as SES asks users to publish).
// Private keys are reduced to their public half. Only RSA 1024 or 2048 bits is accepted, as SES
// BYODKIM requires. Errors name the reason: "encrypted PKCS#8 private key (ENCRYPTED PRIVATE
// KEY): decrypt it first with openssl pkcs8", "an EC key: SES BYODKIM needs RSA", "a 4096-bit
// RSA key: SES BYODKIM accepts 1024 or 2048 bits", "PEM footer without a -----BEGIN header".
Result<LoadedKey> load_byodkim_key(std::string_view content);

// Standard base64 (RFC 4648, with padding). Decoding rejects any character outside the
// alphabet, including whitespace: strip it first where a format allows it.
std::string base64_encode(std::span<const unsigned char> bytes);
Result<std::vector<unsigned char>> base64_decode(std::string_view text);

} // namespace dkimwatch
