#pragma once
// Authentication-Results header fields (RFC 8601): what the receiving side concluded. Pure.

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// One result (RFC 8601 "resinfo") of one Authentication-Results field.
struct AuthenticationResult {
    std::string authserv_id; // the field's authserv-id, as written (e.g. "mx.google.com")
    std::string method;      // lowercase: "dkim", "spf", "dmarc", "arc", ...
    std::string result;      // lowercase: "pass", "fail", "none", "neutral", "temperror", ...
    std::string reason;      // reason= value, unquoted; empty when none
    std::string header_d;    // the header.d= property, lowercase; empty when none
    std::string header_s;    // header.s=; empty when none
    std::string header_i;    // header.i=; empty when none
    std::string header_b;    // header.b= (a prefix of the signature's b=); empty when none
    bool operator==(const AuthenticationResult&) const = default;
};

// Parses one field's value (the text after "Authentication-Results:", unfolded). Comments
// (nested parentheses) are ignored, names compared case-insensitively, values may be quoted.
// "authserv-id; none" yields no result. An optional version after the authserv-id is accepted.
// Errors name the fault: "no authserv-id", "a result without a method=result pair: \"...\"",
// "unterminated comment", "unterminated quoted string".
Result<std::vector<AuthenticationResult>> parse_authentication_results(std::string_view value);

} // namespace dkimwatch
