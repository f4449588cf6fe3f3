#include "dns/udp_tcp_transport.hpp"

#include "dns/ldns_answer.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <random>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dkimwatch {

namespace {

using Clock = TransportClock;

constexpr std::uint32_t k_none = 0xffffffffu;
// One UDP socket per this many queries in flight keeps each socket's id space sparse, so that a
// random id is almost always free at the first draw.
constexpr int k_inflight_per_socket = 512;
// The source port is part of what an off-path forger must guess (RFC 5452). Each query leaves
// from a socket drawn at random from a pool of at least this many per address family, each bound
// to a port that the kernel picks at random; a socket is replaced after a random number of
// queries (k_socket_min_uses plus up to k_socket_extra_uses) or k_socket_max_age, whichever comes
// first. The replaced one is closed once its last query has ended.
constexpr int k_min_sockets_per_family = 8;
constexpr int k_max_sockets_per_family = 32;
constexpr std::uint32_t k_socket_min_uses = 128;
constexpr std::uint32_t k_socket_extra_uses = 256;
constexpr auto k_socket_max_age = std::chrono::seconds(60);
// Beyond this the id spaces of the sockets would fill up; no DNS server wants more anyway.
constexpr int k_max_inflight = k_max_sockets_per_family * 8192;
constexpr std::size_t k_recv_batch = 32;
constexpr std::size_t k_send_batch = 64;
constexpr std::size_t k_min_recv_buffer = 4096;
constexpr int k_epoll_batch = 64;
constexpr int k_max_skipped_per_event = 16; // TCP messages that do not answer the query
constexpr std::uint64_t k_tcp_tag = 1ull << 63;
constexpr std::size_t k_header_size = 12;
constexpr int k_socket_buffer = 1 << 20;
// How long to back off when the kernel has no room for another datagram.
constexpr auto k_send_backoff = std::chrono::milliseconds(1);

void patch_id(std::vector<std::uint8_t>& query, std::uint16_t id) {
    query[0] = static_cast<std::uint8_t>(id >> 8);
    query[1] = static_cast<std::uint8_t>(id & 0xff);
}

} // namespace

struct UdpTcpTransport::Impl {
    enum class Kind : std::uint8_t { none, udp, tcp };

    struct Server {
        std::string text; // "ip:port"
        sockaddr_storage address{};
        socklen_t address_size = 0;
        bool ipv6 = false;
        bool valid = false;
    };

    struct UdpSocket {
        int fd = -1;                         // -1: a free slot
        std::vector<std::uint32_t> by_id;    // query id -> token, k_none when free
        std::vector<std::uint32_t> outgoing; // tokens queued, not yet handed to the kernel
        std::uint32_t in_flight = 0;         // attempts queued or sent, not ended
        std::uint32_t uses_left = 0;         // queries before it is replaced
        Clock::time_point replace_at;        // replaced at the first query after this
        bool draining = false;               // replaced: closed when in_flight reaches 0
    };

    struct TcpConnection {
        int fd = -1;
        std::uint32_t token = k_none;
        std::uint32_t serial = 0; // tells stale epoll events from current ones
        bool connected = false;
        std::vector<std::uint8_t> out; // length prefix + query
        std::size_t written = 0;
        std::vector<std::uint8_t> in;
        std::size_t received = 0;
    };

    // The attempt in flight for one token.
    struct Attempt {
        Kind kind = Kind::none;
        std::uint16_t server = 0;
        std::uint32_t socket = 0; // UdpSocket index or TcpConnection index
        std::uint16_t id = 0;
        std::vector<std::uint8_t>* query = nullptr;
    };

    Impl(const std::vector<ServerAddress>& families, int max_inflight,
         std::uint16_t edns_buffer_size);
    static Server make_server(const ServerAddress& address);
    ~Impl();

    std::uint32_t open_socket(bool ipv6);
    std::uint32_t socket_for_query(bool ipv6, Clock::time_point now);
    void close_drained_sockets();
    std::uint16_t random_id();
    Attempt& attempt(std::uint32_t token) {
        if (token >= m_attempts.size()) {
            m_attempts.resize(token + 1);
        }
        return m_attempts[token];
    }
    void end(std::uint32_t token);
    void read_udp(std::uint32_t socket_index, TransportEvents& events);
    void handle_udp_datagram(std::uint32_t socket_index, const std::uint8_t* data, std::size_t size,
                             const sockaddr_storage& from, bool cut, TransportEvents& events);
    void handle_tcp_event(std::uint32_t slot, std::uint32_t serial, std::uint32_t epoll_events,
                          TransportEvents& events);
    void fail_tcp(std::uint32_t token, const std::string& note, TransportEvents& events);

