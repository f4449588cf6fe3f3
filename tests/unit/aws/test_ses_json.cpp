// SES v2 JSON answers: pages, identities, null fields, unknown enums, both timestamp forms, and
// every kind of bad answer (not JSON, HTML, truncated, wrong types, oversized pages).

#include "aws/ses_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using testing::HasSubstr;
using testing::Not;

TEST(ParseListEmailIdentities, ReadsAPageWithItsToken) {
    const auto page = parse_list_email_identities(R"({
        "EmailIdentities": [
            {"IdentityType": "DOMAIN", "IdentityName": "example.com", "SendingEnabled": true},
            {"IdentityType": "EMAIL_ADDRESS", "IdentityName": "mary@example.com"},
            {"IdentityType": "MANAGED_DOMAIN", "IdentityName": "managed.example"},
            {"IdentityType": "DOMAIN", "IdentityName": null}],
        "NextToken": "abc+/="})");
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->next_token, "abc+/=");
    ASSERT_EQ(page->identities.size(), 3u);
    EXPECT_EQ(page->identities[0], (SesListedIdentity{"example.com", "DOMAIN"}));
    EXPECT_EQ(page->identities[1], (SesListedIdentity{"mary@example.com", "EMAIL_ADDRESS"}));
    EXPECT_EQ(page->identities[2].type, "MANAGED_DOMAIN");
}

TEST(ParseListEmailIdentities, NullOrAbsentTokenEndsAndEmptyPagesAreFine) {
    for (const char* body :
         {R"({"EmailIdentities": [], "NextToken": null})", R"({"EmailIdentities": []})",
          R"({"EmailIdentities": null})", R"({})"}) {
        const auto page = parse_list_email_identities(body);
        ASSERT_TRUE(page.ok()) << body << ": " << page.error();
        EXPECT_EQ(page->next_token, "");
        EXPECT_TRUE(page->identities.empty());
    }
}

TEST(ParseListEmailIdentities, BadAnswersAreClearErrors) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "an empty body"},
        {"<html><body>502 Bad Gateway</body></html>", "HTML page"},
        {"  <!DOCTYPE html>", "HTML page"},
        {R"({"EmailIdentities": [{"IdentityName": "a.com")", "malformed or truncated JSON"},
        {"not json", "malformed or truncated JSON"},
        {R"([1, 2])", "not an object"},
        {R"("text")", "not an object"},
        {R"({"EmailIdentities": {}})", "EmailIdentities is not a list"},
        {R"({"EmailIdentities": [1]})", "entry is not an object"},
        {R"({"EmailIdentities": [{"IdentityName": 5}]})", "IdentityName is not a string"},
        {R"({"EmailIdentities": [], "NextToken": 7})", "NextToken is not a string"},
    };
    for (const auto& [body, expected] : cases) {
        const auto page = parse_list_email_identities(body);
        ASSERT_FALSE(page.ok()) << body;
        EXPECT_THAT(page.error(), HasSubstr(expected)) << body;
        EXPECT_THAT(page.error(), HasSubstr("ListEmailIdentities"));
    }
}

TEST(ParseListEmailIdentities, RefusesAnOversizedPage) {
    std::string body = R"({"EmailIdentities": [)";
    for (std::size_t i = 0; i <= k_ses_max_page_identities; ++i) {
        body += (i ? "," : "") + std::string(R"({"IdentityName": "d)") + std::to_string(i) +
                R"(.example", "IdentityType": "DOMAIN"})";
    }
    body += "]}";
    const auto page = parse_list_email_identities(body);
    ASSERT_FALSE(page.ok());
    EXPECT_THAT(page.error(), HasSubstr("1001 identities, more than the 1000"));
}

constexpr const char* k_easy_dkim = R"({
    "IdentityType": "DOMAIN",
    "FeedbackForwardingStatus": true,
    "VerifiedForSendingStatus": true,
    "DkimAttributes": {
        "SigningEnabled": true,
        "Status": "SUCCESS",
        "Tokens": ["AbC1", "def2", "ghi3"],
        "SigningHostedZone": "DKIM.amazonses.com.",
        "SigningAttributesOrigin": "AWS_SES",
        "NextSigningKeyGenerationTimestamp": 1796299200.5,
        "CurrentSigningKeyLength": "RSA_2048_BIT",
        "LastKeyGenerationTimestamp": "2026-12-03T12:00:00Z"
    },
    "Policies": {}, "Tags": [], "ConfigurationSetName": null})";

TEST(ParseGetEmailIdentity, ReadsEasyDkim) {
    const auto identity = parse_get_email_identity("Example.COM.", k_easy_dkim);
    ASSERT_TRUE(identity.ok()) << identity.error();
    EXPECT_EQ(identity->domain, "example.com");
    EXPECT_TRUE(identity->signing_enabled);
    EXPECT_EQ(identity->status, SesDkimStatus::success);
    EXPECT_EQ(identity->status_text, "SUCCESS");
    EXPECT_EQ(identity->tokens, (std::vector<std::string>{"abc1", "def2", "ghi3"}));
    EXPECT_EQ(identity->signing_hosted_zone, "dkim.amazonses.com");
    EXPECT_EQ(identity->origin, "AWS_SES");
    EXPECT_FALSE(identity->is_byodkim());
    EXPECT_EQ(identity->current_key_length, "RSA_2048_BIT");
    EXPECT_TRUE(identity->email_identities.empty());
}

