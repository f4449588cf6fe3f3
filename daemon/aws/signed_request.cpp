#include "aws/signed_request.hpp"

#include "aws/aws_credentials.hpp"
#include "util/curl_failure.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <curl/curl.h>
#include <memory>
#include <mutex>

namespace dkimwatch {
namespace {

std::once_flag g_curl_global_once;

bool is_unreserved(unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
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

// What the curl callbacks see during one transfer.
struct Transfer {
    AwsResponse* response = nullptr;
    std::stop_token stop;
    bool too_large = false;
    std::string retry_after;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    std::string& body = transfer->response->body;
    if (bytes > k_aws_max_body - body.size()) {
        transfer->too_large = true;
        return 0; // aborts the transfer (CURLE_WRITE_ERROR)
    }
    body.append(data, bytes);
    return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    const std::string_view line(data, bytes);
    AwsResponse& response = *transfer->response;
    const auto value_of = [&](std::string_view name) {
        return std::string(trim(line.substr(name.size())));
    };
    if (starts_with_ignoring_case(line, "HTTP/")) {
        // A new response (after a 1xx): forget the last one's headers.
        response.error_type.clear();
        response.content_type.clear();
        transfer->retry_after.clear();
    } else if (constexpr std::string_view name = "x-amzn-errortype:";
               starts_with_ignoring_case(line, name)) {
        std::string value = value_of(name);
        response.error_type = value.substr(0, value.find(':'));
    } else if (constexpr std::string_view name = "content-type:";
               starts_with_ignoring_case(line, name)) {
        response.content_type = value_of(name);
    } else if (constexpr std::string_view name = "retry-after:";
               starts_with_ignoring_case(line, name)) {
        transfer->retry_after = value_of(name);
    }
    return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* transfer = static_cast<const Transfer*>(user);
    return transfer->stop.stop_requested() ? 1 : 0; // non-zero aborts the transfer
}

struct CurlFree {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

} // namespace

std::string aws_percent_encode(std::string_view text) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (is_unreserved(byte)) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += k_hex[byte >> 4];
            encoded += k_hex[byte & 0x0f];
        }
    }
    return encoded;
}

std::string aws_query_string(AwsQuery query) {
    for (auto& [key, value] : query) {
        key = aws_percent_encode(key);
        value = aws_percent_encode(value);
    }
    // SigV4 sorts the encoded keys byte-wise; sending them in that order keeps curl 7.88.1's
    // canonical query (which does not sort) identical to the server's.
    std::sort(query.begin(), query.end());
    std::string text;
    for (const auto& [key, value] : query) {
        if (!text.empty()) {
            text += '&';
        }
        text += key + "=" + value;
    }
    return text;
}

std::optional<std::string> aws_path_problem(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return "the request path must start with '/'";
    }
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '@' || c == '%') {
            return std::string("the request path holds '") + c +
                   "', which curl 7.88.1 signs wrongly";
        }
        if (c == '?' || c == '#' || byte <= 0x20 || byte >= 0x7f) {
            return "the request path holds a character that is not allowed there";
        }
    }
    return std::nullopt;
}

std::optional<std::string> aws_endpoint_problem(std::string_view endpoint_url) {
    std::string_view rest;
    if (starts_with_ignoring_case(endpoint_url, "https://")) {
        rest = endpoint_url.substr(8);
    } else if (starts_with_ignoring_case(endpoint_url, "http://")) {
        rest = endpoint_url.substr(7);
    } else {
        return "the endpoint must start with http:// or https://";
    }
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    if (rest.empty()) {
        return "the endpoint has no host";
    }
    for (const char c : rest) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '/' || c == '?' || c == '#' || c == '@' || c == '%' || byte <= 0x20 ||
            byte >= 0x7f) {
            return "the endpoint must be http(s)://host[:port], without a path, query or user";
        }
    }
    return std::nullopt;
}

std::string aws_request_url(const AwsRequest& request) {
    std::string url = request.endpoint_url;
    if (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    url += request.path;
    if (!request.query.empty()) {
        url += "?" + aws_query_string(request.query);
    }
    return url;
}

AwsResponse send_aws_request(const AwsRequest& request, const AwsCredentials& credentials,
                             std::stop_token stop) {
    AwsResponse response;
    if (const auto problem = aws_endpoint_problem(request.endpoint_url)) {
        response.failure = "refused to send: " + *problem;
        response.refused = true;
        return response;
    }
    if (const auto problem = aws_path_problem(request.path)) {
        response.failure = "refused to sign: " + *problem;
        response.refused = true;
        return response;
    }
    if (request.method != "GET" && request.method != "POST") {
        response.failure = "refused to send: only GET and POST are supported";
        response.refused = true;
        return response;
    }
    if (request.region.empty() || request.service.empty()) {
        response.failure = "refused to sign: no region or service for the signature scope";
        response.refused = true;
        return response;
    }
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        response.failure = "refused to sign: no access key id or secret access key";
        response.refused = true;
        return response;
    }
    if (stop.stop_requested()) {
        response.failure = "cancelled";
        response.cancelled = true;
        return response;
    }

    std::call_once(g_curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    const std::unique_ptr<CURL, CurlFree> handle(curl_easy_init());
    if (!handle) {
        response.failure = "cannot create a curl handle";
        return response;
    }
    CURL* curl = handle.get();

    // Never a header with an empty value (curl 7.88.1 signs those wrongly).
    curl_slist* raw_headers = nullptr;
    const auto add_header = [&](std::string_view name, const std::string& value) {
        if (!value.empty()) {
            raw_headers =
                curl_slist_append(raw_headers, (std::string(name) + ": " + value).c_str());
        }
    };
    add_header("Accept", request.accept.empty() ? std::string("*/*") : request.accept);
    if (request.method == "POST") {
        add_header("Content-Type", request.content_type);
    }
    add_header("x-amz-security-token", credentials.session_token);
    const std::unique_ptr<curl_slist, CurlSlistFree> headers(raw_headers);

    const std::string url = aws_request_url(request);
    const std::string sigv4 = "aws:amz:" + request.region + ":" + request.service;
    const auto total =
        std::max<std::chrono::milliseconds>(request.timeout, std::chrono::milliseconds{1});
    const auto connect = std::min(total, k_aws_connect_timeout);
    Transfer transfer{&response, std::move(stop), false, {}};

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, credentials.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, credentials.secret_access_key.c_str());
    if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        // POSTFIELDS: the body is sent with the headers, no `Expect: 100-continue` (which curl
        // would otherwise add for bodies over 1 MiB, and suppressing it needs an empty header).
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(k_aws_max_body));
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
        response.error_type.clear();
        response.cancelled = code == CURLE_ABORTED_BY_CALLBACK;
        response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
        response.too_large = transfer.too_large || code == CURLE_FILESIZE_EXCEEDED;
        response.failure = response.too_large
                               ? "answer larger than " + std::to_string(k_aws_max_body) + " bytes"
                               : describe_curl_failure(code, os_errno, total, k_aws_max_body);
        return response;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    const std::string_view retry_after = transfer.retry_after;
    if (!retry_after.empty() && std::all_of(retry_after.begin(), retry_after.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        long long seconds = 0;
        const auto [end, error] =
            std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
        if (error == std::errc{} && end == retry_after.data() + retry_after.size()) {
            response.retry_after = std::chrono::seconds{seconds};
        }
    }
    return response;
}

} // namespace dkimwatch
