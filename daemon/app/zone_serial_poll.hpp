#pragma once
// One round of the zone serial watch: every server of every watched zone asked for the zone's
// SOA (directed, RD=0), the answers fed to the watch.

#include "core/identity.hpp"
#include "core/lookup_service.hpp"
#include "core/zone_watch.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dkimwatch {

// Submits watch.poll_requests(port) to `lookups`, runs it until every answer is in (at most
// attempts x timeout of the resolver settings), and returns watch.observe()'s changed zones.
std::vector<std::string> poll_zone_serials(ZoneWatch& watch, LookupService& lookups,
                                           std::uint16_t port);

// Finds the zone and servers of each identity that `watch` does not know yet (discovery of its
// first record's name: every record of an identity lives under "_domainkey.<domain>", so one
// zone per identity) and adds them to the watch, so that the serials are watched from the
// start rather than from each identity's first check. The lookups are cacheable: one SOA query
// per identity, one NS and address set per zone. Runs `lookups` until done.
void discover_watched_zones(ZoneWatch& watch, const std::vector<const Identity*>& identities,
                            LookupService& lookups, std::uint16_t port);

} // namespace dkimwatch