TEST(ParseGetEmailIdentity, ReadsByodkimAndEveryStatus) {
    const std::vector<std::pair<std::string, SesDkimStatus>> statuses{
        {"PENDING", SesDkimStatus::pending},
        {"FAILED", SesDkimStatus::failed},
        {"TEMPORARY_FAILURE", SesDkimStatus::temporary_failure},
        {"NOT_STARTED", SesDkimStatus::not_started},
        {"SUCCESS", SesDkimStatus::success},
        {"BRAND_NEW_STATUS", SesDkimStatus::unknown},
    };
    for (const auto& [text, status] : statuses) {
        const auto identity = parse_get_email_identity(
            "byo.example", R"({"DkimAttributes": {"SigningEnabled": false, "Status": ")" + text +
                               R"(", "SigningAttributesOrigin": "EXTERNAL", "Tokens": ["Sel1"]}})");
        ASSERT_TRUE(identity.ok()) << identity.error();
        EXPECT_EQ(identity->status, status) << text;
        EXPECT_EQ(identity->status_text, text);
        EXPECT_TRUE(identity->is_byodkim());
        EXPECT_EQ(identity->tokens, std::vector<std::string>{"sel1"});
        EXPECT_FALSE(identity->signing_enabled);
    }
}

TEST(ParseGetEmailIdentity, NullAndAbsentFieldsGiveDefaults) {
    for (const char* body :
         {R"({})", R"({"DkimAttributes": null})", R"({"IdentityType": null, "DkimAttributes": {}})",
          R"({"DkimAttributes": {"SigningEnabled": null, "Status": null, "Tokens": null,
              "SigningHostedZone": null, "SigningAttributesOrigin": null,
              "CurrentSigningKeyLength": null, "LastKeyGenerationTimestamp": null}})"}) {
        const auto identity = parse_get_email_identity("a.example", body);
        ASSERT_TRUE(identity.ok()) << body << ": " << identity.error();
        SesDomainIdentity expected;
        expected.domain = "a.example";
        EXPECT_EQ(*identity, expected) << body;
    }
}

TEST(ParseGetEmailIdentity, BadAnswersAreClearErrors) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"<html>Service Unavailable</html>", "HTML page"},
        {R"({"DkimAttributes": {"Status": "SUCC)", "malformed or truncated JSON"},
        {R"({"IdentityType": "EMAIL_ADDRESS"})", "not DOMAIN"},
        {R"({"DkimAttributes": []})", "DkimAttributes is not an object"},
        {R"({"DkimAttributes": {"SigningEnabled": "yes"}})", "SigningEnabled is not a boolean"},
        {R"({"DkimAttributes": {"Status": 3}})", "Status is not a string"},
        {R"({"DkimAttributes": {"Tokens": "a"}})", "Tokens is not a list"},
        {R"({"DkimAttributes": {"Tokens": [1]}})", "entry is not a string"},
        {R"({"DkimAttributes": {"Tokens": ["a.b"]}})", "not a DNS label"},
        {R"({"DkimAttributes": {"LastKeyGenerationTimestamp": "yesterday"}})",
         "neither epoch seconds nor an ISO 8601"},
        {R"({"DkimAttributes": {"NextSigningKeyGenerationTimestamp": -5}})",
         "neither epoch seconds nor an ISO 8601"},
        {R"({"DkimAttributes": {"LastKeyGenerationTimestamp": true}})",
         "neither epoch seconds nor an ISO 8601"},
    };
    for (const auto& [body, expected] : cases) {
        const auto identity = parse_get_email_identity("a.example", body);
        ASSERT_FALSE(identity.ok()) << body;
        EXPECT_THAT(identity.error(), HasSubstr(expected)) << body;
        EXPECT_THAT(identity.error(), HasSubstr("GetEmailIdentity a.example"));
    }
}

TEST(ParseGetEmailIdentity, AcceptsBothTimestampForms) {
    for (const char* stamp : {"1796299200", "1796299200.25", R"("2026-12-03T12:00:00Z")",
                              R"("2026-12-03T12:00:00.000+00:00")"}) {
        const auto identity = parse_get_email_identity(
            "a.example",
            std::string(R"({"DkimAttributes": {"LastKeyGenerationTimestamp": )") + stamp + "}}");
        EXPECT_TRUE(identity.ok()) << stamp << ": " << identity.error();
    }
}

TEST(ParseAwsJsonError, HeaderFirstThenBody) {
    AwsErrorInfo info =
        parse_aws_json_error("TooManyRequestsException", R"({"message": "Too many requests"})");
    EXPECT_EQ(info.code, "TooManyRequestsException");
    EXPECT_EQ(info.message, "Too many requests");

    info = parse_aws_json_error("", R"({"__type": "com.amazon#AccessDeniedException:http://x",
                                        "Message": "User: arn is not authorized"})");
    EXPECT_EQ(info.code, "AccessDeniedException");
    EXPECT_EQ(info.message, "User: arn is not authorized");

    info = parse_aws_json_error("", R"({"code": "NotFoundException"})");
    EXPECT_EQ(info.code, "NotFoundException");
    EXPECT_EQ(info.message, "");

    info = parse_aws_json_error("", "<html>oops</html>");
    EXPECT_EQ(info.code, "");
    EXPECT_EQ(info.message, "");

    info = parse_aws_json_error("X", std::string(R"({"message": ")") + std::string(500, 'm') +
                                         "\n\x01\"}");
    EXPECT_LE(info.message.size(), 203u);
    EXPECT_THAT(info.message, Not(HasSubstr("\n")));
}

TEST(DescribeUnexpectedBody, NeverQuotesTheBody) {
    EXPECT_EQ(describe_unexpected_body(""), "an empty body");
    EXPECT_THAT(describe_unexpected_body("<html>secret</html>"), Not(HasSubstr("secret")));
    EXPECT_THAT(describe_unexpected_body("secret"), Not(HasSubstr("secret")));
}

} // namespace
} // namespace dkimwatch
