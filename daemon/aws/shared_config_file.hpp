#pragma once
// The AWS shared credentials and config files (~/.aws/credentials, ~/.aws/config), as the AWS
// SDKs and the CLI read them:
// - INI: `[section]` headers, `key = value` lines (keys are case-insensitive, stored lower
//   case; values trimmed), whole-line comments starting with `#` or `;`, blank lines;
// - in the credentials file a section `[x]` is profile x; in the config file `[profile x]` is
//   profile x, and `[default]` is profile default; other config sections (`[sso-session x]`,
//   `[services x]`) are skipped;
// - an indented line after `key =` with an empty value is a nested setting (`s3 =` then
//   `  max_concurrent_requests = 10`) and is skipped.
// Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials), AWS_CONFIG_FILE (default
// ~/.aws/config; a leading "~/" in either variable is the home directory); profile AWS_PROFILE
// (default "default"). Where both files set a key of the same profile, the credentials file
// wins.
//
// A syntax error is "<file>:<line>: <reason>". The line itself is never quoted: it may hold a
// secret. Thread-safe (no shared state).

#include "aws/credential_environment.hpp"
#include "core/result.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

enum class SharedFileKind {
    credentials, // [x] is profile x
    config,      // [profile x] is profile x, [default] is default
};

// Profile name -> (lower-case key -> value).
using SharedFileProfiles = std::map<std::string, std::map<std::string, std::string>>;

// Parses the text of one file. `display_name` prefixes errors ("/root/.aws/config:7: ...").
// Errors: a line that is neither a header, a `key = value` line nor a comment; a key before
// any section; an empty key; an empty or malformed section name; a section or a key given twice.
Result<SharedFileProfiles> parse_shared_file(std::string_view text, SharedFileKind kind,
                                             const std::string& display_name);

// What one profile of the shared files says, for the credential chain.
struct SharedProfile {
    std::string name;
    std::string aws_access_key_id;
    std::string aws_secret_access_key; // secret
    std::string aws_session_token;     // secret
    std::string role_arn;              // "" = no AssumeRole
    std::string source_profile;        // the profile whose credentials assume role_arn
    std::string external_id;           // secret
    std::string region;
    std::string where; // the file(s) it came from, for messages: "/root/.aws/credentials"
};

// The largest shared file read, in bytes (1 MiB).
inline constexpr std::size_t k_shared_file_max_bytes = 1024 * 1024;

struct SharedFilePaths {
    std::filesystem::path credentials; // "" when neither the variable nor a home is known
    std::filesystem::path config;
};

// The two paths the environment names (contract above).
SharedFilePaths shared_file_paths(const AwsEnvironment& environment);

// The profile AWS_PROFILE names, or "default".
std::string selected_profile_name(const AwsEnvironment& environment);

// Both shared files, parsed and merged by profile (the credentials file wins key by key). A
// missing file is no error (it counts as empty); a file that cannot be read (permissions, a
// FIFO, too large) or that has a syntax error is.
class SharedFiles {
public:
    static Result<SharedFiles> load(const SharedFilePaths& paths);

    // The profile, or nullopt when neither file has a section for it.
    std::optional<SharedProfile> profile(const std::string& name) const;

    // "/root/.aws/credentials and /root/.aws/config", for messages.
    std::string describe() const;

private:
    SharedFilePaths m_paths;
    SharedFileProfiles m_credentials;
    SharedFileProfiles m_config;
};

} // namespace dkimwatch
