#include "core/url_display.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TEST(UrlDisplay, KeepsSchemeHostAndPortOnly) {
    EXPECT_EQ(url_display("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
              "https://hooks.slack.com");
    EXPECT_EQ(url_display("http://127.0.0.1:9093/"), "http://127.0.0.1:9093");
    EXPECT_EQ(url_display("http://127.0.0.1:9093"), "http://127.0.0.1:9093");
    EXPECT_EQ(url_display("https://events.pagerduty.com/v2/enqueue"),
              "https://events.pagerduty.com");
}

TEST(UrlDisplay, DropsUserinfoQueryAndFragment) {
    EXPECT_EQ(url_display("https://user:p%40ss@example.com:8443/hook?token=SECRET#frag"),
              "https://example.com:8443");
    EXPECT_EQ(url_display("https://user@example.com?token=SECRET"), "https://example.com");
    EXPECT_EQ(url_display("https://example.com#SECRET"), "https://example.com");
    EXPECT_EQ(url_display("https://a:b@c@example.com/x"), "https://example.com");
}

TEST(UrlDisplay, AnAtSignInThePathIsNotUserinfo) {
    EXPECT_EQ(url_display("https://example.com/SECRET@evil.example/"), "https://example.com");
    EXPECT_EQ(url_display("https://example.com?x=SECRET@evil.example"), "https://example.com");
    EXPECT_EQ(url_display("https://example.com\\SECRET@evil.example"), "https://example.com");
}

TEST(UrlDisplay, LowercasesSchemeAndHostAndKeepsIpv6Brackets) {
    EXPECT_EQ(url_display("HTTPS://Hooks.Example.COM/Path"), "https://hooks.example.com");
    EXPECT_EQ(url_display("http://[::1]:9093/api"), "http://[::1]:9093");
    EXPECT_EQ(url_display("http://[2001:db8::1]/"), "http://[2001:db8::1]");
}

TEST(UrlDisplay, AnEmptyPortIsDropped) {
    EXPECT_EQ(url_display("http://example.com:/x"), "http://example.com");
}

TEST(UrlDisplay, AnythingUnparseableRevealsNothing) {
    for (const std::string url :
         {"", "SECRET", "hooks.slack.com/services/SECRET", "://SECRET", "1http://SECRET",
          "https:///SECRET", "https://user:SECRET@/x", "https://SE CRET/", "https://host:SECRET/",
          "https://[::1/SECRET", "https://ho%73t/SECRET"}) {
        EXPECT_EQ(url_display(url), "(invalid URL)") << url;
    }
}

} // namespace
} // namespace dkimwatch
