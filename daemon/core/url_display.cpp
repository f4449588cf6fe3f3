#include "core/url_display.hpp"

#include <cctype>
#include <string_view>

namespace dkimwatch {

namespace {

constexpr const char* k_invalid = "(invalid URL)";

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view text) {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text.front()))) {
        return false;
    }
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (!std::isalnum(u) && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

bool is_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return false;
    }
    for (const char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// A host as printed: a registered name or IPv4 (letters, digits, '-', '.', '_') or a bracketed
// IPv6 literal. Anything else (percent-encoding, spaces) is refused rather than echoed.
bool is_printable_host(std::string_view host) {
    if (host.empty()) {
        return false;
    }
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') {
            return false;
        }
        for (const char c : host.substr(1, host.size() - 2)) {
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }
    for (const char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
            return false;
        }
    }
    return true;
}

} // namespace

std::string url_display(const std::string& url) {
    const std::string_view text(url);
    const std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || !is_scheme(text.substr(0, scheme_end))) {
        return k_invalid;
    }
    const std::size_t authority_start = scheme_end + 3;
    // The authority ends at the first '/', '?' or '#' (and '\\', which some parsers treat as
    // '/'); an '@' after that belongs to the path and must not be taken for userinfo.
    std::size_t authority_end = text.find_first_of("/?#\\", authority_start);
    if (authority_end == std::string_view::npos) {
        authority_end = text.size();
    }
    std::string_view authority = text.substr(authority_start, authority_end - authority_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }

    std::string_view host = authority;
    std::string_view port;
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (!port.empty() && !is_port(port)) {
            return k_invalid;
        }
    }
    if (!is_printable_host(host)) {
        return k_invalid;
    }
    std::string out = lowercase(text.substr(0, scheme_end)) + "://" + lowercase(host);
    if (!port.empty()) {
        out += ":";
        out += port;
    }
    return out;
}

} // namespace dkimwatch