    std::vector<Server> m_servers;
    std::vector<Attempt> m_attempts;
    std::vector<UdpSocket> m_sockets;
    std::vector<std::uint32_t> m_v4_sockets; // the pools: indexes into m_sockets
    std::vector<std::uint32_t> m_v6_sockets;
    std::vector<std::uint32_t> m_free_sockets; // closed slots of m_sockets (by_id kept, all free)
    std::vector<std::uint32_t> m_drained;      // draining sockets with nothing in flight
    std::size_t m_draining = 0;                // draining sockets not closed yet
    std::size_t m_max_draining = 0;            // beyond this, sockets serve on instead
    int m_sockets_per_family = k_min_sockets_per_family;
    int m_epoll = -1;
    std::vector<TcpConnection> m_tcp;
    std::vector<std::uint32_t> m_free_tcp;
    std::uint32_t m_tcp_serial = 0;
    std::size_t m_outgoing_count = 0;
    std::vector<std::uint32_t> m_unsendable; // queued without a socket: failed at flush
    Clock::time_point m_send_blocked_until;
    std::uint64_t m_queries_sent = 0;

    std::array<std::uint16_t, 2048> m_random{};
    std::size_t m_random_used = m_random.size();

    std::vector<std::uint8_t> m_recv_storage;
    std::size_t m_recv_buffer_size = 0;
    std::array<mmsghdr, k_recv_batch> m_msgs{};
    std::array<iovec, k_recv_batch> m_iov{};
    std::array<sockaddr_storage, k_recv_batch> m_from{};
    std::array<mmsghdr, k_send_batch> m_send_msgs{};
    std::array<iovec, k_send_batch> m_send_iov{};
    std::vector<std::uint8_t> m_tcp_message; // a TCP answer, copied out before its callback
};

UdpTcpTransport::Impl::Server UdpTcpTransport::Impl::make_server(const ServerAddress& address) {
    Server server;
    server.text = address.to_string();
    server.ipv6 = address.ipv6;
    if (address.ipv6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&server.address);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(address.port);
        server.valid = inet_pton(AF_INET6, address.ip.c_str(), &sa->sin6_addr) == 1;
        server.address_size = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&server.address);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(address.port);
        server.valid = inet_pton(AF_INET, address.ip.c_str(), &sa->sin_addr) == 1;
        server.address_size = sizeof(sockaddr_in);
    }
    return server;
}

UdpTcpTransport::Impl::Impl(const std::vector<ServerAddress>& families, int max_inflight,
                            std::uint16_t edns_buffer_size) {
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        throw std::runtime_error(std::string("AsyncResolver: epoll_create1: ") +
                                 std::strerror(errno));
    }
    bool want_v4 = false;
    bool want_v6 = false;
    for (const ServerAddress& address : families) {
        if (make_server(address).valid) {
            (address.ipv6 ? want_v6 : want_v4) = true;
        }
    }
    m_sockets_per_family =
        std::clamp((max_inflight + k_inflight_per_socket - 1) / k_inflight_per_socket,
                   k_min_sockets_per_family, k_max_sockets_per_family);
    for (int i = 0; i < m_sockets_per_family; ++i) {
        for (const bool ipv6 : {false, true}) {
            if ((ipv6 ? want_v6 : want_v4)) {
                if (const std::uint32_t slot = open_socket(ipv6); slot != k_none) {
                    (ipv6 ? m_v6_sockets : m_v4_sockets).push_back(slot);
                }
            }
        }
    }
    // Each draining socket holds a query in flight: this bounds descriptors and id tables when
    // answers are slow, at the price of fewer replacements then.
    m_max_draining = m_v4_sockets.size() + m_v6_sockets.size();
    if (m_sockets.empty()) {
        close(m_epoll);
        throw std::runtime_error("AsyncResolver: cannot open a UDP socket for any DNS server");
    }
    m_recv_buffer_size = std::max<std::size_t>(k_min_recv_buffer, edns_buffer_size);
    m_recv_storage.resize(m_recv_buffer_size * k_recv_batch);
}

