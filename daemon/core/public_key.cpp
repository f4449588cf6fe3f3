// Public keys as DKIM and SES handle them. OpenSSL 3.0 does all ASN.1 and base64 work; this file
// decides which form was given and turns OpenSSL's failures into plain-worded reasons.
// Errors never contain key material: at most a single offending character or a PEM label.

#include "core/public_key.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <optional>

namespace dkimwatch {
namespace {

// Larger inputs cannot be a key we care about (an RSA-16384 PKCS#8 key is about 9 KiB); the cap
// keeps hostile input cheap and within OpenSSL's `long` lengths.
constexpr std::size_t k_max_der_size = 64 * 1024;
// EVP_EncodeBlock/EVP_DecodeBlock take an int length: work in chunks well below that.
constexpr std::size_t k_encode_chunk = 3 * 16 * 1024;
constexpr std::size_t k_decode_chunk = 4 * 16 * 1024;
constexpr std::size_t k_ed25519_key_size = 32;
constexpr std::string_view k_ses_rsa_needed = ": SES BYODKIM needs an RSA key of 1024 or 2048 bits";

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

bool is_base64_alphabet(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string hex_byte(unsigned char c) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    return std::string("byte 0x") + digits[c >> 4] + digits[c & 0x0F];
}

// A character as an error message shows it: 'x' when printable, "a space", else its byte value.
std::string describe_char(unsigned char c) {
    if (c == ' ') {
        return "a space";
    }
    if (c > 0x20 && c < 0x7F) {
        return std::string("'") + static_cast<char>(c) + "'";
    }
    return hex_byte(c);
}

std::string remove_whitespace(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (!is_space(static_cast<unsigned char>(c))) {
            out.push_back(c);
        }
    }
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
        return lower(x) == lower(y);
    });
}

// Total size (header + content) that the first DER TLV announces, or nullopt when its header is
// incomplete or not DER (indefinite length, over-long length field).
std::optional<std::size_t> der_announced_size(std::span<const unsigned char> der) {
    if (der.size() < 2 || (der[0] & 0x1F) == 0x1F) {
        return std::nullopt;
    }
    const unsigned char first = der[1];
    if (first < 0x80) {
        return 2 + static_cast<std::size_t>(first);
    }
    const std::size_t count = first & 0x7F;
    if (count == 0 || count > 4 || der.size() < 2 + count) {
        return std::nullopt;
    }
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i) {
        length = (length << 8) | der[2 + i];
    }
    return 2 + count + length;
}

// Why bytes that none of the key decoders took are not a key.
std::string describe_der_failure(std::span<const unsigned char> der) {
    if (der.empty()) {
        return "there are no bytes";
    }
    if (der[0] != 0x30) {
        return "it does not start with an ASN.1 SEQUENCE";
    }
    if (der.size() < 2 ||
        (der[1] > 0x80 && der.size() < 2 + static_cast<std::size_t>(der[1] & 0x7F))) {
        return "the bytes end early (truncated?)";
    }
    const auto announced = der_announced_size(der);
    if (!announced) {
        return "its ASN.1 length field is not valid DER";
    }
    if (*announced > der.size()) {
        return "the bytes end early (truncated?)";
    }
    if (*announced < der.size()) {
        const std::size_t extra = der.size() - *announced;
        return std::to_string(extra) + (extra == 1 ? " byte of trailing data follows the key"
                                                   : " bytes of trailing data follow the key");
    }
    return "the ASN.1 structure is not a known key format";
}

// The forms of DER key that the decoders below recognise.
enum class DerForm {
    spki,
    pkcs1_public,
    pkcs8_private,
    pkcs1_private,
    sec1_ec_private,
    encrypted_pkcs8,
};

