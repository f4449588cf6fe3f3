#include "alert/retry_policy.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

HttpResponse response_with(int status) {
    HttpResponse response;
    response.status = status;
    return response;
}

TEST(RetryPolicy, SuccessIsWhatTheRequestAccepts) {
    HttpRequest request;
    request.success_statuses = {202};
    EXPECT_EQ(classify_delivery(request, response_with(202)), DeliveryOutcome::delivered);
    // A 2xx the sink does not promise is not a delivery, and retrying will not change it.
    EXPECT_EQ(classify_delivery(request, response_with(200)), DeliveryOutcome::rejected);
    request.success_statuses = {200, 204};
    EXPECT_EQ(classify_delivery(request, response_with(200)), DeliveryOutcome::delivered);
    EXPECT_EQ(classify_delivery(request, response_with(204)), DeliveryOutcome::delivered);
}

TEST(RetryPolicy, TransientFailuresAreRetried) {
    const HttpRequest request;
    for (const int status : {0, 408, 429, 500, 502, 503, 504, 599}) {
        EXPECT_EQ(classify_delivery(request, response_with(status)), DeliveryOutcome::retry)
            << status;
    }
}

TEST(RetryPolicy, OtherStatusesAreRejected) {
    const HttpRequest request;
    for (const int status : {301, 302, 400, 401, 403, 404, 405, 410, 413, 422, 600, 100}) {
        EXPECT_EQ(classify_delivery(request, response_with(status)), DeliveryOutcome::rejected)
            << status;
    }
}

TEST(RetryPolicy, BackoffDoublesWithinItsJitterRange) {
    // failed_attempts -> [ceiling / 2, ceiling]
    const std::pair<int, Milliseconds> ceilings[] = {
        {1, 2s}, {2, 4s}, {3, 8s}, {4, 16s}, {5, 32s}, {6, 64s}, {7, 128s}, {8, 256s},
    };
    for (const auto& [attempts, ceiling] : ceilings) {
        EXPECT_EQ(retry_delay(attempts, 0.0, std::nullopt), ceiling / 2) << attempts;
        EXPECT_EQ(retry_delay(attempts, 1.0, std::nullopt), ceiling) << attempts;
        EXPECT_EQ(retry_delay(attempts, 0.5, std::nullopt), ceiling * 3 / 4) << attempts;
    }
    EXPECT_EQ(retry_delay(1, 0.25, std::nullopt), 1250ms);
}

TEST(RetryPolicy, TheFirstRetryWaitsAtLeastOneSecond) {
    EXPECT_EQ(retry_delay(1, 0.0, std::nullopt), k_retry_min_delay);
    EXPECT_EQ(k_retry_min_delay, 1s);
    // Nonsense counts are treated as the first failure.
    EXPECT_EQ(retry_delay(0, 0.0, std::nullopt), 1s);
    EXPECT_EQ(retry_delay(-5, 1.0, std::nullopt), 2s);
}

TEST(RetryPolicy, TheCapIsFiveMinutesWithJitterBelowIt) {
    EXPECT_EQ(k_retry_max_delay, 5min);
    for (const int attempts : {9, 10, 20, 31, 32, 1000, 2147483647}) {
        EXPECT_EQ(retry_delay(attempts, 1.0, std::nullopt), 5min) << attempts;
        EXPECT_EQ(retry_delay(attempts, 0.0, std::nullopt), 150s) << attempts;
    }
}

TEST(RetryPolicy, JitterOutsideTheUnitIntervalIsClamped) {
    EXPECT_EQ(retry_delay(3, -1.0, std::nullopt), 4s);
    EXPECT_EQ(retry_delay(3, 7.0, std::nullopt), 8s);
}

TEST(RetryPolicy, EveryDelayIsWithinTheBounds) {
    for (int attempts = 1; attempts <= 40; ++attempts) {
        for (double jitter = 0.0; jitter <= 1.0; jitter += 0.125) {
            const Milliseconds delay = retry_delay(attempts, jitter, std::nullopt);
            EXPECT_GE(delay, 1s);
            EXPECT_LE(delay, 5min);
        }
    }
}

TEST(RetryPolicy, RetryAfterWinsOverTheBackoff) {
    EXPECT_EQ(retry_delay(1, 0.0, 2s), 2s);
    EXPECT_EQ(retry_delay(1, 1.0, 30s), 30s);
    EXPECT_EQ(retry_delay(12, 0.5, 7s), 7s);
    EXPECT_EQ(retry_delay(3, 0.5, 0s), 0s);
    // Capped like the backoff, and never negative.
    EXPECT_EQ(retry_delay(1, 0.0, std::chrono::seconds{3600}), 5min);
    EXPECT_EQ(retry_delay(1, 0.0, std::chrono::seconds::max()), 5min);
    EXPECT_EQ(retry_delay(1, 0.0, -5s), 0s);
}

TEST(RetryPolicy, RateLimits) {
    EXPECT_EQ(min_send_interval(AlertSinkConfig::Type::slack), 1s);
    EXPECT_EQ(min_send_interval(AlertSinkConfig::Type::pagerduty), 500ms);
    EXPECT_EQ(min_send_interval(AlertSinkConfig::Type::webhook), 0ms);
    EXPECT_EQ(min_send_interval(AlertSinkConfig::Type::alertmanager), 0ms);
}

} // namespace
} // namespace dkimwatch
