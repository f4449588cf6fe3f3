#pragma once
// Presentation of TXT data: zone-file escaping for display, and splitting long values into
// character-strings of at most 255 bytes (RFC 1035 §3.3.14) for publishing.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// Zone-file presentation of one character-string without the surrounding quotes: '"' and '\'
// are backslash-escaped, bytes outside printable ASCII become \DDD. Safe for any bytes.
std::string escape_txt_string(std::string_view raw);

// One TXT record as a zone file shows it: "abc" "def".
std::string render_txt_record(const std::vector<std::string>& strings);

// Splits `value` into pieces of at most `max_bytes` bytes each (at least one piece).
std::vector<std::string> split_txt_value(std::string_view value, std::size_t max_bytes = 255);

} // namespace dkimwatch
