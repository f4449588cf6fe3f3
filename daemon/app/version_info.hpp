#pragma once

#include <string>

namespace dkimwatch {

// "dkimwatch 0.1.0" followed by one line per library it was built with.
std::string version_text();

} // namespace dkimwatch
