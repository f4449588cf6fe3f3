#include "aws/aws_call.hpp"

#include "aws/sts_xml.hpp"

#include <algorithm>
#include <condition_variable>
#include <random>
#include <thread>

namespace dkimwatch {
namespace {

bool is_throttling_code(const std::string& code) {
    return code == "TooManyRequestsException" || code == "Throttling" ||
           code == "ThrottlingException" || code == "RequestLimitExceeded" ||
           code == "LimitExceededException" || code == "SlowDown";
}

bool is_bad_credentials_code(const std::string& code) {
    return code == "SignatureDoesNotMatch" || code == "InvalidSignatureException" ||
           code == "IncompleteSignature" || code == "IncompleteSignatureException" ||
           code == "InvalidClientTokenId" || code == "UnrecognizedClientException" ||
           code == "MissingAuthenticationToken" || code == "MissingAuthenticationTokenException";
}

double random_unit() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

} // namespace

const char* aws_outcome_name(AwsOutcome outcome) {
    switch (outcome) {
    case AwsOutcome::ok:
        return "ok";
    case AwsOutcome::throttled:
        return "throttled";
    case AwsOutcome::server_error:
        return "server_error";
    case AwsOutcome::network:
        return "network";
    case AwsOutcome::bad_answer:
        return "bad_answer";
    case AwsOutcome::timeout:
        return "timeout";
    case AwsOutcome::access_denied:
        return "access_denied";
    case AwsOutcome::expired_token:
        return "expired_token";
    case AwsOutcome::bad_credentials:
        return "bad_credentials";
    case AwsOutcome::client_error:
        return "client_error";
    case AwsOutcome::refused:
        return "refused";
    case AwsOutcome::cancelled:
        return "cancelled";
    }
    return "unknown";
}

bool is_retryable(AwsOutcome outcome) {
    return outcome == AwsOutcome::throttled || outcome == AwsOutcome::server_error ||
           outcome == AwsOutcome::network || outcome == AwsOutcome::timeout;
}

AwsAttempt classify_aws_response(const AwsResponse& response, const AwsErrorInfo& error) {
    AwsAttempt attempt;
    attempt.retry_after = response.retry_after;
    if (response.status == 0) {
        attempt.detail = response.failure;
        if (response.refused) {
            attempt.outcome = AwsOutcome::refused;
        } else if (response.cancelled) {
            attempt.outcome = AwsOutcome::cancelled;
            attempt.code = "network";
        } else if (response.timed_out) {
            attempt.outcome = AwsOutcome::timeout;
            attempt.code = "timeout";
        } else if (response.too_large) {
            attempt.outcome = AwsOutcome::bad_answer;
            attempt.code = "network";
        } else {
            attempt.outcome = AwsOutcome::network;
            attempt.code = "network";
        }
        return attempt;
    }
    attempt.code = std::to_string(response.status);
    if (response.status >= 200 && response.status < 300) {
        attempt.outcome = AwsOutcome::ok;
        return attempt;
    }
    attempt.detail = !error.code.empty() ? error.code : "HTTP " + attempt.code;
    if (!error.message.empty()) {
        attempt.detail += ": " + error.message;
    }
    if (response.status == 429 || is_throttling_code(error.code)) {
        attempt.outcome = AwsOutcome::throttled;
    } else if (response.status >= 500) {
        attempt.outcome = AwsOutcome::server_error;
    } else if (error.code.find("ExpiredToken") != std::string::npos) {
        attempt.outcome = AwsOutcome::expired_token;
    } else if (is_bad_credentials_code(error.code)) {
        attempt.outcome = AwsOutcome::bad_credentials;
    } else if (response.status == 403) {
        attempt.outcome = AwsOutcome::access_denied;
    } else {
        attempt.outcome = AwsOutcome::client_error;
    }
    return attempt;
}

std::chrono::milliseconds aws_backoff_delay(const AwsRetryPolicy& policy, int attempt,
                                            double jitter,
                                            std::optional<std::chrono::seconds> retry_after) {
    using std::chrono::milliseconds;
    const int doublings = std::clamp(attempt - 1, 0, 30);
    const auto ceiling = std::min<std::int64_t>(
        policy.max_delay.count(), policy.base_delay.count() * (std::int64_t{1} << doublings));
    jitter = std::clamp(jitter, 0.0, 1.0);
    auto delay =
        milliseconds{ceiling / 2 + static_cast<std::int64_t>(
                                       static_cast<double>(ceiling - ceiling / 2) * jitter)};
    if (retry_after) {
        delay = std::max(delay, std::min<milliseconds>(*retry_after, policy.max_delay));
    }
    return delay;
}

AwsPacer::AwsPacer(double max_rps)
    : m_interval(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(max_rps > 0 ? 1.0 / max_rps : 1.0))) {}

