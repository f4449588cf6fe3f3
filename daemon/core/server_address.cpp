#include "core/server_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <optional>

namespace dkimwatch {

// Accepted forms, and how they are told apart:
//   "9.9.9.9"          IPv4, port 53
//   "127.0.0.1:5301"   IPv4 and port (exactly one ':')
//   "::1", "fe80::1"   IPv6, port 53 (two or more ':' and no brackets: the whole text is the
//                      address, so "::1:53" is the IPv6 address ::1:53, not ::1 port 53)
//   "[::1]", "[::1]:53" IPv6 in brackets, with an optional port
// The stored ip is the address as written (so "0::1" and "::1" compare unequal). Zone ids
// ("fe80::1%eth0") are not accepted.

namespace {

constexpr std::string_view k_forms =
    " (use an IP address with an optional port: 9.9.9.9, 127.0.0.1:5301, ::1 or [::1]:5301; "
    "host names are not accepted)";

Error bad(std::string_view text, const std::string& reason) {
    return Error{"\"" + std::string(text) + "\" is not an IP address: " + reason +
                 std::string(k_forms)};
}

Error bad_port(std::string_view text, const std::string& reason) {
    return Error{"\"" + std::string(text) + "\" has an invalid port: " + reason +
                 std::string(k_forms)};
}

bool has_letter(std::string_view text) {
    for (char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            return true;
        }
    }
    return false;
}

// `text` when inet_pton accepts it as an address of `family`.
std::optional<std::string> numeric_address(int family, std::string_view text) {
    const std::string copy(text); // inet_pton needs a NUL-terminated string
    unsigned char binary[sizeof(in6_addr)];
    if (inet_pton(family, copy.c_str(), binary) != 1) {
        return std::nullopt;
    }
    return copy;
}

// Parses a port of 1..65535 written in decimal digits; the reason on failure.
Result<std::uint16_t> parse_port(std::string_view port) {
    if (port.empty()) {
        return Error{"the port after ':' is missing"};
    }
    unsigned long value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') {
            return Error{"port \"" + std::string(port) + "\" is not a number"};
        }
        value = value * 10 + static_cast<unsigned long>(c - '0');
        if (value > 65535) {
            return Error{"port " + std::string(port) + " is out of range; ports are 1 to 65535"};
        }
    }
    if (value == 0) {
        return Error{"port 0 is out of range; ports are 1 to 65535"};
    }
    return static_cast<std::uint16_t>(value);
}

} // namespace

std::string ServerAddress::to_string() const {
    const std::string port_text = std::to_string(port);
    return ipv6 ? "[" + ip + "]:" + port_text : ip + ":" + port_text;
}

Result<ServerAddress> parse_server_address(std::string_view text) {
    if (text.empty()) {
        return bad(text, "the value is empty");
    }
    ServerAddress address;
    if (text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return bad(text, "'[' without a closing ']'");
        }
        const std::string_view inside = text.substr(1, close - 1);
        const std::string_view after = text.substr(close + 1);
        auto ip = numeric_address(AF_INET6, inside);
        if (!ip) {
            if (numeric_address(AF_INET, inside)) {
                return bad(text, "brackets are only for IPv6 addresses");
            }
            return bad(text, "\"" + std::string(inside) + "\" is not a valid IPv6 address");
        }
        address.ip = *ip;
        address.ipv6 = true;
        if (!after.empty()) {
            if (after.front() != ':') {
                return bad_port(text, "expected \":port\" after ']'");
            }
            auto port = parse_port(after.substr(1));
            if (!port) {
                return bad_port(text, port.error());
            }
            address.port = *port;
        }
        return address;
    }
    const std::size_t colons = static_cast<std::size_t>(std::count(text.begin(), text.end(), ':'));
    if (colons >= 2) {
        auto ip = numeric_address(AF_INET6, text);
        if (!ip) {
            return bad(text, "not a valid IPv6 address (write an IPv6 address with a port as "
                             "[::1]:5301)");
        }
        address.ip = *ip;
        address.ipv6 = true;
        return address;
    }
    const std::size_t colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    auto ip = numeric_address(AF_INET, host);
    if (!ip) {
        if (host.empty()) {
            return bad(text, "the address before ':' is missing");
        }
        if (has_letter(host)) {
            return bad(text, "\"" + std::string(host) +
                                 "\" looks like a host name; a resolver must be given by address");
        }
        return bad(text, "\"" + std::string(host) + "\" is not a valid IPv4 address");
    }
    if (colon != std::string_view::npos) {
        auto port = parse_port(text.substr(colon + 1));
        if (!port) {
            return bad_port(text, port.error());
        }
        address.port = *port;
    }
    address.ip = *ip;
    return address;
}

} // namespace dkimwatch