UdpTcpTransport::Impl::~Impl() {
    for (TcpConnection& connection : m_tcp) {
        if (connection.fd >= 0) {
            close(connection.fd);
        }
    }
    for (UdpSocket& socket : m_sockets) {
        if (socket.fd >= 0) {
            close(socket.fd);
        }
    }
    if (m_epoll >= 0) {
        close(m_epoll);
    }
}

// Opens a UDP socket bound to a port that the kernel picks at random (Linux starts its search
// for a free ephemeral port at a random point), in a free slot or a new one; k_none on failure.
std::uint32_t UdpTcpTransport::Impl::open_socket(bool ipv6) {
    const int fd =
        ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return k_none;
    }
    const int on = 1;
    sockaddr_storage any{};
    socklen_t any_size = 0;
    if (ipv6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        auto* sa = reinterpret_cast<sockaddr_in6*>(&any);
        sa->sin6_family = AF_INET6;
        sa->sin6_addr = in6addr_any;
        any_size = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&any);
        sa->sin_family = AF_INET;
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
        any_size = sizeof(sockaddr_in);
    }
    // Best effort: a bigger receive buffer absorbs bursts of answers.
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &k_socket_buffer, sizeof k_socket_buffer);
    std::uint32_t slot;
    if (!m_free_sockets.empty()) {
        slot = m_free_sockets.back();
    } else {
        slot = static_cast<std::uint32_t>(m_sockets.size());
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = slot;
    if (bind(fd, reinterpret_cast<sockaddr*>(&any), any_size) != 0 ||
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        close(fd);
        return k_none;
    }
    if (slot == m_sockets.size()) {
        m_sockets.emplace_back();
        m_sockets.back().by_id.assign(65536, k_none);
        m_sockets.back().outgoing.reserve(k_send_batch);
    } else {
        m_free_sockets.pop_back();
    }
    UdpSocket& socket = m_sockets[slot];
    socket.fd = fd;
    socket.in_flight = 0;
    socket.draining = false;
    socket.uses_left = k_socket_min_uses + random_id() % k_socket_extra_uses;
    socket.replace_at = Clock::now() + k_socket_max_age;
    return slot;
}

// The socket for the next query to a server of this family: one of the pool at random, replaced
// first when it has served its share. k_none when the family has no socket.
std::uint32_t UdpTcpTransport::Impl::socket_for_query(bool ipv6, Clock::time_point now) {
    std::vector<std::uint32_t>& pool = ipv6 ? m_v6_sockets : m_v4_sockets;
    if (pool.empty()) {
        // A family first needed by a directed query: its pool is opened now.
        for (int i = 0; i < m_sockets_per_family; ++i) {
            if (const std::uint32_t slot = open_socket(ipv6); slot != k_none) {
                pool.push_back(slot);
            }
        }
        m_max_draining = m_v4_sockets.size() + m_v6_sockets.size();
        if (pool.empty()) {
            return k_none;
        }
    }
    const std::size_t pick = random_id() % pool.size();
    UdpSocket& current = m_sockets[pool[pick]];
    if (current.uses_left > 0 && now < current.replace_at) {
        --current.uses_left;
        return pool[pick];
    }
    if (m_draining < m_max_draining) {
        if (const std::uint32_t fresh = open_socket(ipv6); fresh != k_none) {
            UdpSocket& old = m_sockets[pool[pick]]; // open_socket may have moved m_sockets
            old.draining = true;
            ++m_draining;
            if (old.in_flight == 0) {
                m_drained.push_back(pool[pick]);
            }
            pool[pick] = fresh;
        }
    }
    UdpSocket& chosen = m_sockets[pool[pick]];
    if (chosen.uses_left == 0 || now >= chosen.replace_at) {
        // Not replaced (too many draining, or no socket to be had): it serves on for a while.
        chosen.uses_left = k_socket_min_uses;
        chosen.replace_at = now + k_socket_max_age;
    }
    --chosen.uses_left;
    return pool[pick];
}

// Closes the replaced sockets whose last query has ended. Called between event batches only, so
// that no event of the current batch names a slot that is closed or reused.
void UdpTcpTransport::Impl::close_drained_sockets() {
    for (const std::uint32_t slot : m_drained) {
        UdpSocket& socket = m_sockets[slot];
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, socket.fd, nullptr);
        close(socket.fd);
        socket.fd = -1;
        socket.draining = false;
        m_free_sockets.push_back(slot);
        --m_draining;
    }
    m_drained.clear();
}

