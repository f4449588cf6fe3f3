#pragma once
// A DNS server address as written in the configuration or /etc/resolv.conf:
// "9.9.9.9", "127.0.0.1:5301", "::1", "[::1]:53". Port defaults to 53.

#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dkimwatch {

struct ServerAddress {
    std::string ip;          // numeric, as inet_pton accepts it, without brackets
    std::uint16_t port = 53; // 1..65535
    bool ipv6 = false;

    // "127.0.0.1:5301" or "[::1]:53".
    std::string to_string() const;
    friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

// Host names are not accepted (a resolver address must not need a resolver). Errors say what
// was wrong and show the accepted forms.
Result<ServerAddress> parse_server_address(std::string_view text);

} // namespace dkimwatch
