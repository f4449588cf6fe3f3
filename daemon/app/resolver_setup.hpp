#pragma once
// Turns the configuration's dns section into resolver settings, falling back to the system's
// resolvers when the configuration names none; and the DNS settings of the one-shot commands
// that take --config and --resolver (keycheck, inspect), chosen the same way for both.

#include "config/config.hpp"
#include "core/result.hpp"
#include "dns/async_resolver.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

Result<ResolverSettings> resolver_settings_for(const DnsSettings& dns);

// `dns` with its resolvers replaced by `resolvers` ("IP" or "IP:PORT" each, parsed by
// parse_server_address) when any are given; unchanged otherwise (an empty resolver list then
// means /etc/resolv.conf, see resolver_settings_for). Error: "--resolver TEXT: <reason>".
Result<DnsSettings> with_resolver_overrides(DnsSettings dns,
                                            const std::vector<std::string>& resolvers);

// The DNS settings of a command: --resolver (`resolvers`) if given, else the dns section of the
// configuration at `config_path` (when not empty), else the defaults with /etc/resolv.conf's
// servers. The configuration's other dns settings (timeouts, dnssec, authoritative) apply in
// both of the first two cases. Errors: "the configuration has errors:\n  <error>..." (one
// ConfigError::to_string() per line), or with_resolver_overrides()'s.
Result<DnsSettings> dns_settings_for_command(const std::string& config_path,
                                             const std::vector<std::string>& resolvers);

} // namespace dkimwatch
