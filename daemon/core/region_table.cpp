#include "core/region_table.hpp"

#include <algorithm>
#include <array>

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

// The regions where SES runs as of this release (AWS's "Amazon SES endpoints and quotas"). A
// region outside this list is accepted with a warning: SES launches new regions, and a
// monitor that refused them would stop at the first one.
constexpr std::array<std::string_view, 29> k_known_ses_regions = {
    "af-south-1",    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2",    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5",
    "ca-central-1",  "ca-west-1",      "eu-central-1",   "eu-central-2",   "eu-north-1",
    "eu-south-1",    "eu-west-1",      "eu-west-2",      "eu-west-3",      "il-central-1",
    "me-central-1",  "me-south-1",     "sa-east-1",      "us-east-1",      "us-east-2",
    "us-gov-east-1", "us-gov-west-1",  "us-west-1",      "us-west-2",
};

bool is_lower_word(std::string_view word, std::size_t min_size, std::size_t max_size) {
    return word.size() >= min_size && word.size() <= max_size &&
           std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool is_number(std::string_view word) {
    return !word.empty() && word.size() <= 3 &&
           std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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

RegionName classify_region(std::string_view region) {
    // Split at the dashes: prefix, one or two words, number.
    std::array<std::string_view, 5> parts{};
    std::size_t count = 0;
    std::string_view rest = region;
    while (true) {
        const auto dash = rest.find('-');
        if (count == parts.size()) {
            return RegionName::malformed;
        }
        parts[count++] = rest.substr(0, dash);
        if (dash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(dash + 1);
    }
    if (count < 3 || count > 4 || !is_lower_word(parts[0], 2, 8) || !is_number(parts[count - 1])) {
        return RegionName::malformed;
    }
    for (std::size_t index = 1; index + 1 < count; ++index) {
        if (!is_lower_word(parts[index], 2, 16)) {
            return RegionName::malformed;
        }
    }
    const bool known = std::find(k_known_ses_regions.begin(), k_known_ses_regions.end(), region) !=
                       k_known_ses_regions.end();
    return known ? RegionName::known : RegionName::unknown;
}

bool looks_like_region(std::string_view region) {
    return classify_region(region) != RegionName::malformed;
}

std::string unknown_region_warning(std::string_view region) {
    return "region \"" + std::string(region) +
           "\" is not in dkimwatch's table of SES regions; accepted as a region SES launched "
           "after this release, with its DKIM records assumed under " +
           default_signing_hosted_zone(region) +
           " (check the spelling, and set signing_hosted_zone if SES reports another)";
}

} // namespace dkimwatch
