#pragma once
// What one AWS API attempt came to, how long to wait before the next one, and the loop that
// paces and retries attempts. The classification and the backoff are pure; AwsPacer and
// call_aws_with_retries sleep (interruptibly, through a stop_token).

#include "aws/ses_json.hpp"
#include "aws/signed_request.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace dkimwatch {

enum class AwsOutcome {
    ok,              // 2xx
    throttled,       // 429, TooManyRequestsException, Throttling: retried
    server_error,    // 5xx: retried
    network,         // no answer (connection refused, reset, ...): retried
    bad_answer,      // an answer larger than k_aws_max_body: not retried
    timeout,         // no answer in time: retried
    access_denied,   // 403 AccessDenied*: stops, names the IAM action
    expired_token,   // ExpiredToken*: the caller may fetch fresh credentials once
    bad_credentials, // signature mismatch, unknown access key
    client_error,    // any other 4xx
    refused,         // never sent (bad endpoint or path): no HTTP attempt
    cancelled,       // stop requested
};

const char* aws_outcome_name(AwsOutcome outcome);
bool is_retryable(AwsOutcome outcome);

struct AwsAttempt {
    AwsOutcome outcome = AwsOutcome::ok;
    // For the metric: the HTTP status as text ("200", "429") or "network"/"timeout".
    std::string code;
    // For humans, no secret: "AccessDeniedException: User ... is not authorized" or the
    // transport failure.
    std::string detail;
    std::optional<std::chrono::seconds> retry_after;
};

// `error` is the parsed error body of a non-2xx answer (JSON or XML, the caller knows which).
AwsAttempt classify_aws_response(const AwsResponse& response, const AwsErrorInfo& error);

struct AwsRetryPolicy {
    int max_attempts = 4;                      // including the first
    std::chrono::milliseconds base_delay{250}; // doubled per attempt
    std::chrono::milliseconds max_delay{std::chrono::seconds{8}};
    std::chrono::milliseconds max_total_wait{std::chrono::seconds{20}}; // all waits together
};

// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: "full
// jitter" over [base*2^(attempt-1)/2, base*2^(attempt-1)] capped at max_delay, with `jitter`
// in [0, 1) choosing the point; at least a Retry-After the server gave (capped at max_delay).
std::chrono::milliseconds aws_backoff_delay(const AwsRetryPolicy& policy, int attempt,
                                            double jitter,
                                            std::optional<std::chrono::seconds> retry_after);

// Spaces requests at least 1/max_rps apart (steady clock). Thread-safe.
class AwsPacer {
public:
    explicit AwsPacer(double max_rps);
    // Waits for the next slot; false when `stop` was requested first.
    bool wait(std::stop_token stop);

private:
    std::mutex m_mutex;
    std::chrono::steady_clock::duration m_interval;
    std::optional<std::chrono::steady_clock::time_point> m_last;
};

// Sleeps `duration` unless `stop` is requested first (then false).
bool sleep_unless_stopped(std::chrono::steady_clock::duration duration, std::stop_token stop);

// What call_aws_with_retries needs to know about one operation.
struct AwsOperation {
    std::string name;        // "ListEmailIdentities": the metric's operation label
    std::string iam_action;  // "ses:ListEmailIdentities": named when a 403 stops the call
    bool xml_errors = false; // STS answers errors in XML, SES in JSON
};

struct AwsCallResult {
    AwsResponse response; // the last attempt's answer
    AwsAttempt attempt;   // its classification
    std::string error;    // "" when attempt.outcome is ok; else a full sentence, no secret
};

// Runs `send` (one HTTP attempt) through the pacer, retrying throttling, 5xx and transport
// failures with aws_backoff_delay (random jitter) within `policy`. `on_attempt` is called once
// per attempt that was sent (never for `refused`).
AwsCallResult call_aws_with_retries(const AwsOperation& operation,
                                    const std::function<AwsResponse()>& send, AwsPacer& pacer,
                                    const AwsRetryPolicy& policy, std::stop_token stop,
                                    const std::function<void(const AwsAttempt&)>& on_attempt);

// How a client call is made: the pacer and retry policy of its account/region, cancellation,
// the per-attempt callback (metrics) and the per-attempt timeout. `last_outcome` is written by
// every call (e.g. expired_token: the caller may fetch fresh credentials and call again).
struct AwsCallContext {
    AwsPacer* pacer = nullptr; // required
    AwsRetryPolicy policy;
    std::stop_token stop;
    // Called once per HTTP attempt with the operation name and the attempt.
    std::function<void(const std::string& operation, const AwsAttempt&)> on_attempt;
    std::chrono::milliseconds timeout = k_aws_request_timeout;
    AwsOutcome last_outcome = AwsOutcome::ok;
};

// call_aws_with_retries with the context's pacer, policy, stop token and callback; records
// the outcome in context.last_outcome.
AwsCallResult call_aws(const AwsOperation& operation, const std::function<AwsResponse()>& send,
                       AwsCallContext& context);

// The error message for a final, failed attempt of `operation`: names the IAM action on a
// 403, says "throttled"/"server error" after retries, never holds a secret.
std::string describe_aws_failure(const AwsOperation& operation, const AwsAttempt& attempt,
                                 int attempts);

} // namespace dkimwatch
