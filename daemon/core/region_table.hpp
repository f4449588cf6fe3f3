#pragma once
// The SES signing hosted zone per region: "dkim.amazonses.com" in most regions, and
// "dkim.<region>.amazonses.com" in the regions that launched with their own zone.
// The SES v2 API reports the real value as DkimAttributes.SigningHostedZone, so a per-identity
// override exists in the configuration; this table is only the default.

#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

inline constexpr std::string_view k_global_signing_hosted_zone = "dkim.amazonses.com";

// The default signing hosted zone for `region` (canonical, no trailing dot).
std::string default_signing_hosted_zone(std::string_view region);

// When `hosted_zone` is SES's zone of some region, the region it belongs to:
// "dkim.eu-south-1.amazonses.com" -> "eu-south-1"; "dkim.amazonses.com" -> "" (the shared zone).
// nullopt when it is not an SES DKIM zone at all.
std::optional<std::string> region_of_signing_hosted_zone(std::string_view hosted_zone);

// True when `region` looks like an AWS region name ("us-east-1", "us-gov-west-1").
bool looks_like_region(std::string_view region);

} // namespace dkimwatch
