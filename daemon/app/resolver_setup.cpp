#include "app/resolver_setup.hpp"

#include "config/config_loader.hpp"
#include "dns/resolv_conf.hpp"

#include <variant>

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

Result<DnsSettings> with_resolver_overrides(DnsSettings dns,
                                            const std::vector<std::string>& resolvers) {
    if (resolvers.empty()) {
        return dns;
    }
    dns.resolvers.clear();
    for (const auto& text : resolvers) {
        auto address = parse_server_address(text);
        if (!address) {
            return Error{"--resolver " + text + ": " + address.error()};
        }
        dns.resolvers.push_back(*address);
    }
    return dns;
}

Result<DnsSettings> dns_settings_for_command(const std::string& config_path,
                                             const std::vector<std::string>& resolvers) {
    DnsSettings dns;
    if (!config_path.empty()) {
        auto loaded = load_config_file(config_path);
        if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
            std::string text = "the configuration has errors:";
            for (const auto& error : *errors) {
                text += "\n  " + error.to_string();
            }
            return Error{text};
        }
        dns = std::get<Config>(loaded).dns;
    }
    return with_resolver_overrides(std::move(dns), resolvers);
}

} // namespace dkimwatch
