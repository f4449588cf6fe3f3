// Authentication-Results (RFC 8601 §2.2), read as receivers write it:
//   payload   = [CFWS] authserv-id [CFWS version] ( [CFWS] ";" [CFWS] "none" / *resinfo )
//   resinfo   = [CFWS] ";" method [ "/" version ] "=" result [reasonspec] *propspec
//   reasonspec = "reason" "=" value
//   propspec  = ptype "." property "=" pvalue         e.g. header.d=example.com
//   value     = token / quoted-string                 pvalue: also "@domain", "local@domain"
// CFWS (whitespace, CR, LF and nested comments) may stand between any two elements.
// Leniencies for what real receivers send: Microsoft's Exchange Online writes no authserv-id
// (the field starts with "spf=pass ..."); that gives results with an empty authserv_id. Microsoft
// also writes properties without a ptype ("action=none"), which are skipped. An empty resinfo
// (";;" or a trailing ';') and a "none" among results are skipped.

#include "core/authentication_results.hpp"

#include "core/error_excerpt.hpp"

#include <optional>

namespace dkimwatch {
namespace {

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// RFC 8601 Keyword (letters, digits, '-', '_'; RFC 5321 Keyword plus what methods use).
bool is_keyword_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

// Ends a bare (unquoted) value: whitespace, the resinfo separator, a comment, a quote.
bool ends_value(char c) {
    return is_space(c) || c == ';' || c == '(' || c == '"';
}

class Cursor {
public:
    explicit Cursor(std::string_view text) : m_text(text) {}

    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return at_end() ? '\0' : m_text[m_pos]; }
    std::size_t pos() const { return m_pos; }
    void seek(std::size_t pos) { m_pos = pos; }
    void advance() { ++m_pos; }
    std::string_view text() const { return m_text; }

    // Skips whitespace and comments; the error when a comment is not closed.
    std::optional<std::string> skip_cfws() {
        while (!at_end()) {
            const char c = m_text[m_pos];
            if (is_space(c)) {
                ++m_pos;
            } else if (c == '(') {
                int depth = 0;
                for (; m_pos < m_text.size(); ++m_pos) {
                    if (m_text[m_pos] == '\\') {
                        ++m_pos;
                    } else if (m_text[m_pos] == '(') {
                        ++depth;
                    } else if (m_text[m_pos] == ')' && --depth == 0) {
                        break;
                    }
                }
                if (m_pos >= m_text.size()) {
                    return std::string("unterminated comment");
                }
                ++m_pos;
            } else {
                break;
            }
        }
        return std::nullopt;
    }

    std::string_view keyword() {
        const std::size_t start = m_pos;
        while (!at_end() && is_keyword_char(m_text[m_pos])) {
            ++m_pos;
        }
        return m_text.substr(start, m_pos - start);
    }

