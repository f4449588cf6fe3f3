#include "core/dns_name.hpp"

#include <cstddef>
#include <cstdio>

namespace dkimwatch {

namespace {

constexpr std::size_t k_max_label_bytes = 63;
// RFC 1035 limits a name to 255 bytes on the wire, which is 253 in text without the trailing dot.
constexpr std::size_t k_max_name_bytes = 253;

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
    return c >= '0' && c <= '9';
}

// A byte as it can be shown in a message: "'x'" for printable ASCII, "byte 0xNN" otherwise.
std::string describe_byte(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f) {
        return std::string("'") + c + "'";
    }
    if (byte == ' ') {
        return "a space";
    }
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "byte 0x%02x", byte);
    return buffer;
}

} // namespace

std::string canonical_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    std::string out(name);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool same_name(std::string_view a, std::string_view b) {
    return canonical_name(a) == canonical_name(b);
}

std::optional<std::string> invalid_label_reason(std::string_view label) {
    if (label.empty()) {
        return "a label is empty";
    }
    if (label.size() > k_max_label_bytes) {
        return "label \"" + std::string(label.substr(0, 20)) + "...\" is " +
               std::to_string(label.size()) + " bytes long; labels are 1 to 63 bytes";
    }
    for (char c : label) {
        if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '-' && c != '_') {
            return "label \"" + std::string(label) + "\" contains " + describe_byte(c) +
                   "; allowed are letters, digits, '-' and '_'";
        }
    }
    if (label.front() == '-') {
        return "label \"" + std::string(label) + "\" starts with '-'";
    }
    if (label.back() == '-') {
        return "label \"" + std::string(label) + "\" ends with '-'";
    }
    return std::nullopt;
}

std::optional<std::string> invalid_domain_reason(std::string_view domain) {
    if (domain.empty()) {
        return "the name is empty";
    }
    if (domain == ".") {
        return "the root name \".\" is not a usable name";
    }
    if (domain.back() == '.') {
        domain.remove_suffix(1);
    }
    if (domain.size() > k_max_name_bytes) {
        return "the name is " + std::to_string(domain.size()) +
               " bytes long; DNS names are at most 253 bytes";
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = domain.find('.', start);
        const std::string_view label = domain.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty()) {
            return std::string("it has an empty label (") +
                   (start == 0 ? "a leading dot" : "two dots in a row") + ")";
        }
        if (auto reason = invalid_label_reason(label)) {
            return reason;
        }
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return std::nullopt;
}

} // namespace dkimwatch
