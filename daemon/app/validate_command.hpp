#pragma once
// `dkimwatch validate`: parse and validate a configuration without touching the network.

#include "config/config.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// Prints "ok" on stdout and returns 0, after any warning on stderr
// (file:line:col: warning: message), or prints every error (file:line:col: message) on stderr
// and returns 1.
int run_validate_command(const std::string& config_path);

// With `ha: true` (replicas behind an Alertmanager cluster): one warning per slack or webhook
// sink (each replica sends its own notification: they arrive once per replica), and one when no
// alertmanager sink is configured (nothing deduplicates the replicas' alerts). PagerDuty sinks
// are fine (the dedup_key is the same on every replica). None without `ha: true`. The warnings
// concern the whole file (line 0) and name the sink. Pure.
std::vector<ConfigError> ha_warnings(const Config& config);

} // namespace dkimwatch
