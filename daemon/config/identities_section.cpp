#include "config/identities_section.hpp"

#include "config/file_limits.hpp"
#include "config/identities_csv.hpp"
#include "core/dns_name.hpp"
#include "core/public_key.hpp"
#include "core/region_table.hpp"
#include "core/selector.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace dkimwatch::config_reading {

namespace {

constexpr std::size_t k_easy_dkim_token_count = 3;

// What an identity mapping held, before the cross-checks.
struct IdentityFields {
    std::optional<Field> domain, account, region, easy_dkim, byodkim;
};

void read_easy_dkim(Reader& reader, const Field& section, const std::string& domain,
                    const std::string& region, EasyDkim& out) {
    static constexpr std::array<std::string_view, 2> k_keys{"tokens", "signing_hosted_zone"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "easy_dkim must be a mapping with tokens (and optionally "
                                 "signing_hosted_zone), got " +
                                     describe(section.value));
        return;
    }
    std::optional<Field> tokens_field;
    std::optional<Field> zone_field;
    reader.visit_mapping(section.value, "easy_dkim", k_keys, "easy_dkim.",
                         [&](std::string_view name, const Field& field) {
                             (name == "tokens" ? tokens_field : zone_field).emplace(field);
                         });

    out.signing_hosted_zone = default_signing_hosted_zone(region);
    if (zone_field) {
        if (auto zone = reader.read_domain(*zone_field, "dkim.amazonses.com")) {
            out.signing_hosted_zone = *zone;
            out.hosted_zone_from_config = true;
        }
    }

    if (!tokens_field) {
        reader.error_at_key(section, "easy_dkim.tokens is missing: list the 3 tokens SES gave "
                                     "for this identity");
    } else if (!tokens_field->value.IsSequence()) {
        reader.error_at(*tokens_field, "easy_dkim.tokens must be a sequence of 3 tokens, got " +
                                           describe(tokens_field->value));
    } else {
        const YAML::Node& list = tokens_field->value;
        if (list.size() != k_easy_dkim_token_count) {
            reader.error_at_key(*tokens_field, "easy_dkim.tokens must list exactly 3 tokens, got " +
                                                   std::to_string(list.size()));
        }
        std::vector<std::string> seen;
        std::size_t index = 0;
        for (auto it = list.begin(); it != list.end(); ++it, ++index) {
            const Field item{"easy_dkim.tokens[" + std::to_string(index) + "]", YAML::Node(), *it};
            auto token = reader.read_string(item, "a token (one DNS label)");
            if (!token) {
                continue;
            }
            if (auto reason = invalid_label_reason(*token)) {
                reader.error_at(item, item.path + " " + quote(*token) +
                                          " is not a DNS label: " + *reason);
                continue;
            }
            std::string canonical = canonical_name(*token);
            const auto repeated = std::find(seen.begin(), seen.end(), canonical);
            if (repeated != seen.end()) {
                reader.error_at(item, item.path + " " + quote(*token) +
                                          " repeats easy_dkim.tokens[" +
                                          std::to_string(repeated - seen.begin()) +
                                          "]; the 3 tokens must be distinct");
            }
            seen.push_back(canonical);
            if (!domain.empty()) {
                reader.check_name_length(item, canonical + "._domainkey." + domain,
                                         canonical + "._domainkey.<domain>");
            }
            reader.check_name_length(item, canonical + "." + out.signing_hosted_zone,
                                     canonical + ".<signing_hosted_zone>");
            if (index < k_easy_dkim_token_count) {
                out.tokens[index] = std::move(canonical);
            }
        }
    }
}

