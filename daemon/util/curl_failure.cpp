#include "util/curl_failure.hpp"

#include <cerrno>
#include <cstring>

namespace dkimwatch {

std::string describe_curl_failure(CURLcode code, long os_errno, std::chrono::milliseconds timeout,
                                  std::size_t max_body) {
    switch (code) {
    case CURLE_ABORTED_BY_CALLBACK:
        return "cancelled";
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED) {
            return "connection refused";
        }
        if (os_errno != 0) {
            return std::string("cannot connect: ") + std::strerror(static_cast<int>(os_errno));
        }
        return "cannot connect";
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout after " + std::to_string(timeout.count()) + " ms";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve the host name";
    case CURLE_UNSUPPORTED_PROTOCOL:
        return "unsupported URL scheme (http or https only)";
    case CURLE_URL_MALFORMAT:
        return "malformed URL";
    case CURLE_FILESIZE_EXCEEDED:
        return "answer larger than " + std::to_string(max_body) + " bytes";
    default:
        return curl_easy_strerror(code);
    }
}

} // namespace dkimwatch
