#pragma once
// `dkimwatch discover`: lists what SES has in every configured account and region, and exits.

#include <string>

namespace dkimwatch {

struct DiscoverOptions {
    std::string config_path;
    std::string format = "text"; // "text", "json" or "identities"
};

// 0 when every source answered; 3 when one did not, on a configuration error, or when the
// configuration has no `ses:` section (the reason on stderr).
int run_discover_command(const DiscoverOptions& options);

} // namespace dkimwatch
