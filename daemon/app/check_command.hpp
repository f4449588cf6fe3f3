#pragma once
// `dkimwatch check`: one sweep over every configured identity the shard owns, printed for people or
// scripts.

#include <string>

namespace dkimwatch {

struct CheckOptions {
    std::string config_path;
    std::string format = "text"; // "text" or "json"
};

// Returns the process exit code (monitoring-plugins convention; 3 on config or usage errors).
int run_check_command(const CheckOptions& options);

} // namespace dkimwatch
