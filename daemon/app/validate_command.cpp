#include "app/validate_command.hpp"

#include "config/config_loader.hpp"
#include "core/shard_selection.hpp"
#include "dns/trust_anchors.hpp"

#include <iostream>

namespace dkimwatch {

int run_validate_command(const std::string& config_path) {
    const auto config = load_config_or_report(config_path, std::cerr);
    if (!config) {
        return 1;
    }
    for (const auto& warning : config->warnings) {
        ConfigError shown = warning;
        shown.message = "warning: " + shown.message;
        std::cerr << shown.to_string() << "\n";
    }
    // The trust anchors are read where they are used (the resolver side), so that a bad file is
    // reported as such, with its own line number.
    if (config->dns.dnssec) {
        if (auto anchors = load_trust_anchors(config->dns.trust_anchor_file); !anchors) {
            std::cerr << config_path << ": dns.trust_anchor_file " << anchors.error() << "\n";
            return 1;
        }
    }
    // With shard: "K/N" (not 1/1), the share of the configured identities this process owns
    // (those SES lists are divided the same way when listed, which validate does not do).
    if (!is_whole_inventory(config->daemon.shard)) {
        const std::size_t configured = config->identities.size();
        const std::size_t owned =
            owned_identities(config->daemon.shard, config->identities).owned.size();
        std::cout << "shard " << shard_text(config->daemon.shard) << ": owns " << owned << " of "
                  << configured << " configured identities\n";
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace dkimwatch