std::string_view form_name(DerForm form) {
    switch (form) {
    case DerForm::spki:
        return "SubjectPublicKeyInfo";
    case DerForm::pkcs1_public:
        return "PKCS#1 public key";
    case DerForm::pkcs8_private:
        return "PKCS#8 private key";
    case DerForm::pkcs1_private:
        return "PKCS#1 private key";
    case DerForm::sec1_ec_private:
        return "SEC1 EC private key";
    case DerForm::encrypted_pkcs8:
        return "encrypted PKCS#8 private key";
    }
    return "key";
}

bool is_private(DerForm form) {
    return form != DerForm::spki && form != DerForm::pkcs1_public;
}

struct DecodedDer {
    PkeyPtr key; // null for encrypted_pkcs8, whose content cannot be read without the password
    DerForm form;
};

// Runs one OpenSSL d2i-style decoder and keeps its result only when it consumed every byte.
template <typename Decode>
PkeyPtr decode_whole(std::span<const unsigned char> der, Decode decode) {
    const unsigned char* cursor = der.data();
    PkeyPtr key(decode(&cursor, static_cast<long>(der.size())));
    if (key && cursor == der.data() + der.size()) {
        return key;
    }
    return nullptr;
}

PkeyPtr decode_pkcs8(const unsigned char** cursor, long length) {
    PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, cursor, length);
    if (info == nullptr) {
        return nullptr;
    }
    PkeyPtr key(EVP_PKCS82PKEY(info));
    PKCS8_PRIV_KEY_INFO_free(info);
    return key;
}

bool is_encrypted_pkcs8(std::span<const unsigned char> der) {
    const unsigned char* cursor = der.data();
    X509_SIG* sig = d2i_X509_SIG(nullptr, &cursor, static_cast<long>(der.size()));
    const bool whole = sig != nullptr && cursor == der.data() + der.size();
    X509_SIG_free(sig);
    return whole;
}

// Tries every DER key form, in an order where no decoder can misread an earlier form.
std::optional<DecodedDer> decode_der_key(std::span<const unsigned char> der) {
    // Every form is one DER SEQUENCE spanning all the bytes; checking that first spares OpenSSL's
    // (slow) decoder search on truncated or padded input.
    if (der.empty() || der.size() > k_max_der_size || der[0] != 0x30 ||
        der_announced_size(der) != der.size()) {
        return std::nullopt;
    }
    std::optional<DecodedDer> result;
    if (auto key = decode_whole(
            der, [](const unsigned char** c, long n) { return d2i_PUBKEY(nullptr, c, n); })) {
        result = DecodedDer{std::move(key), DerForm::spki};
    } else if (auto key = decode_whole(der, [](const unsigned char** c, long n) {
                   return d2i_PublicKey(EVP_PKEY_RSA, nullptr, c, n);
               })) {
        result = DecodedDer{std::move(key), DerForm::pkcs1_public};
    } else if (auto key = decode_whole(der, [](const unsigned char** c, long n) {
                   return decode_pkcs8(c, n).release();
               })) {
        result = DecodedDer{std::move(key), DerForm::pkcs8_private};
    } else if (auto key = decode_whole(der, [](const unsigned char** c, long n) {
                   return d2i_PrivateKey(EVP_PKEY_RSA, nullptr, c, n);
               })) {
        result = DecodedDer{std::move(key), DerForm::pkcs1_private};
    } else if (auto key = decode_whole(der, [](const unsigned char** c, long n) {
                   return d2i_PrivateKey(EVP_PKEY_EC, nullptr, c, n);
               })) {
        result = DecodedDer{std::move(key), DerForm::sec1_ec_private};
    } else if (is_encrypted_pkcs8(der)) {
        result = DecodedDer{nullptr, DerForm::encrypted_pkcs8};
    }
    // Failed attempts leave entries in OpenSSL's thread-local error queue; they mean nothing here.
    ERR_clear_error();
    return result;
}

