#pragma once
// What every section reader of the YAML configuration shares: the Field (a key and its value, with
// the path messages use), the Reader (collects errors and warnings with file:line:col, walks
// mappings strictly, reads strings, integers, durations and domain names) and the helpers that
// quote user text in messages. Internal to config/; the public entry point is config_loader.hpp.

#include "config/config.hpp"
#include "core/dns_name.hpp"
#include "core/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace dkimwatch::config_reading {

using Keys = std::span<const std::string_view>;

// The longest duration any configuration key accepts (ten years).
inline constexpr Milliseconds k_max_config_duration = std::chrono::hours{24 * 3650};
// The longest name dkimwatch queries (DNS names are at most 253 bytes in text form).
inline constexpr std::size_t k_max_dns_name_bytes = 253;
// The longest name of an alert sink or an SES account entry.
inline constexpr std::size_t k_max_config_name_length = 64;

// "a, b, c".
std::string join(Keys keys);

// A user-written text quoted for a message, shortened when long (a pasted key must not be
// repeated in full).
std::string quote(std::string_view text);

// A user-written text for a message, unless it looks like a URL: a Slack or PagerDuty URL is a
// secret, and may be pasted where it does not belong.
std::string shown(std::string_view text);

// What a node is, for "got ..." in messages.
std::string describe(const YAML::Node& node);

// A scalar written without quotes (a YAML number, for example).
bool is_plain_scalar(const YAML::Node& node);

bool is_ascii_letter_or_digit(char c);

// [A-Za-z0-9_-]{1,64}: the names of alert sinks and of SES account entries.
bool is_config_name(std::string_view name);

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

    // Where `mark` is, as a ConfigError without a message (line 0 when the mark is null).
    ConfigError position(const YAML::Mark& mark) const {
        ConfigError where{m_display_name, 0, 0, {}};
        if (!mark.is_null() && mark.line >= 0) {
            where.line = mark.line + 1;
            where.column = mark.column + 1;
        }
        return where;
    }
    // Values that are empty (a key with nothing after it) carry the position of whatever
    // follows them, so positions of them are their key's instead.
    ConfigError position(const Field& field) const {
        const bool value_has_position =
            field.value.IsDefined() && !field.value.IsNull() && !field.value.Mark().is_null();
        if (value_has_position || !field.key.IsDefined() || field.key.Mark().is_null()) {
            return position(field.value.Mark());
        }
        return position(field.key.Mark());
    }
    ConfigError key_position(const Field& field) const {
        if (field.key.IsDefined() && !field.key.Mark().is_null()) {
            return position(field.key.Mark());
        }
        return position(field);
    }

    void error_at(const YAML::Mark& mark, std::string message) {
        add_error(position(mark), std::move(message));
    }
    void error_at(const YAML::Node& node, std::string message) {
        error_at(node.Mark(), std::move(message));
    }
    void error_at(const Field& field, std::string message) {
        add_error(position(field), std::move(message));
    }
    void error_at_key(const Field& field, std::string message) {
        add_error(key_position(field), std::move(message));
    }
    void add_error(ConfigError where, std::string message) {
        where.message = std::move(message);
        m_errors.push_back(std::move(where));
    }
    // An error with its own position (the identities file, the identity validator).
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

} // namespace dkimwatch::config_reading
