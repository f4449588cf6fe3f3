#pragma once
// The real Transport: non-blocking UDP sockets (sendmmsg/recvmmsg in batches) and TCP
// connections, in one epoll loop.
//
// Against forged answers (RFC 5452): each UDP query leaves from a socket drawn at random from a
// pool that is renewed as it is used (random ports), with an id from the kernel's CSPRNG, and an
// answer counts only when it comes from the server asked, to that socket, with that id and
// exactly the question asked (answers_query). Anything else is ignored like a lost packet.

#include "dns/transport.hpp"

#include <memory>

namespace dkimwatch {

class UdpTcpTransport final : public Transport {
public:
    // `max_inflight` sizes the socket pools; `edns_buffer_size` the receive buffers. Throws
    // std::runtime_error when epoll cannot be set up, or when no socket can be opened for any
    // of `families` (the address families of the configured servers).
    UdpTcpTransport(const std::vector<ServerAddress>& families, int max_inflight,
                    std::uint16_t edns_buffer_size);
    ~UdpTcpTransport() override;
    UdpTcpTransport(const UdpTcpTransport&) = delete;
    UdpTcpTransport& operator=(const UdpTcpTransport&) = delete;

    std::uint16_t add_server(const ServerAddress& address) override;
    const std::string& server_text(std::uint16_t server) const override;
    void send_udp(std::uint32_t token, std::uint16_t server,
                  std::vector<std::uint8_t>& query) override;
    void send_tcp(std::uint32_t token, std::uint16_t server, std::vector<std::uint8_t>& query,
                  TransportEvents& events) override;
    void flush(TransportEvents& events) override;
    bool flush_due() const override;
    void end(std::uint32_t token) override;
    void wait(int timeout_ms, TransportEvents& events) override;
    TransportClock::time_point now() const override;
    TransportClock::time_point send_blocked_until() const override;
    std::uint64_t queries_sent() const override;

    // Most queries one UDP transport keeps in flight (the id spaces of its sockets).
    static int max_inflight_limit();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