// "an EC key", "an Ed25519 key", ...: the key's algorithm as an error message names it.
std::string key_type_phrase(const EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return "an RSA key";
    case EVP_PKEY_RSA_PSS:
        return "an RSA-PSS key";
    case EVP_PKEY_EC:
        return "an EC key";
    case EVP_PKEY_ED25519:
        return "an Ed25519 key";
    case EVP_PKEY_ED448:
        return "an Ed448 key";
    case EVP_PKEY_X25519:
        return "an X25519 key";
    case EVP_PKEY_X448:
        return "an X448 key";
    case EVP_PKEY_DSA:
        return "a DSA key";
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
        return "a DH key";
    default:
        break;
    }
    const char* name = EVP_PKEY_get0_type_name(key);
    return std::string("a key of type ") + (name != nullptr ? name : "unknown");
}

std::vector<unsigned char> spki_der(EVP_PKEY* key) {
    const int length = i2d_PUBKEY(key, nullptr);
    if (length <= 0) {
        return {};
    }
    std::vector<unsigned char> out(static_cast<std::size_t>(length));
    unsigned char* cursor = out.data();
    if (i2d_PUBKEY(key, &cursor) != length) {
        return {};
    }
    return out;
}

Result<PublicKeyInfo> rsa_key_info(EVP_PKEY* key) {
    PublicKeyInfo info;
    info.algorithm = KeyAlgorithm::rsa;
    info.bits = EVP_PKEY_get_bits(key);
    info.canonical_der = spki_der(key);
    ERR_clear_error();
    if (info.canonical_der.empty()) {
        return Error{"the RSA key cannot be re-encoded as SubjectPublicKeyInfo"};
    }
    return info;
}

// True when the bytes are an SSH wire-format public key blob (uint32 length + "ssh-..." name).
bool is_ssh_key_blob(std::span<const unsigned char> bytes) {
    if (bytes.size() < 11 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0) {
        return false;
    }
    const std::size_t name_length = bytes[3];
    if (name_length < 7 || bytes.size() < 4 + name_length) {
        return false;
    }
    const std::string_view name(reinterpret_cast<const char*>(bytes.data() + 4), name_length);
    return name.starts_with("ssh-") || name.starts_with("ecdsa-");
}

Result<PublicKeyInfo> decode_rsa_dkim_key(std::span<const unsigned char> der) {
    if (der.empty()) {
        return Error{"no key bytes"};
    }
    if (is_ssh_key_blob(der)) {
        return Error{"an OpenSSH public key blob, not DER: publish the base64 DER "
                     "SubjectPublicKeyInfo (ssh-keygen -e -m PKCS8 -f KEY.pub)"};
    }
    auto decoded = decode_der_key(der);
    if (!decoded) {
        if (der.size() == k_ed25519_key_size && der[0] != 0x30) {
            return Error{"not a DER public key: 32 raw bytes, like an Ed25519 key published "
                         "without k=ed25519"};
        }
        return Error{"not a DER public key: " + describe_der_failure(der)};
    }
    if (decoded->form == DerForm::encrypted_pkcs8) {
        return Error{"an encrypted private key was published instead of the public key: publish "
                     "only the public key"};
    }
    if (is_private(decoded->form)) {
        return Error{"a private key was published (" + std::string(form_name(decoded->form)) +
                     "): publish only the public key, and replace this key pair because its "
                     "private half is now public"};
    }
    EVP_PKEY* key = decoded->key.get();
    const int type = EVP_PKEY_get_base_id(key);
    if (type == EVP_PKEY_ED25519) {
        return Error{"an Ed25519 key given with k=rsa: RFC 8463 publishes Ed25519 keys with "
                     "k=ed25519 and the raw 32-byte key"};
    }
    if (type != EVP_PKEY_RSA) {
        return Error{key_type_phrase(key) + " given with k=rsa: DKIM needs an RSA key here"};
    }
    return rsa_key_info(key);
}

