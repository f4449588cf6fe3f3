#include "core/authentication_results.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Results = std::vector<AuthenticationResult>;

Results parse_ok(std::string_view value) {
    const auto results = parse_authentication_results(value);
    EXPECT_TRUE(results.ok()) << value << ": " << (results.ok() ? "" : results.error());
    return results.ok() ? *results : Results{};
}

std::string parse_error(std::string_view value) {
    const auto results = parse_authentication_results(value);
    EXPECT_FALSE(results.ok()) << value;
    return results.ok() ? "(parsed)" : results.error();
}

AuthenticationResult result(std::string authserv_id, std::string method, std::string outcome) {
    AuthenticationResult r;
    r.authserv_id = std::move(authserv_id);
    r.method = std::move(method);
    r.result = std::move(outcome);
    return r;
}

TEST(AuthenticationResults, Gmail) {
    const auto results =
        parse_ok("mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=sel "
                 "header.b=AbCdEf12;\r\n       spf=pass (google.com: domain of x@example.com "
                 "designates 54.240.0.1 as permitted sender) smtp.mailfrom=x@example.com;\r\n  "
                 "     dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com");
    auto dkim = result("mx.google.com", "dkim", "pass");
    dkim.header_i = "@example.com";
    dkim.header_d = "example.com"; // from header.i
    dkim.header_s = "sel";
    dkim.header_b = "AbCdEf12";
    EXPECT_EQ(results, (Results{dkim, result("mx.google.com", "spf", "pass"),
                                result("mx.google.com", "dmarc", "pass")}));
}

TEST(AuthenticationResults, MicrosoftWithoutAuthservId) {
    const auto results = parse_ok(
        "spf=pass (sender IP is 54.240.8.1) smtp.mailfrom=amazonses.com; dkim=pass (signature "
        "was verified) header.d=example.com;dmarc=pass action=none "
        "header.from=example.com;compauth=pass reason=100");
    auto dkim = result("", "dkim", "pass");
    dkim.header_d = "example.com";
    auto compauth = result("", "compauth", "pass");
    compauth.reason = "100";
    EXPECT_EQ(results,
              (Results{result("", "spf", "pass"), dkim, result("", "dmarc", "pass"), compauth}));
}

TEST(AuthenticationResults, AuthservIdWithVersionAndNone) {
    EXPECT_EQ(parse_ok("example.org 1; none"), Results{});
    EXPECT_EQ(parse_ok("example.org; none"), Results{});
    EXPECT_EQ(parse_ok("example.org"), Results{});
}

TEST(AuthenticationResults, HeaderDWinsOverHeaderIAndIsLowercased) {
    const auto results =
        parse_ok("mx.example.net; dkim=pass header.i=user@sub.example.com header.d=Example.COM");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].header_d, "example.com");
    EXPECT_EQ(results[0].header_i, "user@sub.example.com");
}

TEST(AuthenticationResults, HeaderDFromHeaderIWithALocalPart) {
    const auto results = parse_ok("mx.example.net; dkim=fail header.i=bob@Mail.Example.com");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].header_d, "mail.example.com");
    EXPECT_EQ(results[0].result, "fail");
}

TEST(AuthenticationResults, HeaderIDoesNotFillHeaderDOfOtherMethods) {
    const auto results = parse_ok("mx.example.net; arc=pass header.i=@example.com");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].header_d, "");
}

TEST(AuthenticationResults, NamesAreCaseInsensitiveAndMethodResultLowercased) {
    const auto results =
        parse_ok("MX.Example.NET; DKIM=Pass Header.D=example.com HEADER.S=Sel Reason=\"ok\"");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].authserv_id, "MX.Example.NET"); // as written
    EXPECT_EQ(results[0].method, "dkim");
    EXPECT_EQ(results[0].result, "pass");
    EXPECT_EQ(results[0].header_d, "example.com");
    EXPECT_EQ(results[0].header_s, "Sel"); // values as written
    EXPECT_EQ(results[0].reason, "ok");
}

