#pragma once
// Converts one DNS response packet (wire format) into what the evaluator needs, reading the
// wire directly (no ldns, no intermediate packet). Hostile input is expected: anything that does
// not parse or does not answer the question is reported as malformed, never trusted, never a
// crash, never a read outside the given bytes.

#include "core/dns_lookup.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dkimwatch {

// What one response said about one question.
struct ParsedAnswer {
    bool parsed = false;    // false: not a DNS message, or its question is not ours
    bool truncated = false; // TC bit set
    int rcode = 0;          // header rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED ...)
    // CNAMEs in the answer section, followed from the question name in order (canonical).
    std::vector<std::string> cname_chain;
    // Records of the requested type owned by the last name of the chain (TXT: the strings).
    std::vector<std::vector<std::string>> txt_records;
    bool has_requested_type = false; // any record of the requested type at the chain's end
    std::string error;               // why parsed is false
};

// `qname` canonical, `id` the query id that was sent. Checks the id and question section.
ParsedAnswer parse_response(std::span<const std::uint8_t> wire, std::uint16_t id,
                            const std::string& qname, RecordType qtype);

// True when `wire` is a response to `query` (a message of build_query with its id patched in):
// the same id, QR set, exactly one question, and that question the query's (the name compared
// without regard to letter case, then type and class). Anything else is not an answer to this
// query, whatever its rcode: it is ignored as if it never arrived (RFC 5452 section 9.1), so
// that a forger must match the question as well as the id and port. Reads the header and the
// question only; never reads outside `wire`.
bool answers_query(std::span<const std::uint8_t> wire, std::span<const std::uint8_t> query);

// Builds a query (RD set, EDNS0 OPT with `edns_buffer_size`, no DO bit) in wire format. Empty
// when `qname` is not a valid name (presentation form, escapes allowed).
std::vector<std::uint8_t> build_query(const std::string& qname, RecordType qtype, std::uint16_t id,
                                      std::uint16_t edns_buffer_size);
// The same into `out`, reusing its capacity (no allocation once it is large enough).
void build_query(const std::string& qname, RecordType qtype, std::uint16_t id,
                 std::uint16_t edns_buffer_size, std::vector<std::uint8_t>& out);

} // namespace dkimwatch