bool AwsPacer::wait(std::stop_token stop) {
    std::chrono::steady_clock::time_point slot;
    {
        const std::lock_guard lock(m_mutex);
        const auto now = std::chrono::steady_clock::now();
        slot = m_last ? std::max(now, *m_last + m_interval) : now;
        m_last = slot;
    }
    return sleep_unless_stopped(slot - std::chrono::steady_clock::now(), std::move(stop));
}

bool sleep_unless_stopped(std::chrono::steady_clock::duration duration, std::stop_token stop) {
    if (stop.stop_requested()) {
        return false;
    }
    if (duration <= std::chrono::steady_clock::duration::zero()) {
        return true;
    }
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    // Returns on a stop request or when the time is up (the predicate never holds).
    wake.wait_for(lock, stop, duration, [] { return false; });
    return !stop.stop_requested();
}

std::string describe_aws_failure(const AwsOperation& operation, const AwsAttempt& attempt,
                                 int attempts) {
    const std::string prefix = operation.name + " failed";
    const std::string tries =
        attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : std::string();
    switch (attempt.outcome) {
    case AwsOutcome::ok:
        return "";
    case AwsOutcome::access_denied:
        return prefix + ": access denied (HTTP 403, " + attempt.detail +
               "); the credentials need the IAM action " + operation.iam_action;
    case AwsOutcome::expired_token:
        return prefix + ": the session token has expired (" + attempt.detail + ")";
    case AwsOutcome::bad_credentials:
        return prefix + ": the credentials were rejected (" + attempt.detail +
               "); check the access key and the secret";
    case AwsOutcome::throttled:
        return prefix + tries + ": throttled (" + attempt.detail + ")";
    case AwsOutcome::server_error:
        return prefix + tries + ": server error (" + attempt.detail + ")";
    case AwsOutcome::network:
    case AwsOutcome::timeout:
    case AwsOutcome::bad_answer:
    case AwsOutcome::refused:
        return prefix + tries + ": " + attempt.detail;
    case AwsOutcome::cancelled:
        return prefix + ": cancelled";
    case AwsOutcome::client_error:
        return prefix + ": " + attempt.detail;
    }
    return prefix;
}

AwsCallResult call_aws_with_retries(const AwsOperation& operation,
                                    const std::function<AwsResponse()>& send, AwsPacer& pacer,
                                    const AwsRetryPolicy& policy, std::stop_token stop,
                                    const std::function<void(const AwsAttempt&)>& on_attempt) {
    AwsCallResult result;
    std::chrono::milliseconds waited{0};
    for (int attempt = 1;; ++attempt) {
        if (!pacer.wait(stop)) {
            result.attempt = AwsAttempt{AwsOutcome::cancelled, "", "cancelled", std::nullopt};
            result.error = describe_aws_failure(operation, result.attempt, attempt);
            return result;
        }
        result.response = send();
        const int status = result.response.status;
        AwsErrorInfo error;
        if (status >= 300) {
            error = operation.xml_errors
                        ? parse_sts_error(result.response.body)
                        : parse_aws_json_error(result.response.error_type, result.response.body);
        }
        result.attempt = classify_aws_response(result.response, error);
        if (result.attempt.outcome != AwsOutcome::refused && on_attempt) {
            on_attempt(result.attempt);
        }
        if (result.attempt.outcome == AwsOutcome::ok) {
            result.error.clear();
            return result;
        }
        result.error = describe_aws_failure(operation, result.attempt, attempt);
        if (!is_retryable(result.attempt.outcome) || attempt >= policy.max_attempts) {
            return result;
        }
        const auto delay =
            aws_backoff_delay(policy, attempt, random_unit(), result.attempt.retry_after);
        if (waited + delay > policy.max_total_wait) {
            return result;
        }
        waited += delay;
        if (!sleep_unless_stopped(delay, stop)) {
            result.attempt = AwsAttempt{AwsOutcome::cancelled, "", "cancelled", std::nullopt};
            result.error = describe_aws_failure(operation, result.attempt, attempt);
            return result;
        }
    }
}

AwsCallResult call_aws(const AwsOperation& operation, const std::function<AwsResponse()>& send,
                       AwsCallContext& context) {
    const auto report = [&](const AwsAttempt& attempt) {
        if (context.on_attempt) {
            context.on_attempt(operation.name, attempt);
        }
    };
    AwsCallResult result = call_aws_with_retries(operation, send, *context.pacer, context.policy,
                                                 context.stop, report);
    context.last_outcome = result.attempt.outcome;
    return result;
}

} // namespace dkimwatch
