#pragma once
// Logging setup: stderr, one event per line, key=value fields.

#include "core/result.hpp"

#include <string>

namespace dkimwatch {

struct Unit {};

// `level`: trace, debug, info, warn, error, critical or off.
Result<Unit> setup_logging(const std::string& level);

} // namespace dkimwatch
