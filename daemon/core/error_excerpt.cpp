#include "core/error_excerpt.hpp"

#include <cstdio>

namespace dkimwatch {

std::string error_excerpt(std::string_view text) {
    std::string out;
    const std::size_t shown =
        text.size() < k_error_excerpt_bytes ? text.size() : k_error_excerpt_bytes;
    for (std::size_t i = 0; i < shown; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '"' || byte == '\\') {
            out += '\\';
            out += static_cast<char>(byte);
        } else if (byte >= 0x20 && byte < 0x7f) {
            out += static_cast<char>(byte);
        } else {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(byte));
            out += buffer;
        }
    }
    return out;
}

} // namespace dkimwatch
