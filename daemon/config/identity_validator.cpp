#include "config/identity_validator.hpp"

#include "core/dns_name.hpp"
#include "core/public_key.hpp"
#include "core/region_table.hpp"
#include "core/selector.hpp"

#include <algorithm>
#include <utility>

namespace dkimwatch {
namespace {

constexpr std::size_t k_easy_dkim_token_count = 3;
constexpr std::size_t k_max_dns_name_bytes = 253;

// A user-written text quoted for a message, shortened when long (a pasted key must not be
// repeated in full). The same form as the YAML reader's.
std::string quote(std::string_view text) {
    constexpr std::size_t k_max_shown = 64;
    if (text.size() <= k_max_shown) {
        return "\"" + std::string(text) + "\"";
    }
    return "\"" + std::string(text.substr(0, 24)) + "...\" (" + std::to_string(text.size()) +
           " characters)";
}

class Validation {
public:
    explicit Validation(IdentityCheck& out) : m_out(out) {}

    void error(const ConfigError& where, std::string message) {
        ConfigError error = where;
        error.message = std::move(message);
        m_out.errors.push_back(std::move(error));
    }
    void warning(const ConfigError& where, std::string message) {
        ConfigError warning = where;
        warning.message = std::move(message);
        m_out.warnings.push_back(std::move(warning));
    }
    // Checks that a name dkimwatch will query fits in DNS. `shape` shows how the name is built
    // ("tok1._domainkey.<domain>"); the name itself may be too long to print.
    void check_name_length(const ConfigError& where, const std::string& label,
                           const std::string& name, const std::string& shape) {
        if (name.size() > k_max_dns_name_bytes) {
            error(where, label + ": the record name " + shape + " would be " +
                             std::to_string(name.size()) +
                             " bytes long; DNS names are at most 253 bytes");
        }
    }

private:
    IdentityCheck& m_out;
};

void validate_easy_dkim(const RawIdentity& raw, Validation& check, const std::string& domain,
                        EasyDkim& out) {
    out.signing_hosted_zone = default_signing_hosted_zone(raw.region ? raw.region->text : "");
    if (raw.signing_hosted_zone) {
        const RawField& zone = *raw.signing_hosted_zone;
        if (auto reason = invalid_domain_reason(zone.text)) {
            check.error(zone.where, "easy_dkim.signing_hosted_zone " + quote(zone.text) +
                                        " is invalid: " + *reason);
        } else {
            out.signing_hosted_zone = canonical_name(zone.text);
            out.hosted_zone_from_config = true;
        }
    }
    if (raw.token_count && *raw.token_count != k_easy_dkim_token_count) {
        check.error(raw.tokens_where, "easy_dkim.tokens must list exactly 3 tokens, got " +
                                          std::to_string(*raw.token_count));
    }
    std::vector<std::string> seen; // canonical, of the tokens that are labels
    std::vector<std::string> seen_labels;
    for (std::size_t i = 0; i < raw.tokens.size(); ++i) {
        const RawField& token = raw.tokens[i];
        const std::string label = i < raw.token_labels.size()
                                      ? raw.token_labels[i]
                                      : "easy_dkim.tokens[" + std::to_string(i) + "]";
        if (auto reason = invalid_label_reason(token.text)) {
            check.error(token.where,
                        label + " " + quote(token.text) + " is not a DNS label: " + *reason);
            continue;
        }
        std::string canonical = canonical_name(token.text);
        const auto repeated = std::find(seen.begin(), seen.end(), canonical);
        if (repeated != seen.end()) {
            check.error(token.where,
                        label + " " + quote(token.text) + " repeats " +
                            seen_labels[static_cast<std::size_t>(repeated - seen.begin())] +
                            "; the 3 tokens must be distinct");
        }
        seen.push_back(canonical);
        seen_labels.push_back(label);
        if (!domain.empty()) {
            check.check_name_length(token.where, label, canonical + "._domainkey." + domain,
                                    canonical + "._domainkey.<domain>");
        }
        check.check_name_length(token.where, label, canonical + "." + out.signing_hosted_zone,
                                canonical + ".<signing_hosted_zone>");
        if (i < k_easy_dkim_token_count) {
            out.tokens[i] = std::move(canonical);
        }
    }
}

void validate_key(const RawKey& key, Validation& check, Byodkim& out) {
    out.key_source = key.key_source;
    std::string content = key.content;
    if (key.form == RawKey::Form::public_key && content.find("-----") == std::string::npos) {
        // Bare base64 written over several lines reaches us with spaces or newlines.
        std::erase_if(content,
                      [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
    }
    auto loaded = load_byodkim_key(content);
    if (!loaded) {
        check.error(key.where, key.subject + ": " + loaded.error());
        return;
    }
    const bool want_private = key.form == RawKey::Form::private_key_file;
    if (loaded->from_private_key && !want_private) {
        check.error(key.where, key.subject +
                                   " holds a private key; keep private keys out of the "
                                   "configuration and name their file in private_key_file");
        return;
    }
    if (!loaded->from_private_key && want_private) {
        check.error(key.where,
                    key.subject + " holds a public key, not a private key; use public_key_file");
        return;
    }
    out.public_key_der = loaded->key.canonical_der;
    out.key_bits = loaded->key.bits;
}

void validate_byodkim(const RawIdentity& raw, Validation& check, const std::string& domain,
                      Byodkim& out) {
    if (raw.selector) {
        const RawField& selector = *raw.selector;
        if (auto reason = invalid_selector_reason(selector.text)) {
            check.error(selector.where, "byodkim.selector " + quote(selector.text) + " " + *reason);
        } else {
            out.selector = canonical_name(selector.text);
            if (!domain.empty()) {
                check.check_name_length(selector.where, "byodkim.selector",
                                        out.selector + "._domainkey." + domain,
                                        out.selector + "._domainkey.<domain>");
            }
        }
    }
    if (raw.key) {
        validate_key(*raw.key, check, out);
    }
}

} // namespace

IdentityCheck validate_identity(const RawIdentity& raw) {
    IdentityCheck out;
    Validation check(out);
    Identity& identity = out.identity;
    identity.source = raw.source;

    if (raw.domain) {
        const RawField& domain = *raw.domain;
        if (auto reason = invalid_domain_reason(domain.text)) {
            check.error(domain.where, "domain " + quote(domain.text) + " is invalid: " + *reason);
        } else if (std::string canonical = canonical_name(domain.text);
                   canonical.find('.') == std::string::npos) {
            check.error(domain.where, "domain " + quote(canonical) +
                                          " is invalid: an identity domain has at least two "
                                          "labels, such as example.com");
        } else {
            identity.domain = std::move(canonical);
        }
    }
    if (raw.account) {
        if (raw.account->text.empty()) {
            check.error(raw.account->where, "account is empty: give the AWS account (any label)");
        } else {
            identity.account = raw.account->text;
        }
    }
    if (raw.region) {
        const RawField& region = *raw.region;
        const RegionName kind = classify_region(region.text);
        if (kind == RegionName::malformed) {
            check.error(region.where, "region " + quote(region.text) +
                                          " is not an AWS region name such as us-east-1 or "
                                          "eu-west-1");
        } else {
            if (kind == RegionName::unknown) {
                check.warning(region.where, unknown_region_warning(region.text));
            }
            identity.region = region.text;
        }
    }

    if (raw.method == RawMethod::easy_dkim) {
        EasyDkim easy;
        validate_easy_dkim(raw, check, identity.domain, easy);
        identity.method = std::move(easy);
    } else if (raw.method == RawMethod::byodkim) {
        Byodkim byodkim;
        validate_byodkim(raw, check, identity.domain, byodkim);
        identity.method = std::move(byodkim);
    }
    out.complete = out.errors.empty() && raw.domain && raw.account && raw.region && raw.method &&
                   (raw.method == RawMethod::easy_dkim ? raw.token_count.has_value()
                                                       : raw.selector.has_value());
    return out;
}

} // namespace dkimwatch
