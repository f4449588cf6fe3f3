#pragma once
// Where the AWS credentials of one `ses.accounts[]` entry come from, following the AWS SDKs'
// default chain:
//   1. the environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
//   2. the shared files (aws/shared_config_file.hpp), profile AWS_PROFILE or "default";
//   3. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true, or AWS_PROFILE
//      names a profile that the shared files do not have (then that is the error).
// When the account names a profile (credentials.profile), only that profile of the shared files
// is used, as the SDKs do for an explicit profile. A profile may itself assume a role
// (role_arn + source_profile, external_id). Then, when the account sets credentials.role_arn,
// the base credentials assume that role (session name "dkimwatch-<account name>", the account's
// first region for STS).
//
// Errors say which sources were tried and why each failed; they never hold a secret.

#include "aws/aws_credentials.hpp"
#include "aws/credential_environment.hpp"
#include "aws/instance_metadata.hpp"
#include "config/config.hpp"
#include "core/result.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace dkimwatch {

class SharedFiles;

// Performs STS AssumeRole with `base` (aws/sts_client in the program, a lambda in tests).
using AssumeRoleFunction =
    std::function<Result<AwsCredentials>(const AwsCredentials& base, const AssumeRoleRequest&)>;

// Credentials that expire within this margin of `now` are fetched again.
inline constexpr std::chrono::minutes k_credentials_refresh_margin{5};

// The deepest chain of source_profile links followed before giving up.
inline constexpr int k_max_source_profile_depth = 5;

// "dkimwatch-<account name>", cut to the 64 characters STS allows.
std::string assume_role_session_name(const std::string& account_name);

class CredentialProvider {
public:
    // account: the ses.accounts[] entry (profile, role_arn, external_id; its first region for
    // STS; sts_endpoint_url); environment injected for tests; fetch_instance_metadata replaces
    // the IMDSv2 client (tests).
    CredentialProvider(
        SesAccountConfig account, AwsEnvironment environment, AssumeRoleFunction assume_role,
        InstanceMetadataFunction fetch_instance_metadata = fetch_instance_metadata_credentials);

    // Valid credentials at `now` (wall clock): the cached ones unless they expire within
    // k_credentials_refresh_margin, else fetched again through the chain, then AssumeRole when
    // role_arn is set. When the refresh fails but the cached credentials have not expired yet,
    // those are returned. Thread-safe: calls are serialised by a mutex, so concurrent callers
    // share one fetch.
    Result<AwsCredentials> credentials(TimePoint now);

private:
    Result<AwsCredentials> fetch();
    Result<AwsCredentials> base_credentials();
    Result<AwsCredentials> from_profile(const SharedFiles& files, const std::string& profile_name);
    Result<AwsCredentials> assume(const AwsCredentials& base, const std::string& role_arn,
                                  const std::string& external_id, const std::string& region);

    SesAccountConfig m_account;
    AwsEnvironment m_environment;
    AssumeRoleFunction m_assume_role;
    InstanceMetadataFunction m_fetch_instance_metadata;
    std::mutex m_mutex;
    std::optional<AwsCredentials> m_cached; // guarded by m_mutex
};

} // namespace dkimwatch
