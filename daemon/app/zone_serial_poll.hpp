#pragma once
// One round of the zone serial watch: every server of every watched zone asked for the zone's
// SOA (directed, RD=0), the answers fed to the watch.

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

} // namespace dkimwatch
