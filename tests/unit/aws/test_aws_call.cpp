// What one attempt came to (the error mapping), the backoff, the failure messages, the pacer,
// and the retry loop with a scripted `send` (no network).

#include "aws/aws_call.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <thread>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;

AwsResponse answer(int status, std::string error_type = "", std::string body = "") {
    AwsResponse response;
    response.status = status;
    response.error_type = std::move(error_type);
    response.body = std::move(body);
    return response;
}

AwsAttempt classify(int status, const std::string& code, const std::string& message = "") {
    return classify_aws_response(answer(status), AwsErrorInfo{code, message});
}

TEST(ClassifyAwsResponse, MapsStatusesAndCodes) {
    EXPECT_EQ(classify(200, "").outcome, AwsOutcome::ok);
    EXPECT_EQ(classify(200, "").code, "200");
    EXPECT_EQ(classify(429, "").outcome, AwsOutcome::throttled);
    EXPECT_EQ(classify(400, "TooManyRequestsException").outcome, AwsOutcome::throttled);
    EXPECT_EQ(classify(400, "Throttling").outcome, AwsOutcome::throttled);
    EXPECT_EQ(classify(500, "InternalFailure").outcome, AwsOutcome::server_error);
    EXPECT_EQ(classify(503, "").outcome, AwsOutcome::server_error);
    EXPECT_EQ(classify(403, "AccessDeniedException").outcome, AwsOutcome::access_denied);
    EXPECT_EQ(classify(403, "AccessDenied").outcome, AwsOutcome::access_denied);
    EXPECT_EQ(classify(403, "").outcome, AwsOutcome::access_denied);
    EXPECT_EQ(classify(403, "ExpiredTokenException").outcome, AwsOutcome::expired_token);
    EXPECT_EQ(classify(400, "ExpiredToken").outcome, AwsOutcome::expired_token);
    EXPECT_EQ(classify(403, "SignatureDoesNotMatch").outcome, AwsOutcome::bad_credentials);
    EXPECT_EQ(classify(403, "InvalidSignatureException").outcome, AwsOutcome::bad_credentials);
    EXPECT_EQ(classify(403, "UnrecognizedClientException").outcome, AwsOutcome::bad_credentials);
    EXPECT_EQ(classify(403, "InvalidClientTokenId").outcome, AwsOutcome::bad_credentials);
    EXPECT_EQ(classify(404, "NotFoundException").outcome, AwsOutcome::client_error);
    EXPECT_EQ(classify(400, "BadRequestException", "bad").detail, "BadRequestException: bad");
    EXPECT_EQ(classify(418, "").detail, "HTTP 418");
    EXPECT_EQ(classify(418, "").code, "418");
}

TEST(ClassifyAwsResponse, TransportFailures) {
    AwsResponse response;
    response.failure = "connection refused";
    EXPECT_EQ(classify_aws_response(response, {}).outcome, AwsOutcome::network);
    EXPECT_EQ(classify_aws_response(response, {}).code, "network");
    EXPECT_EQ(classify_aws_response(response, {}).detail, "connection refused");
    response.timed_out = true;
    EXPECT_EQ(classify_aws_response(response, {}).outcome, AwsOutcome::timeout);
    EXPECT_EQ(classify_aws_response(response, {}).code, "timeout");
    response.timed_out = false;
    response.too_large = true;
    EXPECT_EQ(classify_aws_response(response, {}).outcome, AwsOutcome::bad_answer);
    response.too_large = false;
    response.cancelled = true;
    EXPECT_EQ(classify_aws_response(response, {}).outcome, AwsOutcome::cancelled);
    response.cancelled = false;
    response.refused = true;
    EXPECT_EQ(classify_aws_response(response, {}).outcome, AwsOutcome::refused);
    EXPECT_EQ(classify_aws_response(response, {}).code, "");
}

TEST(IsRetryable, OnlyTransientOutcomes) {
    for (const auto outcome : {AwsOutcome::throttled, AwsOutcome::server_error, AwsOutcome::network,
                               AwsOutcome::timeout}) {
        EXPECT_TRUE(is_retryable(outcome)) << aws_outcome_name(outcome);
    }
    for (const auto outcome :
         {AwsOutcome::ok, AwsOutcome::access_denied, AwsOutcome::expired_token,
          AwsOutcome::bad_credentials, AwsOutcome::client_error, AwsOutcome::refused,
          AwsOutcome::cancelled, AwsOutcome::bad_answer}) {
        EXPECT_FALSE(is_retryable(outcome)) << aws_outcome_name(outcome);
    }
}

