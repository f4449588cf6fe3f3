#pragma once
// The RFC5322.From domain that DMARC aligns DKIM's d= against (RFC 7489 §3.1, §6.6.1). Pure.

#include "core/mail_message.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// The addr-specs of one address-list header value (RFC 5322 §3.4): display names, quoted
// strings, comments, angle brackets and groups handled; each returned as "local@domain" with the
// domain canonical (lowercase, no trailing dot) and the local part as written. Errors name the
// fault, e.g. "no address", "unbalanced <", "unterminated quoted string", "address without a
// domain: \"mary\"".
Result<std::vector<std::string>> parse_address_list(std::string_view value);

// The domain of the message's single From: address, canonical. Errors (as DMARC refuses them):
//   "no From: header field"
//   "2 From: header fields (line 4 and line 9)"
//   "From: holds 2 addresses"
//   and parse_address_list()'s errors, prefixed "From: ".
Result<std::string> from_domain(const MailMessage& message);

} // namespace dkimwatch
