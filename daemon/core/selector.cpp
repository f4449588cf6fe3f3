#include "core/selector.hpp"

#include <cctype>

namespace dkimwatch {

std::optional<std::string> invalid_selector_reason(std::string_view selector) {
    static constexpr std::string_view k_rule =
        "SES selectors are 1 to 63 letters and digits, with no periods or other punctuation";
    if (selector.empty()) {
        return "is empty: " + std::string(k_rule);
    }
    if (selector.size() > 63) {
        return "is " + std::to_string(selector.size()) + " characters long: " + std::string(k_rule);
    }
    for (const char ch : selector) {
        const auto byte = static_cast<unsigned char>(ch);
        if (std::isalnum(byte) != 0 && byte < 0x80) {
            continue;
        }
        if (ch == '.') {
            return "contains a period: " + std::string(k_rule);
        }
        if (ch == '-') {
            return "contains a hyphen: " + std::string(k_rule) +
                   " (the SES API may accept inner hyphens, but SES documents letters and "
                   "digits only)";
        }
        if (byte < 0x21 || byte > 0x7e) {
            return "contains a space or non-ASCII byte: " + std::string(k_rule);
        }
        return "contains '" + std::string(1, ch) + "': " + std::string(k_rule);
    }
    return std::nullopt;
}

} // namespace dkimwatch
