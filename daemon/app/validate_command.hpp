#pragma once
// `dkimwatch validate`: parse and validate a configuration without touching the network.

#include <string>

namespace dkimwatch {

// Prints "ok" on stdout and returns 0, after any warning on stderr
// (file:line:col: warning: message), or prints every error (file:line:col: message) on stderr
// and returns 1.
int run_validate_command(const std::string& config_path);

} // namespace dkimwatch