    // A quoted string (unescaped) or a bare run of bytes up to whitespace, ';', '(' or '"'.
    Result<std::string> value() {
        if (peek() == '"') {
            std::string out;
            for (++m_pos; m_pos < m_text.size() && m_text[m_pos] != '"'; ++m_pos) {
                if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size()) {
                    ++m_pos;
                }
                out += m_text[m_pos];
            }
            if (at_end()) {
                return Error{"unterminated quoted string"};
            }
            ++m_pos;
            return out;
        }
        const std::size_t start = m_pos;
        while (!at_end() && !ends_value(m_text[m_pos])) {
            ++m_pos;
        }
        return std::string(m_text.substr(start, m_pos - start));
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

// The text of the resinfo starting at `start`, up to the next ';', for error messages.
std::string resinfo_text(std::string_view text, std::size_t start) {
    const std::size_t end = text.find(';', start);
    std::string_view part = text.substr(start, end == std::string_view::npos ? end : end - start);
    while (!part.empty() && is_space(part.back())) {
        part.remove_suffix(1);
    }
    return error_excerpt(part);
}

// One resinfo, the cursor after its ';' (and after CFWS). Appends to `out` unless it is "none".
std::optional<std::string> parse_resinfo(Cursor& cursor, const std::string& authserv_id,
                                         std::vector<AuthenticationResult>& out) {
    const std::size_t start = cursor.pos();
    const auto not_a_pair = [&] {
        return "a result without a method=result pair: \"" + resinfo_text(cursor.text(), start) +
               "\"";
    };
    AuthenticationResult result;
    result.authserv_id = authserv_id;
    result.method = ascii_lower(cursor.keyword());
    if (result.method.empty()) {
        return not_a_pair();
    }
    if (auto error = cursor.skip_cfws()) {
        return error;
    }
    if (result.method == "none" && (cursor.at_end() || cursor.peek() == ';')) {
        return std::nullopt; // "; none": no result
    }
    if (cursor.peek() == '/') { // method version, e.g. "dkim/1"
        cursor.advance();
        if (auto error = cursor.skip_cfws()) {
            return error;
        }
        if (cursor.keyword().empty()) {
            return not_a_pair();
        }
        if (auto error = cursor.skip_cfws()) {
            return error;
        }
    }
    if (cursor.peek() != '=') {
        return not_a_pair();
    }
    cursor.advance();
    if (auto error = cursor.skip_cfws()) {
        return error;
    }
    result.result = ascii_lower(cursor.keyword());
    if (result.result.empty()) {
        return not_a_pair();
    }
    // reasonspec and propspecs, up to the next ';'.
    while (true) {
        if (auto error = cursor.skip_cfws()) {
            return error;
        }
        if (cursor.at_end() || cursor.peek() == ';') {
            break;
        }
        const std::size_t name_start = cursor.pos();
        const std::string ptype = ascii_lower(cursor.keyword());
        if (ptype.empty()) {
            return "unexpected text in a result: \"" + resinfo_text(cursor.text(), name_start) +
                   "\"";
        }
        if (auto error = cursor.skip_cfws()) {
            return error;
        }
        std::string property;
        if (cursor.peek() == '.') {
            cursor.advance();
            if (auto error = cursor.skip_cfws()) {
                return error;
            }
            property = ascii_lower(cursor.keyword());
            if (property.empty()) {
                return "a property without a name: \"" + resinfo_text(cursor.text(), name_start) +
                       "\"";
            }
            if (auto error = cursor.skip_cfws()) {
                return error;
            }
        }
        if (cursor.peek() != '=') {
            return "a property without a value: \"" + resinfo_text(cursor.text(), name_start) +
                   "\"";
        }
        cursor.advance();
        if (auto error = cursor.skip_cfws()) {
            return error;
        }
        auto value = cursor.value();
        if (!value) {
            return value.error();
        }
        if (property.empty()) {
            if (ptype == "reason" && result.reason.empty()) {
                result.reason = std::move(*value);
            }
            continue; // otherwise a ptype-less property ("action=none"): not RFC 8601, skipped
        }
        if (ptype != "header") {
            continue;
        }
        std::string* slot = property == "d"   ? &result.header_d
                            : property == "s" ? &result.header_s
                            : property == "i" ? &result.header_i
                            : property == "b" ? &result.header_b
                                              : nullptr;
        if (slot != nullptr && slot->empty()) {
            *slot = property == "d" ? ascii_lower(*value) : std::move(*value);
        }
    }
    if (result.method == "dkim" && result.header_d.empty()) {
        // The signing domain from the identity: header.i=@example.com or user@example.com.
        const std::size_t at = result.header_i.rfind('@');
        if (at != std::string::npos) {
            result.header_d = ascii_lower(std::string_view(result.header_i).substr(at + 1));
        }
    }
    out.push_back(std::move(result));
    return std::nullopt;
}

} // namespace

Result<std::vector<AuthenticationResult>> parse_authentication_results(std::string_view value) {
    Cursor cursor(value);
    if (auto error = cursor.skip_cfws()) {
        return Error{*error};
    }
    if (cursor.at_end() || cursor.peek() == ';') {
        return Error{"no authserv-id"};
    }
    std::string authserv_id;
    const std::size_t first = cursor.pos();
    // Microsoft's form: the field starts with a result ("spf=pass ..."), no authserv-id. An
    // authserv-id is a token (no '=' or '/'), so a keyword followed by '=' or '/' is a method.
    (void)cursor.keyword();
    if (auto error = cursor.skip_cfws()) {
        return Error{*error};
    }
    const bool starts_with_result = cursor.peek() == '=' || cursor.peek() == '/';
    cursor.seek(first);
    std::vector<AuthenticationResult> results;
    if (starts_with_result) {
        if (auto error = parse_resinfo(cursor, authserv_id, results)) {
            return Error{*error};
        }
    } else {
        auto id = cursor.value();
        if (!id) {
            return Error{id.error()};
        }
        authserv_id = std::move(*id);
        if (authserv_id.empty()) {
            return Error{"no authserv-id"};
        }
        if (auto error = cursor.skip_cfws()) {
            return Error{*error};
        }
        // An optional version (RFC 8601 authres-version), e.g. "example.org 1; none".
        const std::size_t version_start = cursor.pos();
        while (!cursor.at_end() && cursor.peek() >= '0' && cursor.peek() <= '9') {
            cursor.advance();
        }
        if (cursor.pos() != version_start) {
            if (auto error = cursor.skip_cfws()) {
                return Error{*error};
            }
        }
        if (!cursor.at_end() && cursor.peek() != ';') {
            return Error{"unexpected text after the authserv-id: \"" +
                         resinfo_text(value, cursor.pos()) + "\""};
        }
    }
    while (!cursor.at_end()) {
        if (cursor.peek() != ';') {
            return Error{"unexpected text after a result: \"" + resinfo_text(value, cursor.pos()) +
                         "\""};
        }
        cursor.advance();
        if (auto error = cursor.skip_cfws()) {
            return Error{*error};
        }
        if (cursor.at_end() || cursor.peek() == ';') {
            continue; // an empty resinfo
        }
        if (auto error = parse_resinfo(cursor, authserv_id, results)) {
            return Error{*error};
        }
    }
    return results;
}

} // namespace dkimwatch
