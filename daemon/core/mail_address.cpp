// RFC 5322 §3.4 address lists and the From: domain DMARC aligns against (RFC 7489 §3.1).
//
// The grammar handled (a tokenizer, then a small recursive descent over the tokens):
//   address-list = [address] *("," [address])      empty elements allowed (obs-addr-list)
//   address      = mailbox / group
//   group        = phrase ":" [mailbox *("," [mailbox])] ";"
//   mailbox      = addr-spec / [phrase] "<" [route] addr-spec ">"
//   route        = 1*("," / "@" domain) ":"         obsolete source route, dropped
//   addr-spec    = local-part "@" domain
//   local-part   = word *("." word)                 dot-atom, quoted-string, obs-local-part
//   domain       = atom *("." atom) / domain-literal
//   phrase       = 1*word                           display names (obs-phrase: dots allowed)
//   word         = atom / quoted-string
// Comments (nested, with quoted-pairs) and folding whitespace may appear between any tokens and
// are dropped. An atom is a run of atext, '.' and 8-bit bytes (RFC 6532 UTF-8 is kept as
// written); words written apart are joined into one local part or domain only across a dot
// ("john . doe"). A domain is returned lowercased (ASCII only: A-labels stay as written, in
// lowercase) without its trailing dot; a domain literal ("[192.0.2.1]") is returned as written.

#include "core/mail_address.hpp"

#include "core/dns_name.hpp"
#include "core/error_excerpt.hpp"

#include <cstdio>
#include <optional>

namespace dkimwatch {
namespace {

enum class TokenKind {
    atom,           // atext, '.' and 8-bit bytes
    quoted_string,  // "...", text as written (quotes included)
    domain_literal, // [...], text as written (brackets included)
    special,        // one of < > @ , ; :
};

struct Token {
    TokenKind kind = TokenKind::atom;
    std::string_view text;
};

bool is_wsp(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_atom_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
        return true;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
    case '.':
        return true;
    default:
        return false;
    }
}

// Splits `value` into tokens, dropping whitespace and comments. Errors for unterminated quoted
// strings, comments and domain literals and for bytes no address can hold.
Result<std::vector<Token>> tokenize(std::string_view value) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        if (is_wsp(c)) {
            ++i;
        } else if (c == '(') {
            int depth = 0;
            for (; i < value.size(); ++i) {
                if (value[i] == '\\') {
                    ++i; // quoted-pair: the next byte is literal
                } else if (value[i] == '(') {
                    ++depth;
                } else if (value[i] == ')' && --depth == 0) {
                    break;
                }
            }
            if (i >= value.size()) {
                return Error{"unterminated comment"};
            }
            ++i;
        } else if (c == '"' || c == '[') {
            const char close = c == '"' ? '"' : ']';
            const std::size_t start = i++;
            for (; i < value.size() && value[i] != close; ++i) {
                if (value[i] == '\\') {
                    ++i;
                } else if (c == '[' && value[i] == '[') {
                    return Error{"a '[' inside a domain literal"};
                }
            }
            if (i >= value.size()) {
                return Error{c == '"' ? "unterminated quoted string"
                                      : "unterminated domain literal"};
            }
            ++i;
            tokens.push_back({c == '"' ? TokenKind::quoted_string : TokenKind::domain_literal,
                              value.substr(start, i - start)});
        } else if (c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':') {
            tokens.push_back({TokenKind::special, value.substr(i, 1)});
            ++i;
        } else if (is_atom_char(c)) {
            const std::size_t start = i;
            while (i < value.size() && is_atom_char(value[i])) {
                ++i;
            }
            tokens.push_back({TokenKind::atom, value.substr(start, i - start)});
        } else if (c == ')') {
            return Error{"unbalanced )"};
        } else if (c == ']') {
            return Error{"unbalanced ]"};
        } else {
            char buffer[48];
            std::snprintf(buffer, sizeof buffer, "a byte no address may hold (0x%02x)",
                          static_cast<unsigned>(static_cast<unsigned char>(c)));
            return Error{buffer};
        }
    }
    return tokens;
}

