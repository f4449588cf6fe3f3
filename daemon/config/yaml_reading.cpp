#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

std::string join(Keys keys) {
    std::string out;
    for (std::string_view key : keys) {
        if (!out.empty()) {
            out += ", ";
        }
        out += key;
    }
    return out;
}

// A user-written text quoted for a message, shortened when long (a pasted key must not be
// repeated in full).
std::string quote(std::string_view text) {
    constexpr std::size_t k_max_shown = 64;
    if (text.size() <= k_max_shown) {
        return "\"" + std::string(text) + "\"";
    }
    return "\"" + std::string(text.substr(0, 24)) + "...\" (" + std::to_string(text.size()) +
           " characters)";
}

// A user-written text for a message, unless it looks like a URL: a Slack or PagerDuty URL is a
// secret, and may be pasted where it does not belong.
std::string shown(std::string_view text) {
    if (text.find("://") != std::string_view::npos) {
        return "a URL (not shown)";
    }
    return quote(text);
}

// What a node is, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
        return "nothing";
    }
    if (node.IsSequence()) {
        return "a sequence";
    }
    if (node.IsMap()) {
        return "a mapping";
    }
    if (node.Scalar().empty()) {
        return "an empty string";
    }
    return shown(node.Scalar());
}

bool is_plain_scalar(const YAML::Node& node) {
    return node.IsScalar() && node.Tag() != "!";
}

bool is_ascii_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9_-]{1,64}
bool is_config_name(std::string_view name) {
    return !name.empty() && name.size() <= k_max_config_name_length &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_ascii_letter_or_digit(c) || c == '_' || c == '-'; });
}

} // namespace dkimwatch::config_reading
