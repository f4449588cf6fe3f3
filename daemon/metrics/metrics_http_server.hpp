#pragma once
// The HTTP side of /metrics: civetweb serving GET /metrics from a render function, gzip when the
// scraper accepts it. Plain HTTP only: this civetweb build has no IPv6 and crashes on the first
// TLS handshake, so TLS belongs in a reverse proxy.
//
// Thread-safety: start() and the destructor from one thread; port() from any. The render
// function runs on civetweb's worker threads (two), possibly concurrently with itself.

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace dkimwatch {

// Thrown by a Render function while there is nothing truthful to serve yet (the daemon is
// still loading its identities): the scrape gets 503 Service Unavailable.
struct MetricsNotReady : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class MetricsHttpServer {
public:
    // Returns the complete exposition text for one scrape.
    using Render = std::function<std::string()>;

    // Listens on `listen`, "IPv4-address:port" ("127.0.0.1:0" picks a free port). Errors:
    //   "metrics.listen L: cannot listen (address in use?)"
    //   "metrics.listen L: expected IPv4-address:port, e.g. 127.0.0.1:9797"
    //   "metrics.listen L: IPv6 is not supported (civetweb is built without it)"
    static Result<std::unique_ptr<MetricsHttpServer>> start(const std::string& listen,
                                                            Render render);
    // Stops serving; returns within milliseconds (waits for a scrape in progress).
    ~MetricsHttpServer();
    MetricsHttpServer(const MetricsHttpServer&) = delete;
    MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

    // The port actually listened on.
    std::uint16_t port() const;

private:
    struct Impl;
    explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
