#include "alert/http_client.hpp"

#include "alert/text_truncation.hpp"
#include "util/curl_failure.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <curl/curl.h>
#include <mutex>
#include <stdexcept>

namespace dkimwatch {
namespace {

std::once_flag g_curl_global_once;

// The transfer state the callbacks see.
struct Transfer {
    HttpResponse* response = nullptr;
    std::string retry_after; // the raw header value of the final response, "" when absent
    std::stop_token stop;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    std::string& body = transfer->response->body;
    if (body.size() < k_http_max_body) {
        body.append(data, std::min(bytes, k_http_max_body - body.size()));
    }
    return bytes; // the rest is read and discarded
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    const std::string_view line(data, bytes);
    if (starts_with_ignoring_case(line, "HTTP/")) {
        transfer->retry_after.clear(); // a new response (after a 1xx): forget the last one's
    } else if (constexpr std::string_view name = "retry-after:";
               starts_with_ignoring_case(line, name)) {
        transfer->retry_after = std::string(trim(line.substr(name.size())));
    }
    return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* transfer = static_cast<const Transfer*>(user);
    return transfer->stop.stop_requested() ? 1 : 0; // non-zero aborts the transfer
}

} // namespace

struct HttpClient::Impl {
    CURL* curl = nullptr;
    ~Impl() {
        if (curl != nullptr) {
            curl_easy_cleanup(curl);
        }
    }
};

HttpClient::HttpClient() : m_impl(std::make_unique<Impl>()) {
    std::call_once(g_curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    m_impl->curl = curl_easy_init();
    if (m_impl->curl == nullptr) {
        throw std::runtime_error("curl_easy_init failed");
    }
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, std::chrono::milliseconds timeout,
                              std::stop_token stop) {
    HttpResponse response;
    Transfer transfer{&response, {}, std::move(stop)};
    CURL* curl = m_impl->curl;
    // Options back to their defaults; the connection cache survives.
    curl_easy_reset(curl);

    curl_slist* raw_headers = nullptr;
    for (const auto& [name, value] : request.headers) {
        raw_headers = curl_slist_append(raw_headers, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip before larger bodies.
    raw_headers = curl_slist_append(raw_headers, "Expect:");
    const std::unique_ptr<curl_slist, CurlSlistFree> headers(raw_headers);

    const auto total = std::max<std::chrono::milliseconds>(timeout, std::chrono::milliseconds{1});
    const auto connect = std::min(total, k_http_connect_timeout);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
        response.status = 0;
        response.body.clear();
        response.error = describe_curl_failure(code, os_errno, total, k_http_max_body);
        if (!request.display.empty()) {
            response.error += " to " + request.display;
        }
        return response;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    if (!transfer.retry_after.empty()) {
        response.retry_after =
            parse_retry_after(transfer.retry_after,
                              std::chrono::floor<Milliseconds>(std::chrono::system_clock::now()));
    }
    return response;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, TimePoint now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        std::int64_t seconds = 0;
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (error == std::errc::result_out_of_range) {
            return std::chrono::seconds::max();
        }
        if (error != std::errc{} || end != value.data() + value.size()) {
            return std::nullopt;
        }
        return std::chrono::seconds{seconds};
    }
    const std::string text(value);
    const time_t date = curl_getdate(text.c_str(), nullptr);
    if (date == -1) {
        return std::nullopt;
    }
    const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
    return std::max(std::chrono::seconds{0}, std::chrono::seconds{date} - now_seconds);
}

std::string log_excerpt(std::string_view text, std::size_t max_bytes) {
    std::string clean(text);
    for (char& c : clean) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            c = ' ';
        }
    }
    return truncate_utf8(clean, max_bytes);
}

} // namespace dkimwatch
