#include "aws/credential_environment.hpp"

#include <cstdlib>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TEST(CredentialEnvironment, KeysAndSessionTokenFromTheEnvironment) {
    AwsEnvironment environment;
    environment.variables = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                             {"AWS_SESSION_TOKEN", "env-token"}};
    const auto credentials = credentials_from_environment(environment);
    ASSERT_TRUE(credentials) << credentials.error();
    ASSERT_TRUE(credentials->has_value());
    EXPECT_EQ((*credentials)->access_key_id, "AKIDENV");
    EXPECT_EQ((*credentials)->secret_access_key, "env-secret");
    EXPECT_EQ((*credentials)->session_token, "env-token");
    EXPECT_FALSE((*credentials)->expiration.has_value());
    EXPECT_EQ((*credentials)->source, "environment");
}

TEST(CredentialEnvironment, NothingSetIsNoCredentialsAndNoError) {
    AwsEnvironment environment;
    environment.variables = {{"AWS_ACCESS_KEY_ID", ""}, {"PATH", "/usr/bin"}};
    const auto credentials = credentials_from_environment(environment);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_FALSE(credentials->has_value());
}

TEST(CredentialEnvironment, HalfAPairIsAnErrorThatQuotesNoValue) {
    AwsEnvironment only_id;
    only_id.variables = {{"AWS_ACCESS_KEY_ID", "AKIDHALF"}};
    const auto missing_secret = credentials_from_environment(only_id);
    ASSERT_FALSE(missing_secret);
    EXPECT_EQ(missing_secret.error(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");

    AwsEnvironment only_secret;
    only_secret.variables = {{"AWS_SECRET_ACCESS_KEY", "half-secret"}};
    const auto missing_id = credentials_from_environment(only_secret);
    ASSERT_FALSE(missing_id);
    EXPECT_EQ(missing_id.error().find("half-secret"), std::string::npos);
    EXPECT_NE(missing_id.error().find("AWS_ACCESS_KEY_ID is not"), std::string::npos);
}

TEST(CredentialEnvironment, FromProcessCopiesTheEnvironmentAndHome) {
    ::setenv("DKIMWATCH_TEST_AWS_ENV", "a=b", 1);
    const auto environment = AwsEnvironment::from_process();
    ::unsetenv("DKIMWATCH_TEST_AWS_ENV");
    EXPECT_EQ(environment.get("DKIMWATCH_TEST_AWS_ENV"), "a=b");
    EXPECT_EQ(environment.get("DKIMWATCH_TEST_NOT_SET"), "");
    EXPECT_FALSE(environment.home.empty());
}

} // namespace
} // namespace dkimwatch
