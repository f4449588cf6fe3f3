#pragma once
// Whether the configured query rate can check the whole inventory once per check_interval.
// Pure arithmetic, for the warning the daemon logs at start and on reload.

#include "core/duration.hpp"
#include "core/identity.hpp"

#include <cstddef>
#include <cstdint>

namespace dkimwatch {

// DNS queries one check of `identity` sends when its records are healthy and every query is
// answered at the first attempt: a CNAME and a TXT query per Easy DKIM token, one TXT query for
// BYODKIM. With the authoritative check on, `authoritative_servers` (the server addresses of
// the identity's zone) adds one directed query per record per address (the TXT answer carries
// a CNAME too) and, for Easy DKIM, one more TXT query per record through the resolvers: the
// servers' CNAME leaves the zone, and the target is followed as SES's resolvers would
// (bench/capacity.py measured 12.0 queries per check with one address: (2 + 1 + 1) x 3). Problems
// (probe queries, serials asked afresh), CNAME hops, retries and the cached lookups (zone
// discovery, serials, DNSKEY, DS) only add to it: a lower bound.
std::uint64_t queries_per_check(const Identity& identity, std::size_t authoritative_servers = 0);

struct CheckCapacity {
    std::size_t identities = 0;
    std::uint64_t queries = 0; // one check of every identity (queries_per_check summed)
    int max_qps = 0;           // 0: unlimited
    Milliseconds needed{0};    // queries / max_qps, rounded up; 0 when unlimited
    Milliseconds check_interval{0};

    // queries / identities (0 for an empty inventory).
    double queries_per_identity() const;
    // True when one check of every identity fits in one check_interval at max_qps.
    bool keeps_up() const { return needed <= check_interval; }
};

// `identities` identities whose checks send `queries` queries in all (queries_per_check summed).
CheckCapacity check_capacity(std::size_t identities, std::uint64_t queries, int max_qps,
                             Milliseconds check_interval);

} // namespace dkimwatch
