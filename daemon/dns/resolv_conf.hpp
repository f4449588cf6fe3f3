#pragma once
// The system's resolvers, for when the configuration names none.

#include "core/result.hpp"
#include "core/server_address.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// Parses resolv.conf text: every "nameserver ADDR" line (IPv4 or IPv6, a %scope suffix is
// dropped), port 53. Comments (# or ;) and other options are ignored.
std::vector<ServerAddress> parse_resolv_conf(std::string_view text);

// Reads the file; an error when it cannot be read or names no nameserver.
Result<std::vector<ServerAddress>> system_resolvers(const std::string& path = "/etc/resolv.conf");

} // namespace dkimwatch
