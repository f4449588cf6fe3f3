#pragma once
// The compact identity list (config key identities_file): one identity per line, for
// inventories too large for YAML (yaml-cpp takes ~8 s and ~780 MB for 100,000 identities; this
// format takes well under a second). Format, fields separated by commas, whitespace around
// fields ignored, blank lines and lines starting with # ignored:
//
//   domain,account,region,easy_dkim,TOKEN1 TOKEN2 TOKEN3[,SIGNING_HOSTED_ZONE]
//   domain,account,region,byodkim,SELECTOR,KEY
//
// KEY is the base64 DER public key, or public_key_file:PATH, or private_key_file:PATH (relative
// paths against the identities file's directory). The rules are those of the YAML identities.

#include "config/config_loader.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

struct CsvIdentity {
    Identity identity;
    int line = 0; // 1-based line in the file
};

struct CsvIdentities {
    std::vector<CsvIdentity> identities; // valid lines, in file order
    std::vector<ConfigError> errors;     // one per faulty field or line, in file order
    std::vector<ConfigError> warnings;   // a region missing from the built-in table, in file order
};

// Parses the identities file `text`. `display_name` names the file in errors; `base_dir`
// resolves key file paths. Duplicates within the file are errors.
CsvIdentities parse_identities_csv(std::string_view text, const std::string& display_name,
                                   const std::filesystem::path& base_dir);

} // namespace dkimwatch
