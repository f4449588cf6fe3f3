// The SES and STS requests as built (pure): sorted, encoded queries; paths that curl 7.88.1
// signs correctly; the STS form bodies.

#include "aws/ses_client.hpp"
#include "aws/sts_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using testing::HasSubstr;

TEST(SesListIdentitiesRequest, SortedQueryWithEncodedToken) {
    const AwsRequest request =
        ses_list_identities_request("", "eu-west-1", "tok+en/==", k_ses_page_size);
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.service, "ses");
    EXPECT_EQ(request.region, "eu-west-1");
    EXPECT_EQ(request.accept, "application/json");
    EXPECT_EQ(aws_request_url(request), "https://email.eu-west-1.amazonaws.com/v2/email/"
                                        "identities?NextToken=tok%2Ben%2F%3D%3D&PageSize=1000");
    EXPECT_EQ(
        aws_request_url(ses_list_identities_request("http://127.0.0.1:4566", "us-east-1", "", 0)),
        "http://127.0.0.1:4566/v2/email/identities");
    EXPECT_EQ(aws_request_url(ses_list_identities_request("http://h", "us-east-1", "", 5)),
              "http://h/v2/email/identities?PageSize=5");
}

TEST(SesGetIdentityRequest, OnlyPlainDomainNames) {
    const auto request = ses_get_identity_request("", "us-east-1", "Example.com.");
    ASSERT_TRUE(request.ok()) << request.error();
    EXPECT_EQ(request->path, "/v2/email/identities/Example.com");
    EXPECT_EQ(aws_path_problem(request->path), std::nullopt);
    for (const char* name : {"mary@example.com", "a%40b.com", "a/b.com", "", "a b.com"}) {
        const auto refused = ses_get_identity_request("", "us-east-1", name);
        ASSERT_FALSE(refused.ok()) << name;
        EXPECT_THAT(refused.error(), HasSubstr("GetEmailIdentity"));
    }
}

TEST(DefaultEndpoints, PerRegion) {
    EXPECT_EQ(default_ses_endpoint("ap-south-2"), "https://email.ap-south-2.amazonaws.com");
    EXPECT_EQ(default_sts_endpoint("ap-south-2"), "https://sts.ap-south-2.amazonaws.com");
}

TEST(StsRequests, FormBodiesSortedAndSignedForSts) {
    const AwsRequest caller = sts_get_caller_identity_request("us-east-1", "");
    EXPECT_EQ(caller.method, "POST");
    EXPECT_EQ(caller.path, "/");
    EXPECT_EQ(caller.service, "sts");
    EXPECT_EQ(caller.endpoint_url, "https://sts.us-east-1.amazonaws.com");
    EXPECT_EQ(caller.content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(caller.body, "Action=GetCallerIdentity&Version=2011-06-15");

    AssumeRoleRequest assume{"arn:aws:iam::1:role/r", "", "dkimwatch-prod", "eu-west-1",
                             "http://127.0.0.1:1"};
    AwsRequest request = sts_assume_role_request(assume);
    EXPECT_EQ(request.endpoint_url, "http://127.0.0.1:1");
    EXPECT_EQ(request.region, "eu-west-1");
    EXPECT_EQ(request.body, "Action=AssumeRole&DurationSeconds=3600&RoleArn=arn%3Aaws%3Aiam%3A%3A1"
                            "%3Arole%2Fr&RoleSessionName=dkimwatch-prod&Version=2011-06-15");
    assume.external_id = "ext id/1";
    request = sts_assume_role_request(assume);
    EXPECT_THAT(request.body, HasSubstr("&ExternalId=ext%20id%2F1&"));
}

} // namespace
} // namespace dkimwatch
