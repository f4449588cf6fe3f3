#include "core/region_table.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace dkimwatch {
namespace {

// Regions whose SES DKIM targets live in their own zone, dkim.<region>.amazonses.com
// (AWS's "DKIM domains" table as followed by third-party tooling; the list grows as regions
// launch, hence the per-identity override in the configuration).
constexpr std::array<std::string_view, 11> k_regions_with_own_zone = {
    "af-south-1",     "ap-northeast-3", "ap-south-2",    "ap-southeast-3",
    "ap-southeast-5", "ca-west-1",      "eu-central-2",  "eu-south-1",
    "il-central-1",   "me-central-1",   "us-gov-east-1",
};

constexpr std::string_view k_zone_prefix = "dkim.";
constexpr std::string_view k_zone_suffix = ".amazonses.com";

} // namespace

std::string default_signing_hosted_zone(std::string_view region) {
    const bool own_zone = std::find(k_regions_with_own_zone.begin(), k_regions_with_own_zone.end(),
                                    region) != k_regions_with_own_zone.end();
    if (!own_zone) {
        return std::string(k_global_signing_hosted_zone);
    }
    return std::string(k_zone_prefix) + std::string(region) + std::string(k_zone_suffix);
}

std::optional<std::string> region_of_signing_hosted_zone(std::string_view hosted_zone) {
    if (hosted_zone == k_global_signing_hosted_zone) {
        return std::string();
    }
    if (!hosted_zone.starts_with(k_zone_prefix) || !hosted_zone.ends_with(k_zone_suffix)) {
        return std::nullopt;
    }
    const std::string_view middle = hosted_zone.substr(
        k_zone_prefix.size(), hosted_zone.size() - k_zone_prefix.size() - k_zone_suffix.size());
    if (!looks_like_region(middle)) {
        return std::nullopt;
    }
    return std::string(middle);
}

bool looks_like_region(std::string_view region) {
    // <letters>(-<letters>)+-<digits>: "us-east-1", "us-gov-west-1", "ap-southeast-5".
    const auto last_dash = region.rfind('-');
    if (last_dash == std::string_view::npos || last_dash + 1 == region.size()) {
        return false;
    }
    const std::string_view number = region.substr(last_dash + 1);
    if (!std::all_of(number.begin(), number.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
        return false;
    }
    const std::string_view words = region.substr(0, last_dash);
    if (words.empty() || words.front() == '-' || words.back() == '-' ||
        words.find('-') == std::string_view::npos || words.find("--") != std::string_view::npos) {
        return false;
    }
    return std::all_of(words.begin(), words.end(),
                       [](unsigned char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

} // namespace dkimwatch
