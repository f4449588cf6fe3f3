#include "config/config_loader.hpp"

#include "config/file_limits.hpp"
#include "config/identities_csv.hpp"
#include "core/dns_name.hpp"
#include "core/duration.hpp"
#include "core/public_key.hpp"
#include "core/region_table.hpp"
#include "core/selector.hpp"
#include "core/state_machine.hpp"
#include "core/url_display.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <span>
#include <sstream>
#include <tuple>
#include <utility>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace dkimwatch {

namespace {
// The longest duration any configuration key accepts (ten years).
constexpr Milliseconds k_max_config_duration = std::chrono::hours{24 * 3650};
} // namespace

std::string ConfigError::to_string() const {
    if (line <= 0) {
        return file + ": " + message;
    }
    std::string out = file + ":" + std::to_string(line);
    if (column > 0) {
        out += ":" + std::to_string(column);
    }
    return out + ": " + message;
}

namespace {

using Keys = std::span<const std::string_view>;

// Config and key files are small; anything bigger is a mistake, not something to read.
constexpr std::size_t k_max_dns_name_bytes = 253;
constexpr std::size_t k_easy_dkim_token_count = 3;

std::string join(Keys keys) {
    std::string out;
    for (std::string_view key : keys) {
        if (!out.empty()) {
            out += ", ";
        }
        out += key;
    }
    return out;
}

// A user-written text quoted for a message, shortened when long (a pasted key must not be
// repeated in full).
std::string quote(std::string_view text) {
    constexpr std::size_t k_max_shown = 64;
    if (text.size() <= k_max_shown) {
        return "\"" + std::string(text) + "\"";
    }
    return "\"" + std::string(text.substr(0, 24)) + "...\" (" + std::to_string(text.size()) +
           " characters)";
}

// A user-written text for a message, unless it looks like a URL: a Slack or PagerDuty URL is a
// secret, and may be pasted where it does not belong.
std::string shown(std::string_view text) {
    if (text.find("://") != std::string_view::npos) {
        return "a URL (not shown)";
    }
    return quote(text);
}

// What a node is, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
        return "nothing";
    }
    if (node.IsSequence()) {
        return "a sequence";
    }
    if (node.IsMap()) {
        return "a mapping";
    }
    if (node.Scalar().empty()) {
        return "an empty string";
    }
    return shown(node.Scalar());
}

bool is_plain_scalar(const YAML::Node& node) {
    return node.IsScalar() && node.Tag() != "!";
}

// One key/value of a mapping, or one item of a sequence (then `key` is undefined), with the
// path used in messages ("dns.timeout", "easy_dkim.tokens[1]").
struct Field {
    std::string path;
    YAML::Node key;
    YAML::Node value;
};

// Collects errors and holds what the section readers share.
class Reader {
public:
    Reader(std::string display_name, std::filesystem::path base_dir)
        : m_display_name(std::move(display_name)), m_base_dir(std::move(base_dir)) {}

    const std::filesystem::path& base_dir() const { return m_base_dir; }

    void error_at(const YAML::Mark& mark, std::string message) {
        ConfigError error{m_display_name, 0, 0, std::move(message)};
        if (!mark.is_null() && mark.line >= 0) {
            error.line = mark.line + 1;
            error.column = mark.column + 1;
        }
        m_errors.push_back(std::move(error));
    }
    void error_at(const YAML::Node& node, std::string message) {
        error_at(node.Mark(), std::move(message));
    }
    // Values that are empty (a key with nothing after it) carry the position of whatever
    // follows them, so errors about them point at their key instead.
    void error_at(const Field& field, std::string message) {
        const bool value_has_position =
            field.value.IsDefined() && !field.value.IsNull() && !field.value.Mark().is_null();
        if (value_has_position || !field.key.IsDefined() || field.key.Mark().is_null()) {
            error_at(field.value.Mark(), std::move(message));
        } else {
            error_at(field.key.Mark(), std::move(message));
        }
    }
    void error_at_key(const Field& field, std::string message) {
        if (field.key.IsDefined() && !field.key.Mark().is_null()) {
            error_at(field.key.Mark(), std::move(message));
        } else {
            error_at(field, std::move(message));
        }
    }
    // An error located in another file (the identities file).
    void add_error(ConfigError error) { m_errors.push_back(std::move(error)); }
    // A warning: the configuration still loads (Config::warnings).
    void warn_at(const YAML::Node& node, std::string message) {
        ConfigError warning{m_display_name, 0, 0, std::move(message)};
        if (!node.Mark().is_null() && node.Mark().line >= 0) {
            warning.line = node.Mark().line + 1;
            warning.column = node.Mark().column + 1;
        }
        m_warnings.push_back(std::move(warning));
    }
    void add_warning(ConfigError warning) { m_warnings.push_back(std::move(warning)); }
    // In the order they were found, which is file order (the identities file's where it is
    // named).
    std::vector<ConfigError> take_warnings() { return std::move(m_warnings); }
    const std::string& display_name() const { return m_display_name; }
    void file_error(std::string message) {
        m_errors.push_back(ConfigError{m_display_name, 0, 0, std::move(message)});
    }

    bool has_errors() const { return !m_errors.empty(); }
    std::size_t error_count() const { return m_errors.size(); }

    // File order; errors about the whole file last.
    std::vector<ConfigError> take_errors() {
        std::stable_sort(
            m_errors.begin(), m_errors.end(), [](const ConfigError& a, const ConfigError& b) {
                auto rank = [](const ConfigError& e) {
                    return std::pair(e.line == 0 ? std::numeric_limits<int>::max() : e.line,
                                     e.column);
                };
                return rank(a) < rank(b);
            });
        return std::move(m_errors);
    }

    // Visits the entries of the mapping `node` in file order. Reports keys that are not names,
    // duplicate keys (the first one wins) and keys outside `allowed`; `visit(name, field)` sees
    // only the others, with field.path = path_prefix + name. `where` names the mapping in
    // messages ("dns", "easy_dkim"; empty for the top level).
    template <typename Visit>
    void visit_mapping(const YAML::Node& node, std::string_view where, Keys allowed,
                       const std::string& path_prefix, Visit&& visit) {
        visit_mapping(node, where, allowed, allowed, path_prefix, std::forward<Visit>(visit));
    }

