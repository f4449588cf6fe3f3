#pragma once
// alerts, group_threshold, group_wait, group_interval, max_retry_age (AlertSettings). Secrets
// (URLs, HMAC keys, routing keys: file contents and environment values) never reach a message:
// messages name the key, the file or the environment variable, never what they hold.

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// alerts: the list of alert sinks -> Config::alerts.sinks, and where each sink's mapping is ->
// Config::positions.sinks.
void read_alerts_section(Reader& reader, const Field& section, Document& document);

// group_threshold (>= 1), group_wait (any duration), group_interval and max_retry_age (>= 1s)
// -> Config::alerts.
void read_group_threshold(Reader& reader, const Field& field, Document& document);
void read_group_wait(Reader& reader, const Field& field, Document& document);
void read_group_interval(Reader& reader, const Field& field, Document& document);
void read_max_retry_age(Reader& reader, const Field& field, Document& document);

} // namespace dkimwatch::config_reading