Result<PublicKeyInfo> decode_ed25519_dkim_key(std::span<const unsigned char> bytes) {
    if (bytes.size() == k_ed25519_key_size) {
        PublicKeyInfo info;
        info.algorithm = KeyAlgorithm::ed25519;
        info.bits = 256;
        info.canonical_der.assign(bytes.begin(), bytes.end());
        return info;
    }
    if (bytes.empty()) {
        return Error{"no key bytes"};
    }
    if (auto decoded = decode_der_key(bytes); decoded && decoded->key) {
        if (EVP_PKEY_get_base_id(decoded->key.get()) == EVP_PKEY_ED25519 &&
            decoded->form == DerForm::spki) {
            return Error{"k=ed25519 needs the raw 32-byte key (RFC 8463), not a "
                         "SubjectPublicKeyInfo: publish only its last 32 bytes"};
        }
        return Error{key_type_phrase(decoded->key.get()) + " (" +
                     std::string(form_name(decoded->form)) + ") given with k=ed25519"};
    }
    return Error{"k=ed25519 needs exactly 32 bytes (RFC 8463), got " +
                 std::to_string(bytes.size())};
}

// ---- BYODKIM key loading ----

constexpr std::string_view k_pem_begin = "-----BEGIN ";
constexpr std::string_view k_pem_end = "-----END ";
constexpr std::string_view k_pem_dashes = "-----";
// Longer PEM labels do not exist; a longer "label" means a damaged line.
constexpr std::size_t k_max_pem_label = 64;

struct PemBlock {
    std::string label;
    bool encrypted_header = false; // RFC 1421 "Proc-Type: 4,ENCRYPTED"
    std::string body;              // base64 with whitespace removed
};

// The label of a "-----BEGIN X-----" or "-----END X-----" line starting at `pos`, or nullopt
// when the line is damaged. `pos` points at the first '-'; `prefix` is k_pem_begin or k_pem_end.
std::optional<std::string_view> pem_label(std::string_view text, std::size_t pos,
                                          std::string_view prefix) {
    const std::size_t start = pos + prefix.size();
    const std::size_t end = text.find(k_pem_dashes, start);
    if (end == std::string_view::npos || end - start > k_max_pem_label) {
        return std::nullopt;
    }
    const std::string_view label = text.substr(start, end - start);
    for (char c : label) {
        if (c < 0x20 || c > 0x7E) {
            return std::nullopt;
        }
    }
    return label;
}

std::string pem_line(std::string_view prefix, std::optional<std::string_view> label) {
    return std::string(prefix) + (label ? std::string(*label) : std::string("...")) +
           std::string(k_pem_dashes);
}

// Splits PEM text into its blocks. Text outside the blocks is ignored, as OpenSSL does.
Result<std::vector<PemBlock>> split_pem(std::string_view text) {
    std::vector<PemBlock> blocks;
    std::size_t pos = 0;
    while (true) {
        const std::size_t begin = text.find(k_pem_begin, pos);
        const std::size_t stray_end = text.find(k_pem_end, pos);
        if (stray_end != std::string_view::npos &&
            (begin == std::string_view::npos || stray_end < begin)) {
            return Error{"a PEM footer (" +
                         pem_line(k_pem_end, pem_label(text, stray_end, k_pem_end)) +
                         ") without its -----BEGIN header line"};
        }
        if (begin == std::string_view::npos) {
            break;
        }
        const auto label = pem_label(text, begin, k_pem_begin);
        if (!label) {
            return Error{"a damaged PEM header line (-----BEGIN without its closing -----)"};
        }
        const std::size_t body_start =
            begin + k_pem_begin.size() + label->size() + k_pem_dashes.size();
        const std::size_t end = text.find(k_pem_end, body_start);
        const std::size_t next_begin = text.find(k_pem_begin, body_start);
        if (end == std::string_view::npos ||
            (next_begin != std::string_view::npos && next_begin < end)) {
            return Error{"a PEM header (" + pem_line(k_pem_begin, label) +
                         ") without its -----END footer line"};
        }
        const auto end_label = pem_label(text, end, k_pem_end);
        if (!end_label || *end_label != *label) {
            return Error{"a PEM block whose footer (" + pem_line(k_pem_end, end_label) +
                         ") does not match its header (" + pem_line(k_pem_begin, label) + ")"};
        }
        PemBlock block;
        block.label = std::string(*label);
        // RFC 1421 headers ("Proc-Type: ...", "DEK-Info: ...") come first, one per line, and
        // contain ':', which base64 never does.
        std::string_view body = text.substr(body_start, end - body_start);
        std::string base64;
        while (!body.empty()) {
            const std::size_t eol = body.find('\n');
            const std::string_view line = body.substr(0, eol);
            body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
            if (line.find(':') != std::string_view::npos) {
                if (trim(line).starts_with("Proc-Type:") &&
                    line.find("ENCRYPTED") != std::string_view::npos) {
                    block.encrypted_header = true;
                }
                continue;
            }
            base64 += remove_whitespace(line);
        }
        block.body = std::move(base64);
        blocks.push_back(std::move(block));
        pos = end + k_pem_end.size() + end_label->size() + k_pem_dashes.size();
    }
    return blocks;
}

