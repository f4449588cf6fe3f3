#include "alert/json_request.hpp"

#include <cctype>
#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

// "dkimwatch/" then a version of digits and dots, e.g. "dkimwatch/0.1.0".
TEST(AlertUserAgent, DkimwatchSlashVersion) {
    const std::string agent = alert_user_agent();
    const std::string prefix = "dkimwatch/";
    ASSERT_EQ(agent.rfind(prefix, 0), 0u) << agent;
    const std::string version = agent.substr(prefix.size());
    ASSERT_FALSE(version.empty());
    int dots = 0;
    for (const char c : version) {
        EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || c == '.') << agent;
        dots += c == '.' ? 1 : 0;
    }
    EXPECT_EQ(dots, 2) << agent;
}

TEST(JsonPostRequest, HeadersDisplayAndStatuses) {
    const HttpRequest request =
        json_post_request("https://user:pw@hooks.example.com/SECRET?k=SECRET", "{}", {202});
    EXPECT_EQ(request.url, "https://user:pw@hooks.example.com/SECRET?k=SECRET");
    EXPECT_EQ(request.display, "https://hooks.example.com");
    EXPECT_EQ(request.body, "{}");
    EXPECT_EQ(request.success_statuses, std::vector<int>{202});
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"}, {"User-Agent", alert_user_agent()}};
    EXPECT_EQ(request.headers, headers);
}

} // namespace
} // namespace dkimwatch
