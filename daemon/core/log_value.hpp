#pragma once
// Log lines are one event each, as key=value fields; free text goes in double quotes.

#include <string>
#include <string_view>

namespace dkimwatch {

// `text` in double quotes with '"' and '\' backslash-escaped, e.g. reason="a \"quoted\" word".
std::string quote_log_value(std::string_view text);

} // namespace dkimwatch