    // The same, where the message about an unknown key offers `listed` instead of `allowed`
    // (the keys of a mapping whose other keys `visit` rejects itself, with a better reason).
    template <typename Visit>
    void visit_mapping(const YAML::Node& node, std::string_view where, Keys allowed, Keys listed,
                       const std::string& path_prefix, Visit&& visit) {
        std::map<std::string, int, std::less<>> first_line;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            const std::string in_where =
                where.empty() ? std::string(" at the top level") : " in " + std::string(where);
            if (!key.IsScalar()) {
                error_at(key.Mark().is_null() ? value.Mark() : key.Mark(),
                         "keys must be names" + in_where + " (allowed: " + join(listed) +
                             "), got " + describe(key));
                continue;
            }
            const std::string& name = key.Scalar();
            const int line = key.Mark().line + 1;
            if (auto seen = first_line.find(name); seen != first_line.end()) {
                error_at(key, "duplicate key " + shown(name) + in_where +
                                  "; first defined at line " + std::to_string(seen->second));
                continue;
            }
            first_line.emplace(name, line);
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                error_at(key, (where.empty()
                                   ? "unknown top-level key " + shown(name)
                                   : "unknown key " + shown(name) + " in " + std::string(where)) +
                                  " (allowed: " + join(listed) + ")");
                continue;
            }
            visit(name, Field{path_prefix + name, key, value});
        }
    }

    // A non-empty string; numbers and other plain scalars count as their text.
    std::optional<std::string> read_string(const Field& field, std::string_view expected) {
        if (!field.value.IsScalar() || field.value.Scalar().empty()) {
            error_at(field, field.path + " must be " + std::string(expected) + ", got " +
                                describe(field.value));
            return std::nullopt;
        }
        return field.value.Scalar();
    }

    // An integer in [min, max] written as a plain YAML number. `expected` describes the range.
    std::optional<int> read_int(const Field& field, int min, int max, std::string_view expected) {
        const std::string message_start =
            field.path + " must be " + std::string(expected) + ", got ";
        if (!is_plain_scalar(field.value)) {
            std::string got = describe(field.value);
            if (field.value.IsScalar()) {
                got += " (a quoted string)";
            }
            error_at(field, message_start + got);
            return std::nullopt;
        }
        const std::string& text = field.value.Scalar();
        std::string_view digits = text;
        if (!digits.empty() && digits.front() == '+') {
            digits.remove_prefix(1);
        }
        long long value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || end != digits.data() + digits.size() ||
            (ec != std::errc() && ec != std::errc::result_out_of_range)) {
            error_at(field, message_start + shown(text));
            return std::nullopt;
        }
        if (ec == std::errc::result_out_of_range || value < min || value > max) {
            error_at(field, message_start + text);
            return std::nullopt;
        }
        return static_cast<int>(value);
    }

    // A duration such as 2s or 1h30m.
    std::optional<Milliseconds> read_duration(const Field& field) {
        if (!field.value.IsScalar()) {
            error_at(field, field.path + " must be a duration such as 2s, 500ms or 1h30m, got " +
                                describe(field.value));
            return std::nullopt;
        }
        if (field.value.Scalar().find("://") != std::string::npos) {
            // parse_duration() would repeat the text, which may be a secret URL.
            error_at(field, field.path + " must be a duration such as 2s, 500ms or 1h30m, got " +
                                describe(field.value));
            return std::nullopt;
        }
        auto duration = parse_duration(field.value.Scalar());
        if (!duration) {
            error_at(field, field.path + ": " + duration.error());
            return std::nullopt;
        }
        // Every duration in the configuration is added to wall-clock times; a bound keeps that
        // arithmetic far from overflow.
        if (*duration > k_max_config_duration) {
            error_at(field, field.path + ": " + format_duration(*duration) + " is longer than " +
                                format_duration(k_max_config_duration) + ", the longest allowed");
            return std::nullopt;
        }
        return *duration;
    }

    // A host name, returned canonical. `example` is shown when the value is not a string.
    std::optional<std::string> read_domain(const Field& field, std::string_view example) {
        auto text = read_string(field, "a domain name such as " + std::string(example));
        if (!text) {
            return std::nullopt;
        }
        if (auto reason = invalid_domain_reason(*text)) {
            error_at(field, field.path + " " + quote(*text) + " is invalid: " + *reason);
            return std::nullopt;
        }
        return canonical_name(*text);
    }

    // Checks that a name dkimwatch will query fits in DNS. `shape` shows how the name is
    // built ("tok1._domainkey.<domain>"); the name itself may be too long to print.
    void check_name_length(const Field& field, const std::string& name, const std::string& shape) {
        if (name.size() > k_max_dns_name_bytes) {
            error_at(field, field.path + ": the record name " + shape + " would be " +
                                std::to_string(name.size()) +
                                " bytes long; DNS names are at most 253 bytes");
        }
    }

private:
    std::string m_display_name;
    std::filesystem::path m_base_dir;
    std::vector<ConfigError> m_errors;
    std::vector<ConfigError> m_warnings;
};

// Where a top-level key was and whether its value passed its own checks, for the checks that
// involve two keys (they run once the whole document is read).
struct KeySeen {
    std::optional<Field> field; // set when the key is present
    bool valid = false;         // present, and its value is in the Config
};

// The Config being filled, and what the checks across keys need.
struct Document {
    Config config;
    // Where each identity was first defined ("line 12" or "identities.csv:7"), across the
    // identities list and the identities file, for duplicate errors.
    std::map<std::tuple<std::string, std::string, std::string>, std::string> identity_origin;
    KeySeen check_interval;
    KeySeen recheck_interval;
    KeySeen revocation_window;
    std::optional<Field> reminders; // set when the key is present
    // The items of reminders that passed their own checks, in file order.
    std::vector<std::pair<Field, Milliseconds>> reminder_items;
};

// ---------------------------------------------------------------------------------------------
// dns:

void read_resolvers(Reader& reader, const Field& field, std::vector<ServerAddress>& out) {
    if (!field.value.IsSequence()) {
        reader.error_at(field, field.path +
                                   " must be a sequence of addresses such as [\"9.9.9.9\", "
                                   "\"127.0.0.1:5301\", \"[::1]:53\"], got " +
                                   describe(field.value));
        return;
    }
    if (field.value.size() == 0) {
        reader.error_at_key(field, field.path +
                                       " is empty; list at least one address, or remove the key "
                                       "to use the servers in /etc/resolv.conf");
        return;
    }
    std::vector<std::size_t> indexes; // of the entries of `out` in the sequence
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field item{field.path + "[" + std::to_string(index) + "]", YAML::Node(), *it};
        if (!item.value.IsScalar()) {
            std::string message = item.path +
                                  " must be an address such as \"9.9.9.9\" or "
                                  "\"127.0.0.1:5301\", got " +
                                  describe(item.value);
            if (item.value.IsSequence()) {
                message += " (quote IPv6 addresses with a port: \"[::1]:53\")";
            }
            reader.error_at(item, message);
            continue;
        }
        auto address = parse_server_address(item.value.Scalar());
        if (!address) {
            reader.error_at(item, item.path + ": " + address.error());
            continue;
        }
        const auto same = std::find(out.begin(), out.end(), *address);
        if (same != out.end()) {
            reader.error_at(
                item, item.path + ": " + address->to_string() + " is listed twice (first as " +
                          field.path + "[" +
                          std::to_string(indexes[static_cast<std::size_t>(same - out.begin())]) +
                          "])");
            continue;
        }
        out.push_back(*address);
        indexes.push_back(index);
    }
}

void read_dns_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 5> k_keys{"resolvers", "timeout", "attempts",
                                                            "max_inflight", "max_qps"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "dns must be a mapping with the keys " + join(k_keys) + ", got " +
                                     describe(section.value));
        return;
    }
    DnsSettings& dns = document.config.dns;
    reader.visit_mapping(
        section.value, "dns", k_keys, "dns.", [&](std::string_view name, const Field& field) {
            if (name == "resolvers") {
                read_resolvers(reader, field, dns.resolvers);
            } else if (name == "timeout") {
                constexpr Milliseconds k_max_timeout = std::chrono::seconds(60);
                if (auto timeout = reader.read_duration(field)) {
                    if (*timeout <= Milliseconds::zero() || *timeout > k_max_timeout) {
                        reader.error_at(field, field.path +
                                                   " must be more than 0s and at most 60s, got " +
                                                   field.value.Scalar());
                    } else {
                        dns.timeout = *timeout;
                    }
                }
            } else if (name == "attempts") {
                if (auto value = reader.read_int(field, 1, 10, "an integer from 1 to 10")) {
                    dns.attempts = *value;
                }
            } else if (name == "max_inflight") {
                if (auto value = reader.read_int(field, 1, 65535, "an integer from 1 to 65535")) {
                    dns.max_inflight = *value;
                }
            } else if (name == "max_qps") {
                if (auto value = reader.read_int(field, 0, std::numeric_limits<int>::max(),
                                                 "an integer >= 0 (0 means unlimited)")) {
                    dns.max_qps = *value;
                }
            }
        });
}

// ---------------------------------------------------------------------------------------------
// identities:

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

// identities_file: PATH, the compact one-line-per-identity list (config/identities_csv.hpp).
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

// ---------------------------------------------------------------------------------------------
// The daemon's top-level keys: check schedule, state machine policy, state_dir, metrics.

constexpr Milliseconds k_min_interval{100};
constexpr int k_max_confirmations = 100;

// How messages show the value a key has: the text written, or the default.
std::string shown_value(const KeySeen& key, Milliseconds value) {
    if (key.field) {
        return key.field->value.Scalar();
    }
    return format_duration(value) + ", the default";
}

// check_interval and recheck_interval: at least k_min_interval.
void read_interval(Reader& reader, const Field& field, KeySeen& seen, Milliseconds& out) {
    seen.field.emplace(field);
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value < k_min_interval) {
        reader.error_at(field, field.path + " must be at least " + format_duration(k_min_interval) +
                                   ", got " + field.value.Scalar());
        return;
    }
    out = *value;
    seen.valid = true;
}

// A duration that must be more than zero; `seen` may be null.
void read_positive_duration(Reader& reader, const Field& field, KeySeen* seen, Milliseconds& out) {
    if (seen != nullptr) {
        seen->field.emplace(field);
    }
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value <= Milliseconds::zero()) {
        reader.error_at(field, field.path + " must be more than 0s, got " + field.value.Scalar());
        return;
    }
    out = *value;
    if (seen != nullptr) {
        seen->valid = true;
    }
}

void read_check_interval(Reader& reader, const Field& field, Document& document) {
    read_interval(reader, field, document.check_interval, document.config.daemon.check_interval);
}

void read_recheck_interval(Reader& reader, const Field& field, Document& document) {
    read_interval(reader, field, document.recheck_interval,
                  document.config.daemon.recheck_interval);
}

void read_confirmations(Reader& reader, const Field& field, Document& document) {
    if (auto value =
            reader.read_int(field, 1, k_max_confirmations,
                            "an integer from 1 to " + std::to_string(k_max_confirmations))) {
        document.config.policy.confirmations = *value;
    }
}

void read_pending_timeout(Reader& reader, const Field& field, Document& document) {
    read_positive_duration(reader, field, nullptr, document.config.policy.pending_timeout);
}

void read_revocation_window(Reader& reader, const Field& field, Document& document) {
    read_positive_duration(reader, field, &document.revocation_window,
                           document.config.policy.revocation_window);
}

// Any duration: parse_duration never gives a negative one, which is all policy_error() forbids.
// 0s raises monitoring_blind once a run of indeterminate checks spans any time at all.
void read_blind_after(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        document.config.policy.blind_after = *value;
    }
}