// Query ids come from the kernel's CSPRNG, fetched in blocks.
std::uint16_t UdpTcpTransport::Impl::random_id() {
    if (m_random_used == m_random.size()) {
        auto* bytes = reinterpret_cast<std::uint8_t*>(m_random.data());
        std::size_t have = 0;
        const std::size_t want = sizeof(m_random);
        while (have < want) {
            const ssize_t got = getrandom(bytes + have, want - have, 0);
            if (got > 0) {
                have += static_cast<std::size_t>(got);
            } else if (got < 0 && errno != EINTR) {
                break;
            }
        }
        if (have < want) {
            std::random_device device;
            for (auto& value : m_random) {
                value = static_cast<std::uint16_t>(device());
            }
        }
        m_random_used = 0;
    }
    return m_random[m_random_used++];
}

// Releases what the attempt in flight holds (id slot or TCP connection).
void UdpTcpTransport::Impl::end(std::uint32_t token) {
    Attempt& a = attempt(token);
    if (a.kind == Kind::udp) {
        UdpSocket& socket = m_sockets[a.socket];
        socket.by_id[a.id] = k_none;
        if (--socket.in_flight == 0 && socket.draining) {
            m_drained.push_back(a.socket);
        }
    } else if (a.kind == Kind::tcp) {
        TcpConnection& connection = m_tcp[a.socket];
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, connection.fd, nullptr);
        close(connection.fd);
        connection.fd = -1;
        connection.token = k_none;
        m_free_tcp.push_back(a.socket);
    }
    a.kind = Kind::none;
    a.query = nullptr;
}

void UdpTcpTransport::Impl::read_udp(std::uint32_t socket_index, TransportEvents& events) {
    const int fd = m_sockets[socket_index].fd;
    // A few batches per wakeup; the socket stays readable and is polled again.
    for (int round = 0; round < 8; ++round) {
        for (std::size_t i = 0; i < k_recv_batch; ++i) {
            m_iov[i].iov_base = m_recv_storage.data() + i * m_recv_buffer_size;
            m_iov[i].iov_len = m_recv_buffer_size;
            m_msgs[i].msg_hdr = msghdr{};
            m_msgs[i].msg_hdr.msg_name = &m_from[i];
            m_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            m_msgs[i].msg_hdr.msg_iov = &m_iov[i];
            m_msgs[i].msg_hdr.msg_iovlen = 1;
            m_msgs[i].msg_len = 0;
        }
        const int got = recvmmsg(fd, m_msgs.data(), k_recv_batch, MSG_DONTWAIT, nullptr);
        if (got <= 0) {
            return;
        }
        for (int i = 0; i < got; ++i) {
            const auto size = std::min<std::size_t>(m_msgs[i].msg_len, m_recv_buffer_size);
            handle_udp_datagram(
                socket_index,
                m_recv_storage.data() + static_cast<std::size_t>(i) * m_recv_buffer_size, size,
                m_from[i], (m_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, events);
        }
        if (static_cast<std::size_t>(got) < k_recv_batch) {
            return;
        }
    }
}

// Matches a datagram to the attempt it answers by (socket, id, source address, question).
// Anything else is ignored: late answers to finished attempts, strays, spoofing attempts.
void UdpTcpTransport::Impl::handle_udp_datagram(std::uint32_t socket_index,
                                                const std::uint8_t* data, std::size_t size,
                                                const sockaddr_storage& from, bool cut,
                                                TransportEvents& events) {
    if (size < k_header_size) {
        return;
    }
    const auto id = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
    const std::uint32_t token = m_sockets[socket_index].by_id[id];
    if (token == k_none) {
        return;
    }
    const Attempt& a = m_attempts[token];
    const Server& server = m_servers[a.server];
    if (from.ss_family != server.address.ss_family) {
        return;
    }
    if (from.ss_family == AF_INET) {
        const auto* x = reinterpret_cast<const sockaddr_in*>(&from);
        const auto* y = reinterpret_cast<const sockaddr_in*>(&server.address);
        if (x->sin_port != y->sin_port || x->sin_addr.s_addr != y->sin_addr.s_addr) {
            return;
        }
    } else {
        const auto* x = reinterpret_cast<const sockaddr_in6*>(&from);
        const auto* y = reinterpret_cast<const sockaddr_in6*>(&server.address);
        if (x->sin6_port != y->sin6_port ||
            std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) != 0) {
            return;
        }
    }
    // Without our question (none, another, several) it is not an answer, whatever its rcode:
    // the attempt goes on waiting, as for a lost packet. (Cut datagrams keep their question:
    // the buffer holds at least 4096 bytes.)
    if (!answers_query(std::span<const std::uint8_t>(data, size), *a.query)) {
        return;
    }
    end(token);
    if (cut) {
        events.on_oversized(token, data[3] & 0x0f);
        return;
    }
    events.on_answer(token, std::span<const std::uint8_t>(data, size), false);
}

