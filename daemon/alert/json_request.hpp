#pragma once
// The common shape of every sink request: an HTTP POST of a JSON body. Pure.

#include "alert/http_exchange.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// "dkimwatch/<version>", the User-Agent of every alert request.
const char* alert_user_agent();

// POST `body` to `url` with Content-Type: application/json and User-Agent: alert_user_agent();
// display is url_display(url), never the path or query (they may hold a secret).
HttpRequest json_post_request(std::string url, std::string body, std::vector<int> success_statuses);

} // namespace dkimwatch