// Distinct durations more than zero, in any order; [] means no reminders. The comparison with
// revocation_window is in check_across_keys().
void read_reminders(Reader& reader, const Field& field, Document& document) {
    document.reminders.emplace(field);
    if (!field.value.IsSequence()) {
        reader.error_at(field, "reminders must be a sequence of durations such as [48h, 24h, 6h, "
                               "1h] ([] for none), got " +
                                   describe(field.value));
        return;
    }
    std::vector<std::pair<Field, Milliseconds>> items; // the valid ones
    std::vector<std::size_t> indexes;                  // of `items` in the sequence
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field item{"reminders[" + std::to_string(index) + "]", YAML::Node(), *it};
        auto value = reader.read_duration(item);
        if (!value) {
            continue;
        }
        if (*value <= Milliseconds::zero()) {
            reader.error_at(item, item.path + " must be more than 0s, got " + item.value.Scalar());
            continue;
        }
        const auto same = std::find_if(items.begin(), items.end(),
                                       [&](const auto& seen) { return seen.second == *value; });
        if (same != items.end()) {
            const auto first = static_cast<std::size_t>(same - items.begin());
            const std::string& first_text = same->first.value.Scalar();
            reader.error_at(
                item, item.path + ": " + item.value.Scalar() +
                          " is listed twice (first as reminders[" + std::to_string(indexes[first]) +
                          "]" + (first_text == item.value.Scalar() ? "" : ", " + first_text) + ")");
            continue;
        }
        items.emplace_back(item, *value);
        indexes.push_back(index);
    }
    document.config.policy.reminders.clear();
    for (const auto& [item, value] : items) {
        document.config.policy.reminders.push_back(value);
    }
    document.reminder_items = std::move(items);
}

void read_state_dir(Reader& reader, const Field& field, Document& document) {
    auto text = reader.read_string(field, "a directory such as /var/lib/dkimwatch");
    if (!text) {
        return;
    }
    if (text->find('\0') != std::string::npos) {
        reader.error_at(field, "state_dir must not contain a NUL character");
        return;
    }
    const std::filesystem::path written(*text);
    std::filesystem::path resolved =
        (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
    if (!resolved.has_filename() && resolved.has_relative_path()) {
        resolved = resolved.parent_path(); // "/var/lib/dkimwatch/" -> "/var/lib/dkimwatch"
    }
    document.config.daemon.state_dir = resolved.string();
}

// "IPv4:port" (port 0..65535) returned canonical, e.g. "127.0.0.1:9797"; the error is the
// reason it is not. The exposer's civetweb is built without IPv6, and a host name would have to
// be resolved at startup, so neither is accepted.
Result<std::string> parse_listen_address(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (text.starts_with('[') || (colon != std::string_view::npos && text.find(':') != colon)) {
        return Error{"IPv6 is not supported: the bundled civetweb is built without it"};
    }
    const bool all_digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
    if (colon == 0 || (colon == std::string_view::npos && all_digits)) {
        const std::string_view port = colon == 0 ? text.substr(1) : text;
        return Error{"the host is missing; 0.0.0.0:" + std::string(port) +
                     " listens on all interfaces"};
    }
    const std::string host(text.substr(0, colon)); // all of it when there is no colon
    in_addr address{};
    if (inet_pton(AF_INET, host.c_str(), &address) != 1) {
        const bool has_letter = std::any_of(host.begin(), host.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
        if (has_letter) {
            return Error{"host names are not resolved"};
        }
        return Error{quote(host) + " is not an IPv4 address"};
    }
    if (colon == std::string_view::npos || colon + 1 == text.size()) {
        return Error{"the port is missing"};
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned long port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (end != port_text.data() + port_text.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        return Error{"the port " + quote(port_text) + " is not a number"};
    }
    constexpr unsigned long k_max_port = 65535;
    if (ec == std::errc::result_out_of_range || port > k_max_port) {
        return Error{"port " + std::string(port_text) +
                     " is out of range: ports are 0 to 65535, 0 picks a free port"};
    }
    char canonical[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address, canonical, sizeof canonical);
    return std::string(canonical) + ":" + std::to_string(port);
}

void read_metrics_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 1> k_keys{"listen"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "metrics must be a mapping with the key " + join(k_keys) +
                                     ", got " + describe(section.value));
        return;
    }
    reader.visit_mapping(
        section.value, "metrics", k_keys, "metrics.", [&](std::string_view, const Field& field) {
            const std::string expected = "IPv4:port, e.g. 127.0.0.1:9797";
            auto text = reader.read_string(field, expected);
            if (!text) {
                return;
            }
            auto listen = parse_listen_address(*text);
            if (!listen) {
                reader.error_at(field, field.path + " " + quote(*text) + " must be " + expected +
                                           " (" + listen.error() + ")");
                return;
            }
            document.config.daemon.metrics_listen = *listen;
        });
}

// Defaults that give way to another key, so that a short check_interval or revocation_window
// written alone is valid: an absent recheck_interval is at most check_interval, and when
// reminders is absent the default reminders not shorter than revocation_window are dropped.
void apply_dependent_defaults(Document& document) {
    DaemonSettings& daemon = document.config.daemon;
    if (!document.recheck_interval.field && document.check_interval.valid) {
        daemon.recheck_interval = std::min(daemon.recheck_interval, daemon.check_interval);
    }
    StateMachinePolicy& policy = document.config.policy;
    if (!document.reminders && document.revocation_window.valid) {
        std::erase_if(policy.reminders,
                      [&](Milliseconds reminder) { return reminder >= policy.revocation_window; });
    }
}

// The rules that involve two keys, checked when both values are valid on their own (or
// default); the error points at the key that depends on the other.
void check_across_keys(Reader& reader, const Document& document) {
    const DaemonSettings& daemon = document.config.daemon;
    const bool check_interval_usable =
        document.check_interval.valid || !document.check_interval.field;
    if (document.recheck_interval.valid && check_interval_usable &&
        daemon.recheck_interval > daemon.check_interval) {
        reader.error_at(*document.recheck_interval.field,
                        "recheck_interval (" +
                            shown_value(document.recheck_interval, daemon.recheck_interval) +
                            ") must not be longer than check_interval (" +
                            shown_value(document.check_interval, daemon.check_interval) + ")");
    }
    const StateMachinePolicy& policy = document.config.policy;
    if (document.revocation_window.valid || !document.revocation_window.field) {
        for (const auto& [item, reminder] : document.reminder_items) {
            if (reminder >= policy.revocation_window) {
                reader.error_at(
                    item, item.path + ": " + item.value.Scalar() +
                              " is not shorter than revocation_window (" +
                              shown_value(document.revocation_window, policy.revocation_window) +
                              ")");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// alerts, group_threshold, group_wait, group_interval, max_retry_age. Secrets (URLs, HMAC keys,
// routing keys: file contents and environment values) never reach a message: messages name the
// key, the file or the environment variable, never what they hold.

// A file holding a URL, an HMAC key or a routing key is a line; anything bigger is a mistake.
constexpr std::size_t k_max_sink_name_length = 64;
constexpr Milliseconds k_min_resend_interval = std::chrono::seconds{1};
constexpr Milliseconds k_min_retry_age = std::chrono::seconds{1};
// A PagerDuty group's dedup_key and Slack's rate limit both have a resolution of a second.
constexpr Milliseconds k_min_group_interval = std::chrono::seconds{1};
constexpr const char* k_pagerduty_events_url = "https://events.pagerduty.com/v2/enqueue";

using SinkType = AlertSinkConfig::Type;

constexpr std::array<SinkType, 4> k_sink_types{SinkType::slack, SinkType::webhook,
                                               SinkType::alertmanager, SinkType::pagerduty};

// Every key of a sink, in the order messages list them.
constexpr std::array<std::string_view, 11> k_sink_keys{"name",
                                                       "type",
                                                       "url",
                                                       "url_file",
                                                       "url_env",
                                                       "secret_file",
                                                       "secret_env",
                                                       "routing_key_file",
                                                       "routing_key_env",
                                                       "min_severity",
                                                       "resend_interval"};

// The keys a sink of `type` accepts.
Keys sink_keys(SinkType type) {
    static constexpr std::array<std::string_view, 6> k_slack{"name",     "type",    "url",
                                                             "url_file", "url_env", "min_severity"};
    static constexpr std::array<std::string_view, 8> k_webhook{
        "name", "type", "url", "url_file", "url_env", "secret_file", "secret_env", "min_severity"};
    static constexpr std::array<std::string_view, 7> k_alertmanager{
        "name", "type", "url", "url_file", "url_env", "min_severity", "resend_interval"};
    static constexpr std::array<std::string_view, 6> k_pagerduty{
        "name", "type", "url", "routing_key_file", "routing_key_env", "min_severity"};
    switch (type) {
    case SinkType::slack:
        return k_slack;
    case SinkType::webhook:
        return k_webhook;
    case SinkType::alertmanager:
        return k_alertmanager;
    case SinkType::pagerduty:
        return k_pagerduty;
    }
    return k_sink_keys;
}

bool contains(Keys keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += i + 1 == items.size() ? " and " : ", ";
        }
        out += items[i];
    }
    return out;
}

// "webhook", "slack, webhook and alertmanager": the types that accept `key`.
std::string types_accepting(std::string_view key) {
    std::vector<std::string> names;
    for (SinkType type : k_sink_types) {
        if (contains(sink_keys(type), key)) {
            names.emplace_back(alert_sink_type_name(type));
        }
    }
    return join_and(names);
}

std::optional<SinkType> parse_sink_type(std::string_view text) {
    for (SinkType type : k_sink_types) {
        if (text == alert_sink_type_name(type)) {
            return type;
        }
    }
    return std::nullopt;
}

// info, warning or critical; `resolved` is not a threshold.
std::optional<EventSeverity> parse_min_severity(std::string_view text) {
    for (EventSeverity severity :
         {EventSeverity::info, EventSeverity::warning, EventSeverity::critical}) {
        if (text == event_severity_name(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

bool is_ascii_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9_-]{1,64}
bool is_sink_name(std::string_view name) {
    return !name.empty() && name.size() <= k_max_sink_name_length &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_ascii_letter_or_digit(c) || c == '_' || c == '-'; });
}

// [A-Za-z_][A-Za-z0-9_]*
bool is_env_name(std::string_view name) {
    return !name.empty() && !(name.front() >= '0' && name.front() <= '9') &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_ascii_letter_or_digit(c) || c == '_'; });
}

bool is_space_or_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
}

bool has_space_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), is_space_or_control);
}

