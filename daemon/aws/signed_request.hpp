#pragma once
// One SigV4-signed AWS API request (HTTPS GET or POST) through libcurl's CURLOPT_AWS_SIGV4.
//
// Debian 12's curl 7.88.1 signs some requests wrongly (README, toolchain notes "AWS APIs"), so
// requests are built to avoid every known case:
// - the query string is built here, keys sorted, values percent-encoded in upper case
//   (aws_query_string);
// - a path holding '@' or '%' is refused before anything is sent (aws_path_problem);
// - no header is ever set with an empty value: `Accept` is set explicitly and POST bodies go
//   through CURLOPT_POSTFIELDS, which sends no `Expect: 100-continue` for small bodies;
// - the SigV4 scope is always the full "aws:amz:<region>:<service>", never guessed from the host.
//
// Errors (AwsResponse::failure) never contain the secret key, the session token, the URL's
// query or curl's error buffer.

#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dkimwatch {

struct AwsCredentials;

inline constexpr std::chrono::milliseconds k_aws_connect_timeout = std::chrono::seconds{5};
inline constexpr std::chrono::milliseconds k_aws_request_timeout = std::chrono::seconds{15};
// A larger answer is an error ("answer larger than 8388608 bytes").
inline constexpr std::size_t k_aws_max_body = 8 * 1024 * 1024;

using AwsQuery = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 unreserved characters stay, every other byte becomes %XX with upper-case hex (what
// SigV4 canonicalises to).
std::string aws_percent_encode(std::string_view text);

// "k1=v1&k2=v2" with keys (then values) sorted byte-wise and both percent-encoded.
std::string aws_query_string(AwsQuery query);

// Why `path` cannot be signed correctly by curl 7.88.1 (or is not a plain absolute path), or
// nullopt when it is fine. Refused: not starting with '/', containing '@', '%', '?', '#',
// whitespace, control characters or non-ASCII bytes.
std::optional<std::string> aws_path_problem(std::string_view path);

// An endpoint as configured ("http(s)://host[:port]", no path, query or user info), or why not.
std::optional<std::string> aws_endpoint_problem(std::string_view endpoint_url);

struct AwsRequest {
    std::string method = "GET"; // "GET" or "POST"
    std::string endpoint_url;   // "https://email.us-east-1.amazonaws.com"
    std::string path = "/";     // checked with aws_path_problem
    AwsQuery query;             // GET only; empty for none
    std::string body;           // POST only
    std::string content_type;   // POST only, e.g. "application/x-www-form-urlencoded"
    std::string accept = "application/json";
    std::string region;  // the SigV4 scope's region
    std::string service; // the SigV4 scope's service: "ses", "sts"
    std::chrono::milliseconds timeout = k_aws_request_timeout;
};

struct AwsResponse {
    int status = 0;         // HTTP status; 0 when none arrived (failure says why)
    std::string body;       // at most k_aws_max_body bytes
    std::string error_type; // x-amzn-ErrorType up to its first ':' ("" when absent)
    std::string content_type;
    std::optional<std::chrono::seconds> retry_after; // Retry-After as delta-seconds
    // status 0 only: the failure, safe to print ("timeout after 15000 ms", "connection refused",
    // "cancelled", "answer larger than 8388608 bytes", "refused to sign the path ...").
    std::string failure;
    bool timed_out = false; // status 0 because the timeout expired
    bool cancelled = false; // status 0 because `stop` was requested
    bool too_large = false; // status 0 because the body exceeded k_aws_max_body
    bool refused = false;   // status 0 because the request was never sent (bad path, ...)
};

// The full URL of `request` (endpoint, path and built query), for the transfer.
std::string aws_request_url(const AwsRequest& request);

// Sends `request` signed with `credentials`; blocks at most request.timeout and returns within
// about a second of `stop` being requested (failure "cancelled"). Never throws for transfer
// failures. Thread-safe: each call uses its own curl handle.
AwsResponse send_aws_request(const AwsRequest& request, const AwsCredentials& credentials,
                             std::stop_token stop = {});

} // namespace dkimwatch
