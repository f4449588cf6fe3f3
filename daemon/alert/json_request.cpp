#include "alert/json_request.hpp"

#include "core/url_display.hpp"

#include <utility>

#ifndef DKIMWATCH_VERSION
#error "DKIMWATCH_VERSION must be defined by the build"
#endif

namespace dkimwatch {

const char* alert_user_agent() {
    return "dkimwatch/" DKIMWATCH_VERSION;
}

HttpRequest json_post_request(std::string url, std::string body,
                              std::vector<int> success_statuses) {
    HttpRequest request;
    request.display = url_display(url);
    request.url = std::move(url);
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", alert_user_agent()}};
    request.body = std::move(body);
    request.success_statuses = std::move(success_statuses);
    return request;
}

} // namespace dkimwatch
