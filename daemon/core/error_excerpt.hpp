#pragma once
// Quoting untrusted input (a received message, a header field) inside an error message. Pure.

#include <cstddef>
#include <string>
#include <string_view>

namespace dkimwatch {

// Bytes of input an error message quotes at most.
inline constexpr std::size_t k_error_excerpt_bytes = 60;

// At most k_error_excerpt_bytes of `text`: printable ASCII as is, '"' and '\' escaped with a
// backslash, every other byte as \xNN, so that the message stays one line of valid ASCII (it may
// end up in JSON or a terminal) whatever the input held.
std::string error_excerpt(std::string_view text);

} // namespace dkimwatch
