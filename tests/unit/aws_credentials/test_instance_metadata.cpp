#include "aws/instance_metadata.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

TimePoint utc(int year, unsigned month, unsigned day, int hour, int minute, int second) {
    return std::chrono::time_point_cast<Milliseconds>(
        std::chrono::sys_days{std::chrono::year{year} / month / day} + std::chrono::hours{hour} +
        std::chrono::minutes{minute} + std::chrono::seconds{second});
}

TEST(InstanceMetadata, Iso8601Forms) {
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T13:05:09Z"), utc(2026, 12, 3, 13, 5, 9));
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T13:05:09.25Z"), utc(2026, 12, 3, 13, 5, 9) + 250ms);
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T13:05:09.123456Z"), utc(2026, 12, 3, 13, 5, 9) + 123ms);
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T15:05:09+02:00"), utc(2026, 12, 3, 13, 5, 9));
    EXPECT_EQ(parse_iso8601_utc("2026-12-03T08:05:09-05:00"), utc(2026, 12, 3, 13, 5, 9));
    for (const char* bad :
         {"", "2026-12-03", "2026-12-03T13:05:09", "2026-12-03 13:05:09Z", "2026-02-30T00:00:00Z",
          "2026-13-01T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T13:05:09.Z",
          "2026-12-03T13:05:09Zjunk", "2026-12-03T13:05:09+2:00", "1969-12-31T23:59:59Z"}) {
        EXPECT_FALSE(parse_iso8601_utc(bad)) << bad;
    }
}

TEST(InstanceMetadata, CredentialsDocument) {
    const auto credentials = parse_instance_metadata_credentials(
        R"({"Code":"Success","LastUpdated":"2026-12-03T12:00:00Z","Type":"AWS-HMAC",)"
        R"("AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-token",)"
        R"("Expiration":"2026-12-03T18:00:00Z"})",
        "dkimwatch-read");
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "ASIAIMDS");
    EXPECT_EQ(credentials->secret_access_key, "imds-secret");
    EXPECT_EQ(credentials->session_token, "imds-token");
    EXPECT_EQ(credentials->expiration, utc(2026, 12, 3, 18, 0, 0));
    EXPECT_EQ(credentials->source, "instance metadata role dkimwatch-read");
}

TEST(InstanceMetadata, BadDocumentsAreErrorsThatQuoteNothing) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"AccessKeyId":"ASIA","SecretAccessKey":"TOPSECRET)",
         "the credentials of instance role r are not a JSON object"},
        {R"(<html>TOPSECRET</html>)", "the credentials of instance role r are not a JSON object"},
        {R"(["TOPSECRET"])", "the credentials of instance role r are not a JSON object"},
        {R"({"Code":"AssumeRoleUnauthorizedAccess","SecretAccessKey":"TOPSECRET"})",
         "the credentials of instance role r are not usable: Code is not Success"},
        {R"({"AccessKeyId":"A","SecretAccessKey":"TOPSECRET","Expiration":"2026-12-03T18:00:00Z"})",
         "the credentials of instance role r lack a Token string"},
        {R"({"AccessKeyId":"A","SecretAccessKey":null,"Token":"TOPSECRET","Expiration":"x"})",
         "the credentials of instance role r lack a SecretAccessKey string"},
        {R"({"AccessKeyId":"A","SecretAccessKey":"TOPSECRET","Token":"t","Expiration":"TOPSECRET"})",
         "the credentials of instance role r have an Expiration that is not an ISO 8601 time"},
    };
    for (const auto& [json, error] : cases) {
        const auto credentials = parse_instance_metadata_credentials(json, "r");
        ASSERT_FALSE(credentials) << json;
        EXPECT_EQ(credentials.error(), error) << json;
        EXPECT_EQ(credentials.error().find("TOPSECRET"), std::string::npos);
    }
}

TEST(InstanceMetadata, SettingsFromTheEnvironment) {
    AwsEnvironment environment;
    EXPECT_EQ(instance_metadata_settings(environment).endpoint, "http://169.254.169.254");
    EXPECT_EQ(instance_metadata_settings(environment).connect_timeout, 1s);
    EXPECT_EQ(instance_metadata_settings(environment).total_timeout, 2s);
    EXPECT_FALSE(instance_metadata_disabled(environment));

    environment.variables = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111/"},
                             {"AWS_EC2_METADATA_DISABLED", "TRUE"}};
    EXPECT_EQ(instance_metadata_settings(environment).endpoint, "http://127.0.0.1:8111");
    EXPECT_TRUE(instance_metadata_disabled(environment));
    environment.variables["AWS_EC2_METADATA_DISABLED"] = "false";
    EXPECT_FALSE(instance_metadata_disabled(environment));
    environment.variables["AWS_EC2_METADATA_DISABLED"] = "1";
    EXPECT_FALSE(instance_metadata_disabled(environment));
}

} // namespace
} // namespace dkimwatch
