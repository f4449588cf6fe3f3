#pragma once
// Secrets from the configuration, a file or the environment variable it names, and the rule of
// the http(s) URLs. Messages name the key, the file or the variable, never what they hold.

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace dkimwatch::config_reading {

// [A-Za-z_][A-Za-z0-9_]*
bool is_env_name(std::string_view name);

bool is_space_or_control(char c);
bool has_space_or_control(std::string_view text);

// Drops trailing spaces, tabs and line ends (a file usually ends with a newline).
void strip_trailing_space(std::string& text);

// Why `url` is not an http:// or https:// URL with a host; nullopt when it is one. The authority
// is split as url_display() splits it, so that a valid URL always has a display form. The
// reason never quotes any part of the URL.
std::optional<std::string> invalid_url_reason(std::string_view url);

// A secret as read, and how messages name where it came from: "alerts[0].url",
// "alerts[0].url_file \"slack-url\" (/etc/dkimwatch/slack-url)", "alerts[0].url_env SLACK_URL".
struct Secret {
    std::string value;
    std::string subject;
    bool written_inline = false; // the value is in the configuration itself
};

// A secret file as read: its whole content (nothing stripped), how messages name it
// ("alerts[0].url_file \"slack-url\" (/etc/dkimwatch/slack-url)") and its resolved path.
struct SecretFile {
    std::string content;
    std::string subject;
    std::filesystem::path resolved;
};

// Reads the file `path` written under `field` (relative paths against the configuration's
// directory) through the bounded reader with the secret file limit; nullopt after an error at
// `field` that names the file, never its content.
std::optional<SecretFile> read_secret_file(Reader& reader, const Field& field,
                                           const std::string& path);

// Reads the secret under `field`, whose key is `key`: the value itself (url), the content of the
// file it names (a key ending in _file; relative paths against the configuration's directory),
// or the value of the environment variable it names (a key ending in _env). Trailing whitespace
// is stripped; an unreadable or empty source is an error. `what` names the secret ("the URL").
std::optional<Secret> read_secret(Reader& reader, const Field& field, std::string_view key,
                                  const std::string& what);

// An http:// or https:// URL from url, url_file or url_env (`key`).
std::optional<std::string> read_url(Reader& reader, const Field& field, std::string_view key);

} // namespace dkimwatch::config_reading
