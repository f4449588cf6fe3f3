#pragma once
// The daemon's top-level keys: the check schedule, state_dir and metrics (DaemonSettings).

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// check_interval and recheck_interval (at least 100ms; the comparison of the two is in
// across_keys.hpp) -> Config::daemon.
void read_check_interval(Reader& reader, const Field& field, Document& document);
void read_recheck_interval(Reader& reader, const Field& field, Document& document);

// state_dir: stored absolute and normal, relative paths against the configuration's directory.
void read_state_dir(Reader& reader, const Field& field, Document& document);

// ha: true or false -> DaemonSettings::ha, and where the key is -> Config::positions.ha.
void read_ha(Reader& reader, const Field& field, Document& document);

// shard: "K/N" (core/shard.hpp) -> DaemonSettings::shard.
void read_shard(Reader& reader, const Field& field, Document& document);

// metrics: listen (IPv4:port).
void read_metrics_section(Reader& reader, const Field& section, Document& document);

} // namespace dkimwatch::config_reading