std::string encrypted_pkcs8_message() {
    return "an encrypted PKCS#8 private key (ENCRYPTED PRIVATE KEY): SES needs the unencrypted "
           "key; decrypt it with: openssl pkcs8 -in KEY -out PLAIN.pem";
}

// Checks a decoded key against what SES BYODKIM accepts. `prefix` is "PEM", "DER" or
// "base64 DER" and goes into LoadedKey::format.
Result<LoadedKey> accept_for_ses(const DecodedDer& decoded, std::string_view prefix) {
    if (decoded.form == DerForm::encrypted_pkcs8) {
        return Error{encrypted_pkcs8_message()};
    }
    EVP_PKEY* key = decoded.key.get();
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        return Error{key_type_phrase(key) + std::string(k_ses_rsa_needed)};
    }
    const int bits = EVP_PKEY_get_bits(key);
    if (bits != 1024 && bits != 2048) {
        return Error{"a " + std::to_string(bits) +
                     "-bit RSA key: SES BYODKIM accepts 1024 or 2048 bits"};
    }
    auto info = rsa_key_info(key);
    if (!info) {
        return Error{info.error()};
    }
    LoadedKey loaded;
    loaded.key = std::move(info).value();
    loaded.from_private_key = is_private(decoded.form);
    loaded.format = std::string(prefix) + " " + std::string(form_name(decoded.form));
    return loaded;
}

// The DER form a PEM label promises, or an error for labels that are not an acceptable key.
Result<DerForm> form_for_pem_label(const PemBlock& block) {
    const std::string& label = block.label;
    if (label == "PUBLIC KEY") {
        return DerForm::spki;
    }
    if (label == "RSA PUBLIC KEY") {
        return DerForm::pkcs1_public;
    }
    if (label == "PRIVATE KEY") {
        return DerForm::pkcs8_private;
    }
    if (label == "RSA PRIVATE KEY") {
        if (block.encrypted_header) {
            return Error{"an encrypted PKCS#1 private key (RSA PRIVATE KEY with Proc-Type: "
                         "4,ENCRYPTED): SES needs the unencrypted key; decrypt it with: openssl "
                         "rsa -in KEY -out PLAIN.pem"};
        }
        return DerForm::pkcs1_private;
    }
    if (label == "ENCRYPTED PRIVATE KEY") {
        return Error{encrypted_pkcs8_message()};
    }
    if (label == "EC PRIVATE KEY" || label == "EC PUBLIC KEY") {
        return Error{"an EC key" + std::string(k_ses_rsa_needed)};
    }
    if (label == "DSA PRIVATE KEY" || label == "DSA PUBLIC KEY") {
        return Error{"a DSA key" + std::string(k_ses_rsa_needed)};
    }
    if (label == "OPENSSH PRIVATE KEY") {
        return Error{"an OpenSSH private key (OPENSSH PRIVATE KEY): SES needs a PKCS#1 or PKCS#8 "
                     "key; convert a copy with: ssh-keygen -p -m PEM -f KEY"};
    }
    if (label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE" || label == "X509 CERTIFICATE") {
        return Error{"an X.509 certificate (" + label + "), not a key: give the key itself"};
    }
    if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") {
        return Error{"a certificate signing request (" + label + "), not a key"};
    }
    if (label.starts_with("PGP ")) {
        return Error{"an OpenPGP block (" + label + "): SES needs an RSA key in PEM or DER"};
    }
    return Error{"a PEM block of an unknown kind (-----BEGIN " + label +
                 "-----): expected PUBLIC KEY, RSA PUBLIC KEY, PRIVATE KEY or RSA PRIVATE KEY"};
}

