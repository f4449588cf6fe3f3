#pragma once
// When an alert delivery counts as done, when it is retried and how long to wait: pure maths,
// no clock and no randomness of its own (the caller passes the jitter).
//
// - Delivered: the status is one of the request's success_statuses.
// - Retried: no response (connection refused, timeout: status 0), 408, 429 and 5xx.
// - Rejected (never retried; the message is dropped): every other status, i.e. 3xx (redirects
//   are not followed) and 4xx other than 408 and 429, and a 2xx the sink does not accept.
// Thread-safety: pure functions, reentrant.

#include "alert/http_exchange.hpp"
#include "config/config.hpp"
#include "core/duration.hpp"

#include <chrono>
#include <optional>

namespace dkimwatch {

// The first retry waits about this long, and no wait is ever longer than the maximum.
inline constexpr Milliseconds k_retry_min_delay = std::chrono::seconds{1};
inline constexpr Milliseconds k_retry_max_delay = std::chrono::minutes{5};

enum class DeliveryOutcome { delivered, retry, rejected };

DeliveryOutcome classify_delivery(const HttpRequest& request, const HttpResponse& response);

// The wait after the `failed_attempts`-th failed attempt of a message (1 for the first
// failure). Without Retry-After: exponential with jitter, uniform in [ceiling / 2, ceiling]
// where ceiling = min(k_retry_max_delay, 2 * k_retry_min_delay * 2^(failed_attempts - 1)), so
// 1-2 s, 2-4 s, 4-8 s, ... and 150-300 s from the 9th failure on. `jitter` in [0, 1] picks the
// point in that range (values outside are clamped). A server's Retry-After wins over the
// backoff, capped at k_retry_max_delay.
Milliseconds retry_delay(int failed_attempts, double jitter,
                         std::optional<std::chrono::seconds> retry_after);

// The least time between the starts of two sends to one sink: Slack accepts about one message
// per second per webhook, PagerDuty about 120 events per minute per routing key; webhook and
// alertmanager receivers are not limited (0).
Milliseconds min_send_interval(AlertSinkConfig::Type type);

} // namespace dkimwatch
