#include "core/txt_rendering.hpp"

#include <cstdio>

namespace dkimwatch {

std::string escape_txt_string(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (const char ch : raw) {
        const auto byte = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (byte < 0x20 || byte > 0x7e) {
            char buffer[5];
            std::snprintf(buffer, sizeof buffer, "\\%03u", static_cast<unsigned>(byte));
            out += buffer;
        } else {
            out += ch;
        }
    }
    return out;
}

std::string render_txt_record(const std::vector<std::string>& strings) {
    std::string out;
    for (const auto& piece : strings) {
        if (!out.empty()) {
            out += ' ';
        }
        out += '"';
        out += escape_txt_string(piece);
        out += '"';
    }
    return out.empty() ? std::string("\"\"") : out;
}

std::vector<std::string> split_txt_value(std::string_view value, std::size_t max_bytes) {
    std::vector<std::string> pieces;
    if (max_bytes == 0) {
        max_bytes = 255;
    }
    for (std::size_t offset = 0; offset < value.size(); offset += max_bytes) {
        pieces.emplace_back(value.substr(offset, max_bytes));
    }
    if (pieces.empty()) {
        pieces.emplace_back();
    }
    return pieces;
}

} // namespace dkimwatch
