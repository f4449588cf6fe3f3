#pragma once
// EC2 instance metadata (IMDSv2) as a source of AWS credentials: the role of the instance.
//   PUT /latest/api/token              x-aws-ec2-metadata-token-ttl-seconds: <ttl>  -> token
//   GET /latest/meta-data/iam/security-credentials/         X-aws-ec2-metadata-token -> role
//   GET /latest/meta-data/iam/security-credentials/<role>   -> JSON credentials
// The token is a secret: it is sent in a header and never appears in a message. No proxy is
// used. Thread-safe (no shared state); each fetch uses its own libcurl handle.

#include "aws/aws_credentials.hpp"
#include "aws/credential_environment.hpp"
#include "core/result.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

inline constexpr std::string_view k_instance_metadata_default_endpoint = "http://169.254.169.254";

struct InstanceMetadataSettings {
    // "http://host[:port]", no trailing slash; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides it.
    std::string endpoint{k_instance_metadata_default_endpoint};
    std::chrono::milliseconds connect_timeout{1000}; // per request
    std::chrono::milliseconds total_timeout{2000};   // per request, connection included
    std::chrono::seconds token_ttl{21600};           // x-aws-ec2-metadata-token-ttl-seconds
};

// The settings the environment gives (AWS_EC2_METADATA_SERVICE_ENDPOINT), default otherwise.
InstanceMetadataSettings instance_metadata_settings(const AwsEnvironment& environment);

// True when AWS_EC2_METADATA_DISABLED is "true" (any case): the chain skips IMDS.
bool instance_metadata_disabled(const AwsEnvironment& environment);

// "2026-12-03T13:00:00Z", also with fractional seconds or a "+00:00"/"-05:00" offset -> the
// instant; nullopt for anything else.
std::optional<TimePoint> parse_iso8601_utc(std::string_view text);

// The credentials document of `role` (JSON: Code, AccessKeyId, SecretAccessKey, Token,
// Expiration) -> credentials with source "instance metadata role <role>". A Code other than
// "Success", a missing key or an unreadable Expiration is an error that quotes no value.
Result<AwsCredentials> parse_instance_metadata_credentials(std::string_view json,
                                                           const std::string& role);

// The three requests above, each bounded by the settings' timeouts. Errors name the step, the
// endpoint and the HTTP status or libcurl's reason.
Result<AwsCredentials>
fetch_instance_metadata_credentials(const InstanceMetadataSettings& settings);

// The shape of fetch_instance_metadata_credentials, so that the chain can be tested without it.
using InstanceMetadataFunction =
    std::function<Result<AwsCredentials>(const InstanceMetadataSettings& settings)>;

} // namespace dkimwatch
