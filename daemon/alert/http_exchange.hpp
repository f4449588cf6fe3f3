#pragma once
// One HTTP request as a sink wants it sent, and what came back. Plain data between the pure
// payload renderers and the libcurl client.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

struct HttpRequest {
    std::string url;     // a secret for some sinks: never log it, log HttpRequest::display instead
    std::string display; // "scheme://host[:port]" of url, safe to print
    std::vector<std::pair<std::string, std::string>>
        headers; // e.g. {"Content-Type", "application/json"}
    std::string body;
    // Statuses that count as delivered (e.g. {200, 204} for Slack, {202} for PagerDuty).
    std::vector<int> success_statuses{200, 201, 202, 204};
};

struct HttpResponse {
    int status = 0;   // HTTP status; 0 when no response arrived (connection error, timeout)
    std::string body; // at most the first 64 KiB
    // Parsed Retry-After (delta-seconds or HTTP-date, as a delay from now), when present.
    std::optional<std::chrono::seconds> retry_after;
    std::string
        error; // transport error, no secrets ("connection refused to http://127.0.0.1:8080")
};

} // namespace dkimwatch
