// STS XML answers: AssumeRole credentials with their expiration, the caller's account, errors,
// and malformed answers that never quote the body (it may hold a secret).

#include "aws/sts_xml.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using testing::HasSubstr;
using testing::Not;

constexpr const char* k_role = "arn:aws:iam::444455556666:role/dkimwatch-read";

std::string assume_role_body(const std::string& credentials) {
    return R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>)" +
           credentials + R"(</Credentials>
    <AssumedRoleUser><Arn>arn:aws:sts::444455556666:assumed-role/dkimwatch-read/s</Arn>
      <AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";
}

constexpr const char* k_credentials =
    "<AccessKeyId>ASIATEST</AccessKeyId><SecretAccessKey>SECRET/xyz+</SecretAccessKey>"
    "<SessionToken>\n  TOKEN-abc==\n</SessionToken><Expiration>2026-12-03T13:00:00Z</Expiration>";

TEST(ParseAssumeRoleResponse, ReadsCredentialsAndExpiration) {
    const auto credentials = parse_assume_role_response(assume_role_body(k_credentials), k_role);
    ASSERT_TRUE(credentials.ok()) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "ASIATEST");
    EXPECT_EQ(credentials->secret_access_key, "SECRET/xyz+");
    EXPECT_EQ(credentials->session_token, "TOKEN-abc==");
    ASSERT_TRUE(credentials->expiration.has_value());
    EXPECT_EQ(*credentials->expiration, TimePoint{std::chrono::seconds{1796302800}});
    EXPECT_EQ(credentials->source, std::string("assumed role ") + k_role);
}

TEST(ParseAssumeRoleResponse, MissingPartsAreErrorsWithoutTheSecret) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {assume_role_body("<AccessKeyId>A</AccessKeyId><SecretAccessKey>SECRET/xyz+"
                          "</SecretAccessKey><Expiration>2026-12-03T13:00:00Z</Expiration>"),
         "no SessionToken"},
        {assume_role_body("<AccessKeyId>A</AccessKeyId><SecretAccessKey>SECRET/xyz+"
                          "</SecretAccessKey><SessionToken>T</SessionToken>"
                          "<Expiration>soon</Expiration>"),
         "Expiration is not an ISO 8601"},
        {"<AssumeRoleResponse><Other/></AssumeRoleResponse>", "no AssumeRoleResult"},
        {"<GetCallerIdentityResponse/>", "not a AssumeRoleResponse"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials>SECRET/xyz+", "not an XML document"},
        {"", "an empty body"},
        {"{\"json\": true}", "not an XML document"},
    };
    for (const auto& [body, expected] : cases) {
        const auto credentials = parse_assume_role_response(body, k_role);
        ASSERT_FALSE(credentials.ok()) << body;
        EXPECT_THAT(credentials.error(), HasSubstr(expected)) << body;
        EXPECT_THAT(credentials.error(), Not(HasSubstr("SECRET")));
    }
}

TEST(ParseAssumeRoleResponse, NoExternalEntityIsLoaded) {
    const std::string body =
        R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>)" +
        assume_role_body("<AccessKeyId>&x;K</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
                         "<SessionToken>T</SessionToken>"
                         "<Expiration>2026-12-03T13:00:00Z</Expiration>");
    const auto credentials = parse_assume_role_response(body, k_role);
    ASSERT_TRUE(credentials.ok()) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "K") << "an external entity was loaded";
}

TEST(ParseCallerIdentityResponse, ReadsTheAccount) {
    const auto account = parse_caller_identity_response(
        R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
             <GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/u</Arn>
             <UserId>AID</UserId><Account>111122223333</Account></GetCallerIdentityResult>
           </GetCallerIdentityResponse>)");
    ASSERT_TRUE(account.ok()) << account.error();
    EXPECT_EQ(*account, "111122223333");
}

TEST(ParseCallerIdentityResponse, RejectsBadAccounts) {
    for (const char* account : {"", "11112222333", "1111222233334", "11112222333x"}) {
        const auto result = parse_caller_identity_response(
            std::string("<GetCallerIdentityResponse><GetCallerIdentityResult><Account>") + account +
            "</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
        ASSERT_FALSE(result.ok()) << account;
        EXPECT_THAT(result.error(), HasSubstr("not 12 digits"));
    }
    EXPECT_THAT(parse_caller_identity_response("<GetCallerIdentityResponse><GetCallerIdentity"
                                               "Result/></GetCallerIdentityResponse>")
                    .error(),
                HasSubstr("no Account"));
    EXPECT_THAT(parse_caller_identity_response("<html><body>proxy error</body></html>").error(),
                HasSubstr("not a GetCallerIdentityResponse"));
}

TEST(ParseStsError, ReadsCodeAndMessage) {
    AwsErrorInfo info = parse_sts_error(
        R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>
             <Type>Sender</Type><Code>AccessDenied</Code>
             <Message>User: arn is not authorized to perform: sts:AssumeRole</Message>
           </Error><RequestId>r</RequestId></ErrorResponse>)");
    EXPECT_EQ(info.code, "AccessDenied");
    EXPECT_EQ(info.message, "User: arn is not authorized to perform: sts:AssumeRole");
    info = parse_sts_error("<Error><Code>Throttling</Code></Error>");
    EXPECT_EQ(info.code, "Throttling");
    info = parse_sts_error("not xml");
    EXPECT_EQ(info.code, "");
    EXPECT_EQ(info.message, "");
}

} // namespace
} // namespace dkimwatch
