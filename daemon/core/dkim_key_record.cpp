// The DKIM key record parser (RFC 6376 §3.2, §3.6.1; RFC 8463). Besides the grammar it looks for
// the malformations seen in real zones (dkim-facts.md) so that the error names the actual fault:
// pasted PEM lines, line breaks, quotes, zone-file escapes, missing ';', cut values.

#include "core/dkim_key_record.hpp"

#include "core/public_key.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <optional>

namespace dkimwatch {
namespace {

// A TXT character-string holds at most 255 bytes (RFC 1035 §3.3).
constexpr std::size_t k_txt_string_limit = 255;
// Tag values quoted in error messages are cut to this many characters.
constexpr std::size_t k_excerpt_length = 20;
// Characters shown after the '=' of a tag found inside another tag's value.
constexpr std::size_t k_embedded_value_shown = 4;
// Characters shown before the name of such a tag when the host value is long.
constexpr std::size_t k_embedded_context = 8;
// Longer PEM labels do not exist; beyond this the "label" is not shown.
constexpr std::size_t k_max_pem_label = 64;

// Tags that RFC 6376 (and RFC 4871's g=) define for key records.
constexpr std::array<std::string_view, 8> k_known_tags = {"v", "g", "h", "k", "n", "p", "s", "t"};
// Tags whose values are tokens or token lists, where '=' can never appear.
constexpr std::array<std::string_view, 5> k_token_tags = {"v", "h", "k", "s", "t"};

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Whitespace inside a tag list: WSP, and the CR/LF of folding whitespace. Only call after
// check_line_breaks() has rejected CR and LF outside of proper CRLF WSP folds.
bool is_fws(char c) {
    return is_wsp(c) || c == '\r' || c == '\n';
}

bool is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_tag_name_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_';
}

bool is_base64_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

bool is_quote(char c) {
    return c == '"' || c == '\'';
}

// RFC 6376 tag-name = ALPHA *ALNUMPUNC.
bool is_valid_tag_name(std::string_view name) {
    return !name.empty() && is_alpha(name.front()) &&
           std::all_of(name.begin(), name.end(), is_tag_name_char);
}

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view value) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_fws(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_fws(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return to_lower(x) == to_lower(y); });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Text as an error message shows it: printable ASCII as is, other bytes as \xNN.
std::string printable(std::string_view text) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F) {
            out.push_back(c);
        } else {
            out += "\\x";
            out.push_back(digits[u >> 4]);
            out.push_back(digits[u & 0x0F]);
        }
    }
    return out;
}

std::string excerpt(std::string_view text, std::size_t length = k_excerpt_length) {
    if (text.size() <= length) {
        return printable(text);
    }
    return printable(text.substr(0, length)) + "...";
}

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) {
        return std::string("'") + c + "'";
    }
    return "byte " + printable(std::string_view(&c, 1)).replace(0, 2, "0x");
}

// ---- lenient scanning, for looks_like_dkim_key_record() and for locating faults ----

// Position just after "name[WSP]=" when `name` starts at `pos` in tag position. Tag position is
// lenient: start of text, or after ';', whitespace or a quote.
std::optional<std::size_t> tag_value_start_at(std::string_view text, std::size_t pos,
                                              std::string_view name) {
    if (text.substr(pos, name.size()) != name) {
        return std::nullopt;
    }
    if (pos > 0) {
        const char before = text[pos - 1];
        if (before != ';' && !is_fws(before) && !is_quote(before)) {
            return std::nullopt;
        }
    }
    std::size_t i = pos + name.size();
    while (i < text.size() && is_wsp(text[i])) {
        ++i;
    }
    if (i >= text.size() || text[i] != '=') {
        return std::nullopt;
    }
    return i + 1;
}

// Where the value of the first tag `name` starts and ends (at the next ';' or the end).
struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool contains(std::size_t pos) const { return pos >= begin && pos < end; }
};

