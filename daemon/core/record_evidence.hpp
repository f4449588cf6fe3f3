#pragma once
// What the authoritative check and DNSSEC validation add to a record's verdict. Plain values;
// the names of DnssecStatus are a public contract (check's JSON "dnssec" field, README).

#include "core/server_address.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace dkimwatch {

enum class VerdictCode;

// The DNSSEC state of a record's answer (RFC 4035 section 4.3).
enum class DnssecStatus {
    secure,        // every RRset on the chain validated up to a trust anchor
    insecure,      // provably unsigned (no DS at a delegation, or no trust anchor above): fine
    bogus,         // validation failed: validating resolvers answer SERVFAIL
    indeterminate, // the data needed could not be fetched (timeouts, SERVFAIL without data)
};

// "secure", "insecure", "bogus", "indeterminate".
const char* dnssec_status_name(DnssecStatus status);

// One authoritative server's own answer for a record (a directed query, RD=0).
struct AuthoritativeAnswer {
    std::string server;  // the NS name, canonical ("ns1.example.net")
    std::string address; // numeric address asked, without port ("192.0.2.1", "2001:db8::1")
    // This server's verdict by the same evaluator as the resolver's (dns_error when it gave no
    // usable answer; lame servers are reported through `lame`).
    VerdictCode verdict{};
    std::optional<std::string> observed; // readable value it serves; nullopt when nothing
    bool aa = false;                     // AA flag of its answer
    bool lame = false; // REFUSED, no AA, or no answer on every attempt (RFC 1912 "lame")
    std::optional<std::uint32_t> serial; // its SOA serial for the zone, when it gave one
    std::chrono::microseconds latency{0};
    std::string detail; // short note on failures ("refused", "timeout after 3 attempts")
};

} // namespace dkimwatch