TEST(AwsBackoffDelay, DoublesWithJitterAndCaps) {
    AwsRetryPolicy policy;
    policy.base_delay = 200ms;
    policy.max_delay = 1s;
    EXPECT_EQ(aws_backoff_delay(policy, 1, 0.0, std::nullopt), 100ms);
    EXPECT_EQ(aws_backoff_delay(policy, 1, 1.0, std::nullopt), 200ms);
    EXPECT_EQ(aws_backoff_delay(policy, 2, 0.0, std::nullopt), 200ms);
    EXPECT_EQ(aws_backoff_delay(policy, 2, 1.0, std::nullopt), 400ms);
    EXPECT_EQ(aws_backoff_delay(policy, 3, 0.5, std::nullopt), 600ms);
    EXPECT_EQ(aws_backoff_delay(policy, 10, 1.0, std::nullopt), 1s);
    EXPECT_EQ(aws_backoff_delay(policy, 60, 0.0, std::nullopt), 500ms);
    // Retry-After raises the delay, within max_delay.
    EXPECT_EQ(aws_backoff_delay(policy, 1, 0.0, 1s), 1s);
    EXPECT_EQ(aws_backoff_delay(policy, 1, 0.0, 120s), 1s);
    EXPECT_EQ(aws_backoff_delay(policy, 3, 1.0, 0s), 800ms);
}

TEST(DescribeAwsFailure, NamesTheIamActionOnA403) {
    const AwsOperation operation{"GetEmailIdentity", "ses:GetEmailIdentity", false};
    const std::string message =
        describe_aws_failure(operation, classify(403, "AccessDeniedException", "not allowed"), 1);
    EXPECT_THAT(message, HasSubstr("GetEmailIdentity failed: access denied (HTTP 403"));
    EXPECT_THAT(message, HasSubstr("need the IAM action ses:GetEmailIdentity"));
    EXPECT_THAT(describe_aws_failure(operation, classify(429, "TooManyRequestsException"), 4),
                HasSubstr("after 4 attempts: throttled"));
    EXPECT_THAT(describe_aws_failure(operation, classify(500, ""), 3),
                HasSubstr("after 3 attempts: server error (HTTP 500)"));
    EXPECT_THAT(describe_aws_failure(operation, classify(403, "ExpiredTokenException"), 1),
                HasSubstr("session token has expired"));
    EXPECT_EQ(describe_aws_failure(operation, classify(200, ""), 1), "");
}

