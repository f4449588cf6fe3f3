#pragma once
// Finding the authoritative servers of the zone that holds a record, as a pure step function:
// the zone apex (a SOA query through the resolvers), its NS set, and each NS's A and AAAA
// addresses. Every lookup it asks for is cacheable (core/lookup_cache.hpp caches them by TTL),
// so that the thousands of records of one zone cost one discovery per TTL.

#include "core/dns_lookup.hpp"
#include "core/server_address.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dkimwatch {

struct ZoneServer {
    std::string name;      // the NS name, canonical
    ServerAddress address; // one of its addresses, with dns.authoritative_port
    friend bool operator==(const ZoneServer&, const ZoneServer&) = default;
};

struct ZoneServers {
    // The zone apex, canonical; empty when it could not be found (then `problem` says why).
    std::string apex;
    // Every address of every NS of the zone, sorted by NS name then address; empty when
    // none could be found.
    std::vector<ZoneServer> servers;
    std::vector<std::string> unresolved; // NS names with neither an A nor an AAAA record
    std::string problem; // readable, when apex or servers is empty ("no SOA for ...: timeout")
};

using ZoneDiscoveryStep = std::variant<NeedLookups, ZoneServers>;

// `record_name` canonical (a DKIM record: "<token>._domainkey.<domain>"); `port` the port to
// ask the servers on (dns.authoritative_port). `lookups`: results of every request returned
// before, any order. Never returns a request already in `lookups`, so the loop terminates.
ZoneDiscoveryStep discover_zone_servers(std::string_view record_name, std::uint16_t port,
                                        std::span<const LookupResult> lookups);

} // namespace dkimwatch
