#include "config/identities_csv.hpp"

#include "config/file_limits.hpp"
#include "core/dns_name.hpp"
#include "core/public_key.hpp"
#include "core/region_table.hpp"
#include "core/selector.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>

namespace dkimwatch {
namespace {

struct CsvField {
    std::string_view text; // trimmed
    int column = 1;        // 1-based column of the field's first character
};

std::string_view trim(std::string_view text, int& column) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
        ++column;
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

std::vector<CsvField> split_fields(std::string_view line) {
    std::vector<CsvField> fields;
    int column = 1;
    while (true) {
        const auto comma = line.find(',');
        const std::string_view raw = line.substr(0, comma);
        int field_column = column;
        const std::string_view text = trim(raw, field_column);
        fields.push_back({text, field_column});
        if (comma == std::string_view::npos) {
            break;
        }
        column += static_cast<int>(comma) + 1;
        line.remove_prefix(comma + 1);
    }
    return fields;
}

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start < text.size()) {
        while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) {
            ++start;
        }
        std::size_t end = start;
        while (end < text.size() && text[end] != ' ' && text[end] != '\t') {
            ++end;
        }
        if (end > start) {
            words.push_back(text.substr(start, end - start));
        }
        start = end;
    }
    return words;
}

class LineParser {
public:
    LineParser(const std::string& display_name, const std::filesystem::path& base_dir,
               std::vector<ConfigError>& errors, std::vector<ConfigError>& warnings)
        : m_display_name(display_name), m_base_dir(base_dir), m_errors(errors),
          m_warnings(warnings) {}

    // Parses one non-comment line; nullopt (with errors recorded) when it is not valid.
    std::optional<Identity> parse(std::string_view line, int line_number) {
        m_line = line_number;
        const std::size_t errors_before = m_errors.size();
        const auto fields = split_fields(line);
        if (fields.size() < 5) {
            error(1, "expected domain,account,region,easy_dkim|byodkim,... (at least 5 fields), "
                     "got " +
                         std::to_string(fields.size()));
            return std::nullopt;
        }
        Identity identity;
        if (auto reason = invalid_domain_reason(fields[0].text)) {
            error(fields[0].column, "domain \"" + std::string(fields[0].text) + "\" " + *reason);
        } else {
            identity.domain = canonical_name(fields[0].text);
        }
        if (fields[1].text.empty()) {
            error(fields[1].column, "account is empty: give the AWS account (any label)");
        }
        identity.account = std::string(fields[1].text);
        const RegionName region_kind = classify_region(fields[2].text);
        if (region_kind == RegionName::malformed) {
            error(fields[2].column, "region \"" + std::string(fields[2].text) +
                                        "\" is not an AWS region name such as us-east-1");
        } else if (region_kind == RegionName::unknown) {
            m_warnings.push_back(
                {m_display_name, m_line, fields[2].column, unknown_region_warning(fields[2].text)});
        }
        identity.region = std::string(fields[2].text);

        const std::string_view method = fields[3].text;
        if (method == "easy_dkim") {
            parse_easy_dkim(fields, identity);
        } else if (method == "byodkim") {
            parse_byodkim(fields, identity);
        } else {
            error(fields[3].column,
                  "method \"" + std::string(method) + "\" is neither easy_dkim nor byodkim");
        }
        if (m_errors.size() != errors_before) {
            return std::nullopt;
        }
        return identity;
    }

private:
    void error(int column, std::string message) {
        m_errors.push_back({m_display_name, m_line, column, std::move(message)});
    }

