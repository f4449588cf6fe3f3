#include "config/identities_csv.hpp"

#include "config/file_limits.hpp"
#include "config/identity_validator.hpp"

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

    // Parses one non-comment line; nullopt (with errors recorded) when it is not valid. The
    // values are checked by the identity validator, as the YAML's are.
    std::optional<Identity> parse(std::string_view line, int line_number) {
        m_line = line_number;
        const auto fields = split_fields(line);
        if (fields.size() < 5) {
            error(1, "expected domain,account,region,easy_dkim|byodkim,... (at least 5 fields), "
                     "got " +
                         std::to_string(fields.size()));
            return std::nullopt;
        }
        RawIdentity raw;
        raw.source = IdentitySource::identities_file;
        raw.domain = raw_field(fields[0]);
        raw.account = raw_field(fields[1]);
        raw.region = raw_field(fields[2]);
        bool shape_ok = true;
        const std::string_view method = fields[3].text;
        if (method == "easy_dkim") {
            shape_ok = read_easy_dkim(fields, raw);
        } else if (method == "byodkim") {
            shape_ok = read_byodkim(fields, raw);
        } else {
            error(fields[3].column,
                  "method \"" + std::string(method) + "\" is neither easy_dkim nor byodkim");
            shape_ok = false;
        }
        IdentityCheck check = validate_identity(raw);
        for (ConfigError& warning : check.warnings) {
            m_warnings.push_back(std::move(warning));
        }
        for (ConfigError& error : check.errors) {
            m_errors.push_back(std::move(error));
        }
        if (!shape_ok || !check.complete) {
            return std::nullopt;
        }
        return std::move(check.identity);
    }

private:
    void error(int column, std::string message) {
        m_errors.push_back({m_display_name, m_line, column, std::move(message)});
    }

    RawField raw_field(const CsvField& field) const {
        return RawField{std::string(field.text), {m_display_name, m_line, field.column, {}}};
    }

    // False after reporting a line of the wrong shape.
    bool read_easy_dkim(const std::vector<CsvField>& fields, RawIdentity& raw) {
        if (fields.size() > 6) {
            error(fields[6].column, "easy_dkim lines have 5 or 6 fields (tokens, then optionally "
                                    "the signing hosted zone), got " +
                                        std::to_string(fields.size()));
            return false;
        }
        raw.method = RawMethod::easy_dkim;
        if (fields.size() == 6) {
            raw.signing_hosted_zone = raw_field(fields[5]);
        }
        const auto tokens = split_words(fields[4].text);
        raw.token_count = tokens.size();
        raw.tokens_where = {m_display_name, m_line, fields[4].column, {}};
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            raw.tokens.push_back(RawField{std::string(tokens[i]), raw.tokens_where});
            raw.token_labels.push_back("easy_dkim.tokens[" + std::to_string(i) + "]");
        }
        return true;
    }

    // False after reporting a line of the wrong shape or an unreadable key file.
    bool read_byodkim(const std::vector<CsvField>& fields, RawIdentity& raw) {
        if (fields.size() != 6) {
            error(fields.back().column, "byodkim lines have 6 fields (selector, then the key), "
                                        "got " +
                                            std::to_string(fields.size()));
            return false;
        }
        raw.method = RawMethod::byodkim;
        raw.selector = raw_field(fields[4]);
        const CsvField& key_field = fields[5];
        const std::string_view key = key_field.text;
        RawKey out;
        out.where = {m_display_name, m_line, key_field.column, {}};
        if (key.starts_with("public_key_file:") || key.starts_with("private_key_file:")) {
            const bool want_private = key.starts_with("private_key_file:");
            out.form =
                want_private ? RawKey::Form::private_key_file : RawKey::Form::public_key_file;
            const std::string_view key_name = want_private ? "private_key_file" : "public_key_file";
            const std::string path_text(key.substr(key.find(':') + 1));
            const std::filesystem::path path = (m_base_dir / path_text).lexically_normal();
            out.subject = "byodkim." + std::string(key_name) + " \"" + path_text + "\"";
            if (!std::filesystem::path(path_text).is_absolute()) {
                out.subject += " (" + path.string() + ")";
            }
            auto read = read_bounded_file(path, key_file_limit());
            if (!read) {
                error(key_field.column, out.subject + ": " + read.error().reason);
                return false;
            }
            out.content = std::move(read).value();
            out.key_source = std::string(key_name) + " " + path.string();
        } else {
            out.form = RawKey::Form::public_key;
            out.subject = "byodkim.public_key";
            out.content = std::string(key);
            out.key_source = "public_key";
        }
        raw.key = std::move(out);
        return true;
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
