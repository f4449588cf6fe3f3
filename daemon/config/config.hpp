#pragma once
// The validated configuration as plain structs. Produced only by config_loader; everything
// downstream can trust it (names canonical, tokens valid, keys loaded and RSA 1024/2048).

#include "core/identity.hpp"
#include "core/server_address.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dkimwatch {

struct DnsSettings {
    // Empty when the config has no dns.resolvers: the caller then uses /etc/resolv.conf.
    std::vector<ServerAddress> resolvers;
    std::chrono::milliseconds timeout{2000}; // per attempt
    int attempts = 3;                        // attempts per query, spread over the resolvers
    int max_inflight = 256;                  // queries outstanding at once
    int max_qps = 1000;                      // global query rate; 0 = unlimited
};

struct Config {
    std::string source_path; // the file it was read from, as given
    DnsSettings dns;
    std::vector<Identity> identities;
};

} // namespace dkimwatch
