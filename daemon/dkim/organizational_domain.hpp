#pragma once
// The organizational domain of a name (RFC 7489 §3.2): the public suffix that the Public Suffix
// List gives for it plus one more label. DMARC's relaxed alignment compares these. The list is
// libpsl's: the distribution's newest copy (Debian's publicsuffix package) when it is newer than
// the one compiled into libpsl, else the compiled-in one. Names under a suffix the list does not
// know (".test", ".invalid") are treated as under a one-label suffix (the list's "*" rule), so the
// organizational domain of "mail.example.test" is "example.test".

#include <string>
#include <string_view>

namespace dkimwatch {

// `name`: canonical (lowercase, no trailing dot). Returns the organizational domain, canonical;
// the name itself when it is a public suffix or has a single label. Thread-safe.
std::string organizational_domain(std::string_view name);

} // namespace dkimwatch