Result<LoadedKey> load_pem_block(const PemBlock& block) {
    auto expected = form_for_pem_label(block);
    if (!expected) {
        return Error{expected.error()};
    }
    auto der = base64_decode(block.body);
    if (!der) {
        return Error{"the PEM " + block.label + " block's body is " + der.error()};
    }
    auto decoded = decode_der_key(der.value());
    if (!decoded) {
        return Error{"the PEM " + block.label +
                     " block does not hold a key: " + describe_der_failure(der.value())};
    }
    if (decoded->form != *expected) {
        return Error{"the PEM " + block.label + " block holds a " +
                     std::string(form_name(decoded->form)) +
                     ": the -----BEGIN line does not match the content"};
    }
    return accept_for_ses(*decoded, "PEM");
}

Result<LoadedKey> load_pem(std::string_view text) {
    auto blocks = split_pem(text);
    if (!blocks) {
        return Error{blocks.error()};
    }
    // "openssl ecparam -genkey" writes an EC PARAMETERS block before the key.
    std::erase_if(blocks.value(), [](const PemBlock& b) { return b.label == "EC PARAMETERS"; });
    if (blocks->empty()) {
        return Error{"EC parameters only, no key" + std::string(k_ses_rsa_needed)};
    }
    std::optional<LoadedKey> first;
    for (const PemBlock& block : blocks.value()) {
        auto loaded = load_pem_block(block);
        if (!loaded) {
            return loaded;
        }
        if (!first) {
            first = std::move(loaded).value();
        } else if (loaded->key != first->key) {
            return Error{"the file holds " + std::to_string(blocks->size()) +
                         " PEM blocks with different keys: keep only the key SES signs with"};
        }
    }
    return std::move(*first);
}

constexpr std::array<std::string_view, 6> k_openssh_public_prefixes = {
    "ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"};

bool is_binary(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return !is_space(u) && (u < 0x20 || u > 0x7E);
    });
}

} // namespace

std::string base64_encode(std::span<const unsigned char> bytes) {
    std::string out;
    // EVP_EncodeBlock writes a NUL after each chunk's output: keep room for the last one.
    out.resize(4 * ((bytes.size() + 2) / 3) + 1);
    std::size_t written = 0;
    for (std::size_t offset = 0; offset < bytes.size(); offset += k_encode_chunk) {
        const std::size_t length = std::min(k_encode_chunk, bytes.size() - offset);
        written += static_cast<std::size_t>(
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                            bytes.data() + offset, static_cast<int>(length)));
    }
    out.resize(written);
    return out;
}

Result<std::vector<unsigned char>> base64_decode(std::string_view text) {
    if (text.empty()) {
        return std::vector<unsigned char>{};
    }
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '=') {
            ++padding;
            continue;
        }
        if (!is_base64_alphabet(c)) {
            return Error{"not valid base64: " + describe_char(c) + " at offset " +
                         std::to_string(i) + " is not in the base64 alphabet"};
        }
        if (padding > 0) {
            return Error{"not valid base64: '=' padding before the end"};
        }
    }
    if (padding > 2) {
        return Error{"not valid base64: too much '=' padding"};
    }
    if (text.size() % 4 != 0) {
        return Error{"not valid base64: length " + std::to_string(text.size()) +
                     " is not a multiple of 4"};
    }
    // Padding can only sit in the last chunk because the chunk size is a multiple of 4.
    std::vector<unsigned char> out(text.size() / 4 * 3);
    std::size_t written = 0;
    for (std::size_t offset = 0; offset < text.size(); offset += k_decode_chunk) {
        const std::size_t length = std::min(k_decode_chunk, text.size() - offset);
        const int n = EVP_DecodeBlock(out.data() + written,
                                      reinterpret_cast<const unsigned char*>(text.data() + offset),
                                      static_cast<int>(length));
        if (n < 0) {
            return Error{"not valid base64"};
        }
        written += static_cast<std::size_t>(n);
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    out.resize(written - padding);
    return out;
}

