#pragma once
// A URL reduced to what is safe to print. Slack webhook URLs and PagerDuty/Alertmanager URLs may
// carry secrets in the userinfo, path or query, so logs, metrics and error messages show only
// "scheme://host[:port]". Pure.

#include <string>

namespace dkimwatch {

// "scheme://host[:port]" of `url`: the scheme and host lowercased, the port kept when present;
// userinfo, path, query and fragment dropped. An IPv6 literal keeps its brackets
// ("http://[::1]:9093"). Text that is not "scheme://authority..." gives "(invalid URL)", never
// any part of the input.
std::string url_display(const std::string& url);

} // namespace dkimwatch
