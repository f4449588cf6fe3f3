#include "aws/shared_config_file.hpp"

#include "util/bounded_file.hpp"

#include <cctype>
#include <utility>

namespace dkimwatch {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string lower(std::string_view text) {
    std::string out{text};
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// The profile a section header names, "" for a section that is not a profile (config file
// only), or an error reason.
Result<std::string> profile_of_header(std::string_view header, SharedFileKind kind) {
    if (header.empty()) {
        return Error{"an empty section name"};
    }
    if (kind == SharedFileKind::credentials) {
        return std::string{header};
    }
    if (header == "default") {
        return std::string{"default"};
    }
    constexpr std::string_view prefix = "profile";
    if (header.substr(0, prefix.size()) == prefix && header.size() > prefix.size() &&
        is_space(header[prefix.size()])) {
        const auto name = trim(header.substr(prefix.size()));
        if (name.empty()) {
            return Error{"a [profile] section without a profile name"};
        }
        return std::string{name};
    }
    if (header == prefix) {
        return Error{"a [profile] section without a profile name"};
    }
    return std::string{}; // [sso-session x], [services x], ...: not a profile
}

} // namespace

Result<SharedFileProfiles> parse_shared_file(std::string_view text, SharedFileKind kind,
                                             const std::string& display_name) {
    SharedFileProfiles profiles;
    std::map<std::string, std::size_t> headers_seen; // header -> its line
    bool in_section = false;
    std::map<std::string, std::string>* section = nullptr; // nullptr: a skipped section
    std::map<std::string, std::size_t> keys_in_section;    // key -> its line
    // The last key of the section and whether its value was empty (then indented lines are its
    // nested settings).
    bool have_key = false;
    bool key_was_empty = false;

    std::size_t line_number = 0;
    auto fail = [&](const std::string& reason) {
        return Error{display_name + ":" + std::to_string(line_number) + ": " + reason};
    };
    while (!text.empty()) {
        ++line_number;
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

        const auto content = trim(line);
        if (content.empty() || content.front() == '#' || content.front() == ';') {
            continue;
        }
        const bool indented = is_space(line.front());
        if (indented && have_key) {
            if (key_was_empty) {
                continue; // a nested setting (`s3 =` then `  key = value`): not ours
            }
            return fail("an indented line continues the previous value; multi-line values are "
                        "not supported");
        }
        if (content.front() == '[') {
            if (content.back() != ']') {
                return fail("a section header without its closing ]");
            }
            const auto header = trim(content.substr(1, content.size() - 2));
            auto profile = profile_of_header(header, kind);
            if (!profile) {
                return fail(profile.error());
            }
            if (const auto [first, inserted] =
                    headers_seen.emplace(std::string{header}, line_number);
                !inserted) {
                return fail("a section given twice (first at line " +
                            std::to_string(first->second) + ")");
            }
            in_section = true;
            section = profile->empty() ? nullptr : &profiles[*profile];
            keys_in_section.clear();
            have_key = false;
            continue;
        }
        const auto delimiter = content.find_first_of("=:");
        if (delimiter == std::string_view::npos) {
            return fail("neither a [section] header, a key = value line nor a comment");
        }
        const auto key = lower(trim(content.substr(0, delimiter)));
        const auto value = trim(content.substr(delimiter + 1));
        if (key.empty()) {
            return fail("a line with an empty key");
        }
        if (!in_section) {
            return fail("a key = value line before any [section] header");
        }
        // The key is not named: a secret pasted before a `=` would be quoted.
        if (const auto [first, inserted] = keys_in_section.emplace(key, line_number); !inserted) {
            return fail("a key given twice in its section (first at line " +
                        std::to_string(first->second) + ")");
        }
        have_key = true;
        key_was_empty = value.empty();
        if (section != nullptr) {
            (*section)[key] = std::string{value};
        }
    }
    return profiles;
}

namespace {

// "~/x" -> "<home>/x", as the SDKs expand the two file variables; anything else as it is.
std::filesystem::path expand_home(const std::string& path, const std::string& home) {
    if (!home.empty() && (path == "~" || path.rfind("~/", 0) == 0)) {
        return std::filesystem::path{home} / path.substr(path.size() > 1 ? 2 : 1);
    }
    return std::filesystem::path{path};
}

} // namespace

SharedFilePaths shared_file_paths(const AwsEnvironment& environment) {
    SharedFilePaths paths;
    const std::filesystem::path aws_dir = environment.home.empty()
                                              ? std::filesystem::path{}
                                              : std::filesystem::path{environment.home} / ".aws";
    const auto credentials = environment.get("AWS_SHARED_CREDENTIALS_FILE");
    const auto config = environment.get("AWS_CONFIG_FILE");
    paths.credentials = !credentials.empty() ? expand_home(credentials, environment.home)
                        : aws_dir.empty()    ? std::filesystem::path{}
                                             : aws_dir / "credentials";
    paths.config = !config.empty()   ? expand_home(config, environment.home)
                   : aws_dir.empty() ? std::filesystem::path{}
                                     : aws_dir / "config";
    return paths;
}

std::string selected_profile_name(const AwsEnvironment& environment) {
    const auto profile = environment.get("AWS_PROFILE");
    return profile.empty() ? std::string{"default"} : profile;
}

namespace {

// The parsed file, empty when the path is "" or the file does not exist.
Result<SharedFileProfiles> load_one(const std::filesystem::path& path, SharedFileKind kind) {
    if (path.empty()) {
        return SharedFileProfiles{};
    }
    auto read = read_bounded_file(
        path, FileLimit{k_shared_file_max_bytes, "an AWS shared credentials or config file"});
    if (!read) {
        if (read.error().kind == FileReadFailure::not_found) {
            return SharedFileProfiles{};
        }
        return Error{read.error().to_string()};
    }
    return parse_shared_file(*read, kind, path.string());
}

} // namespace

Result<SharedFiles> SharedFiles::load(const SharedFilePaths& paths) {
    auto credentials = load_one(paths.credentials, SharedFileKind::credentials);
    if (!credentials) {
        return Error{credentials.error()};
    }
    auto config = load_one(paths.config, SharedFileKind::config);
    if (!config) {
        return Error{config.error()};
    }
    SharedFiles files;
    files.m_paths = paths;
    files.m_credentials = std::move(credentials).value();
    files.m_config = std::move(config).value();
    return files;
}

std::optional<SharedProfile> SharedFiles::profile(const std::string& name) const {
    const auto in_credentials = m_credentials.find(name);
    const auto in_config = m_config.find(name);
    if (in_credentials == m_credentials.end() && in_config == m_config.end()) {
        return std::nullopt;
    }
    std::map<std::string, std::string> keys;
    std::string where;
    if (in_config != m_config.end()) {
        keys = in_config->second;
        where = m_paths.config.string();
    }
    if (in_credentials != m_credentials.end()) {
        for (const auto& [key, value] : in_credentials->second) {
            keys[key] = value;
        }
        where = where.empty() ? m_paths.credentials.string()
                              : m_paths.credentials.string() + " and " + where;
    }
    auto get = [&](const char* key) {
        const auto found = keys.find(key);
        return found == keys.end() ? std::string{} : found->second;
    };
    SharedProfile profile;
    profile.name = name;
    profile.aws_access_key_id = get("aws_access_key_id");
    profile.aws_secret_access_key = get("aws_secret_access_key");
    profile.aws_session_token = get("aws_session_token");
    profile.role_arn = get("role_arn");
    profile.source_profile = get("source_profile");
    profile.external_id = get("external_id");
    profile.region = get("region");
    profile.where = where;
    return profile;
}

std::string SharedFiles::describe() const {
    const auto credentials = m_paths.credentials.empty() ? std::string{"(no credentials file)"}
                                                         : m_paths.credentials.string();
    const auto config =
        m_paths.config.empty() ? std::string{"(no config file)"} : m_paths.config.string();
    return credentials + " and " + config;
}

} // namespace dkimwatch
