#pragma once
// A configured identity: (account, region, domain) and the DKIM method SES uses for it.

#include <array>
#include <compare>
#include <string>
#include <variant>
#include <vector>

namespace dkimwatch {

// Easy DKIM: three CNAMEs <token>._domainkey.<domain> -> <token>.<signing_hosted_zone>.
struct EasyDkim {
    std::array<std::string, 3> tokens;    // canonical (lowercase)
    std::string signing_hosted_zone;      // canonical, e.g. "dkim.amazonses.com"
    bool hosted_zone_from_config = false; // true when the user set signing_hosted_zone
};

// BYODKIM: one TXT at <selector>._domainkey.<domain> carrying the user's public key.
struct Byodkim {
    std::string selector;
    // SubjectPublicKeyInfo DER of the configured key. Empty for an identity discovered through
    // SES whose key no configuration gives: the record must then hold a valid RSA key that SES
    // accepts, and is not compared with anything.
    std::vector<unsigned char> public_key_der;
    int key_bits = 0;       // RSA modulus size of the configured key; 0 when none is configured
    std::string key_source; // "public_key", "public_key_file PATH", ...; "" when none
};

// What identifies an identity across configurations, restarts and the store.
struct IdentityKey {
    std::string account;
    std::string region;
    std::string domain;

    // "account/region/domain", for logs and messages.
    std::string to_string() const;
    auto operator<=>(const IdentityKey&) const = default;
    bool operator==(const IdentityKey&) const = default;
};

// Where an identity was named. The configuration's key material wins where several name it.
enum class IdentitySource { config, identities_file, ses };

struct Identity {
    std::string domain;  // canonical
    std::string account; // free-form label, usually a 12-digit AWS account id
    std::string region;  // e.g. "us-east-1"
    std::variant<EasyDkim, Byodkim> method;
    IdentitySource source = IdentitySource::config;

    // "easy_dkim" or "byodkim".
    const char* method_name() const;
    IdentityKey key() const { return {account, region, domain}; }
};

} // namespace dkimwatch
