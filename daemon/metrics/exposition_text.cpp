#include "metrics/exposition_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace dkimwatch {

namespace {

void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char* replacement = nullptr;
        if (c == '\\') {
            replacement = "\\\\";
        } else if (c == '\n') {
            replacement = "\\n";
        } else if (c == '"' && escape_quote) {
            replacement = "\\\"";
        }
        if (replacement != nullptr) {
            out.append(text.substr(start, i - start));
            out.append(replacement);
            start = i + 1;
        }
    }
    out.append(text.substr(start));
}

} // namespace

void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type) {
    out.append("# HELP ").append(name).push_back(' ');
    append_escaped(out, help, false);
    out.append("\n# TYPE ").append(name).push_back(' ');
    out.append(type).push_back('\n');
}

void append_label_value(std::string& out, std::string_view value) {
    append_escaped(out, value, true);
}

void append_sample_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out.append("NaN");
    } else if (std::isinf(value)) {
        out.append(value > 0 ? "+Inf" : "-Inf");
    } else {
        // Fixed notation in the range people read (counts, seconds, Unix times), the shortest
        // of fixed and scientific outside it.
        const double magnitude = std::fabs(value);
        const bool fixed = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
        std::array<char, 64> buffer{};
        const auto result =
            fixed ? std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                  std::chars_format::fixed)
                  : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
        out.append(buffer.data(), result.ptr);
    }
}

} // namespace dkimwatch
