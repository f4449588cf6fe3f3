#pragma once
// `dkimwatch validate`: parse and validate a configuration without touching the network.

#include "config/config.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// Prints on stdout, when the configuration is valid: the shard's share of the configured
// identities (shard not 1/1), one sink_summary() line per alert sink in configuration order,
// then "ok" (always the last line), and returns 0, after any warning on stderr
// (file:line:col: warning: message). Otherwise prints every error (file:line:col: message) on
// stderr and returns 1.
int run_validate_command(const std::string& config_path);

// With `ha: true` (replicas behind an Alertmanager cluster): one warning per slack or webhook
// sink (each replica sends its own notification: they arrive once per replica), at the sink's
// mapping (Config::positions.sinks), and one when no alertmanager sink is configured (nothing
// deduplicates the replicas' alerts), at the `ha:` key (Config::positions.ha). PagerDuty sinks
// are fine (the dedup_key is the same on every replica). None without `ha: true`. A position
// the Config does not hold is line 0 (the whole file). Pure.
std::vector<ConfigError> ha_warnings(const Config& config);

// What a sink will be sent, without any secret: "sink NAME (TYPE, min_severity SEVERITY): "
// followed by the display form (scheme://host[:port]) of each of its URLs, ", "-separated, e.g.
// "sink am (alertmanager, min_severity info): http://127.0.0.1:9093, http://127.0.0.1:9094".
// Never the full URL (a secret for slack and pagerduty), the webhook secret or the routing key.
// Pure.
std::string sink_summary(const AlertSinkConfig& sink);

} // namespace dkimwatch