std::optional<Span> find_tag_value(std::string_view text, std::string_view name) {
    for (std::size_t pos = text.find(name); pos != std::string_view::npos;
         pos = text.find(name, pos + 1)) {
        if (auto start = tag_value_start_at(text, pos, name)) {
            const std::size_t end = text.find(';', *start);
            return Span{*start, end == std::string_view::npos ? text.size() : end};
        }
    }
    return std::nullopt;
}

// ---- faults looked for in the whole text before the tag list is parsed ----

// "-----BEGIN PUBLIC KEY-----" / "-----END PUBLIC KEY-----" pasted in from a PEM file.
std::optional<std::string> check_pem_lines(std::string_view text) {
    const std::optional<Span> p = find_tag_value(text, "p");
    struct Marker {
        std::string_view prefix;
        std::string_view kind;
    };
    for (const Marker& marker : {Marker{"-----BEGIN", "header"}, Marker{"-----END", "footer"}}) {
        const std::size_t pos = text.find(marker.prefix);
        if (pos == std::string_view::npos) {
            continue;
        }
        std::string line = std::string(marker.prefix) + " ...-----";
        const std::size_t label_start = pos + marker.prefix.size();
        const std::size_t close = text.find("-----", label_start);
        if (close != std::string_view::npos && close - label_start <= k_max_pem_label) {
            line = printable(text.substr(pos, close + 5 - pos));
        }
        const std::string what = "a PEM " + std::string(marker.kind) + " (" + line + ")";
        if (p && p->contains(pos)) {
            return "p= is not valid base64: " + what + " was pasted in";
        }
        return what + " was pasted into the record";
    }
    return std::nullopt;
}

// A zone-file escape "\;" that a web form published literally.
std::optional<std::string> check_escaped_semicolon(std::string_view text) {
    if (text.find("\\;") != std::string_view::npos) {
        return "escaped \\; found: the backslash is part of the published text";
    }
    return std::nullopt;
}

// CR or LF anywhere except in folding whitespace (CRLF followed by WSP, RFC 6376 §2.8).
std::optional<std::string> check_line_breaks(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\r' && text[i] != '\n') {
            continue;
        }
        const bool fold =
            text[i] == '\r' && i + 2 < text.size() && text[i + 1] == '\n' && is_wsp(text[i + 2]);
        if (!fold) {
            return "a line break was pasted into the record";
        }
        ++i; // the LF of the fold
    }
    return std::nullopt;
}

// ---- the tag list ----

struct Tag {
    std::string_view name;
    std::string_view value; // without surrounding whitespace
};

std::string quote_message() {
    return "the record contains a quote character, left in from the zone file";
}

bool looks_like_bare_key(std::string_view spec) {
    std::size_t base64_chars = 0;
    for (char c : spec) {
        if (is_base64_char(c)) {
            ++base64_chars;
        } else if (!is_fws(c) && c != '=') {
            return false;
        }
    }
    return spec.starts_with("MI") && base64_chars >= 64;
}

// Parses one tag-spec (the text between two ';'), which is not blank.
Result<Tag> parse_tag_spec(std::string_view spec) {
    const std::string_view trimmed = trim(spec);
    const std::size_t eq = trimmed.find('=');
    const bool has_quote = std::any_of(spec.begin(), spec.end(), is_quote);
    if (eq == std::string_view::npos) {
        if (has_quote) {
            return Error{quote_message()};
        }
        if (looks_like_bare_key(trimmed)) {
            return Error{"tag list cannot be parsed: \"" + excerpt(trimmed) +
                         "\" has no '=' (a bare key without \"p=\" in front?)"};
        }
        return Error{"tag list cannot be parsed: \"" + excerpt(trimmed) + "\" has no '='"};
    }
    const std::string_view name = trim(trimmed.substr(0, eq));
    const std::string_view value = trim(trimmed.substr(eq + 1));
    if (name.empty()) {
        return Error{"tag list cannot be parsed: a tag has no name (\"" + excerpt(trimmed) + "\")"};
    }
    if (!is_valid_tag_name(name)) {
        if (has_quote && std::any_of(name.begin(), name.end(), is_quote)) {
            return Error{quote_message()};
        }
        return Error{"tag list cannot be parsed: tag name \"" + excerpt(name) +
                     "\" is not valid (a letter followed by letters, digits or '_')"};
    }
    return Tag{name, value};
}