void UdpTcpTransport::Impl::handle_tcp_event(std::uint32_t slot, std::uint32_t serial,
                                             std::uint32_t epoll_events, TransportEvents& events) {
    if (slot >= m_tcp.size()) {
        return;
    }
    TcpConnection& connection = m_tcp[slot];
    if (connection.fd < 0 || connection.serial != serial) {
        return; // the connection this event was for is gone
    }
    const std::uint32_t token = connection.token;
    if (!connection.connected) {
        int error = 0;
        socklen_t size = sizeof error;
        if (getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
            error = errno;
        }
        if (error != 0) {
            fail_tcp(token, std::strerror(error), events);
            return;
        }
        if ((epoll_events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
            return;
        }
        connection.connected = true;
    }
    if (connection.written < connection.out.size()) {
        const ssize_t n = send(connection.fd, connection.out.data() + connection.written,
                               connection.out.size() - connection.written, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return;
            }
            fail_tcp(token, std::strerror(errno), events);
            return;
        }
        connection.written += static_cast<std::size_t>(n);
        if (connection.written < connection.out.size()) {
            return;
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = k_tcp_tag | (static_cast<std::uint64_t>(serial) << 32) | slot;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, connection.fd, &event);
        return;
    }
    // Reading: a 2-byte length, then the message. A message that does not answer the query
    // is skipped, and the next one awaited until the attempt's deadline. A few per event, so
    // that a server streaming them cannot hold the loop (and the deadline) up.
    int skipped = 0;
    for (;;) {
        const std::size_t need =
            connection.received < 2
                ? 2
                : 2 + ((static_cast<std::size_t>(connection.in[0]) << 8) | connection.in[1]);
        if (connection.received == need && need > 2) {
            if (answers_query(std::span<const std::uint8_t>(connection.in.data() + 2, need - 2),
                              *m_attempts[token].query)) {
                break;
            }
            connection.received = 0;
            if (++skipped == k_max_skipped_per_event) {
                return; // level-triggered: the rest is read at the next wakeup
            }
            continue;
        }
        if (connection.in.size() < need) {
            connection.in.resize(need);
        }
        const ssize_t n = recv(connection.fd, connection.in.data() + connection.received,
                               need - connection.received, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return;
            }
            fail_tcp(token, std::strerror(errno), events);
            return;
        }
        if (n == 0) {
            fail_tcp(token, "connection closed before a full answer", events);
            return;
        }
        connection.received += static_cast<std::size_t>(n);
        if (connection.received == 2 && connection.in[0] == 0 && connection.in[1] == 0) {
            fail_tcp(token, "empty answer", events);
            return;
        }
    }
    // Copied out: ending the attempt recycles this connection's buffers.
    m_tcp_message.assign(connection.in.begin() + 2,
                         connection.in.begin() + static_cast<std::ptrdiff_t>(connection.received));
    end(token);
    events.on_answer(token, m_tcp_message, true);
}

void UdpTcpTransport::Impl::fail_tcp(std::uint32_t token, const std::string& note,
                                     TransportEvents& events) {
    end(token);
    events.on_failed(token, TransportFailure::tcp_error, note);
}

UdpTcpTransport::UdpTcpTransport(const std::vector<ServerAddress>& families, int max_inflight,
                                 std::uint16_t edns_buffer_size)
    : m_impl(std::make_unique<Impl>(families, max_inflight, edns_buffer_size)) {}

UdpTcpTransport::~UdpTcpTransport() = default;

int UdpTcpTransport::max_inflight_limit() {
    return k_max_inflight;
}