Result<PublicKeyInfo> decode_dkim_public_key(std::string_view k,
                                             std::span<const unsigned char> der) {
    if (iequals(k, "rsa")) {
        return decode_rsa_dkim_key(der);
    }
    if (iequals(k, "ed25519")) {
        return decode_ed25519_dkim_key(der);
    }
    std::string shown;
    for (char c : k.substr(0, 20)) {
        const auto u = static_cast<unsigned char>(c);
        shown += (u > 0x20 && u < 0x7F) ? std::string(1, c) : "\\x" + hex_byte(u).substr(7);
    }
    return Error{"unknown key type k=" + shown + (k.size() > 20 ? "..." : "") +
                 " (known: rsa, ed25519)"};
}

Result<LoadedKey> load_byodkim_key(std::string_view content) {
    if (content.starts_with("\xEF\xBB\xBF")) { // UTF-8 byte order mark from Windows editors
        content.remove_prefix(3);
    }
    const std::string_view text = trim(content);
    if (text.empty()) {
        return Error{"empty: no key found"};
    }
    for (std::string_view prefix : k_openssh_public_prefixes) {
        if (text.starts_with(prefix)) {
            const std::string_view type = text.substr(0, text.find(' '));
            return Error{"an OpenSSH public key (" + std::string(type) +
                         " ...): SES needs a PEM or DER key; convert it with: ssh-keygen -e -m "
                         "PKCS8 -f KEY.pub"};
        }
    }
    if (text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----")) {
        return Error{"an SSH2 public key (RFC 4716): SES needs a PEM or DER key; convert it with: "
                     "ssh-keygen -i -m PKCS8 -f KEY.pub"};
    }
    if (text.find(k_pem_begin) != std::string_view::npos ||
        text.find(k_pem_end) != std::string_view::npos) {
        return load_pem(text);
    }
    const auto bytes =
        std::span(reinterpret_cast<const unsigned char*>(content.data()), content.size());
    if (is_binary(content)) {
        if (bytes.empty() || bytes[0] != 0x30) {
            return Error{"not a key: neither PEM, DER nor base64 DER"};
        }
        auto decoded = decode_der_key(bytes);
        if (!decoded) {
            return Error{"DER data that is not a key: " + describe_der_failure(bytes)};
        }
        return accept_for_ses(*decoded, "DER");
    }
    const std::string compact = remove_whitespace(text);
    auto der = base64_decode(compact);
    if (!der) {
        const bool base64_like =
            compact.size() >= 16 && std::all_of(compact.begin(), compact.end(), [](char c) {
                return is_base64_alphabet(static_cast<unsigned char>(c)) || c == '=';
            });
        if (base64_like) {
            return Error{"base64 text that does not decode (" + der.error() + "; truncated?)"};
        }
        return Error{"not a key: neither PEM, DER nor base64 DER"};
    }
    if (der->empty() || (*der)[0] != 0x30) {
        return Error{"not a key: neither PEM, DER nor base64 DER"};
    }
    auto decoded = decode_der_key(der.value());
    if (!decoded) {
        return Error{"base64 DER that is not a key: " + describe_der_failure(der.value())};
    }
    return accept_for_ses(*decoded, "base64 DER");
}

} // namespace dkimwatch
