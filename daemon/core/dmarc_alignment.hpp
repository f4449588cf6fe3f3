#pragma once
// DMARC identifier alignment of a DKIM signature (RFC 7489 §3.1.1). Pure: the organizational
// domain comes from a function the caller supplies (dkim/organizational_domain.hpp in the
// program; a table in tests).

#include <functional>
#include <string>
#include <string_view>

namespace dkimwatch {

// Maps a canonical name to its organizational domain (RFC 7489 §3.2), canonical.
using OrganizationalDomainFunction = std::function<std::string(std::string_view)>;

struct DkimAlignment {
    bool strict = false;  // d= equals the From: domain (case-insensitive)
    bool relaxed = false; // d= and the From: domain have the same organizational domain
    bool operator==(const DkimAlignment&) const = default;
};

// `signing_domain` (d=) and `from_domain`: canonical or not (compared case-insensitively, a
// trailing dot ignored). Either empty: not aligned.
DkimAlignment dkim_alignment(std::string_view signing_domain, std::string_view from_domain,
                             const OrganizationalDomainFunction& organizational_domain);

} // namespace dkimwatch
