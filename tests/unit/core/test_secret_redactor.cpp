#include "core/secret_redactor.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TEST(SecretRedactor, ReplacesEveryOccurrenceOfEverySecret) {
    const SecretRedactor redactor({"R0UTINGKEY0123456789", "hmac-secret-value"});
    EXPECT_EQ(redactor.redact("bad key R0UTINGKEY0123456789 (R0UTINGKEY0123456789), "
                              "signed with hmac-secret-value"),
              "bad key [redacted] ([redacted]), signed with [redacted]");
}

TEST(SecretRedactor, TextWithoutSecretsIsUnchanged) {
    const SecretRedactor redactor({"R0UTINGKEY0123456789"});
    EXPECT_EQ(redactor.redact("HTTP 400 from https://events.pagerduty.com"),
              "HTTP 400 from https://events.pagerduty.com");
    EXPECT_EQ(redactor.redact(""), "");
    EXPECT_EQ(SecretRedactor().redact("anything at all"), "anything at all");
}

TEST(SecretRedactor, TheLongestMatchWinsSoNoPartOfALongerSecretRemains) {
    // The path is a part of the full URL: the URL must go as a whole, not leave its host behind
    // a redacted path, nor leave the tail of the path after a shorter secret.
    const SecretRedactor redactor({"services/T000/B000",
                                   "https://hooks.example/services/T000/B000/XXXXYYYY",
                                   "services/T000/B000/XXXXYYYY"});
    EXPECT_EQ(redactor.redact("url https://hooks.example/services/T000/B000/XXXXYYYY end"),
              "url [redacted] end");
    EXPECT_EQ(redactor.redact("Cannot POST /services/T000/B000/XXXXYYYY"),
              "Cannot POST /[redacted]");
    EXPECT_EQ(redactor.redact("Cannot POST /services/T000/B000/other"),
              "Cannot POST /[redacted]/other");
}

TEST(SecretRedactor, IgnoresShortSecretsAndDuplicates) {
    const SecretRedactor redactor({"a", "hook", "abcdef", "abcdef", "", "abcde"});
    ASSERT_EQ(redactor.secrets(), std::vector<std::string>{"abcdef"});
    EXPECT_EQ(redactor.redact("a hook abcde abcdef"), "a hook abcde [redacted]");
}

TEST(SecretRedactor, OrdersSecretsLongestFirst) {
    const SecretRedactor redactor({"bbbbbb", "aaaaaaaa", "cccccccccc", "aaaaaa"});
    EXPECT_EQ(redactor.secrets(),
              (std::vector<std::string>{"cccccccccc", "aaaaaaaa", "aaaaaa", "bbbbbb"}));
}

TEST(SecretRedactor, AdjacentAndOverlappingOccurrences) {
    const SecretRedactor redactor({"secret1"});
    EXPECT_EQ(redactor.redact("secret1secret1"), "[redacted][redacted]");
    EXPECT_EQ(redactor.redact("ssecret1"), "s[redacted]");
    EXPECT_EQ(redactor.redact("secret"), "secret");
}

TEST(UrlSecretParts, SlackUrlGivesUrlAndPath) {
    EXPECT_EQ(url_secret_parts("https://hooks.slack.com/services/T000/B000/XXXX", true),
              (std::vector<std::string>{"https://hooks.slack.com/services/T000/B000/XXXX",
                                        "services/T000/B000/XXXX"}));
}

TEST(UrlSecretParts, UserinfoAndQueryAlwaysPathOnlyWhenAsked) {
    const std::string url = "https://user:pass@example.com:8443/api/v2/alerts?token=T0K3N#frag";
    EXPECT_EQ(url_secret_parts(url, false),
              (std::vector<std::string>{url, "user:pass", "token=T0K3N"}));
    EXPECT_EQ(url_secret_parts(url, true),
              (std::vector<std::string>{url, "user:pass", "api/v2/alerts", "token=T0K3N"}));
}

TEST(UrlSecretParts, AbsentPartsAreLeftOut) {
    EXPECT_EQ(url_secret_parts("http://127.0.0.1:9093", true),
              std::vector<std::string>{"http://127.0.0.1:9093"});
    EXPECT_EQ(url_secret_parts("http://127.0.0.1:9093/", true),
              std::vector<std::string>{"http://127.0.0.1:9093/"});
    EXPECT_EQ(url_secret_parts("http://h/?", true), std::vector<std::string>{"http://h/?"});
    EXPECT_EQ(url_secret_parts("http://h?q=1", true),
              (std::vector<std::string>{"http://h?q=1", "q=1"}));
    EXPECT_TRUE(url_secret_parts("", true).empty());
    EXPECT_EQ(url_secret_parts("not a url/x", true), std::vector<std::string>{"not a url/x"});
}

} // namespace
} // namespace dkimwatch