TEST(AwsPacer, SpacesRequests) {
    AwsPacer pacer(20.0); // 50 ms apart
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(pacer.wait({}));
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(AwsPacer, StopInterruptsTheWait) {
    AwsPacer pacer(0.01); // 100 s apart
    ASSERT_TRUE(pacer.wait({}));
    std::stop_source stop;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(50ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(pacer.wait(stop.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

struct Script {
    std::vector<AwsResponse> answers;
    std::size_t sent = 0;
    AwsResponse next() { return answers.at(std::min(sent++, answers.size() - 1)); }
};

AwsRetryPolicy fast_policy(int attempts) {
    AwsRetryPolicy policy;
    policy.max_attempts = attempts;
    policy.base_delay = 1ms;
    policy.max_delay = 4ms;
    return policy;
}

TEST(CallAwsWithRetries, RetriesThrottlingThenSucceeds) {
    Script script{{answer(429, "TooManyRequestsException"), answer(500), answer(200, "", "{}")}};
    AwsPacer pacer(1000.0);
    std::vector<std::string> codes;
    const auto result = call_aws_with_retries(
        {"ListEmailIdentities", "ses:ListEmailIdentities", false}, [&] { return script.next(); },
        pacer, fast_policy(4), {}, [&](const AwsAttempt& a) { codes.push_back(a.code); });
    EXPECT_EQ(result.attempt.outcome, AwsOutcome::ok);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(codes, (std::vector<std::string>{"429", "500", "200"}));
}

TEST(CallAwsWithRetries, GivesUpAfterMaxAttemptsAndDoesNotRetryA403) {
    Script throttled{{answer(429, "", R"({"message": "slow"})")}};
    AwsPacer pacer(1000.0);
    int attempts = 0;
    auto result = call_aws_with_retries(
        {"ListEmailIdentities", "ses:ListEmailIdentities", false}, [&] { return throttled.next(); },
        pacer, fast_policy(3), {}, [&](const AwsAttempt&) { ++attempts; });
    EXPECT_EQ(attempts, 3);
    EXPECT_EQ(result.attempt.outcome, AwsOutcome::throttled);
    EXPECT_THAT(result.error, HasSubstr("after 3 attempts: throttled (HTTP 429: slow)"));

    Script denied{{answer(403, "AccessDeniedException")}};
    attempts = 0;
    result = call_aws_with_retries(
        {"GetEmailIdentity", "ses:GetEmailIdentity", false}, [&] { return denied.next(); }, pacer,
        fast_policy(5), {}, [&](const AwsAttempt&) { ++attempts; });
    EXPECT_EQ(attempts, 1);
    EXPECT_THAT(result.error, HasSubstr("ses:GetEmailIdentity"));
}

TEST(CallAwsWithRetries, ReadsXmlErrorsForSts) {
    Script script{{answer(403, "",
                          "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message>"
                          "</Error></ErrorResponse>")}};
    AwsPacer pacer(1000.0);
    const auto result = call_aws_with_retries(
        {"AssumeRole", "sts:AssumeRole", true}, [&] { return script.next(); }, pacer,
        fast_policy(2), {}, nullptr);
    EXPECT_EQ(result.attempt.outcome, AwsOutcome::access_denied);
    EXPECT_THAT(result.error, HasSubstr("AccessDenied: no"));
    EXPECT_THAT(result.error, HasSubstr("sts:AssumeRole"));
}

TEST(CallAwsWithRetries, BoundsTheTotalWait) {
    Script script{{answer(503)}};
    AwsPacer pacer(1000.0);
    AwsRetryPolicy policy = fast_policy(100);
    policy.base_delay = 40ms;
    policy.max_delay = 40ms;
    policy.max_total_wait = 100ms;
    const auto start = std::chrono::steady_clock::now();
    const auto result = call_aws_with_retries(
        {"GetEmailIdentity", "ses:GetEmailIdentity", false}, [&] { return script.next(); }, pacer,
        policy, {}, nullptr);
    EXPECT_EQ(result.attempt.outcome, AwsOutcome::server_error);
    EXPECT_LE(script.sent, 6u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(CallAwsWithRetries, RefusedRequestsAreNotCountedOrRetried) {
    AwsResponse refused;
    refused.refused = true;
    refused.failure = "refused to sign: the request path holds '@'";
    Script script{{refused}};
    AwsPacer pacer(1000.0);
    int attempts = 0;
    const auto result = call_aws_with_retries(
        {"GetEmailIdentity", "ses:GetEmailIdentity", false}, [&] { return script.next(); }, pacer,
        fast_policy(4), {}, [&](const AwsAttempt&) { ++attempts; });
    EXPECT_EQ(attempts, 0);
    EXPECT_EQ(script.sent, 1u);
    EXPECT_THAT(result.error, HasSubstr("refused to sign"));
}

TEST(CallAwsWithRetries, StopEndsTheBackoff) {
    Script script{{answer(500)}};
    AwsPacer pacer(1000.0);
    AwsRetryPolicy policy = fast_policy(10);
    policy.base_delay = 10s;
    policy.max_delay = 10s;
    policy.max_total_wait = 100s;
    std::stop_source stop;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(50ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    const auto result = call_aws_with_retries(
        {"GetEmailIdentity", "ses:GetEmailIdentity", false}, [&] { return script.next(); }, pacer,
        policy, stop.get_token(), nullptr);
    EXPECT_EQ(result.attempt.outcome, AwsOutcome::cancelled);
    EXPECT_THAT(result.error, HasSubstr("cancelled"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

} // namespace
} // namespace dkimwatch
