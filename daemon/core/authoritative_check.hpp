#pragma once
// The authoritative check of one record, as a pure step function: after the resolver's verdict,
// find the zone's servers (core/zone_discovery.hpp), ask every server address directly (RD=0)
// and judge each answer with the same evaluator, then combine:
//   - all servers agree with the resolver: the resolver's verdict, with the per-server answers;
//   - the servers disagree among themselves: ns_split (error), naming servers, answers, serials;
//   - a server is lame (REFUSED, no AA, no answer on every attempt) and the others agree:
//     lame_server (warning) unless the record is otherwise worse;
//   - every reachable server agrees that the record is missing or wrong while the resolver
//     still answers from its cache: the authoritative verdict decides, and the message says
//     that resolvers may serve the old answer until its TTL runs out (the early warning; the
//     remaining TTL is RecordVerdict::cached_answer_ttl, not in the message);
//   - no server reachable at all: the resolver's verdict stands, authoritative_indeterminate.

#include "core/dns_lookup.hpp"
#include "core/evaluator.hpp"
#include "core/verdict.hpp"

#include <cstdint>
#include <span>
#include <variant>

namespace dkimwatch {

using AuthoritativeStep = std::variant<NeedLookups, RecordVerdict>;

// `resolver_verdict`: the verdict from the resolvers (evaluate_record's); `resolver_ttl`: the
// TTL in seconds of the resolver's answer at the record name (how long caches may keep it).
// `port`: dns.authoritative_port. `lookups`: results of every request returned before, any
// order. Requests returned are discovery lookups (cacheable), directed queries (server set),
// and the evaluator's follow-ups for names outside the zone (through the resolvers). Never
// returns a request already in `lookups`, so the loop terminates. The verdict returned is
// `resolver_verdict` completed (zone, authoritative, authoritative_indeterminate) and, where
// the rules above say so, with its code, severity, observed and message replaced.
AuthoritativeStep check_authoritative(const RecordExpectation& expectation,
                                      const RecordVerdict& resolver_verdict,
                                      std::uint32_t resolver_ttl, std::uint16_t port,
                                      std::span<const LookupResult> lookups);

} // namespace dkimwatch
