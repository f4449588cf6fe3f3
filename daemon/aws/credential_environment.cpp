#include "aws/credential_environment.hpp"

#include <cstdlib>
#include <pwd.h>
#include <string_view>
#include <unistd.h>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX, not in any header

namespace dkimwatch {

AwsEnvironment AwsEnvironment::from_process() {
    AwsEnvironment environment;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text{*entry};
        const auto equals = text.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            continue;
        }
        environment.variables.emplace(std::string{text.substr(0, equals)},
                                      std::string{text.substr(equals + 1)});
    }
    environment.home = environment.get("HOME");
    if (environment.home.empty()) {
        long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
        std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
        passwd entry{};
        passwd* found = nullptr;
        if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
            found != nullptr && found->pw_dir != nullptr) {
            environment.home = found->pw_dir;
        }
    }
    return environment;
}

std::string AwsEnvironment::get(const std::string& name) const {
    const auto found = variables.find(name);
    return found == variables.end() ? std::string{} : found->second;
}

Result<std::optional<AwsCredentials>>
credentials_from_environment(const AwsEnvironment& environment) {
    const std::string key_id = environment.get("AWS_ACCESS_KEY_ID");
    const std::string secret = environment.get("AWS_SECRET_ACCESS_KEY");
    if (key_id.empty() && secret.empty()) {
        return std::optional<AwsCredentials>{};
    }
    if (key_id.empty()) {
        return Error{"AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"};
    }
    if (secret.empty()) {
        return Error{"AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"};
    }
    AwsCredentials credentials;
    credentials.access_key_id = key_id;
    credentials.secret_access_key = secret;
    credentials.session_token = environment.get("AWS_SESSION_TOKEN");
    credentials.source = "environment";
    return std::optional<AwsCredentials>{std::move(credentials)};
}

} // namespace dkimwatch
