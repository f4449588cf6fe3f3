#pragma once
// The one place alert requests go out: an HTTP(S) POST with libcurl's easy interface.
//
// - Timeouts: connect at most k_http_connect_timeout, the whole exchange at most the `timeout`
//   given to send(). Redirects are not followed; only http and https URLs are accepted.
// - Errors carry no secret: HttpResponse::error names the failure ("connection refused",
//   "timeout after 10000 ms", curl_easy_strerror() otherwise) and HttpRequest::display, never
//   the URL, its path or query, nor curl's error buffer (which may quote the URL).
// - Cancellation: send() returns within about a second once `stop` is requested, with
//   status 0 and error "cancelled".
// Thread-safety: one HttpClient per thread (it owns a curl easy handle and reuses its
// connections between sends); different clients may be used concurrently.

#include "alert/http_exchange.hpp"
#include "core/state_machine.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace dkimwatch {

inline constexpr std::chrono::milliseconds k_http_connect_timeout = std::chrono::seconds{5};
// The total time allowed for one alert request.
inline constexpr std::chrono::milliseconds k_http_request_timeout = std::chrono::seconds{10};
// How much of a response body is kept (HttpResponse::body).
inline constexpr std::size_t k_http_max_body = 64 * 1024;

class HttpClient {
public:
    // Throws std::runtime_error when libcurl cannot create a handle (out of memory).
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // POSTs request.body to request.url with request.headers; blocks for at most `timeout`.
    HttpResponse send(const HttpRequest& request,
                      std::chrono::milliseconds timeout = k_http_request_timeout,
                      std::stop_token stop = {});

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A Retry-After header value as a delay from `now`: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT"; a date in the past gives 0). nullopt when unparsable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, TimePoint now);

// `text` made safe for one log field: control characters become spaces, and text longer than
// `max_bytes` is cut on a UTF-8 boundary and ends with an ellipsis. For response bodies in logs.
std::string log_excerpt(std::string_view text, std::size_t max_bytes = 200);

} // namespace dkimwatch