    void parse_easy_dkim(const std::vector<CsvField>& fields, Identity& identity) {
        if (fields.size() > 6) {
            error(fields[6].column, "easy_dkim lines have 5 or 6 fields (tokens, then optionally "
                                    "the signing hosted zone), got " +
                                        std::to_string(fields.size()));
            return;
        }
        EasyDkim easy;
        easy.signing_hosted_zone = default_signing_hosted_zone(identity.region);
        if (fields.size() == 6) {
            if (auto reason = invalid_domain_reason(fields[5].text)) {
                error(fields[5].column,
                      "signing hosted zone \"" + std::string(fields[5].text) + "\" " + *reason);
            } else {
                easy.signing_hosted_zone = canonical_name(fields[5].text);
                easy.hosted_zone_from_config = true;
            }
        }
        const auto tokens = split_words(fields[4].text);
        if (tokens.size() != easy.tokens.size()) {
            error(fields[4].column, "easy_dkim needs exactly 3 tokens separated by spaces, got " +
                                        std::to_string(tokens.size()));
            return;
        }
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (auto reason = invalid_label_reason(tokens[i])) {
                error(fields[4].column,
                      "token \"" + std::string(tokens[i]) + "\" is not a DNS label: " + *reason);
                return;
            }
            easy.tokens[i] = canonical_name(tokens[i]);
        }
        if (easy.tokens[0] == easy.tokens[1] || easy.tokens[0] == easy.tokens[2] ||
            easy.tokens[1] == easy.tokens[2]) {
            error(fields[4].column, "the 3 tokens must be distinct");
            return;
        }
        identity.method = std::move(easy);
    }

    void parse_byodkim(const std::vector<CsvField>& fields, Identity& identity) {
        if (fields.size() != 6) {
            error(fields.back().column, "byodkim lines have 6 fields (selector, then the key), "
                                        "got " +
                                            std::to_string(fields.size()));
            return;
        }
        Byodkim byo;
        if (auto reason = invalid_selector_reason(fields[4].text)) {
            error(fields[4].column, "selector \"" + std::string(fields[4].text) + "\" " + *reason);
            return;
        }
        byo.selector = canonical_name(fields[4].text);

        std::string_view key = fields[5].text;
        bool want_private = false;
        std::string content;
        if (key.starts_with("public_key_file:") || key.starts_with("private_key_file:")) {
            want_private = key.starts_with("private_key_file:");
            const std::string_view path_text = key.substr(key.find(':') + 1);
            const std::filesystem::path path =
                (m_base_dir / std::string(path_text)).lexically_normal();
            auto read = read_bounded_file(path, key_file_limit());
            if (!read) {
                error(fields[5].column, "key file " + path.string() + ": " + read.error().reason);
                return;
            }
            content = std::move(read).value();
            byo.key_source = std::string(want_private ? "private_key_file " : "public_key_file ") +
                             path.string();
        } else {
            content = std::string(key);
            byo.key_source = "public_key";
        }
        auto loaded = load_byodkim_key(content);
        if (!loaded) {
            error(fields[5].column, "key: " + loaded.error());
            return;
        }
        if (loaded->from_private_key != want_private) {
            error(fields[5].column,
                  std::string("key: ") + (want_private ? "a public key given as private_key_file"
                                                       : "a private key given where a public key "
                                                         "belongs; use private_key_file:PATH"));
            return;
        }
        byo.public_key_der = loaded->key.canonical_der;
        byo.key_bits = loaded->key.bits;
        identity.method = std::move(byo);
    }

    const std::string& m_display_name;
    const std::filesystem::path& m_base_dir;
    std::vector<ConfigError>& m_errors;
    std::vector<ConfigError>& m_warnings;
    int m_line = 0;
};

// Removes every identity whose (account, region, domain) appeared on an earlier line, with an
// error naming that line; errors end up in line order. Sorting indexes rather than building a
// map of key copies keeps the parse from scattering short-lived allocations between the
// identities' own (which would stay as holes in a daemon's heap).
void drop_duplicates(CsvIdentities& out, const std::string& display_name) {
    auto& identities = out.identities;
    std::vector<std::uint32_t> order(identities.size());
    for (std::size_t index = 0; index < order.size(); ++index) {
        order[index] = static_cast<std::uint32_t>(index);
    }
    const auto key_of = [&](std::uint32_t index) {
        const Identity& identity = identities[index].identity;
        return std::tie(identity.account, identity.region, identity.domain);
    };
    // Equal keys stay in line order (stable), so the first of a run is the original.
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return key_of(a) < key_of(b); });
    std::vector<bool> duplicate(identities.size(), false);
    bool any = false;
    for (std::size_t run = 0; run < order.size();) {
        std::size_t next = run + 1;
        while (next < order.size() && key_of(order[next]) == key_of(order[run])) {
            const CsvIdentity& entry = identities[order[next]];
            const Identity& identity = entry.identity;
            out.errors.push_back({display_name, entry.line, 1,
                                  "duplicate identity (account " + identity.account + ", region " +
                                      identity.region + ", domain " + identity.domain +
                                      "); first defined at line " +
                                      std::to_string(identities[order[run]].line)});
            duplicate[order[next]] = true;
            any = true;
            ++next;
        }
        run = next;
    }
    if (!any) {
        return;
    }
    std::size_t kept = 0;
    for (std::size_t index = 0; index < identities.size(); ++index) {
        if (!duplicate[index]) {
            identities[kept++] = std::move(identities[index]);
        }
    }
    identities.erase(identities.begin() + static_cast<std::ptrdiff_t>(kept), identities.end());
    std::stable_sort(out.errors.begin(), out.errors.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
}

} // namespace

CsvIdentities parse_identities_csv(std::string_view text, const std::string& display_name,
                                   const std::filesystem::path& base_dir) {
    CsvIdentities out;
    LineParser parser(display_name, base_dir, out.errors, out.warnings);
    // About one line per identity: reserving up front avoids copies of a growing vector.
    out.identities.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) +
                           1);
    int line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        int unused = 1;
        const std::string_view content = trim(line, unused);
        if (content.empty() || content.front() == '#') {
            continue;
        }
        auto identity = parser.parse(line, line_number);
        if (!identity) {
            continue;
        }
        out.identities.push_back({std::move(*identity), line_number});
    }
    drop_duplicates(out, display_name);
    return out;
}

} // namespace dkimwatch
