#include "config/secret_sources.hpp"

#include "config/file_limits.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace dkimwatch::config_reading {

bool is_env_name(std::string_view name) {
    return !name.empty() && !(name.front() >= '0' && name.front() <= '9') &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_ascii_letter_or_digit(c) || c == '_'; });
}

bool is_space_or_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
}

bool has_space_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), is_space_or_control);
}

void strip_trailing_space(std::string& text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                             text.back() == '\r')) {
        text.pop_back();
    }
}

std::optional<std::string> invalid_url_reason(std::string_view url) {
    if (has_space_or_control(url)) {
        return "it contains a space or control character";
    }
    const std::size_t scheme_end = url.find("://");
    std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (scheme != "http" && scheme != "https") {
        return "it does not start with http:// or https://";
    }
    const std::size_t authority_start = scheme_end + 3;
    const std::size_t authority_end =
        std::min(url.find_first_of("/?#\\", authority_start), url.size());
    std::string_view authority = url.substr(authority_start, authority_end - authority_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1); // userinfo
    }
    std::string_view host = authority;
    std::optional<std::string_view> port;
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        return "the host is missing";
    }
    bool host_valid = false;
    if (host.front() == '[') {
        host_valid =
            host.size() >= 3 && host.back() == ']' &&
            std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
            });
    } else {
        host_valid = std::all_of(host.begin(), host.end(), [](char c) {
            return is_ascii_letter_or_digit(c) || c == '-' || c == '.' || c == '_';
        });
    }
    if (!host_valid) {
        return "the host is not a name, an IPv4 address or a bracketed IPv6 address";
    }
    if (port) {
        constexpr unsigned long k_max_port = 65535;
        unsigned long number = 0;
        const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), number);
        if (port->empty() || end != port->data() + port->size() || ec != std::errc() ||
            number == 0 || number > k_max_port) {
            return "the port is not a number from 1 to 65535";
        }
    }
    return std::nullopt;
}

std::optional<SecretFile> read_secret_file(Reader& reader, const Field& field,
                                           const std::string& path) {
    if (path.find('\0') != std::string::npos) {
        reader.error_at(field, field.path + " must not contain a NUL character");
        return std::nullopt;
    }
    const std::filesystem::path written(path);
    SecretFile file;
    file.resolved =
        (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
    file.subject = field.path + " " + quote(path);
    if (!written.is_absolute()) {
        file.subject += " (" + file.resolved.string() + ")";
    }
    auto content = read_bounded_file(file.resolved, secret_file_limit());
    if (!content) {
        reader.error_at(field, file.subject + ": " + content.error().reason);
        return std::nullopt;
    }
    file.content = std::move(content).value();
    return file;
}

std::optional<Secret> read_secret(Reader& reader, const Field& field, std::string_view key,
                                  const std::string& what) {
    if (key.ends_with("_file")) {
        auto text = reader.read_string(field, "the path of a file holding " + what);
        if (!text) {
            return std::nullopt;
        }
        if (text->find("://") != std::string::npos) {
            // A URL pasted here would otherwise be shown as the path of a missing file.
            reader.error_at(field, field.path + " must be the path of a file holding " + what +
                                       ", got a URL (not shown)");
            return std::nullopt;
        }
        auto file = read_secret_file(reader, field, *text);
        if (!file) {
            return std::nullopt;
        }
        std::string value = std::move(file->content);
        std::string subject = std::move(file->subject);
        const bool was_empty = value.empty();
        strip_trailing_space(value);
        if (value.empty()) {
            reader.error_at(field, subject + (was_empty ? ": the file is empty"
                                                        : ": the file holds only whitespace"));
            return std::nullopt;
        }
        return Secret{std::move(value), std::move(subject), false};
    }
    if (key.ends_with("_env")) {
        auto name =
            reader.read_string(field, "the name of an environment variable holding " + what);
        if (!name) {
            return std::nullopt;
        }
        if (!is_env_name(*name)) {
            reader.error_at(field, field.path +
                                       " must be the name of an environment variable (letters, "
                                       "digits and '_', not starting with a digit), got " +
                                       shown(*name));
            return std::nullopt;
        }
        std::string subject = field.path + " " + *name;
        const char* value = std::getenv(name->c_str());
        if (value == nullptr) {
            reader.error_at(field, subject + ": the environment variable is not set");
            return std::nullopt;
        }
        std::string content(value);
        strip_trailing_space(content);
        if (content.empty()) {
            reader.error_at(field,
                            subject + (*value == '\0' ? ": the environment variable is empty"
                                                      : ": the environment variable holds only "
                                                        "whitespace"));
            return std::nullopt;
        }
        return Secret{std::move(content), std::move(subject), false};
    }
    auto text = reader.read_string(field, "an http:// or https:// URL with a host");
    if (!text) {
        return std::nullopt;
    }
    return Secret{std::move(*text), field.path, true};
}

std::optional<std::string> read_url(Reader& reader, const Field& field, std::string_view key) {
    auto url = read_secret(reader, field, key, "the URL");
    if (!url) {
        return std::nullopt;
    }
    if (auto reason = invalid_url_reason(url->value)) {
        reader.error_at(field, url->subject + (url->written_inline ? " must be" : " must hold") +
                                   " an http:// or https:// URL with a host (" + *reason + ")");
        return std::nullopt;
    }
    return std::move(url->value);
}

} // namespace dkimwatch::config_reading