TEST(AuthenticationResults, QuotedValuesAndReasons) {
    const auto results =
        parse_ok("\"mx; quoted\"; dkim=fail reason=\"signature verification failed; \\\"bad\\\"\" "
                 "header.d=\"example.com\" header.b=\"ab+/=\"");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].authserv_id, "mx; quoted");
    EXPECT_EQ(results[0].reason, "signature verification failed; \"bad\"");
    EXPECT_EQ(results[0].header_d, "example.com");
    EXPECT_EQ(results[0].header_b, "ab+/=");
}

TEST(AuthenticationResults, BareValuesKeepBase64Characters) {
    const auto results = parse_ok("mx; dkim=pass header.b=a+/b=c= header.d=example.com");
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].header_b, "a+/b=c=");
    EXPECT_EQ(results[0].header_d, "example.com");
}

TEST(AuthenticationResults, MethodVersionAndCommentsEverywhere) {
    const auto results = parse_ok("(c0) mx.example.net (c1) 1 (c2); (c3) dkim (c4) / 1 (c5) = (c6) "
                                  "pass (c7 (nested) ) header (c8) . (c9) d (c10) = (c11) "
                                  "example.com (c12); spf=none");
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].authserv_id, "mx.example.net");
    EXPECT_EQ(results[0].method, "dkim");
    EXPECT_EQ(results[0].result, "pass");
    EXPECT_EQ(results[0].header_d, "example.com");
    EXPECT_EQ(results[1].method, "spf");
    EXPECT_EQ(results[1].result, "none");
}

TEST(AuthenticationResults, SeveralDkimResultsAndOtherPtypes) {
    const auto results =
        parse_ok("mx.example.net; dkim=pass header.d=amazonses.com header.s=224i4yxa; "
                 "dkim=fail reason=\"bad signature\" header.d=example.com policy.iprev=1.2.3.4 "
                 "smtp.auth=user; iprev=pass policy.iprev=54.240.0.1;");
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].header_d, "amazonses.com");
    EXPECT_EQ(results[0].header_s, "224i4yxa");
    EXPECT_EQ(results[1].header_d, "example.com");
    EXPECT_EQ(results[1].reason, "bad signature");
    EXPECT_EQ(results[2].method, "iprev");
}

TEST(AuthenticationResults, EmptyResinfosAreSkipped) {
    EXPECT_EQ(parse_ok("mx;; dkim=pass;;").size(), 1u);
}

TEST(AuthenticationResults, Errors) {
    EXPECT_EQ(parse_error(""), "no authserv-id");
    EXPECT_EQ(parse_error("   (comment only)  "), "no authserv-id");
    EXPECT_EQ(parse_error("; dkim=pass"), "no authserv-id");
    EXPECT_EQ(parse_error("mx; dkim"), "a result without a method=result pair: \"dkim\"");
    EXPECT_EQ(parse_error("mx; dkim=pass; spf pass; x=y"),
              "a result without a method=result pair: \"spf pass\"");
    EXPECT_EQ(parse_error("mx; =pass"), "a result without a method=result pair: \"=pass\"");
    EXPECT_EQ(parse_error("mx; dkim="), "a result without a method=result pair: \"dkim=\"");
    EXPECT_EQ(parse_error("mx; dkim/=pass"),
              "a result without a method=result pair: \"dkim/=pass\"");
    EXPECT_EQ(parse_error("mx; dkim=pass (unclosed"), "unterminated comment");
    EXPECT_EQ(parse_error("mx (unclosed; dkim=pass"), "unterminated comment");
    EXPECT_EQ(parse_error("mx; dkim=pass reason=\"open"), "unterminated quoted string");
    EXPECT_EQ(parse_error("\"mx; dkim=pass"), "unterminated quoted string");
    EXPECT_EQ(parse_error("mx; dkim=pass header.d"), "a property without a value: \"header.d\"");
    EXPECT_EQ(parse_error("mx; dkim=pass header.=x"), "a property without a name: \"header.=x\"");
    EXPECT_EQ(parse_error("mx; dkim=pass @x"), "unexpected text in a result: \"@x\"");
    EXPECT_EQ(parse_error("mx extra; dkim=pass"),
              "unexpected text after the authserv-id: \"extra\"");
}

} // namespace
} // namespace dkimwatch
