#pragma once
// The DKIM key record parser (RFC 6376 §3.2 tag lists, §3.6.1 key records, RFC 8463 ed25519).
// Pure: text in, record or a precise reason out.

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

struct DkimKeyRecord {
    bool has_version = false;                // v=DKIM1 present (it must then be the first tag)
    std::string key_type = "rsa";            // k=, default rsa
    std::vector<std::string> hash_algorithms; // h=, empty when absent (all allowed)
    std::vector<std::string> service_types;   // s=, empty when absent (means "*")
    std::vector<std::string> flags;           // t=, e.g. {"y"} or {"s"}
    std::string public_key_base64;            // p= with all whitespace removed; empty = revoked
    std::vector<unsigned char> public_key;    // p= decoded; empty when revoked

    bool revoked() const { return public_key_base64.empty(); }
    bool testing() const;           // t= contains y
    bool allows_email() const;      // s= absent, or lists "email" or "*"
    bool allows_sha256() const;     // h= absent, or lists "sha256"
};

// Joins the character-strings of one TXT record with nothing between them (RFC 6376 §3.6.2.2).
std::string join_txt_strings(const std::vector<std::string>& strings);

// True when a TXT record's text looks like it was meant as a DKIM key record (it has a v=DKIM1
// or a p= tag, or a k= tag). Used to tell a DKIM key from unrelated TXT records at a name.
bool looks_like_dkim_key_record(std::string_view text);

// Parses the joined text of one TXT record. The error names the fault precisely, e.g.
//   "duplicate tag p"
//   "v= must be the first tag"
//   "v=DKIM2: the version must be DKIM1"
//   "no p= tag"
//   "p= is not valid base64: a PEM header (-----BEGIN PUBLIC KEY-----) was pasted in"
//   "p= is not valid base64: it contains a quote character, left in from the zone file"
//   "a line break was pasted into the record"
//   "tag k has value \"rsa p=MIGf...\": a ';' seems to be missing between two tags"
//   "escaped \\; found: the backslash is part of the published text"
//   "p= is not valid base64 (length 367 is not a multiple of 4; was the value cut at 255 bytes?)"
Result<DkimKeyRecord> parse_dkim_key_record(std::string_view text);

} // namespace dkimwatch
