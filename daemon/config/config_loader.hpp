#pragma once
// Strict YAML configuration loading. Unknown keys, wrong types, bad values and duplicates are
// errors; every error carries file:line:column and says what is allowed. All errors found are
// reported, not only the first.

#include "config/config.hpp"

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dkimwatch {

using ConfigLoadResult = std::variant<Config, std::vector<ConfigError>>;

// Reads and validates the file at `path`. Relative key file paths are resolved against the
// config file's directory.
ConfigLoadResult load_config_file(const std::filesystem::path& path);

// load_config_file() for the commands: the Config, or nullopt after writing every error to
// `errors`, one line each (ConfigError::to_string()).
std::optional<Config> load_config_or_report(const std::filesystem::path& path,
                                            std::ostream& errors);

// Validates YAML text. `display_name` appears in errors; `base_dir` resolves relative paths.
ConfigLoadResult load_config_text(std::string_view text, const std::string& display_name,
                                  const std::filesystem::path& base_dir);

} // namespace dkimwatch
