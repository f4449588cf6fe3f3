#pragma once
// Shortening text for size-limited fields (Slack's 3000-character sections, PagerDuty's
// 1024-character summary) without splitting a UTF-8 sequence. Pure.

#include <cstddef>
#include <string>
#include <string_view>

namespace dkimwatch {

// The ellipsis appended to shortened text: U+2026, three bytes in UTF-8.
inline constexpr std::string_view k_ellipsis = "\xE2\x80\xA6";

// `text` itself when it has at most max_bytes bytes; otherwise its longest prefix that ends on a
// UTF-8 character boundary and leaves room for k_ellipsis, followed by k_ellipsis, so that the
// result has at most max_bytes bytes (and so at most max_bytes characters). max_bytes smaller
// than the ellipsis gives a plain prefix of at most max_bytes bytes.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

} // namespace dkimwatch
