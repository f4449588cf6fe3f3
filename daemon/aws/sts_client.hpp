#pragma once
// STS calls (AssumeRole, GetCallerIdentity): POST / with a form body, signed with service
// "sts", XML answers (aws/sts_xml). 429 and 5xx are retried with backoff; a 403 names the
// missing IAM action. Errors never hold a secret (secret key, session token, external id).

#include "aws/aws_call.hpp"
#include "aws/aws_credentials.hpp"
#include "core/result.hpp"

#include <string>

namespace dkimwatch {

// "https://sts.<region>.amazonaws.com".
std::string default_sts_endpoint(const std::string& region);

// The AssumeRole request (pure): form body Action, Version, RoleArn, RoleSessionName,
// DurationSeconds=3600 and ExternalId when given. The body holds the external id: never log it.
AwsRequest sts_assume_role_request(const AssumeRoleRequest& request);
// The GetCallerIdentity request (pure).
AwsRequest sts_get_caller_identity_request(const std::string& region,
                                           const std::string& sts_endpoint_url);

// AssumeRole with `base`; the answer's credentials with their expiration and source
// "assumed role <arn>". Blocking, with its own pacer (1 request per second) and default retries.
Result<AwsCredentials> sts_assume_role(const AwsCredentials& base,
                                       const AssumeRoleRequest& request);
// The 12-digit account id of `credentials`.
Result<std::string> sts_get_caller_identity(const AwsCredentials& credentials,
                                            const std::string& region,
                                            const std::string& sts_endpoint_url);

// The same, paced, cancellable and counted through `context` (operations "AssumeRole" and
// "GetCallerIdentity").
Result<AwsCredentials> sts_assume_role(const AwsCredentials& base, const AssumeRoleRequest& request,
                                       AwsCallContext& context);
Result<std::string> sts_get_caller_identity(const AwsCredentials& credentials,
                                            const std::string& region,
                                            const std::string& sts_endpoint_url,
                                            AwsCallContext& context);

} // namespace dkimwatch
