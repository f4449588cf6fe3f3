#pragma once
// What dkimwatch asks DNS and what DNS said: the observation side of the data flow.
// These are plain values; the ldns-based resolver fills them, the evaluator reads them.

#include "core/server_address.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

// The RR types dkimwatch asks for (values are the IANA type codes). cname and txt are the
// records SES relies on; the others serve the authoritative check (soa, ns, a, aaaa) and DNSSEC
// validation (ds, dnskey).
enum class RecordType : std::uint16_t {
    a = 1,
    ns = 2,
    cname = 5,
    soa = 6,
    txt = 16,
    aaaa = 28,
    ds = 43,
    dnskey = 48,
};

// "A", "NS", "CNAME", "SOA", "TXT", "AAAA", "DS", "DNSKEY".
const char* record_type_name(RecordType type);

struct LookupRequest {
    LookupRequest() = default;
    // A plain question through the resolvers (no server, no DNSSEC, not cacheable).
    LookupRequest(std::string name_, RecordType type_) : name(std::move(name_)), type(type_) {}

    std::string name; // canonical (lowercase, no trailing dot)
    RecordType type = RecordType::txt;
    // Set: a directed query. It goes to this server only (not to the configured resolvers), with
    // RD=0, attempts spent on this one server, and CNAMEs are not followed: the result is what
    // this server says at `name` (a CNAME there is reported in cname_chain, with whatever the
    // same response holds for its target). Used to ask each authoritative server of a zone.
    std::optional<ServerAddress> server;
    // DO=1 and CD=1 (RFC 4035 section 3.2): a validating resolver hands over signatures and
    // bogus data instead of SERVFAIL. The result then keeps every response in wire form
    // (LookupResult::wires) for the DNSSEC validator.
    bool dnssec = false;
    // May be answered from a cache for the answer's TTL, and identical requests in flight at
    // once may share one query (see core/lookup_cache.hpp). For infrastructure lookups only
    // (SOA, NS, addresses, DNSKEY, DS); never set for the record being checked.
    bool cacheable = false;

    friend bool operator==(const LookupRequest&, const LookupRequest&) = default;
};

// The outcome of one query after all attempts and CNAME following.
enum class LookupOutcome {
    answer,    // NOERROR with at least one record of the requested type at the end of the chain
    nodata,    // NOERROR, name exists, no record of the requested type
    nxdomain,  // the (final) name does not exist
    servfail,  // SERVFAIL from every server asked
    refused,   // REFUSED from every server asked
    timeout,   // no usable answer within attempts x timeout
    malformed, // answers arrived but none could be parsed, or another rcode (FORMERR, NOTIMP...)
};

// "answer", "nodata", "nxdomain", "servfail", "refused", "timeout", "malformed".
const char* lookup_outcome_name(LookupOutcome outcome);

struct LookupResult {
    LookupRequest request;
    LookupOutcome outcome = LookupOutcome::timeout;
    // CNAME targets in the order they were followed, canonical. For a CNAME query this is the
    // single target found at the name. For a TXT query it is the chain that led to the data.
    std::vector<std::string> cname_chain;
    // For TXT queries: each TXT record at the end of the chain, as its character-strings
    // (raw bytes, not joined, not unescaped further).
    std::vector<std::vector<std::string>> txt_records;
    // Record types that were present at the queried name but are neither the requested type nor
    // CNAME (rarely known; filled when the server returned them). Informational.
    std::string server;                   // "ip:port" of the server whose answer was used
    std::chrono::microseconds latency{0}; // of the answer that was used
    int attempts = 0;                     // queries sent for this lookup, all hops included
    bool used_tcp = false;                // an answer was truncated and retried over TCP
    std::string detail; // a short human note on errors ("timeout after 3 attempts")

    // The AA flag of the answer used (meaningful for directed queries).
    bool authoritative_answer = false;
    // The SOA that came with the answer used: from the answer section for a SOA query at the
    // apex, else from the authority section (negative answers, and most authoritative servers'
    // positive answers do not carry one). soa_owner is the zone apex, canonical; empty (and
    // soa_serial nullopt) when the answer held no SOA.
    std::string soa_owner;
    std::optional<std::uint32_t> soa_serial;
    // Seconds the answer may be cached, in seconds: the smallest TTL of the answer-section
    // records used; for a negative answer min(SOA TTL, SOA MINIMUM) (RFC 2308); 0 when unknown.
    std::uint32_t ttl = 0;
    // NS query: the name server names (canonical); A and AAAA: the addresses in numeric text
    // form. In answer order, at the end of the CNAME chain. Empty for other types.
    std::vector<std::string> values;
    // Only when request.dnssec: every response used, as received (wire form), one per query
    // that contributed (the first answer, then each CNAME hop followed), in order.
    std::vector<std::vector<std::uint8_t>> wires;
};

// The result among `lookups` whose request equals `request` (every field), or null.
const LookupResult* find_result(std::span<const LookupResult> lookups,
                                const LookupRequest& request);

// The lookups a step function needs before it can decide (never empty).
struct NeedLookups {
    std::vector<LookupRequest> requests;
};

} // namespace dkimwatch
