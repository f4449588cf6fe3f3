#pragma once
// STS XML answers (AssumeRole, GetCallerIdentity, ErrorResponse) to plain data, with libxml2
// (no network access, no entity expansion). Pure; malformed answers are Errors that never
// quote the body (it may hold a secret).

#include "aws/aws_credentials.hpp"
#include "aws/ses_json.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>

namespace dkimwatch {

// AssumeRoleResponse/AssumeRoleResult/Credentials: all of AccessKeyId, SecretAccessKey,
// SessionToken and an ISO 8601 Expiration are required. source = "assumed role <role_arn>".
Result<AwsCredentials> parse_assume_role_response(std::string_view body, std::string_view role_arn);

// GetCallerIdentityResponse/GetCallerIdentityResult/Account: 12 digits.
Result<std::string> parse_caller_identity_response(std::string_view body);

// ErrorResponse/Error/Code and Message (or a bare Error/Code); empty fields when the body is
// not such a document.
AwsErrorInfo parse_sts_error(std::string_view body);

} // namespace dkimwatch