std::uint16_t UdpTcpTransport::add_server(const ServerAddress& address) {
    m_impl->m_servers.push_back(Impl::make_server(address));
    return static_cast<std::uint16_t>(m_impl->m_servers.size() - 1);
}

const std::string& UdpTcpTransport::server_text(std::uint16_t server) const {
    return m_impl->m_servers[server].text;
}

void UdpTcpTransport::send_udp(std::uint32_t token, std::uint16_t server_index,
                               std::vector<std::uint8_t>& query) {
    Impl& impl = *m_impl;
    const Impl::Server& server = impl.m_servers[server_index];
    Impl::Attempt& a = impl.attempt(token);
    a.server = server_index;
    a.query = &query;
    const std::uint32_t socket_index =
        server.valid ? impl.socket_for_query(server.ipv6, Clock::now()) : k_none;
    if (socket_index == k_none) {
        // Reported at the next flush, where the policy expects send results.
        a.kind = Impl::Kind::none;
        impl.m_unsendable.push_back(token);
        return;
    }
    Impl::UdpSocket& socket = impl.m_sockets[socket_index];
    std::uint16_t id = impl.random_id();
    while (socket.by_id[id] != k_none) {
        id = impl.random_id();
    }
    patch_id(query, id);
    socket.by_id[id] = token;
    ++socket.in_flight;
    socket.outgoing.push_back(token);
    ++impl.m_outgoing_count;
    a.kind = Impl::Kind::udp;
    a.socket = socket_index;
    a.id = id;
}

// Sends every queued query, one sendmmsg per socket and batch.
void UdpTcpTransport::flush(TransportEvents& events) {
    Impl& impl = *m_impl;
    if (!impl.m_unsendable.empty()) {
        const std::vector<std::uint32_t> unsendable = std::exchange(impl.m_unsendable, {});
        for (const std::uint32_t token : unsendable) {
            const Impl::Server& server = impl.m_servers[impl.m_attempts[token].server];
            impl.m_attempts[token].query = nullptr;
            events.on_failed(token, TransportFailure::send_error,
                             server.valid ? "no socket for this address family"
                                          : "not a numeric address");
        }
    }
    if (impl.m_outgoing_count == 0) {
        return;
    }
    impl.m_outgoing_count = 0;
    for (std::uint32_t socket_index = 0; socket_index < impl.m_sockets.size(); ++socket_index) {
        std::vector<std::uint32_t>& queue = impl.m_sockets[socket_index].outgoing;
        if (queue.empty()) {
            continue;
        }
        std::size_t count = 0;
        for (const std::uint32_t token : queue) {
            Impl::Attempt& a = impl.m_attempts[token];
            Impl::Server& server = impl.m_servers[a.server];
            impl.m_send_iov[count].iov_base = a.query->data();
            impl.m_send_iov[count].iov_len = a.query->size();
            impl.m_send_msgs[count].msg_hdr = msghdr{};
            impl.m_send_msgs[count].msg_hdr.msg_name = &server.address;
            impl.m_send_msgs[count].msg_hdr.msg_namelen = server.address_size;
            impl.m_send_msgs[count].msg_hdr.msg_iov = &impl.m_send_iov[count];
            impl.m_send_msgs[count].msg_hdr.msg_iovlen = 1;
            queue[count++] = token;
        }
        queue.resize(count);
        std::size_t done = 0;
        std::size_t blocked_from = count;
        const int fd = impl.m_sockets[socket_index].fd;
        std::vector<std::pair<std::uint32_t, int>> failed;
        while (done < count) {
            const int sent = sendmmsg(fd, impl.m_send_msgs.data() + done,
                                      static_cast<unsigned>(count - done), MSG_DONTWAIT);
            if (sent > 0) {
                done += static_cast<std::size_t>(sent);
                impl.m_queries_sent += static_cast<std::uint64_t>(sent);
                continue;
            }
            const int error = sent < 0 ? errno : EAGAIN;
            if (error == EINTR) {
                continue;
            }
            if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
                blocked_from = done;
                break;
            }
            // This one datagram cannot be sent at all; the rest are tried again.
            failed.emplace_back(queue[done], error);
            ++done;
        }
        std::vector<std::uint32_t> blocked(
            queue.begin() + static_cast<std::ptrdiff_t>(blocked_from), queue.end());
        queue.clear();
        if (!blocked.empty()) {
            impl.m_send_blocked_until = Clock::now() + k_send_backoff;
        }
        // Reported after the queue is empty: the callbacks may queue new queries.
        for (const auto& [token, error] : failed) {
            impl.end(token);
            events.on_failed(token, TransportFailure::send_error, std::strerror(error));
        }
        for (auto it = blocked.rbegin(); it != blocked.rend(); ++it) {
            impl.end(*it);
            events.on_blocked(*it);
        }
    }
}

