#include "aws/credential_provider.hpp"

#include "aws/shared_config_file.hpp"

#include <utility>
#include <vector>

namespace dkimwatch {
namespace {

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty()) {
            out += separator;
        }
        out += part;
    }
    return out;
}

// The static keys of a profile, or why it has none.
Result<AwsCredentials> static_keys(const SharedProfile& profile) {
    if (profile.aws_access_key_id.empty() && profile.aws_secret_access_key.empty()) {
        return Error{"profile " + profile.name + " (" + profile.where +
                     ") has neither aws_access_key_id nor role_arn"};
    }
    if (profile.aws_access_key_id.empty()) {
        return Error{"profile " + profile.name + " (" + profile.where +
                     ") has aws_secret_access_key but no aws_access_key_id"};
    }
    if (profile.aws_secret_access_key.empty()) {
        return Error{"profile " + profile.name + " (" + profile.where +
                     ") has aws_access_key_id but no aws_secret_access_key"};
    }
    AwsCredentials credentials;
    credentials.access_key_id = profile.aws_access_key_id;
    credentials.secret_access_key = profile.aws_secret_access_key;
    credentials.session_token = profile.aws_session_token;
    credentials.source = "shared file profile " + profile.name;
    return credentials;
}

} // namespace

std::string assume_role_session_name(const std::string& account_name) {
    return ("dkimwatch-" + account_name).substr(0, 64);
}

CredentialProvider::CredentialProvider(SesAccountConfig account, AwsEnvironment environment,
                                       AssumeRoleFunction assume_role,
                                       InstanceMetadataFunction fetch_instance_metadata)
    : m_account(std::move(account)), m_environment(std::move(environment)),
      m_assume_role(std::move(assume_role)),
      m_fetch_instance_metadata(std::move(fetch_instance_metadata)) {}

Result<AwsCredentials> CredentialProvider::credentials(TimePoint now) {
    const std::lock_guard lock(m_mutex);
    if (m_cached &&
        (!m_cached->expiration || *m_cached->expiration - now > k_credentials_refresh_margin)) {
        return *m_cached;
    }
    auto fresh = fetch();
    if (fresh && fresh->expiration && *fresh->expiration <= now) {
        fresh = Error{"AWS credentials for account " + m_account.name + " from " + fresh->source +
                      " have already expired"};
    }
    if (!fresh) {
        if (m_cached && m_cached->expiration && *m_cached->expiration > now) {
            return *m_cached; // still valid: the next call tries again
        }
        m_cached.reset();
        return fresh;
    }
    m_cached = fresh.value();
    return fresh;
}

Result<AwsCredentials> CredentialProvider::fetch() {
    auto base = base_credentials();
    if (!base) {
        return Error{"no AWS credentials for account " + m_account.name + ": " + base.error()};
    }
    if (m_account.credentials.role_arn.empty()) {
        return base;
    }
    auto assumed =
        assume(*base, m_account.credentials.role_arn, m_account.credentials.external_id, {});
    if (!assumed) {
        return Error{"AWS credentials for account " + m_account.name + ": " + assumed.error()};
    }
    return assumed;
}

Result<AwsCredentials> CredentialProvider::base_credentials() {
    if (!m_account.credentials.profile.empty()) {
        auto files = SharedFiles::load(shared_file_paths(m_environment));
        if (!files) {
            return Error{"shared files: " + files.error()};
        }
        return from_profile(*files, m_account.credentials.profile);
    }
    std::vector<std::string> tried;
    auto environment = credentials_from_environment(m_environment);
    if (!environment) {
        return Error{"environment: " + environment.error()};
    }
    if (*environment) {
        return **environment;
    }
    tried.push_back("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");

    const auto profile_name = selected_profile_name(m_environment);
    auto files = SharedFiles::load(shared_file_paths(m_environment));
    if (!files) {
        tried.push_back("shared files: " + files.error());
        return Error{join(tried, "; ")};
    }
    if (files->profile(profile_name)) {
        auto from_files = from_profile(*files, profile_name);
        if (!from_files) {
            tried.push_back("shared files: " + from_files.error());
            return Error{join(tried, "; ")};
        }
        return from_files;
    }
    tried.push_back("shared files: no profile " + profile_name + " in " + files->describe());
    if (!m_environment.get("AWS_PROFILE").empty()) {
        // A profile asked for by name and missing is a mistake, not a reason to fall back to
        // the instance role (the SDKs refuse it too).
        return Error{join(tried, "; ") + " (AWS_PROFILE names it)"};
    }

    if (instance_metadata_disabled(m_environment)) {
        tried.push_back("instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
        return Error{join(tried, "; ")};
    }
    auto imds = m_fetch_instance_metadata(instance_metadata_settings(m_environment));
    if (!imds) {
        tried.push_back(imds.error());
        return Error{join(tried, "; ")};
    }
    return imds;
}

Result<AwsCredentials> CredentialProvider::from_profile(const SharedFiles& files,
                                                        const std::string& profile_name) {
    std::string name = profile_name;
    // The profiles from the named one down its source_profile links, the last one holding keys.
    std::vector<SharedProfile> chain;
    for (int depth = 0;; ++depth) {
        auto profile = files.profile(name);
        if (!profile) {
            return Error{chain.empty() ? "no profile " + name + " in " + files.describe()
                                       : "profile " + chain.back().name + " names source_profile " +
                                             name + ", which is not in " + files.describe()};
        }
        const bool self_sourced = !profile->role_arn.empty() && profile->source_profile == name;
        chain.push_back(*profile);
        if (profile->role_arn.empty() || self_sourced) {
            break;
        }
        if (profile->source_profile.empty()) {
            return Error{"profile " + name + " (" + profile->where +
                         ") sets role_arn without source_profile (credential_source is not "
                         "supported)"};
        }
        if (depth + 1 >= k_max_source_profile_depth) {
            return Error{"profile " + profile_name + ": more than " +
                         std::to_string(k_max_source_profile_depth) +
                         " source_profile links (a loop?)"};
        }
        name = profile->source_profile;
    }
    auto credentials = static_keys(chain.back());
    if (!credentials) {
        return credentials;
    }
    // Assume the roles from the innermost profile outwards. A self-sourced profile assumes its
    // own role with its own keys.
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (it->role_arn.empty()) {
            continue;
        }
        auto assumed = assume(*credentials, it->role_arn, it->external_id, it->region);
        if (!assumed) {
            return Error{"profile " + it->name + ": " + assumed.error()};
        }
        credentials = std::move(assumed);
    }
    return credentials;
}

Result<AwsCredentials> CredentialProvider::assume(const AwsCredentials& base,
                                                  const std::string& role_arn,
                                                  const std::string& external_id,
                                                  const std::string& region) {
    AssumeRoleRequest request;
    request.role_arn = role_arn;
    request.external_id = external_id;
    request.session_name = assume_role_session_name(m_account.name);
    request.region = !region.empty()              ? region
                     : !m_account.regions.empty() ? m_account.regions.front()
                                                  : std::string{"us-east-1"};
    request.sts_endpoint_url = m_account.sts_endpoint_url;
    if (!m_assume_role) {
        return Error{"AssumeRole of " + role_arn + " is not available"};
    }
    auto assumed = m_assume_role(base, request);
    if (!assumed) {
        return Error{"AssumeRole of " + role_arn + " with credentials from " + base.source +
                     " failed: " + assumed.error()};
    }
    if (assumed->source.empty()) {
        assumed.value().source = "assumed role " + role_arn;
    }
    return assumed;
}

} // namespace dkimwatch