// Drops trailing spaces, tabs and line ends (a file usually ends with a newline).
void strip_trailing_space(std::string& text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.pop_back();
    }
}

// Why `url` is not an http:// or https:// URL with a host; nullopt when it is one. The authority
// is split as url_display() splits it, so that a valid URL always has a display form. The
// reason never quotes any part of the URL.
std::optional<std::string> invalid_url_reason(std::string_view url) {
    if (has_space_or_control(url)) {
        return "it contains a space or control character";
    }
    const std::size_t scheme_end = url.find("://");
    std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (scheme != "http" && scheme != "https") {
        return "it does not start with http:// or https://";
    }
    const std::size_t authority_start = scheme_end + 3;
    const std::size_t authority_end =
        std::min(url.find_first_of("/?#\\", authority_start), url.size());
    std::string_view authority = url.substr(authority_start, authority_end - authority_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1); // userinfo
    }
    std::string_view host = authority;
    std::optional<std::string_view> port;
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        return "the host is missing";
    }
    bool host_valid = false;
    if (host.front() == '[') {
        host_valid =
            host.size() >= 3 && host.back() == ']' &&
            std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
            });
    } else {
        host_valid = std::all_of(host.begin(), host.end(), [](char c) {
            return is_ascii_letter_or_digit(c) || c == '-' || c == '.' || c == '_';
        });
    }
    if (!host_valid) {
        return "the host is not a name, an IPv4 address or a bracketed IPv6 address";
    }
    if (port) {
        constexpr unsigned long k_max_port = 65535;
        unsigned long number = 0;
        const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), number);
        if (port->empty() || end != port->data() + port->size() || ec != std::errc() ||
            number == 0 || number > k_max_port) {
            return "the port is not a number from 1 to 65535";
        }
    }
    return std::nullopt;
}

// A secret as read, and how messages name where it came from: "alerts[0].url",
// "alerts[0].url_file \"slack-url\" (/etc/dkimwatch/slack-url)", "alerts[0].url_env SLACK_URL".
struct Secret {
    std::string value;
    std::string subject;
    bool written_inline = false; // the value is in the configuration itself
};