// A tag found inside another tag's value because the ';' before it is missing
// ("k=rsa p=MIGf...").
struct EmbeddedTag {
    std::size_t name_begin = 0; // offset in the host value
    std::size_t eq = 0;         // offset of its '='
};

std::optional<EmbeddedTag> find_embedded_tag(const Tag& tag) {
    const std::string_view value = tag.value;
    const bool token_host = contains(k_token_tags, tag.name);
    for (std::size_t eq = value.find('='); eq != std::string_view::npos;
         eq = value.find('=', eq + 1)) {
        std::size_t name_end = eq;
        while (name_end > 0 && is_wsp(value[name_end - 1])) {
            --name_end;
        }
        std::size_t name_begin = name_end;
        while (name_begin > 0 && is_tag_name_char(value[name_begin - 1])) {
            --name_begin;
        }
        if (token_host) {
            return EmbeddedTag{name_begin, eq}; // these values never contain '='
        }
        const bool after_space = name_begin > 0 && is_fws(value[name_begin - 1]);
        if (!after_space ||
            !contains(k_known_tags, value.substr(name_begin, name_end - name_begin))) {
            continue;
        }
        // Inside p= a base64 chunk may end in "=" or "==" after a space; a tag has a value.
        std::size_t next = eq + 1;
        while (next < value.size() && is_wsp(value[next])) {
            ++next;
        }
        if (next < value.size() && value[next] != '=') {
            return EmbeddedTag{name_begin, eq};
        }
    }
    return std::nullopt;
}

// Shows the host value around the embedded tag: up to k_embedded_context characters before its
// name and k_embedded_value_shown after its '='.
std::string missing_semicolon_message(const Tag& tag, const EmbeddedTag& embedded) {
    const std::size_t from =
        embedded.name_begin > k_embedded_context + 3 ? embedded.name_begin - k_embedded_context : 0;
    const std::size_t to = std::min(tag.value.size(), embedded.eq + 1 + k_embedded_value_shown);
    std::string shown = from > 0 ? "..." : "";
    shown += printable(tag.value.substr(from, to - from));
    if (to < tag.value.size()) {
        shown += "...";
    }
    return "tag " + std::string(tag.name) + " has value \"" + shown +
           "\": a ';' seems to be missing between two tags";
}

