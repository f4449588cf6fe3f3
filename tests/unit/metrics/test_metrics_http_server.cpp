#include "http_test_support.hpp"
#include "metrics/metrics_http_server.hpp"

#include <atomic>
#include <chrono>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <zlib.h>

using namespace dkimwatch;
using dkimwatch::test::http_get;

namespace {

std::unique_ptr<MetricsHttpServer> start_server(MetricsHttpServer::Render render) {
    auto started = MetricsHttpServer::start("127.0.0.1:0", std::move(render));
    if (!started.ok()) {
        ADD_FAILURE() << started.error();
        return nullptr;
    }
    return std::move(started).value();
}

std::string gunzip(const std::string& data) {
    z_stream stream{};
    EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
    std::string out;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    char buffer[4096];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - stream.avail_out);
    }
    EXPECT_EQ(status, Z_STREAM_END);
    inflateEnd(&stream);
    return out;
}

} // namespace

TEST(MetricsHttpServer, ServesTheRenderedTextOnEveryScrape) {
    std::atomic<int> scrapes{0};
    auto server = start_server([&scrapes] { return "m " + std::to_string(++scrapes) + "\n"; });
    ASSERT_NE(server, nullptr);
    EXPECT_NE(server->port(), 0);
    auto response = http_get(server->port());
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "m 1\n");
    EXPECT_EQ(response.content_encoding, "");
    EXPECT_EQ(http_get(server->port()).body, "m 2\n");
}

TEST(MetricsHttpServer, GzipWhenAccepted) {
    const std::string text(100'000, 'x');
    auto server = start_server([&text] { return text; });
    ASSERT_NE(server, nullptr);
    const auto response = http_get(server->port(), "/metrics", "gzip, deflate");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_encoding, "gzip");
    EXPECT_LT(response.body.size(), 1'000U);
    EXPECT_EQ(gunzip(response.body), text);
}

TEST(MetricsHttpServer, OnlyMetricsIsServed) {
    auto server = start_server([] { return std::string{"m 1\n"}; });
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(http_get(server->port(), "/").status, 404);
    EXPECT_EQ(http_get(server->port(), "/other").status, 404);
}

TEST(MetricsHttpServer, RenderFailureIsAServerError) {
    auto server = start_server([]() -> std::string { throw std::runtime_error{"boom"}; });
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(http_get(server->port()).status, 500);
}

TEST(MetricsHttpServer, AddressInUseIsAClearError) {
    auto first = start_server([] { return std::string{"first 1\n"}; });
    ASSERT_NE(first, nullptr);
    const std::string listen = "127.0.0.1:" + std::to_string(first->port());
    const auto second = MetricsHttpServer::start(listen, [] { return std::string{}; });
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error(), "metrics.listen " + listen + ": cannot listen (address in use?)");
    EXPECT_EQ(http_get(first->port()).body, "first 1\n");
}

TEST(MetricsHttpServer, RejectsListenStringsCivetwebWouldMisread) {
    const std::string expected = ": expected IPv4-address:port, e.g. 127.0.0.1:9797";
    for (const std::string listen :
         {"9797", ":9797", "127.0.0.1:", "127.0.0.1", "127.0.0.1:9797s", "127.0.0.1:70000",
          "127.0.0.1:-1", "127.0.0.1:97,127.0.0.1:98", "localhost:9797", "1.2.3:9797", ""}) {
        const auto started = MetricsHttpServer::start(listen, [] { return std::string{}; });
        ASSERT_FALSE(started.ok()) << listen;
        EXPECT_EQ(started.error(), "metrics.listen " + listen + expected);
    }
    const auto v6 = MetricsHttpServer::start("[::1]:9797", [] { return std::string{}; });
    ASSERT_FALSE(v6.ok());
    EXPECT_EQ(v6.error(),
              "metrics.listen [::1]:9797: IPv6 is not supported (civetweb is built without it)");
}

TEST(MetricsHttpServer, StopsPromptlyAndReleasesThePort) {
    auto server = start_server([] { return std::string{"m 1\n"}; });
    ASSERT_NE(server, nullptr);
    const std::uint16_t port = server->port();
    EXPECT_EQ(http_get(port).status, 200);
    const auto before = std::chrono::steady_clock::now();
    server.reset();
    // civetweb alone takes up to 2 s to notice the stop.
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds{500});
    const auto again = MetricsHttpServer::start("127.0.0.1:" + std::to_string(port),
                                                [] { return std::string{"again 1\n"}; });
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(http_get(port).body, "again 1\n");
}