bool UdpTcpTransport::flush_due() const {
    return m_impl->m_outgoing_count >= k_send_batch;
}

void UdpTcpTransport::send_tcp(std::uint32_t token, std::uint16_t server_index,
                               std::vector<std::uint8_t>& query, TransportEvents& events) {
    Impl& impl = *m_impl;
    const Impl::Server& server = impl.m_servers[server_index];
    const int fd =
        ::socket(server.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        events.on_failed(token, TransportFailure::tcp_error,
                         std::string("cannot open a TCP socket: ") + std::strerror(errno));
        return;
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&server.address), server.address_size) != 0 &&
        errno != EINPROGRESS) {
        const int error = errno;
        close(fd);
        events.on_failed(token, TransportFailure::tcp_error, std::strerror(error));
        return;
    }
    std::uint32_t slot;
    if (!impl.m_free_tcp.empty()) {
        slot = impl.m_free_tcp.back();
        impl.m_free_tcp.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(impl.m_tcp.size());
        impl.m_tcp.emplace_back();
    }
    Impl::TcpConnection& connection = impl.m_tcp[slot];
    connection.fd = fd;
    connection.token = token;
    impl.m_tcp_serial = (impl.m_tcp_serial + 1) & 0x7fffffffu;
    connection.serial = impl.m_tcp_serial;
    connection.connected = false;
    connection.written = 0;
    connection.received = 0;
    connection.in.clear();

    const std::uint16_t id = impl.random_id();
    patch_id(query, id);
    connection.out.clear();
    connection.out.push_back(static_cast<std::uint8_t>(query.size() >> 8));
    connection.out.push_back(static_cast<std::uint8_t>(query.size() & 0xff));
    connection.out.insert(connection.out.end(), query.begin(), query.end());

    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = k_tcp_tag | (static_cast<std::uint64_t>(connection.serial) << 32) | slot;
    if (epoll_ctl(impl.m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        const int error = errno;
        close(fd);
        connection.fd = -1;
        impl.m_free_tcp.push_back(slot);
        events.on_failed(token, TransportFailure::tcp_error, std::strerror(error));
        return;
    }
    ++impl.m_queries_sent;
    Impl::Attempt& a = impl.attempt(token);
    a.kind = Impl::Kind::tcp;
    a.server = server_index;
    a.socket = slot;
    a.id = id;
    a.query = &query;
}

void UdpTcpTransport::end(std::uint32_t token) {
    m_impl->end(token);
}

void UdpTcpTransport::wait(int timeout_ms, TransportEvents& events) {
    Impl& impl = *m_impl;
    // Between event batches: no event still to handle names a slot closed here.
    impl.close_drained_sockets();
    std::array<epoll_event, k_epoll_batch> ready{};
    const int count = epoll_wait(impl.m_epoll, ready.data(), k_epoll_batch, timeout_ms);
    if (count < 0) {
        if (errno == EINTR) {
            return;
        }
        throw std::runtime_error(std::string("AsyncResolver: epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < count; ++i) {
        const std::uint64_t data = ready[static_cast<std::size_t>(i)].data.u64;
        if ((data & k_tcp_tag) != 0) {
            impl.handle_tcp_event(static_cast<std::uint32_t>(data & 0xffffffffu),
                                  static_cast<std::uint32_t>((data >> 32) & 0x7fffffffu),
                                  ready[static_cast<std::size_t>(i)].events, events);
        } else {
            impl.read_udp(static_cast<std::uint32_t>(data), events);
        }
    }
}

TransportClock::time_point UdpTcpTransport::now() const {
    return Clock::now();
}

TransportClock::time_point UdpTcpTransport::send_blocked_until() const {
    return m_impl->m_send_blocked_until;
}

std::uint64_t UdpTcpTransport::queries_sent() const {
    return m_impl->m_queries_sent;
}

} // namespace dkimwatch
