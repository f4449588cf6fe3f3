#pragma once
// What involves two top-level keys, once the whole document is read.

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// Defaults that give way to another key, so that a short check_interval or revocation_window
// written alone is valid: an absent recheck_interval is at most check_interval, and when
// reminders is absent the default reminders not shorter than revocation_window are dropped.
void apply_dependent_defaults(Document& document);

// The rules that involve two keys, checked when both values are valid on their own (or
// default); the error points at the key that depends on the other.
void check_across_keys(Reader& reader, const Document& document);

} // namespace dkimwatch::config_reading