// Reads the secret under `field`, whose key is `key`: the value itself (url), the content of the
// file it names (a key ending in _file; relative paths against the configuration's directory),
// or the value of the environment variable it names (a key ending in _env). Trailing whitespace
// is stripped; an unreadable or empty source is an error. `what` names the secret ("the URL").
std::optional<Secret> read_secret(Reader& reader, const Field& field, std::string_view key,
                                  const std::string& what) {
    if (key.ends_with("_file")) {
        auto text = reader.read_string(field, "the path of a file holding " + what);
        if (!text) {
            return std::nullopt;
        }
        if (text->find("://") != std::string::npos) {
            // A URL pasted here would otherwise be shown as the path of a missing file.
            reader.error_at(field, field.path + " must be the path of a file holding " + what +
                                       ", got a URL (not shown)");
            return std::nullopt;
        }
        if (text->find('\0') != std::string::npos) {
            reader.error_at(field, field.path + " must not contain a NUL character");
            return std::nullopt;
        }
        const std::filesystem::path written(*text);
        const std::filesystem::path resolved =
            (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
        std::string subject = field.path + " " + quote(*text);
        if (!written.is_absolute()) {
            subject += " (" + resolved.string() + ")";
        }
        auto content = read_bounded_file(resolved, secret_file_limit());
        if (!content) {
            reader.error_at(field, subject + ": " + content.error().reason);
            return std::nullopt;
        }
        std::string value = std::move(content).value();
        const bool was_empty = value.empty();
        strip_trailing_space(value);
        if (value.empty()) {
            reader.error_at(field, subject + (was_empty ? ": the file is empty"
                                                        : ": the file holds only whitespace"));
            return std::nullopt;
        }
        return Secret{std::move(value), std::move(subject), false};
    }
    if (key.ends_with("_env")) {
        auto name =
            reader.read_string(field, "the name of an environment variable holding " + what);
        if (!name) {
            return std::nullopt;
        }
        if (!is_env_name(*name)) {
            reader.error_at(field, field.path +
                                       " must be the name of an environment variable (letters, "
                                       "digits and '_', not starting with a digit), got " +
                                       shown(*name));
            return std::nullopt;
        }
        std::string subject = field.path + " " + *name;
        const char* value = std::getenv(name->c_str());
        if (value == nullptr) {
            reader.error_at(field, subject + ": the environment variable is not set");
            return std::nullopt;
        }
        std::string content(value);
        strip_trailing_space(content);
        if (content.empty()) {
            reader.error_at(field,
                            subject + (*value == '\0' ? ": the environment variable is empty"
                                                      : ": the environment variable holds only "
                                                        "whitespace"));
            return std::nullopt;
        }
        return Secret{std::move(content), std::move(subject), false};
    }
    auto text = reader.read_string(field, "an http:// or https:// URL with a host");
    if (!text) {
        return std::nullopt;
    }
    return Secret{std::move(*text), field.path, true};
}

// An http:// or https:// URL from url, url_file or url_env (`key`).
std::optional<std::string> read_url(Reader& reader, const Field& field, std::string_view key) {
    auto url = read_secret(reader, field, key, "the URL");
    if (!url) {
        return std::nullopt;
    }
    if (auto reason = invalid_url_reason(url->value)) {
        reader.error_at(field, url->subject + (url->written_inline ? " must be" : " must hold") +
                                   " an http:// or https:// URL with a host (" + *reason + ")");
        return std::nullopt;
    }
    return std::move(url->value);
}

// What a sink mapping held. The lists of alternative keys keep file order.
struct SinkFields {
    std::optional<Field> name, type, min_severity, resend_interval;
    std::vector<std::pair<std::string, Field>> urls;         // url, url_file, url_env
    std::vector<std::pair<std::string, Field>> secrets;      // secret_file, secret_env
    std::vector<std::pair<std::string, Field>> routing_keys; // routing_key_file, routing_key_env
};

// The type written in the sink mapping `node` if it is a valid one, read ahead so that the other
// keys can be checked against it (the type's own errors come when it is read in turn).
std::optional<SinkType> peek_sink_type(const YAML::Node& node) {
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "type") {
            return it->second.IsScalar() ? parse_sink_type(it->second.Scalar()) : std::nullopt;
        }
    }
    return std::nullopt;
}

// The one key of `written` (alternatives out of `choices`), or null after reporting none (when
// `required`) or more than one.
const std::pair<std::string, Field>*
one_of(Reader& reader, const Field& item, const std::string& sink_label,
       const std::vector<std::pair<std::string, Field>>& written, Keys choices, bool required) {
    const std::string message = sink_label +
                                (required ? " needs exactly one of " : " takes at most one of ") +
                                join(choices) + ", got ";
    if (written.empty()) {
        if (required) {
            reader.error_at(item, message + "none");
        }
        return nullptr;
    }
    if (written.size() > 1) {
        std::string names;
        for (const auto& [name, field] : written) {
            names += (names.empty() ? "" : " and ") + name;
        }
        reader.error_at_key(written[1].second, message + names);
        return nullptr;
    }
    return &written.front();
}

// Reads the url, secret or routing key sources of a sink whose type is known.
void read_sink_sources(Reader& reader, const Field& item, const std::string& sink_label,
                       const SinkFields& fields, AlertSinkConfig& sink) {
    static constexpr std::array<std::string_view, 3> k_url_keys{"url", "url_file", "url_env"};
    static constexpr std::array<std::string_view, 2> k_secret_keys{"secret_file", "secret_env"};
    static constexpr std::array<std::string_view, 2> k_routing_key_keys{"routing_key_file",
                                                                        "routing_key_env"};
    if (sink.type == SinkType::pagerduty) {
        sink.url = k_pagerduty_events_url;
        if (!fields.urls.empty()) { // only url: the others are not pagerduty keys
            if (auto url =
                    read_url(reader, fields.urls.front().second, fields.urls.front().first)) {
                sink.url = std::move(*url);
            }
        }
        if (const auto* source =
                one_of(reader, item, sink_label, fields.routing_keys, k_routing_key_keys, true)) {
            if (auto key = read_secret(reader, source->second, source->first, "the routing key")) {
                if (has_space_or_control(key->value)) {
                    reader.error_at(source->second, key->subject +
                                                        " must hold the routing key on one line, "
                                                        "without spaces or control characters");
                } else {
                    sink.routing_key = std::move(key->value);
                }
            }
        }
        return;
    }
    if (const auto* source = one_of(reader, item, sink_label, fields.urls, k_url_keys, true)) {
        if (auto url = read_url(reader, source->second, source->first)) {
            sink.url = std::move(*url);
        }
    }
    if (sink.type == SinkType::webhook) {
        if (const auto* source =
                one_of(reader, item, sink_label, fields.secrets, k_secret_keys, false)) {
            if (auto secret = read_secret(reader, source->second, source->first, "the HMAC key")) {
                sink.secret = std::move(secret->value);
            }
        }
    }
}

