#pragma once
// What dkimwatch asks DNS and what DNS said: the observation side of the data flow.
// These are plain values; the ldns-based resolver fills them, the evaluator reads them.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dkimwatch {

enum class RecordType : std::uint16_t { cname = 5, txt = 16 };

// "CNAME" or "TXT".
const char* record_type_name(RecordType type);

struct LookupRequest {
    std::string name; // canonical (lowercase, no trailing dot)
    RecordType type = RecordType::txt;

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
    std::string detail;                   // a short human note on errors ("timeout after 3 attempts")
};

} // namespace dkimwatch