struct AddrSpec {
    std::string local;  // as written
    std::string domain; // canonical, or the domain literal as written
};

class AddressParser {
public:
    explicit AddressParser(const std::vector<Token>& tokens) : m_tokens(tokens) {}

    // address-list; errors as parse_address_list() documents.
    Result<std::vector<AddrSpec>> address_list() {
        std::vector<AddrSpec> addresses;
        bool any_element = false;
        while (!at_end()) {
            if (is_special(',')) {
                ++m_pos;
                continue;
            }
            any_element = true;
            if (auto error = address(addresses)) {
                return Error{*error};
            }
            if (!at_end() && !is_special(',')) {
                return Error{"unexpected \"" + error_excerpt(m_tokens[m_pos].text) +
                             "\" after an address"};
            }
        }
        if (!any_element) {
            return Error{"no address"};
        }
        return addresses;
    }

private:
    bool at_end() const { return m_pos >= m_tokens.size(); }
    bool is_special(char c) const {
        return !at_end() && m_tokens[m_pos].kind == TokenKind::special &&
               m_tokens[m_pos].text[0] == c;
    }
    bool is_word() const {
        return !at_end() && (m_tokens[m_pos].kind == TokenKind::atom ||
                             m_tokens[m_pos].kind == TokenKind::quoted_string);
    }

    // One address (a mailbox or a group) appended to `out`; the reason when it is not one.
    std::optional<std::string> address(std::vector<AddrSpec>& out) {
        const std::size_t phrase_start = m_pos;
        while (is_word()) {
            ++m_pos;
        }
        if (is_special(':')) {
            if (m_pos == phrase_start) {
                return "a group without a name";
            }
            ++m_pos;
            return group_list(out);
        }
        m_pos = phrase_start;
        return mailbox(out);
    }

    // The members of a group, after its ':' up to and including its ';'.
    std::optional<std::string> group_list(std::vector<AddrSpec>& out) {
        while (!at_end() && !is_special(';')) {
            if (is_special(',')) {
                ++m_pos;
                continue;
            }
            if (auto error = mailbox(out)) {
                return error;
            }
            if (!at_end() && !is_special(',') && !is_special(';')) {
                return "unexpected \"" + error_excerpt(m_tokens[m_pos].text) + "\" in a group";
            }
        }
        if (at_end()) {
            return std::string("a group without its closing ';'");
        }
        ++m_pos;
        return std::nullopt;
    }

    std::optional<std::string> mailbox(std::vector<AddrSpec>& out) {
        const std::size_t start = m_pos;
        while (is_word()) {
            ++m_pos;
        }
        if (is_special('<')) {
            ++m_pos;
            return angle_addr(out);
        }
        m_pos = start;
        AddrSpec spec;
        if (auto error = addr_spec(spec)) {
            return error;
        }
        out.push_back(std::move(spec));
        return std::nullopt;
    }

    // After '<': [route] addr-spec '>'.
    std::optional<std::string> angle_addr(std::vector<AddrSpec>& out) {
        if (is_special('>')) {
            return std::string("an empty <>");
        }
        if (is_special('@') || is_special(',')) {
            // Obsolete source route: "@relay1,@relay2:" before the address; dropped.
            while (is_special('@') || is_special(',')) {
                if (is_special('@')) {
                    ++m_pos;
                    std::string ignored;
                    if (auto error = domain(ignored, "a route")) {
                        return error;
                    }
                } else {
                    ++m_pos;
                }
            }
            if (!is_special(':')) {
                return std::string("a route without its ':'");
            }
            ++m_pos;
        }
        AddrSpec spec;
        if (auto error = addr_spec(spec)) {
            return error;
        }
        if (!is_special('>')) {
            return std::string("unbalanced <");
        }
        ++m_pos;
        out.push_back(std::move(spec));
        return std::nullopt;
    }

