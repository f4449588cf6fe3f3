#pragma once
// The validated configuration as plain structs. Produced only by config_loader; everything
// downstream can trust it (names canonical, tokens valid, keys loaded and RSA 1024/2048).

#include "core/identity.hpp"
#include "core/server_address.hpp"
#include "core/state_machine.hpp"

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

// How the daemon (`dkimwatch run`) schedules checks and where it keeps state.
struct DaemonSettings {
    // Each identity is re-checked this often (config: check_interval, default 10m, >= 100ms).
    std::chrono::milliseconds check_interval{std::chrono::minutes{10}};
    // After a check with a problem (error or indeterminate), re-check this soon to confirm or
    // clear it quickly (config: recheck_interval, default 1m, >= 100ms, <= check_interval).
    std::chrono::milliseconds recheck_interval{std::chrono::minutes{1}};
    // State database directory (config: state_dir, default /var/lib/dkimwatch; a relative path
    // is resolved against the configuration file's directory). The file is dkimwatch.db.
    std::string state_dir = "/var/lib/dkimwatch";
    // Prometheus exposer address "IPv4:port" (config: metrics.listen, default 127.0.0.1:9797;
    // port 0 picks a free port).
    std::string metrics_listen = "127.0.0.1:9797";
};

struct Config {
    std::string source_path; // the file it was read from, as given
    DnsSettings dns;
    std::vector<Identity> identities;
    DaemonSettings daemon;
    // confirmations (1..100, default 2), pending_timeout (72h), revocation_window (120h),
    // blind_after (1h), reminders ([48h, 24h, 6h, 1h]): top-level keys of the same names.
    StateMachinePolicy policy;
};

} // namespace dkimwatch
