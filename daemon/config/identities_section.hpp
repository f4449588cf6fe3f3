#pragma once
// The identities of the configuration: the `identities:` list and the `identities_file:` key.

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// identities: the list of identities -> Config::identities.
void read_identities_section(Reader& reader, const Field& section, Document& document);

// identities_file: PATH, the compact one-line-per-identity list (config/identities_csv.hpp).
void read_identities_file(Reader& reader, const Field& field, Document& document);

} // namespace dkimwatch::config_reading