    // Words joined across dots: "john.doe", "john . doe", "\"john doe\"". Stops before a word
    // that is written apart from the previous one without a dot between them.
    std::string dotted_words() {
        std::string text;
        while (is_word()) {
            const std::string_view word = m_tokens[m_pos].text;
            if (!text.empty() && text.back() != '.' && word.front() != '.') {
                break;
            }
            text += word;
            ++m_pos;
        }
        return text;
    }

    std::optional<std::string> addr_spec(AddrSpec& spec) {
        if (at_end()) {
            return std::string("no address");
        }
        if (is_special('>')) {
            return std::string("unbalanced >");
        }
        if (!is_word()) {
            return "unexpected \"" + error_excerpt(m_tokens[m_pos].text) +
                   "\" where an address starts";
        }
        spec.local = dotted_words();
        if (is_word()) {
            // "Mary Smith mary@example.com" or "Mary mary@example.com": words that are not one
            // local part and no angle brackets.
            return "words without <> around the address: \"" + error_excerpt(spec.local) + " " +
                   error_excerpt(m_tokens[m_pos].text) + "\"";
        }
        if (!is_special('@')) {
            return "address without a domain: \"" + error_excerpt(spec.local) + "\"";
        }
        ++m_pos;
        return domain(spec.domain, "\"" + error_excerpt(spec.local) + "@\"");
    }

    // A domain (dot-atom or literal) into `out`, canonical; `owner` names it in errors.
    std::optional<std::string> domain(std::string& out, const std::string& owner) {
        if (!at_end() && m_tokens[m_pos].kind == TokenKind::domain_literal) {
            out = std::string(m_tokens[m_pos].text);
            ++m_pos;
            return std::nullopt;
        }
        std::string text;
        while (!at_end() && m_tokens[m_pos].kind == TokenKind::atom) {
            const std::string_view atom = m_tokens[m_pos].text;
            if (!text.empty() && text.back() != '.' && atom.front() != '.') {
                break;
            }
            text += atom;
            ++m_pos;
        }
        if (text.empty()) {
            return owner + " without a domain";
        }
        out = canonical_name(text);
        if (out.empty() || out.front() == '.' || out.back() == '.' ||
            out.find("..") != std::string::npos) {
            return owner + " with an invalid domain: \"" + error_excerpt(text) + "\"";
        }
        return std::nullopt;
    }

    const std::vector<Token>& m_tokens;
    std::size_t m_pos = 0;
};

Result<std::vector<AddrSpec>> parse_addr_specs(std::string_view value) {
    const auto tokens = tokenize(value);
    if (!tokens) {
        return Error{tokens.error()};
    }
    return AddressParser(*tokens).address_list();
}

} // namespace

Result<std::vector<std::string>> parse_address_list(std::string_view value) {
    auto specs = parse_addr_specs(value);
    if (!specs) {
        return Error{specs.error()};
    }
    std::vector<std::string> addresses;
    addresses.reserve(specs->size());
    for (const AddrSpec& spec : *specs) {
        addresses.push_back(spec.local + "@" + spec.domain);
    }
    return addresses;
}

Result<std::string> from_domain(const MailMessage& message) {
    const auto fields = header_fields(message, "From");
    if (fields.empty()) {
        return Error{"no From: header field"};
    }
    if (fields.size() > 1) {
        std::string lines;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) {
                lines += i + 1 == fields.size() ? " and " : ", ";
            }
            lines += "line " + std::to_string(fields[i]->line);
        }
        return Error{std::to_string(fields.size()) + " From: header fields (" + lines + ")"};
    }
    const auto specs = parse_addr_specs(fields.front()->value());
    if (!specs) {
        return Error{"From: " + specs.error()};
    }
    if (specs->empty()) {
        return Error{"From: no address"};
    }
    if (specs->size() > 1) {
        return Error{"From: holds " + std::to_string(specs->size()) + " addresses"};
    }
    return specs->front().domain;
}

} // namespace dkimwatch