// One item of alerts. `name_lines` maps the names of the sinks read so far to their lines.
std::optional<AlertSinkConfig> read_sink(Reader& reader, const Field& item,
                                         std::map<std::string, int, std::less<>>& name_lines) {
    if (!item.value.IsMap()) {
        reader.error_at(item, item.path +
                                  " must be a mapping with name, type and the keys of its type, "
                                  "got " +
                                  describe(item.value));
        return std::nullopt;
    }
    const std::size_t errors_before = reader.error_count();
    const std::optional<SinkType> peeked = peek_sink_type(item.value);
    const Keys allowed = peeked ? sink_keys(*peeked) : Keys(k_sink_keys);
    const std::string type_name = peeked ? alert_sink_type_name(*peeked) : "";
    const std::string where = peeked ? type_name + " sink " + item.path : item.path;
    SinkFields fields;
    reader.visit_mapping(item.value, where, k_sink_keys, allowed, item.path + ".",
                         [&](std::string_view key, const Field& field) {
                             if (!contains(allowed, key)) {
                                 reader.error_at_key(
                                     field, field.path + " is not valid for type " + type_name +
                                                ": " + std::string(key) + " is for " +
                                                types_accepting(key) + " only (allowed for " +
                                                type_name + ": " + join(allowed) + ")");
                             } else if (key == "name") {
                                 fields.name.emplace(field);
                             } else if (key == "type") {
                                 fields.type.emplace(field);
                             } else if (key == "min_severity") {
                                 fields.min_severity.emplace(field);
                             } else if (key == "resend_interval") {
                                 fields.resend_interval.emplace(field);
                             } else if (key.starts_with("url")) {
                                 fields.urls.emplace_back(std::string(key), field);
                             } else if (key.starts_with("secret")) {
                                 fields.secrets.emplace_back(std::string(key), field);
                             } else {
                                 fields.routing_keys.emplace_back(std::string(key), field);
                             }
                         });

    AlertSinkConfig sink;
    std::string sink_label = item.path; // "alert sink NAME" once the name is known
    const std::string name_rule = "1 to 64 letters, digits, '-' or '_'";
    if (!fields.name) {
        reader.error_at(item,
                        item.path + " is missing \"name\" (a unique name of " + name_rule + ")");
    } else if (auto name = reader.read_string(*fields.name, "a name of " + name_rule)) {
        if (!is_sink_name(*name)) {
            reader.error_at(*fields.name, fields.name->path + " must be a name of " + name_rule +
                                              ", got " + shown(*name));
        } else {
            const int line = fields.name->value.Mark().line + 1;
            const auto [seen, inserted] = name_lines.emplace(*name, line);
            if (!inserted) {
                reader.error_at(*fields.name, "duplicate alert sink name " + quote(*name) +
                                                  "; first defined at line " +
                                                  std::to_string(seen->second));
            }
            sink.name = *name;
            sink_label = "alert sink " + *name;
        }
    }

    std::vector<std::string> type_names;
    for (SinkType type : k_sink_types) {
        type_names.emplace_back(alert_sink_type_name(type));
    }
    const std::string types_expected = "one of " + join_and(type_names);
    std::optional<SinkType> type;
    if (!fields.type) {
        reader.error_at(item, sink_label + " is missing \"type\" (" + types_expected + ")");
    } else if (auto text = reader.read_string(*fields.type, types_expected)) {
        type = parse_sink_type(*text);
        if (!type) {
            reader.error_at(*fields.type, fields.type->path + " must be " + types_expected +
                                              ", got " + shown(*text));
        }
    }

    if (fields.min_severity) {
        const std::string expected = "one of info, warning and critical";
        if (auto text = reader.read_string(*fields.min_severity, expected)) {
            if (auto severity = parse_min_severity(*text)) {
                sink.min_severity = *severity;
            } else {
                reader.error_at(*fields.min_severity, fields.min_severity->path + " must be " +
                                                          expected + ", got " + shown(*text));
            }
        }
    }
    if (fields.resend_interval) {
        if (auto interval = reader.read_duration(*fields.resend_interval)) {
            if (*interval < k_min_resend_interval) {
                reader.error_at(*fields.resend_interval,
                                fields.resend_interval->path + " must be at least " +
                                    format_duration(k_min_resend_interval) + ", got " +
                                    fields.resend_interval->value.Scalar());
            } else {
                sink.resend_interval = *interval;
            }
        }
    }

    if (type) {
        sink.type = *type;
        read_sink_sources(reader, item, sink_label, fields, sink);
        sink.display = url_display(sink.url);
    }
    if (reader.error_count() != errors_before) {
        return std::nullopt;
    }
    return sink;
}

void read_alerts_section(Reader& reader, const Field& section, Document& document) {
    if (!section.value.IsSequence()) {
        reader.error_at(section, "alerts must be a sequence of alert sinks (each a mapping with "
                                 "name, type and the keys of its type; [] for none), got " +
                                     describe(section.value));
        return;
    }
    std::map<std::string, int, std::less<>> name_lines;
    std::size_t index = 0;
    for (auto it = section.value.begin(); it != section.value.end(); ++it, ++index) {
        const Field item{"alerts[" + std::to_string(index) + "]", YAML::Node(), *it};
        if (auto sink = read_sink(reader, item, name_lines)) {
            document.config.alerts.sinks.push_back(std::move(*sink));
        }
    }
}

void read_group_threshold(Reader& reader, const Field& field, Document& document) {
    if (auto value =
            reader.read_int(field, 1, std::numeric_limits<int>::max(), "an integer >= 1")) {
        document.config.alerts.group_threshold = static_cast<std::size_t>(*value);
    }
}

void read_group_wait(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        document.config.alerts.group_wait = *value;
    }
}

void read_group_interval(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        if (*value < k_min_group_interval) {
            reader.error_at(field, field.path + " must be at least " +
                                       format_duration(k_min_group_interval) + ", got " +
                                       field.value.Scalar());
            return;
        }
        document.config.alerts.group_interval = *value;
    }
}

