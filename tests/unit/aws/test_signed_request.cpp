// The pure part of the signed request: the canonical query string curl 7.88.1 must be given,
// the path and endpoint guards, and requests refused before anything is sent.

#include "aws/aws_credentials.hpp"
#include "aws/signed_request.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace dkimwatch {
namespace {

using testing::HasSubstr;
using testing::Not;

TEST(AwsPercentEncode, KeepsUnreservedAndEncodesTheRestInUpperCase) {
    EXPECT_EQ(aws_percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    EXPECT_EQ(aws_percent_encode("a+b/c=d"), "a%2Bb%2Fc%3Dd");
    EXPECT_EQ(aws_percent_encode(" @%&"), "%20%40%25%26");
    EXPECT_EQ(aws_percent_encode("\xc3\xa9"), "%C3%A9");
    EXPECT_EQ(aws_percent_encode(""), "");
}

TEST(AwsQueryString, SortsKeysAndEncodes) {
    EXPECT_EQ(aws_query_string({{"PageSize", "1000"}, {"NextToken", "ab+/=="}}),
              "NextToken=ab%2B%2F%3D%3D&PageSize=1000");
    EXPECT_EQ(aws_query_string({}), "");
    // Sorted by the encoded key, then the value.
    EXPECT_EQ(aws_query_string({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"A", "x"}}),
              "A=x&a=y&a=z&b=2");
    EXPECT_EQ(aws_query_string({{"k", ""}}), "k=");
}

TEST(AwsPathProblem, RefusesWhatCurl7881SignsWrongly) {
    EXPECT_EQ(aws_path_problem("/v2/email/identities"), std::nullopt);
    EXPECT_EQ(aws_path_problem("/v2/email/identities/example.com"), std::nullopt);
    EXPECT_EQ(aws_path_problem("/"), std::nullopt);
    EXPECT_THAT(aws_path_problem("/v2/email/identities/mary@example.com").value_or(""),
                HasSubstr("'@'"));
    EXPECT_THAT(aws_path_problem("/v2/email/identities/a%40b").value_or(""), HasSubstr("'%'"));
    EXPECT_NE(aws_path_problem("relative"), std::nullopt);
    EXPECT_NE(aws_path_problem(""), std::nullopt);
    EXPECT_NE(aws_path_problem("/a b"), std::nullopt);
    EXPECT_NE(aws_path_problem("/a?b=c"), std::nullopt);
    EXPECT_NE(aws_path_problem("/a#b"), std::nullopt);
    EXPECT_NE(aws_path_problem("/\xc3\xa9"), std::nullopt);
}

TEST(AwsEndpointProblem, AcceptsSchemeHostPortOnly) {
    EXPECT_EQ(aws_endpoint_problem("https://email.us-east-1.amazonaws.com"), std::nullopt);
    EXPECT_EQ(aws_endpoint_problem("http://127.0.0.1:4566"), std::nullopt);
    EXPECT_EQ(aws_endpoint_problem("http://127.0.0.1:4566/"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("ftp://host"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("https://"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("https://host/path"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("https://user:pw@host"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("https://host?x=1"), std::nullopt);
    EXPECT_NE(aws_endpoint_problem("host:443"), std::nullopt);
}

TEST(AwsRequestUrl, JoinsEndpointPathAndSortedQuery) {
    AwsRequest request;
    request.endpoint_url = "http://127.0.0.1:1/";
    request.path = "/v2/email/identities";
    request.query = {{"PageSize", "2"}, {"NextToken", "t/k"}};
    EXPECT_EQ(aws_request_url(request),
              "http://127.0.0.1:1/v2/email/identities?NextToken=t%2Fk&PageSize=2");
    request.query.clear();
    EXPECT_EQ(aws_request_url(request), "http://127.0.0.1:1/v2/email/identities");
}

AwsCredentials test_credentials() {
    AwsCredentials credentials;
    credentials.access_key_id = "AKIDEXAMPLE";
    credentials.secret_access_key = "secret/KEY+never-shown";
    credentials.session_token = "token-never-shown";
    return credentials;
}

TEST(SendAwsRequest, RefusesBeforeSendingAndNamesNoSecret) {
    AwsRequest request;
    request.endpoint_url = "http://127.0.0.1:9"; // nothing is sent: refused first
    request.region = "us-east-1";
    request.service = "ses";
    const AwsCredentials credentials = test_credentials();

    request.path = "/v2/email/identities/mary@example.com";
    AwsResponse response = send_aws_request(request, credentials);
    EXPECT_EQ(response.status, 0);
    EXPECT_TRUE(response.refused);
    EXPECT_THAT(response.failure, HasSubstr("refused to sign"));

    request.path = "/v2/email/identities";
    request.endpoint_url = "https://host/extra";
    response = send_aws_request(request, credentials);
    EXPECT_TRUE(response.refused);
    EXPECT_THAT(response.failure, HasSubstr("refused to send"));

    request.endpoint_url = "http://127.0.0.1:9";
    request.service.clear();
    response = send_aws_request(request, credentials);
    EXPECT_TRUE(response.refused);

    request.service = "ses";
    request.method = "DELETE";
    response = send_aws_request(request, credentials);
    EXPECT_TRUE(response.refused);

    request.method = "GET";
    AwsCredentials no_secret = credentials;
    no_secret.secret_access_key.clear();
    response = send_aws_request(request, no_secret);
    EXPECT_TRUE(response.refused);

    for (const auto& failure : {response.failure}) {
        EXPECT_THAT(failure, Not(HasSubstr(credentials.secret_access_key)));
        EXPECT_THAT(failure, Not(HasSubstr(credentials.session_token)));
    }
}

TEST(SendAwsRequest, StoppedBeforeStartIsCancelled) {
    AwsRequest request;
    request.endpoint_url = "http://127.0.0.1:9";
    request.path = "/";
    request.region = "us-east-1";
    request.service = "sts";
    std::stop_source stop;
    stop.request_stop();
    const AwsResponse response = send_aws_request(request, test_credentials(), stop.get_token());
    EXPECT_EQ(response.status, 0);
    EXPECT_TRUE(response.cancelled);
    EXPECT_EQ(response.failure, "cancelled");
}

// A loopback listener that accepts connections (the kernel's backlog) and never answers.
class SilentServer {
public:
    SilentServer() {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(m_fd, 4), 0);
        EXPECT_EQ(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
        m_port = ntohs(address.sin_port);
    }
    ~SilentServer() { ::close(m_fd); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

TEST(SendAwsRequest, StopDuringTheTransferCancelsIt) {
    SilentServer server;
    AwsRequest request;
    request.endpoint_url = server.url();
    request.path = "/v2/email/identities";
    request.region = "us-east-1";
    request.service = "ses";
    request.timeout = std::chrono::seconds{30};
    std::stop_source stop;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    const AwsResponse response = send_aws_request(request, test_credentials(), stop.get_token());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{5});
    EXPECT_EQ(response.status, 0);
    EXPECT_TRUE(response.cancelled);
    EXPECT_EQ(response.failure, "cancelled");
}

TEST(SendAwsRequest, TimeoutIsReportedWithoutTheUrl) {
    SilentServer server;
    AwsRequest request;
    request.endpoint_url = server.url();
    request.path = "/v2/email/identities";
    request.query = {{"NextToken", "private-token"}};
    request.region = "us-east-1";
    request.service = "ses";
    request.timeout = std::chrono::milliseconds{200};
    const AwsResponse response = send_aws_request(request, test_credentials());
    EXPECT_EQ(response.status, 0);
    EXPECT_TRUE(response.timed_out);
    EXPECT_EQ(response.failure, "timeout after 200 ms");
}

} // namespace
} // namespace dkimwatch
