#include "alert/retry_policy.hpp"

#include <algorithm>

namespace dkimwatch {

DeliveryOutcome classify_delivery(const HttpRequest& request, const HttpResponse& response) {
    const int status = response.status;
    if (std::find(request.success_statuses.begin(), request.success_statuses.end(), status) !=
        request.success_statuses.end()) {
        return DeliveryOutcome::delivered;
    }
    if (status == 0 || status == 408 || status == 429 || (status >= 500 && status <= 599)) {
        return DeliveryOutcome::retry;
    }
    return DeliveryOutcome::rejected;
}

Milliseconds retry_delay(int failed_attempts, double jitter,
                         std::optional<std::chrono::seconds> retry_after) {
    if (retry_after) {
        // Clamped in seconds: seconds::max() in milliseconds would overflow.
        const auto cap = std::chrono::duration_cast<std::chrono::seconds>(k_retry_max_delay);
        return std::clamp(*retry_after, std::chrono::seconds{0}, cap);
    }
    // Doubling from 2 * min; 2^9 * 2 s is past the cap, so stop doubling there (no overflow).
    const int doublings = std::clamp(failed_attempts - 1, 0, 9);
    const Milliseconds ceiling =
        std::min(k_retry_max_delay, 2 * k_retry_min_delay * (1 << doublings));
    const double fraction = std::clamp(jitter, 0.0, 1.0);
    const Milliseconds floor = ceiling / 2;
    return floor + Milliseconds{static_cast<Milliseconds::rep>(
                       static_cast<double>((ceiling - floor).count()) * fraction)};
}

Milliseconds min_send_interval(AlertSinkConfig::Type type) {
    switch (type) {
    case AlertSinkConfig::Type::slack:
        return std::chrono::seconds{1};
    case AlertSinkConfig::Type::pagerduty:
        return Milliseconds{500};
    case AlertSinkConfig::Type::webhook:
    case AlertSinkConfig::Type::alertmanager:
        return Milliseconds{0};
    }
    return Milliseconds{0};
}

} // namespace dkimwatch
