#include "metrics/metrics_http_server.hpp"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zlib.h>

namespace dkimwatch {

namespace {

constexpr const char* k_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Accepts "a.b.c.d:port" (port 0..65535) only. civetweb would also take "port" alone (all
// interfaces), "[v6]:port", an "s" suffix (TLS) and comma lists, none of which this build
// serves safely.
std::optional<std::string> listen_error(const std::string& listen) {
    const std::string prefix = "metrics.listen " + listen + ": ";
    if (listen.find('[') != std::string::npos) {
        return prefix + "IPv6 is not supported (civetweb is built without it)";
    }
    const std::string expected = prefix + "expected IPv4-address:port, e.g. 127.0.0.1:9797";
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon + 1 == listen.size()) {
        return expected;
    }
    in_addr address{};
    if (::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address) != 1) {
        return expected;
    }
    const std::string_view port{listen.data() + colon + 1, listen.size() - colon - 1};
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
        return expected;
    }
    return std::nullopt;
}

// gzip (RFC 1952) of `text` at the fastest level, grown in small steps (the output is a few
// percent of the input); nullopt if zlib fails.
std::optional<std::string> gzip(const std::string& text) {
    z_stream stream{};
    constexpr int k_gzip_window_bits = 15 + 16;
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, k_gzip_window_bits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return std::nullopt;
    }
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    std::string out;
    std::array<char, 64 * 1024> buffer{};
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
        stream.avail_out = static_cast<uInt>(buffer.size());
        status = deflate(&stream, Z_FINISH);
        out.append(buffer.data(), buffer.size() - stream.avail_out);
    }
    deflateEnd(&stream);
    if (status != Z_STREAM_END) {
        return std::nullopt;
    }
    return out;
}

bool accepts_gzip(mg_connection* connection) {
    const char* accept = mg_get_header(connection, "Accept-Encoding");
    return accept != nullptr && std::strstr(accept, "gzip") != nullptr;
}

class MetricsHandler final : public CivetHandler {
public:
    explicit MetricsHandler(MetricsHttpServer::Render render) : m_render(std::move(render)) {}

    bool handleGet(CivetServer* /*server*/, mg_connection* connection) override {
        std::string body;
        try {
            body = m_render();
        } catch (const MetricsNotReady& not_ready) {
            mg_send_http_error(connection, 503, "%s", not_ready.what());
            return true;
        } catch (const std::exception& error) {
            mg_send_http_error(connection, 500, "%s", error.what());
            return true;
        }
        std::optional<std::string> compressed;
        if (accepts_gzip(connection)) {
            compressed = gzip(body);
            if (compressed) {
                std::string{}.swap(body); // free the text before a slow client reads
            }
        }
        const std::string& payload = compressed ? *compressed : body;
        mg_printf(connection,
                  "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n"
                  "Connection: close\r\n\r\n",
                  k_content_type, compressed ? "Content-Encoding: gzip\r\n" : "", payload.size());
        (void)mg_write(connection, payload.data(), payload.size()); // a gone scraper: nothing to do
        return true;
    }

private:
    MetricsHttpServer::Render m_render;
};

// Opens and closes one TCP connection; errors are ignored.
void poke(const in_addr& address, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(port);
    peer.sin_addr = address;
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer);
    ::close(fd);
}

} // namespace

struct MetricsHttpServer::Impl {
    MetricsHandler handler; // outlives server
    std::unique_ptr<CivetServer> server;
    in_addr address{}; // where to connect to reach the listener
    std::uint16_t port = 0;

    explicit Impl(Render render) : handler(std::move(render)) {}
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // civetweb's master thread notices a stop request only when its poll() on the listening
    // socket returns, which otherwise takes up to 2 s; connections during the stop wake it.
    ~Impl() {
        if (!server) {
            return;
        }
        std::atomic<bool> stopped{false};
        std::thread waker{[this, &stopped] {
            while (!stopped.load()) {
                poke(address, port);
                std::this_thread::sleep_for(std::chrono::milliseconds{5});
            }
        }};
        server->close();
        stopped.store(true);
        waker.join();
    }
};

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::start(const std::string& listen,
                                                                    Render render) {
    if (auto error = listen_error(listen)) {
        return Error{*error};
    }
    auto impl = std::make_unique<Impl>(std::move(render));
    const std::vector<std::string> options{
        "listening_ports", listen, "num_threads", "2", "request_timeout_ms", "10000",
    };
    try {
        impl->server = std::make_unique<CivetServer>(options);
    } catch (const CivetException&) {
        return Error{"metrics.listen " + listen + ": cannot listen (address in use?)"};
    }
    const auto ports = impl->server->getListeningPorts();
    if (ports.empty()) {
        return Error{"metrics.listen " + listen + ": cannot listen (no listening port)"};
    }
    impl->port = static_cast<std::uint16_t>(ports.front());
    (void)::inet_pton(AF_INET, listen.substr(0, listen.rfind(':')).c_str(), &impl->address);
    if (impl->address.s_addr == htonl(INADDR_ANY)) {
        impl->address.s_addr = htonl(INADDR_LOOPBACK);
    }
    impl->server->addHandler("/metrics", impl->handler);
    return std::unique_ptr<MetricsHttpServer>{new MetricsHttpServer{std::move(impl)}};
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() = default;

std::uint16_t MetricsHttpServer::port() const {
    return m_impl->port;
}

} // namespace dkimwatch
