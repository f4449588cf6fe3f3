#include "alert/text_truncation.hpp"

namespace dkimwatch {

namespace {

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// The largest cut <= limit that does not split a UTF-8 sequence.
std::size_t boundary_at_or_before(std::string_view text, std::size_t limit) {
    std::size_t cut = limit;
    while (cut > 0 && cut < text.size() && is_continuation_byte(text[cut])) {
        --cut;
    }
    return cut;
}

} // namespace

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return std::string(text);
    }
    if (max_bytes < k_ellipsis.size()) {
        return std::string(text.substr(0, boundary_at_or_before(text, max_bytes)));
    }
    const std::size_t cut = boundary_at_or_before(text, max_bytes - k_ellipsis.size());
    std::string out(text.substr(0, cut));
    out += k_ellipsis;
    return out;
}

} // namespace dkimwatch