// Loads the key of one of public_key, public_key_file or private_key_file into `out`.
void read_byodkim_key(Reader& reader, std::string_view name, const Field& field, Byodkim& out) {
    const bool inline_key = name == "public_key";
    auto text = reader.read_string(
        field, inline_key ? "the public key in base64 (DER SubjectPublicKeyInfo) or PEM"
                          : "the path of a key file");
    if (!text) {
        return;
    }
    std::string content;
    std::string subject; // how messages name the key, never its content
    if (inline_key) {
        subject = field.path;
        if (text->find("-----") == std::string::npos) {
            // Bare base64 written over several lines reaches us with spaces or newlines.
            std::erase_if(*text,
                          [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
        }
        content = std::move(*text);
        out.key_source = "public_key";
    } else {
        const std::filesystem::path written(*text);
        const std::filesystem::path resolved =
            (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
        subject = field.path + " " + quote(*text);
        if (!written.is_absolute()) {
            subject += " (" + resolved.string() + ")";
        }
        auto file = read_bounded_file(resolved, key_file_limit());
        if (!file) {
            reader.error_at(field, subject + ": " + file.error().reason);
            return;
        }
        content = std::move(*file);
        out.key_source = std::string(name) + " " + resolved.string();
    }
    auto key = load_byodkim_key(content);
    if (!key) {
        reader.error_at(field, subject + ": " + key.error());
        return;
    }
    const bool want_private = name == "private_key_file";
    if (key->from_private_key && !want_private) {
        reader.error_at(field, subject + " holds a private key; keep private keys out of the "
                                         "configuration and name their file in private_key_file");
        return;
    }
    if (!key->from_private_key && want_private) {
        reader.error_at(field,
                        subject + " holds a public key, not a private key; use public_key_file");
        return;
    }
    out.public_key_der = key->key.canonical_der;
    out.key_bits = key->key.bits;
}

void read_byodkim(Reader& reader, const Field& section, const std::string& identity_name,
                  const std::string& domain, Byodkim& out) {
    static constexpr std::array<std::string_view, 4> k_keys{"selector", "public_key",
                                                            "public_key_file", "private_key_file"};
    static constexpr std::array<std::string_view, 3> k_key_keys{"public_key", "public_key_file",
                                                                "private_key_file"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "byodkim must be a mapping with selector and one of " +
                                     join(k_key_keys) + ", got " + describe(section.value));
        return;
    }
    std::optional<Field> selector_field;
    std::vector<std::pair<std::string, Field>> key_fields;
    reader.visit_mapping(section.value, "byodkim", k_keys, "byodkim.",
                         [&](std::string_view name, const Field& field) {
                             if (name == "selector") {
                                 selector_field.emplace(field);
                             } else {
                                 key_fields.emplace_back(std::string(name), field);
                             }
                         });

    if (!selector_field) {
        reader.error_at_key(section, "byodkim.selector is missing: name the selector of the "
                                     "DKIM record (<selector>._domainkey." +
                                         (domain.empty() ? std::string("<domain>") : domain) + ")");
    } else if (auto selector = reader.read_string(*selector_field,
                                                  "a selector of 1 to 63 letters and digits")) {
        if (auto reason = invalid_selector_reason(*selector)) {
            reader.error_at(*selector_field,
                            "byodkim.selector " + quote(*selector) + " " + *reason);
        } else {
            out.selector = canonical_name(*selector);
            if (!domain.empty()) {
                reader.check_name_length(*selector_field, out.selector + "._domainkey." + domain,
                                         out.selector + "._domainkey.<domain>");
            }
        }
    }

    const std::string exactly_one = "identity " + identity_name + " needs exactly one of " +
                                    join(k_key_keys) + " in byodkim, got ";
    if (key_fields.empty()) {
        reader.error_at_key(section, exactly_one + "none");
    } else if (key_fields.size() > 1) {
        std::string names;
        for (const auto& [name, field] : key_fields) {
            names += (names.empty() ? "" : " and ") + name;
        }
        reader.error_at_key(key_fields[1].second, exactly_one + names);
    } else {
        read_byodkim_key(reader, key_fields.front().first, key_fields.front().second, out);
    }
}

// Position of an identity: where its mapping starts, and the identity itself.
struct ReadIdentity {
    YAML::Mark mark;
    Identity identity;
};

std::optional<ReadIdentity> read_identity(Reader& reader, const Field& item) {
    static constexpr std::array<std::string_view, 5> k_keys{"domain", "account", "region",
                                                            "easy_dkim", "byodkim"};
    const std::string required = " (required: domain, account, region, and easy_dkim or byodkim)";
    if (!item.value.IsMap()) {
        reader.error_at(item, item.path +
                                  " must be a mapping with domain, account, region, and "
                                  "easy_dkim or byodkim, got " +
                                  describe(item.value));
        return std::nullopt;
    }
    const std::size_t errors_before = reader.error_count();
    IdentityFields fields;
    std::optional<Field> second_method;
    reader.visit_mapping(
        item.value, "identity", k_keys, "", [&](std::string_view name, const Field& field) {
            if (name == "domain") {
                fields.domain.emplace(field);
            } else if (name == "account") {
                fields.account.emplace(field);
            } else if (name == "region") {
                fields.region.emplace(field);
            } else {
                auto& method = name == "easy_dkim" ? fields.easy_dkim : fields.byodkim;
                method.emplace(field);
                if (fields.easy_dkim && fields.byodkim) {
                    second_method.emplace(field);
                }
            }
        });

    Identity identity;
    std::string name = item.path;
    if (!fields.domain) {
        reader.error_at(item, item.path + " is missing \"domain\"" + required);
    } else if (auto domain = reader.read_domain(*fields.domain, "example.com")) {
        if (domain->find('.') == std::string::npos) {
            reader.error_at(*fields.domain, "domain " + quote(*domain) +
                                                " is invalid: an identity domain has at least "
                                                "two labels, such as example.com");
        } else {
            identity.domain = *domain;
            name = *domain;
        }
    }
    const std::string identity_name = "identity " + name;
    if (!fields.account) {
        reader.error_at(item, identity_name + " is missing \"account\"" + required);
    } else if (auto account =
                   reader.read_string(*fields.account, "an AWS account such as \"111122223333\"")) {
        identity.account = *account;
    }
    if (!fields.region) {
        reader.error_at(item, identity_name + " is missing \"region\"" + required);
    } else if (auto region =
                   reader.read_string(*fields.region, "an AWS region such as us-east-1")) {
        const RegionName kind = classify_region(*region);
        if (kind == RegionName::malformed) {
            reader.error_at(*fields.region, "region " + quote(*region) +
                                                " is not an AWS region name such as us-east-1 or "
                                                "eu-west-1");
        } else {
            if (kind == RegionName::unknown) {
                reader.warn_at(fields.region->value, unknown_region_warning(*region));
            }
            identity.region = *region;
        }
    }

    if (second_method) {
        reader.error_at_key(*second_method,
                            identity_name + " has both easy_dkim and byodkim; use exactly one");
    } else if (!fields.easy_dkim && !fields.byodkim) {
        reader.error_at(item, identity_name + " has neither easy_dkim nor byodkim");
    } else if (fields.easy_dkim) {
        EasyDkim easy;
        read_easy_dkim(reader, *fields.easy_dkim, identity.domain, identity.region, easy);
        identity.method = std::move(easy);
    } else {
        Byodkim byodkim;
        read_byodkim(reader, *fields.byodkim, name, identity.domain, byodkim);
        identity.method = std::move(byodkim);
    }
    if (reader.error_count() != errors_before) {
        // Still useful for the duplicate check when the three names are known.
        if (identity.domain.empty() || identity.account.empty() || identity.region.empty()) {
            return std::nullopt;
        }
    }
    return ReadIdentity{item.value.Mark(), std::move(identity)};
}

} // namespace

void read_identities_section(Reader& reader, const Field& section, Document& document) {
    if (section.value.IsNull() || (section.value.IsSequence() && section.value.size() == 0)) {
        reader.error_at_key(section, "no identities configured (identities: is empty)");
        return;
    }
    if (!section.value.IsSequence()) {
        reader.error_at(section, "identities must be a sequence of identities (each a mapping "
                                 "with domain, account, region, and easy_dkim or byodkim), got " +
                                     describe(section.value));
        return;
    }
    std::map<std::tuple<std::string, std::string, std::string>, int> first_line;
    std::size_t index = 0;
    for (auto it = section.value.begin(); it != section.value.end(); ++it, ++index) {
        const Field item{"identities[" + std::to_string(index) + "]", YAML::Node(), *it};
        const std::size_t errors_before = reader.error_count();
        auto read = read_identity(reader, item);
        if (!read) {
            continue;
        }
        const Identity& identity = read->identity;
        const int line = read->mark.line + 1;
        const auto [seen, inserted] = first_line.emplace(
            std::tuple(identity.account, identity.region, identity.domain), line);
        if (!inserted) {
            reader.error_at(read->mark, "duplicate identity (account " + identity.account +
                                            ", region " + identity.region + ", domain " +
                                            identity.domain + "); first defined at line " +
                                            std::to_string(seen->second));
            continue;
        }
        const auto [origin, new_identity] = document.identity_origin.emplace(
            std::tuple(identity.account, identity.region, identity.domain),
            "line " + std::to_string(line));
        if (!new_identity) {
            reader.error_at(read->mark, "duplicate identity (account " + identity.account +
                                            ", region " + identity.region + ", domain " +
                                            identity.domain + "); first defined at " +
                                            origin->second);
            continue;
        }
        if (reader.error_count() == errors_before) {
            document.config.identities.push_back(read->identity);
        }
    }
}

void read_identities_file(Reader& reader, const Field& field, Document& document) {
    auto text = reader.read_string(field, "the path of an identities file");
    if (!text) {
        return;
    }
    if (text->empty()) {
        reader.error_at(field, "identities_file is empty: give the path of an identities file");
        return;
    }
    const std::filesystem::path path = (reader.base_dir() / *text).lexically_normal();
    auto content = read_bounded_file(path, identities_file_limit());
    if (!content) {
        reader.error_at(field, "identities_file " + quote(*text) + " (" + path.string() +
                                   "): " + content.error().reason);
        return;
    }
    auto parsed = parse_identities_csv(*content, path.string(), path.parent_path());
    for (auto& error : parsed.errors) {
        reader.add_error(std::move(error));
    }
    for (auto& warning : parsed.warnings) {
        reader.add_warning(std::move(warning));
    }
    if (parsed.identities.empty() && parsed.errors.empty()) {
        reader.error_at(field, "identities_file " + quote(*text) +
                                   " lists no identities (the file is empty or only comments)");
    }
    document.config.identities.reserve(document.config.identities.size() +
                                       parsed.identities.size());
    for (auto& entry : parsed.identities) {
        const Identity& identity = entry.identity;
        const auto [origin, new_identity] = document.identity_origin.emplace(
            std::tuple(identity.account, identity.region, identity.domain),
            path.string() + ":" + std::to_string(entry.line));
        if (!new_identity) {
            reader.add_error({path.string(), entry.line, 1,
                              "duplicate identity (account " + identity.account + ", region " +
                                  identity.region + ", domain " + identity.domain +
                                  "); first defined at " + origin->second});
            continue;
        }
        document.config.identities.push_back(std::move(entry.identity));
    }
}

} // namespace dkimwatch::config_reading