// A colon-separated list (h=, s=, t=), items trimmed. `allow_empty` for t=, where an empty value
// just means no flags.
Result<std::vector<std::string>> parse_list(const Tag& tag, bool allow_empty) {
    std::vector<std::string> items;
    const std::string name(tag.name);
    if (tag.value.empty()) {
        if (allow_empty) {
            return items;
        }
        return Error{name + "= is empty: list at least one item or leave the tag out"};
    }
    std::string_view rest = tag.value;
    while (true) {
        const std::size_t colon = rest.find(':');
        const std::string_view item = trim(rest.substr(0, colon));
        if (item.empty()) {
            return Error{name + "=" + excerpt(tag.value) + ": the list has an empty item"};
        }
        if (std::any_of(item.begin(), item.end(), is_fws)) {
            return Error{name + "=" + excerpt(tag.value) + ": list items must be separated by ':'"};
        }
        items.emplace_back(item);
        if (colon == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(colon + 1);
    }
    return items;
}

std::string with_cut_hint(std::string message, bool cut) {
    return cut ? message + "; was the value cut at 255 bytes?" : message;
}

// Validates the whitespace-free p= value and decodes it. `record` is the whole record text and
// `raw_length` the length of the p= value as published, for the 255-byte hints.
Result<std::vector<unsigned char>> decode_p(std::string_view p, std::string_view record,
                                            std::size_t raw_length) {
    const std::string prefix = "p= is not valid base64";
    if (p.starts_with("ssh-")) {
        return Error{prefix + ": an OpenSSH public key (" + excerpt(p.substr(0, p.find('A')), 12) +
                     " ...) was pasted in; publish the base64 DER SubjectPublicKeyInfo"};
    }
    std::size_t padding = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '=') {
            ++padding;
            continue;
        }
        if (c == '-' || c == '_') {
            return Error{prefix + ": it contains " + describe_char(c) +
                         " (base64url?); DKIM needs standard base64 with '+' and '/'"};
        }
        if (!is_base64_char(c)) {
            return Error{prefix + ": it contains " + describe_char(c) + " at offset " +
                         std::to_string(i)};
        }
        if (padding > 0) {
            return Error{prefix + ": '=' padding appears before the end (two values joined?)"};
        }
    }
    if (padding > 2) {
        return Error{prefix + ": too much '=' padding"};
    }
    // What the first bytes announce as the DER length, against what the text can hold.
    // Only computed without padding, where every 4 characters hold 3 bytes.
    const std::size_t remainder = p.size() % 4;
    const std::size_t available = p.size() / 4 * 3 + (remainder == 3 ? 2 : remainder == 2 ? 1 : 0);
    std::optional<std::size_t> announced;
    if (p.size() >= 8 && padding == 0) {
        if (auto head = base64_decode(p.substr(0, 8)); head && (*head)[0] == 0x30) {
            const unsigned char length = (*head)[1];
            if (length < 0x80) {
                announced = 2 + static_cast<std::size_t>(length);
            } else if (length > 0x80 && length <= 0x84) {
                const std::size_t count = length & 0x7F;
                std::size_t value = 0;
                for (std::size_t i = 0; i < count; ++i) {
                    value = (value << 8) | (*head)[2 + i];
                }
                announced = 2 + count + value;
            }
        }
    }
    const bool cut = record.size() == k_txt_string_limit || raw_length == k_txt_string_limit ||
                     p.size() == k_txt_string_limit || (announced && *announced > available);
    if (remainder != 0) {
        std::string message =
            prefix + " (length " + std::to_string(p.size()) + " is not a multiple of 4";
        if (cut) {
            message = with_cut_hint(message, true);
        } else if (remainder != 1 && announced && *announced == available) {
            message += "; is the '=' padding missing?";
        }
        return Error{message + ")"};
    }
    auto bytes = base64_decode(p);
    if (!bytes) {
        // Not expected after the checks above; keep the decoder's reason.
        return Error{prefix + " (" + bytes.error() + ")"};
    }
    return std::move(bytes).value();
}

bool list_contains(const std::vector<std::string>& list, std::string_view item) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return iequals(s, item); });
}

} // namespace

bool DkimKeyRecord::testing() const {
    return list_contains(flags, "y");
}

bool DkimKeyRecord::allows_email() const {
    return service_types.empty() || list_contains(service_types, "email") ||
           list_contains(service_types, "*");
}

bool DkimKeyRecord::allows_sha256() const {
    return hash_algorithms.empty() || list_contains(hash_algorithms, "sha256");
}

std::string join_txt_strings(const std::vector<std::string>& strings) {
    std::string joined;
    for (const std::string& s : strings) {
        joined += s;
    }
    return joined;
}

bool looks_like_dkim_key_record(std::string_view text) {
    if (const auto v = find_tag_value(text, "v")) {
        // Another protocol's record (v=spf1, v=DMARC1, v=STSv1...) is not a DKIM key even when
        // it has a p= tag, as DMARC does.
        return istarts_with(trim(text.substr(v->begin, v->end - v->begin)), "DKIM");
    }
    if (find_tag_value(text, "p") || find_tag_value(text, "k")) {
        return true;
    }
    // A PEM file or a bare base64 key published as the whole record.
    const std::string_view trimmed = trim(text);
    return trimmed.starts_with("-----BEGIN") || looks_like_bare_key(trimmed);
}

