#pragma once
// One DNS message in wire format, read with ldns (ldns_wire2pkt and its RR/rdf accessors), into
// what the query policy needs; and queries built with ldns. Hostile input is expected: anything
// that does not parse or does not answer the question is reported as such (never trusted,
// never a crash); ldns bounds every read.

#include "core/dns_lookup.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dkimwatch {

// What one response said about one question.
struct ParsedAnswer {
    bool parsed = false;        // false: not a DNS message, or its question is not ours
    bool truncated = false;     // TC bit set (read from the header even when parsed is false)
    bool authoritative = false; // AA bit set
    int rcode = 0;              // header rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED ...)
    // CNAMEs in the answer section, followed from the question name in order (canonical). With
    // follow_cnames false (directed queries) at most the one CNAME at the question name.
    std::vector<std::string> cname_chain;
    // TXT: each record of the requested type at the chain's end, as its character-strings.
    std::vector<std::vector<std::string>> txt_records;
    // NS: the targets (canonical); A and AAAA: the addresses as numeric text. At the chain's
    // end, in answer order. For an NS query whose answer section is empty, the authority
    // section's NS records owned by the question name (a referral).
    std::vector<std::string> values;
    bool has_requested_type = false; // any record of the requested type at the chain's end
    // The SOA: from the answer section when the question is SOA (owned by the chain's end),
    // else the first SOA of the authority section. soa_owner canonical; empty when none.
    std::string soa_owner;
    std::optional<std::uint32_t> soa_serial;
    // Seconds: the smallest TTL of the answer records used (CNAMEs of the chain and the records
    // of the requested type); without records of the requested type min(SOA TTL, SOA MINIMUM)
    // when a SOA came with it (RFC 2308); else 0.
    std::uint32_t ttl = 0;
    // Seconds: the smallest TTL of the CNAMEs in cname_chain; UINT32_MAX when there are none.
    std::uint32_t chain_ttl = UINT32_MAX;
    std::string error; // why parsed is false
};

// How a query is built.
struct QueryOptions {
    bool recursion_desired = true;         // RD; false for directed queries to authorities
    bool dnssec = false;                   // DO=1 in the OPT record and CD=1 in the header
    std::uint16_t edns_buffer_size = 1232; // advertised UDP payload (raised to 512 at least)
};

// `qname` canonical, `id` the query id that was sent. Checks the id, QR, opcode and question
// (exactly one, the name compared case-insensitively, type and class IN).
ParsedAnswer parse_answer(std::span<const std::uint8_t> wire, std::uint16_t id,
                          const std::string& qname, RecordType qtype, bool follow_cnames = true);

// True when `wire` is a response to `query` (a message of build_query with its id patched in):
// the same id, QR set, exactly one question, and that question the query's (the names compared
// by ldns_dname_compare, i.e. without regard to letter case, then type and class). Anything
// else is not an answer to this query, whatever its rcode: it is ignored as if it never
// arrived (RFC 5452 section 9.1). Reads the header and the question only.
bool answers_query(std::span<const std::uint8_t> wire, std::span<const std::uint8_t> query);

// Builds a query with ldns (id 0 is patched by the sender) into `out`. `out` is empty when
// `qname` is not a valid name (presentation form, escapes allowed).
void build_query(const std::string& qname, RecordType qtype, const QueryOptions& options,
                 std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> build_query(const std::string& qname, RecordType qtype,
                                      const QueryOptions& options = {});

} // namespace dkimwatch
