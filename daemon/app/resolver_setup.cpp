#include "app/resolver_setup.hpp"

#include "dns/resolv_conf.hpp"

namespace dkimwatch {

Result<ResolverSettings> resolver_settings_for(const DnsSettings& dns) {
    ResolverSettings settings;
    settings.servers = dns.resolvers;
    if (settings.servers.empty()) {
        auto system = system_resolvers();
        if (!system) {
            return Error{"no dns.resolvers configured and " + system.error()};
        }
        settings.servers = std::move(system).value();
    }
    settings.timeout = dns.timeout;
    settings.attempts = dns.attempts;
    settings.max_inflight = dns.max_inflight;
    settings.max_qps = dns.max_qps;
    return settings;
}

} // namespace dkimwatch
