#pragma once
// The `dns:` section of the configuration (DnsSettings).

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// dns: resolvers, timeout, attempts, max_inflight, max_qps, authoritative, authoritative_port,
// dnssec, trust_anchor_file, dnssec_expiry_warning, zone_poll_interval -> Config::dns.
void read_dns_section(Reader& reader, const Field& section, Document& document);

} // namespace dkimwatch::config_reading
