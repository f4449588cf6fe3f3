#include "config/identities_section.hpp"

#include "config/file_limits.hpp"
#include "config/identities_csv.hpp"
#include "config/identity_validator.hpp"
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

// What an identity mapping held, before the cross-checks.
struct IdentityFields {
    std::optional<Field> domain, account, region, easy_dkim, byodkim;
};

// A text value as a raw field for the validator; nullopt after reporting a value that is not
// text.
std::optional<RawField> raw_text(Reader& reader, const Field& field, std::string_view expected) {
    auto text = reader.read_string(field, expected);
    if (!text) {
        return std::nullopt;
    }
    return RawField{std::move(*text), reader.position(field)};
}

void read_easy_dkim(Reader& reader, const Field& section, RawIdentity& raw) {
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
    raw.method = RawMethod::easy_dkim;
    if (zone_field) {
        raw.signing_hosted_zone = raw_text(reader, *zone_field,
                                           "a domain name such as "
                                           "dkim.amazonses.com");
    }
    if (!tokens_field) {
        reader.error_at_key(section, "easy_dkim.tokens is missing: list the 3 tokens SES gave "
                                     "for this identity");
    } else if (!tokens_field->value.IsSequence()) {
        reader.error_at(*tokens_field, "easy_dkim.tokens must be a sequence of 3 tokens, got " +
                                           describe(tokens_field->value));
    } else {
        const YAML::Node& list = tokens_field->value;
        raw.token_count = list.size();
        raw.tokens_where = reader.key_position(*tokens_field);
        std::size_t index = 0;
        for (auto it = list.begin(); it != list.end(); ++it, ++index) {
            const Field item{"easy_dkim.tokens[" + std::to_string(index) + "]", YAML::Node(), *it};
            if (auto token = raw_text(reader, item, "a token (one DNS label)")) {
                raw.tokens.push_back(std::move(*token));
                raw.token_labels.push_back(item.path);
            }
        }
    }
}

// The key of one of public_key, public_key_file or private_key_file, its file read.
std::optional<RawKey> read_byodkim_key(Reader& reader, std::string_view name, const Field& field) {
    const bool inline_key = name == "public_key";
    auto text = reader.read_string(
        field, inline_key ? "the public key in base64 (DER SubjectPublicKeyInfo) or PEM"
                          : "the path of a key file");
    if (!text) {
        return std::nullopt;
    }
    RawKey key;
    key.where = reader.position(field);
    if (inline_key) {
        key.form = RawKey::Form::public_key;
        key.subject = field.path;
        key.content = std::move(*text);
        key.key_source = "public_key";
        return key;
    }
    key.form =
        name == "private_key_file" ? RawKey::Form::private_key_file : RawKey::Form::public_key_file;
    const std::filesystem::path written(*text);
    const std::filesystem::path resolved =
        (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
    key.subject = field.path + " " + quote(*text);
    if (!written.is_absolute()) {
        key.subject += " (" + resolved.string() + ")";
    }
    auto file = read_bounded_file(resolved, key_file_limit());
    if (!file) {
        reader.error_at(field, key.subject + ": " + file.error().reason);
        return std::nullopt;
    }
    key.content = std::move(*file);
    key.key_source = std::string(name) + " " + resolved.string();
    return key;
}

void read_byodkim(Reader& reader, const Field& section, const std::string& identity_name,
                  const std::string& domain, RawIdentity& raw) {
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
    raw.method = RawMethod::byodkim;
    if (!selector_field) {
        reader.error_at_key(section, "byodkim.selector is missing: name the selector of the "
                                     "DKIM record (<selector>._domainkey." +
                                         (domain.empty() ? std::string("<domain>") : domain) + ")");
    } else {
        raw.selector =
            raw_text(reader, *selector_field, "a selector of 1 to 63 letters and digits");
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
        raw.key = read_byodkim_key(reader, key_fields.front().first, key_fields.front().second);
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

    RawIdentity raw;
    raw.source = IdentitySource::config;
    if (!fields.domain) {
        reader.error_at(item, item.path + " is missing \"domain\"" + required);
    } else {
        raw.domain = raw_text(reader, *fields.domain, "a domain name such as example.com");
    }
    // The domain as the validator will have it, for the messages below that name the identity.
    RawIdentity domain_only;
    domain_only.domain = raw.domain;
    const std::string domain = validate_identity(domain_only).identity.domain;
    const std::string name = domain.empty() ? item.path : domain;
    const std::string identity_name = "identity " + name;
    if (!fields.account) {
        reader.error_at(item, identity_name + " is missing \"account\"" + required);
    } else {
        // An empty text is the validator's to judge, as in the other sources.
        const YAML::Node& account = fields.account->value;
        raw.account =
            account.IsScalar() && account.Scalar().empty()
                ? std::optional<RawField>(RawField{"", reader.position(*fields.account)})
                : raw_text(reader, *fields.account, "an AWS account such as \"111122223333\"");
    }
    if (!fields.region) {
        reader.error_at(item, identity_name + " is missing \"region\"" + required);
    } else {
        raw.region = raw_text(reader, *fields.region, "an AWS region such as us-east-1");
    }

    if (second_method) {
        reader.error_at_key(*second_method,
                            identity_name + " has both easy_dkim and byodkim; use exactly one");
    } else if (!fields.easy_dkim && !fields.byodkim) {
        reader.error_at(item, identity_name + " has neither easy_dkim nor byodkim");
    } else if (fields.easy_dkim) {
        read_easy_dkim(reader, *fields.easy_dkim, raw);
    } else {
        read_byodkim(reader, *fields.byodkim, name, domain, raw);
    }

    IdentityCheck check = validate_identity(raw);
    for (ConfigError& error : check.errors) {
        reader.add_error(std::move(error));
    }
    for (ConfigError& warning : check.warnings) {
        reader.add_warning(std::move(warning));
    }
    Identity& identity = check.identity;
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
