#pragma once
// The `dns:` section of the configuration (DnsSettings).

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// dns: resolvers, timeout, attempts, max_inflight, max_qps -> Config::dns.
void read_dns_section(Reader& reader, const Field& section, Document& document);

} // namespace dkimwatch::config_reading
