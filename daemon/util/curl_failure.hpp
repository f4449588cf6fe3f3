#pragma once
// What a failed libcurl transfer says to people, shared by every HTTP client of the program
// (alert delivery, the AWS APIs). The text never holds the URL nor curl's error buffer (which
// may quote it): only the kind of failure.

#include <chrono>
#include <cstddef>
#include <curl/curl.h>
#include <string>

namespace dkimwatch {

// "cancelled" (a progress callback aborted it), "connection refused", "cannot connect: <errno
// text>", "timeout after <timeout> ms", "cannot resolve the host name", "unsupported URL scheme
// (http or https only)", "malformed URL", "answer larger than <max_body> bytes", or
// curl_easy_strerror() otherwise. `os_errno` is CURLINFO_OS_ERRNO.
std::string describe_curl_failure(CURLcode code, long os_errno, std::chrono::milliseconds timeout,
                                  std::size_t max_body);

// Frees a header list (std::unique_ptr<curl_slist, CurlSlistFree>).
struct CurlSlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

} // namespace dkimwatch
