#pragma once
// The process environment as the AWS credential chain reads it, injected so that tests never
// depend on (or change) the real one; and the first link of the chain: credentials given in
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.

#include "aws/aws_credentials.hpp"
#include "core/result.hpp"

#include <map>
#include <optional>
#include <string>

namespace dkimwatch {

struct AwsEnvironment {
    std::map<std::string, std::string> variables; // name -> value, as in environ
    std::string home; // the user's home directory ("" = unknown): ~/.aws/ is under it

    // A copy of this process's environment; home from $HOME, else the passwd entry of the
    // effective user. Thread-safe as long as no thread changes the environment meanwhile.
    static AwsEnvironment from_process();

    // The variable's value, or "" when it is unset.
    std::string get(const std::string& name) const;
};

// Credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN when set),
// source "environment"; nullopt when both keys are unset or empty. Only one of the two keys set
// is an error that names the missing variable (never a value).
Result<std::optional<AwsCredentials>>
credentials_from_environment(const AwsEnvironment& environment);

} // namespace dkimwatch
