#include "core/log_value.hpp"

namespace dkimwatch {

std::string quote_log_value(std::string_view text) {
    std::string out = "\"";
    out.reserve(text.size() + 2);
    for (const char ch : text) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
        }
        out += ch;
    }
    return out + "\"";
}

} // namespace dkimwatch