Result<DkimKeyRecord> parse_dkim_key_record(std::string_view text) {
    for (auto check : {check_pem_lines, check_escaped_semicolon, check_line_breaks}) {
        if (auto fault = check(text)) {
            return Error{*fault};
        }
    }

    std::vector<Tag> tags;
    for (std::size_t start = 0;;) {
        const std::size_t semicolon = text.find(';', start);
        const std::string_view spec = text.substr(start, semicolon - start);
        // Blank specs (after a trailing ';', or between ";;") carry nothing; be lenient.
        if (!trim(spec).empty()) {
            auto tag = parse_tag_spec(spec);
            if (!tag) {
                return Error{tag.error()};
            }
            for (const Tag& earlier : tags) {
                if (earlier.name == tag->name) {
                    return Error{"duplicate tag " + std::string(tag->name)};
                }
            }
            if (tag->name == "v" && !tags.empty()) {
                return Error{"v= must be the first tag"};
            }
            tags.push_back(tag.value());
        }
        if (semicolon == std::string_view::npos) {
            break;
        }
        start = semicolon + 1;
    }
    if (tags.empty()) {
        return Error{"no p= tag (the record is empty)"};
    }

    for (const Tag& tag : tags) {
        if (auto embedded = find_embedded_tag(tag)) {
            return Error{missing_semicolon_message(tag, *embedded)};
        }
    }

    DkimKeyRecord record;
    const Tag* p_tag = nullptr;
    for (const Tag& tag : tags) {
        if (tag.name != "n" && std::any_of(tag.value.begin(), tag.value.end(), is_quote)) {
            if (tag.name == "p") {
                return Error{"p= is not valid base64: it contains a quote character, left in "
                             "from the zone file"};
            }
            if (contains(k_known_tags, tag.name)) {
                return Error{quote_message()};
            }
        }
        if (tag.name == "v") {
            if (tag.value != "DKIM1") {
                return Error{"v=" + excerpt(tag.value) + ": the version must be DKIM1"};
            }
            record.has_version = true;
        } else if (tag.name == "k") {
            if (tag.value.empty()) {
                return Error{"k= is empty: the key type must be rsa or ed25519"};
            }
            if (iequals(tag.value, "rsa") || iequals(tag.value, "ed25519")) {
                record.key_type.clear();
                std::transform(tag.value.begin(), tag.value.end(),
                               std::back_inserter(record.key_type), to_lower);
            } else {
                return Error{"k=" + excerpt(tag.value) +
                             ": unknown key type (known: rsa, ed25519)"};
            }
        } else if (tag.name == "h" || tag.name == "s" || tag.name == "t") {
            auto list = parse_list(tag, tag.name == "t");
            if (!list) {
                return Error{list.error()};
            }
            auto& target = tag.name == "h"   ? record.hash_algorithms
                           : tag.name == "s" ? record.service_types
                                             : record.flags;
            target = std::move(list).value();
        } else if (tag.name == "p") {
            p_tag = &tag;
        }
    }

    if (p_tag == nullptr) {
        const bool upper =
            std::any_of(tags.begin(), tags.end(), [](const Tag& t) { return t.name == "P"; });
        if (upper) {
            return Error{"no p= tag (there is a P= tag, but tag names are case-sensitive)"};
        }
        return Error{"no p= tag"};
    }
    for (char c : p_tag->value) {
        if (!is_fws(c)) {
            record.public_key_base64.push_back(c);
        }
    }
    if (record.revoked()) {
        return record;
    }
    auto bytes = decode_p(record.public_key_base64, text, p_tag->value.size());
    if (!bytes) {
        return Error{bytes.error()};
    }
    record.public_key = std::move(bytes).value();
    return record;
}

} // namespace dkimwatch
