// The HTTP client's pure helpers and its failures that need no server (a closed loopback port,
// a bad URL). Exchanges with a real receiver are in tests/integration/alert_delivery.

#include "alert/http_client.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;

// 2015-10-21T07:28:00Z
const TimePoint k_now{std::chrono::seconds{1'445'412'480}};

// A loopback port nobody listens on (bound, then closed again).
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

TEST(ParseRetryAfter, DeltaSeconds) {
    EXPECT_EQ(parse_retry_after("2", k_now), 2s);
    EXPECT_EQ(parse_retry_after(" 120 ", k_now), 120s);
    EXPECT_EQ(parse_retry_after("0", k_now), 0s);
    EXPECT_EQ(parse_retry_after("99999999999999999999999", k_now), std::chrono::seconds::max());
}

TEST(ParseRetryAfter, HttpDate) {
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", k_now), 30s);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 08:28:00 GMT", k_now), 3600s);
    // In the past: no wait.
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", k_now), 0s);
}

TEST(ParseRetryAfter, GarbageIsIgnored) {
    EXPECT_EQ(parse_retry_after("", k_now), std::nullopt);
    EXPECT_EQ(parse_retry_after("   ", k_now), std::nullopt);
    EXPECT_EQ(parse_retry_after("-5", k_now), std::nullopt);
    EXPECT_EQ(parse_retry_after("soon", k_now), std::nullopt);
    EXPECT_EQ(parse_retry_after("1.5", k_now), std::nullopt);
}

TEST(LogExcerpt, ShortTextIsKeptAndControlCharactersBecomeSpaces) {
    EXPECT_EQ(log_excerpt("invalid_payload"), "invalid_payload");
    EXPECT_EQ(log_excerpt("line one\nline\ttwo\r\x7f"), "line one line two  ");
    EXPECT_EQ(log_excerpt(""), "");
}

TEST(LogExcerpt, LongTextIsCutTo200BytesWithAnEllipsis) {
    const std::string long_body(500, 'x');
    const std::string excerpt = log_excerpt(long_body);
    EXPECT_EQ(excerpt, std::string(197, 'x') + "\xE2\x80\xA6");
    EXPECT_EQ(log_excerpt(long_body, 10), std::string(7, 'x') + "\xE2\x80\xA6");
    // Never in the middle of a UTF-8 sequence: 199 ASCII then an "é" (2 bytes) ...
    const std::string accented = std::string(196, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9";
    EXPECT_EQ(log_excerpt(accented), std::string(196, 'a') + "\xE2\x80\xA6");
}

TEST(HttpClient, ConnectionRefusedNamesOnlyTheDisplay) {
    const std::uint16_t port = closed_port();
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/services/T000/B000/SECRET";
    request.display = "http://127.0.0.1:" + std::to_string(port);
    request.body = "{}";
    HttpClient client;
    const HttpResponse response = client.send(request, 2s);
    EXPECT_EQ(response.status, 0);
    EXPECT_EQ(response.error, "connection refused to " + request.display);
    EXPECT_EQ(response.body, "");
    EXPECT_EQ(response.retry_after, std::nullopt);
    // The same client works again (and fails the same way).
    EXPECT_EQ(client.send(request, 2s).error, "connection refused to " + request.display);
}

TEST(HttpClient, OnlyHttpAndHttpsAreSpoken) {
    HttpRequest request;
    request.url = "file:///etc/passwd";
    request.display = "file://";
    HttpClient client;
    const HttpResponse response = client.send(request, 2s);
    EXPECT_EQ(response.status, 0);
    EXPECT_EQ(response.error, "unsupported URL scheme (http or https only) to file://");

    request.url = "http://exa mple.invalid:99999999/SECRET";
    request.display = "";
    const HttpResponse malformed = client.send(request, 2s);
    EXPECT_EQ(malformed.status, 0);
    EXPECT_EQ(malformed.error, "malformed URL");
    EXPECT_THAT(malformed.error, Not(HasSubstr("SECRET")));
}

} // namespace
} // namespace dkimwatch