void read_max_retry_age(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        if (*value < k_min_retry_age) {
            reader.error_at(field, field.path + " must be at least " +
                                       format_duration(k_min_retry_age) + ", got " +
                                       field.value.Scalar());
            return;
        }
        document.config.alerts.max_retry_age = *value;
    }
}

// ---------------------------------------------------------------------------------------------
// The top level. A new section is one reader function and one row here.

using SectionReader = void (*)(Reader&, const Field&, Document&);

struct Section {
    std::string_view key;
    SectionReader read;
};

constexpr std::array<Section, 17> k_sections{{
    {"dns", read_dns_section},
    {"identities", read_identities_section},
    {"identities_file", read_identities_file},
    {"check_interval", read_check_interval},
    {"recheck_interval", read_recheck_interval},
    {"confirmations", read_confirmations},
    {"pending_timeout", read_pending_timeout},
    {"revocation_window", read_revocation_window},
    {"blind_after", read_blind_after},
    {"reminders", read_reminders},
    {"state_dir", read_state_dir},
    {"metrics", read_metrics_section},
    {"alerts", read_alerts_section},
    {"group_threshold", read_group_threshold},
    {"group_wait", read_group_wait},
    {"group_interval", read_group_interval},
    {"max_retry_age", read_max_retry_age},
}};

constexpr std::array<std::string_view, k_sections.size()> k_section_keys = [] {
    std::array<std::string_view, k_sections.size()> keys{};
    for (std::size_t i = 0; i < k_sections.size(); ++i) {
        keys[i] = k_sections[i].key;
    }
    return keys;
}();

void read_document(Reader& reader, const YAML::Node& root, Document& document) {
    if (!root.IsMap()) {
        reader.error_at(root, "the top level must be a mapping with the keys " +
                                  join(k_section_keys) + ", got " + describe(root));
        return;
    }
    bool has_identities = false;
    reader.visit_mapping(
        root, "", k_section_keys, "", [&](std::string_view name, const Field& field) {
            for (const Section& section : k_sections) {
                if (section.key == name) {
                    section.read(reader, field, document);
                }
            }
            has_identities = has_identities || name == "identities" || name == "identities_file";
        });
    if (!has_identities) {
        reader.file_error(
            "no identities configured (add an identities: list or an identities_file:)");
    }
    apply_dependent_defaults(document);
    check_across_keys(reader, document);
}

// Records where documents start; ignores their content.
class DocumentStarts : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> marks;

    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// Where a second YAML document starts, if the text has one. Throws YAML::ParserException for
// syntax errors. yaml-cpp 0.7's LoadAll() loops forever, allocating, on some malformed streams
// (a lone ","; fixed upstream by jbeder/yaml-cpp#1319): documents are therefore parsed one at a
// time, at most two, and a parser that does not advance is reported as a syntax error.
std::optional<YAML::Mark> find_second_document(std::string_view text) {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentStarts starts;
    for (int document = 0; document < 2 && parser.HandleNextDocument(starts); ++document) {
    }
    if (starts.marks.size() < 2) {
        return std::nullopt;
    }
    const YAML::Mark& first = starts.marks[0];
    const YAML::Mark& second = starts.marks[1];
    if (second.pos == first.pos) {
        const auto pos = static_cast<std::size_t>(std::max(second.pos, 0));
        const std::string near =
            pos < text.size() ? " near " + quote(text.substr(pos, 1)) : std::string();
        throw YAML::ParserException(second, "the text does not parse as YAML" + near);
    }
    return second;
}

} // namespace

ConfigLoadResult load_config_text(std::string_view text, const std::string& display_name,
                                  const std::filesystem::path& base_dir) {
    std::error_code ec;
    std::filesystem::path absolute_base = base_dir.empty()
                                              ? std::filesystem::current_path(ec)
                                              : std::filesystem::absolute(base_dir, ec);
    if (ec) {
        absolute_base = base_dir;
    }
    Reader reader(display_name, absolute_base.lexically_normal());
    Document document;
    document.config.source_path = display_name;

    YAML::Node root;
    try {
        const auto second_document = find_second_document(text);
        if (second_document) {
            reader.error_at(*second_document, "a second YAML document starts here; the "
                                              "configuration is one document");
        }
        root = YAML::Load(std::string(text));
    } catch (const YAML::DeepRecursion& error) {
        // yaml-cpp 0.7 gives this one the message "bad file".
        reader.error_at(error.mark, "YAML syntax error: nested too deeply");
        return reader.take_errors();
    } catch (const YAML::Exception& error) {
        reader.error_at(error.mark, "YAML syntax error: " + error.msg);
        return reader.take_errors();
    }
    if (root.IsNull()) {
        reader.file_error("no identities configured (the file is empty or only comments)");
        return reader.take_errors();
    }
    try {
        read_document(reader, root, document);
    } catch (const YAML::Exception& error) {
        // Not expected: the readers check node types before use.
        reader.error_at(error.mark, "cannot read the configuration: " + error.msg);
    }
    if (reader.has_errors()) {
        return reader.take_errors();
    }
    document.config.warnings = reader.take_warnings();
    return std::move(document.config);
}

ConfigLoadResult load_config_file(const std::filesystem::path& path) {
    auto text = read_bounded_file(path, config_file_limit());
    if (!text) {
        std::string reason = text.error().reason;
        if (text.error().kind == FileReadFailure::too_large) {
            reason += " (yaml-cpp needs about 60 times a file's size in memory); list a large "
                      "inventory in identities_file, one line per identity, which has no such "
                      "cost";
        }
        return std::vector<ConfigError>{ConfigError{path.string(), 0, 0, std::move(reason)}};
    }
    auto loaded = load_config_text(*text, path.string(), path.parent_path());
    if (auto* config = std::get_if<Config>(&loaded)) {
        config->source_path = path.string();
    }
    return loaded;
}

std::optional<Config> load_config_or_report(const std::filesystem::path& path,
                                            std::ostream& errors) {
    auto loaded = load_config_file(path);
    if (auto* found = std::get_if<std::vector<ConfigError>>(&loaded)) {
        for (const auto& error : *found) {
            errors << error.to_string() << "\n";
        }
        return std::nullopt;
    }
    return std::move(std::get<Config>(loaded));
}

} // namespace dkimwatch
