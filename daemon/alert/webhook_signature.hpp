#pragma once
// The generic webhook's signature, so that receivers can reject forgeries and replays:
//   X-Dkimwatch-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>.<body>")>
// The receiver recomputes the HMAC over the raw body it received, compares in constant time and
// rejects a t too far from its own clock (docs/alerts.md suggests 5 minutes). Pure.

#include "core/state_machine.hpp"

#include <string>
#include <string_view>

namespace dkimwatch {

inline constexpr std::string_view k_webhook_signature_header = "X-Dkimwatch-Signature";

// Lowercase hex of HMAC-SHA256(key, data): 64 characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// "t=<unix seconds of now>,v1=<hmac_sha256_hex(secret, "<t>.<body>")>".
std::string webhook_signature(std::string_view secret, TimePoint now, std::string_view body);

} // namespace dkimwatch
