#pragma once
// AWS credentials as the SigV4 signer needs them. The secret and the session token are
// secrets: they never appear in logs, metrics, output or error messages.

#include "core/state_machine.hpp"

#include <optional>
#include <string>

namespace dkimwatch {

struct AwsCredentials {
    std::string access_key_id;     // e.g. "AKIA..." or "ASIA..." (not a secret, but not logged)
    std::string secret_access_key; // secret
    std::string session_token;     // secret; empty for long-term keys
    // When temporary credentials stop working (wall clock); nullopt for long-term keys.
    std::optional<TimePoint> expiration;
    // Where they came from, safe to print: "environment", "shared file profile prod",
    // "instance metadata role r", "assumed role arn:aws:iam::1:role/x".
    std::string source;
};

// One STS AssumeRole call: the credential chain (aws/credential_provider) asks for it, the STS
// client (aws/sts_client) performs it.
struct AssumeRoleRequest {
    std::string role_arn;         // arn:aws:iam::<account>:role/<name>
    std::string external_id;      // secret; "" = none
    std::string session_name;     // RoleSessionName, [\w+=,.@-]{2,64}, e.g. "dkimwatch-prod"
    std::string region;           // for the regional STS endpoint and the signature scope
    std::string sts_endpoint_url; // "" = https://sts.<region>.amazonaws.com
};

} // namespace dkimwatch
