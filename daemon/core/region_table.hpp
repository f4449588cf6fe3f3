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

// What dkimwatch makes of a configured region name.
enum class RegionName {
    known,     // in the built-in table of SES regions (k_known_ses_regions)
    unknown,   // well-formed but not in the table: accepted with a warning (SES adds regions)
    malformed, // not a region name at all: an error
};

// A well-formed region name is a partition prefix of 2 to 8 lowercase letters, one or two
// lowercase words of 2 to 16 letters, and a number of 1 to 3 digits, separated by single
// dashes: ^[a-z]{2,8}(-[a-z]{2,16}){1,2}-[0-9]{1,3}$. That covers every AWS region ("us-east-1",
// "ap-southeast-5", "us-gov-west-1", "us-isob-east-1", "eusc-de-east-1") and "mars-north-9",
// and refuses "Mars_North", "us-east", "useast1" and "US-EAST-1".
RegionName classify_region(std::string_view region);

// True when `region` is well-formed (classify_region is known or unknown).
bool looks_like_region(std::string_view region);

// The warning for a region classify_region calls unknown: what is assumed about it and how to
// override that.
std::string unknown_region_warning(std::string_view region);

} // namespace dkimwatch
