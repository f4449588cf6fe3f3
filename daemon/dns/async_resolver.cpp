#include "dns/async_resolver.hpp"

#include "dns/ldns_answer.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <netinet/in.h>
#include <random>
#include <stdexcept>
#include <string_view>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dkimwatch {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t k_none = 0xffffffffu;
// Lookup::directed when the lookup goes through the configured servers.
constexpr std::uint16_t k_no_server = 0xffff;
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

// Keys of ResolverStats::answers_by_rcode, indexed by RcodeKey.
enum RcodeKey {
    k_noerror,
    k_nxdomain,
    k_servfail,
    k_refused,
    k_formerr,
    k_notimp,
    k_other,
    k_timeout,
    k_rcode_keys
};
constexpr std::array<const char*, k_rcode_keys> k_rcode_key_names{
    "noerror", "nxdomain", "servfail", "refused", "formerr", "notimp", "other", "timeout"};

RcodeKey rcode_key(int rcode) {
    switch (rcode) {
    case 0:
        return k_noerror;
    case 1:
        return k_formerr;
    case 2:
        return k_servfail;
    case 3:
        return k_nxdomain;
    case 4:
        return k_notimp;
    case 5:
        return k_refused;
    default:
        return k_other;
    }
}

char lower(std::uint8_t c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// `out` = canonical_name(name), reusing out's capacity.
void assign_canonical(std::string& out, std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    out.assign(name);
    for (char& c : out) {
        c = lower(static_cast<std::uint8_t>(c));
    }
}

// True when canonical_name(name) == canonical, without building it.
bool is_canonical_of(std::string_view canonical, std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    if (name.size() != canonical.size()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (lower(static_cast<std::uint8_t>(name[i])) != canonical[i]) {
            return false;
        }
    }
    return true;
}

std::string format_duration(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) {
        return std::to_string(d.count() / 1000) + "s";
    }
    return std::to_string(d.count()) + "ms";
}

// "A", "A and B", "A, B and C".
std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " and " : ", ";
        }
        out += names[i];
    }
    return out;
}

int ms_until(Clock::time_point now, Clock::time_point then) {
    if (then <= now) {
        return 0;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(then - now).count();
    return static_cast<int>(std::min<long long>((us + 999) / 1000, 1000 * 60 * 60));
}

} // namespace

// How often run() consults the interrupt check while waiting, in milliseconds.
constexpr int k_interrupt_poll_ms = 100;

struct AsyncResolver::Impl {
    // What went wrong with one attempt; kept per hop for the final outcome and detail.
    enum class FailureKind : std::uint8_t {
        timeout,
        tcp_error,
        send_error,
        servfail,
        refused,
        bad_rcode,     // FORMERR, NOTIMP or another rcode
        unparseable,   // id and question matched, the rest did not parse
        truncated_tcp, // TC set on a TCP answer: incomplete by its own word
    };
    struct Failure {
        std::uint16_t server;
        FailureKind kind;
        int rcode;
        std::string note;
    };
    // Per server, within one hop.
    enum ServerState : std::uint8_t { k_not_asked, k_asked, k_said_no };
    enum class Transport : std::uint8_t { none, udp, tcp };

    struct Server {
        std::string text; // "ip:port"
        sockaddr_storage address{};
        socklen_t address_size = 0;
        bool ipv6 = false;
        bool valid = false;
    };

    struct UdpSocket {
        int fd = -1;                         // -1: a free slot
        std::vector<std::uint32_t> by_id;    // query id -> lookup index, k_none when free
        std::vector<std::uint32_t> outgoing; // lookups prepared, not yet handed to the kernel
        std::uint32_t in_flight = 0;         // attempts prepared or sent, not ended
        std::uint32_t uses_left = 0;         // queries before it is replaced
        Clock::time_point replace_at;        // replaced at the first query after this
        bool draining = false;               // replaced: closed when in_flight reaches 0
    };

    struct Lookup {
        LookupRequest request;
        Callback callback;
        std::string qname;                      // the name asked in this hop, canonical
        std::vector<std::uint8_t> query;        // wire form; the id is patched in per attempt
        std::vector<std::string> chain;         // CNAME targets followed so far, all hops
        std::vector<std::uint8_t> server_state; // by index into m_servers
        // A directed query (request.server): its index in m_servers, the only server asked.
        std::uint16_t directed = k_no_server;
        std::vector<Failure> failures; // this hop
        int hops = 0;
        int hop_attempts = 0;
        int total_attempts = 0;
        unsigned start = 0;
        unsigned next_pos = 0;
        bool used_tcp = false;
        // The last answer received (any hop), reported with the result.
        bool has_answer = false;
        std::uint16_t answer_server = 0;
        std::chrono::microseconds answer_latency{0};
        // What the last answer used said beyond the chain (see LookupResult).
        bool authoritative = false;
        std::string soa_owner;
        std::optional<std::uint32_t> soa_serial;
        std::uint32_t ttl = 0;
        std::uint32_t chain_ttl = UINT32_MAX; // smallest TTL of the CNAMEs of earlier hops
        std::vector<std::string> values;
        std::vector<std::vector<std::uint8_t>> wires; // request.dnssec only
        // The attempt in flight, if any.
        Transport transport = Transport::none;
        std::uint16_t server = 0;
        std::uint32_t socket = 0; // UdpSocket index or TcpConnection index
        std::uint16_t id = 0;
        Clock::time_point sent_at;
        std::uint64_t generation = 0; // 0: no attempt in flight
    };

    struct TcpConnection {
        int fd = -1;
        std::uint32_t lookup = k_none;
        std::uint32_t serial = 0; // tells stale epoll events from current ones
        bool connected = false;
        std::vector<std::uint8_t> out; // length prefix + query
        std::size_t written = 0;
        std::vector<std::uint8_t> in;
        std::size_t received = 0;
    };

    struct Deadline {
        Clock::time_point at;
        std::uint32_t lookup;
        std::uint64_t generation;
    };

    struct Pending {
        LookupRequest request;
        Callback callback;
    };

    std::function<bool()> m_should_stop;
    bool m_interrupted = false;

    explicit Impl(ResolverSettings s);
    ~Impl();

    static Server make_server(const ServerAddress& address);
    std::uint32_t open_socket(bool ipv6);
    std::uint32_t socket_for_query(bool ipv6, Clock::time_point now);
    void close_drained_sockets();
    std::uint16_t random_id();

    std::uint32_t start_lookup(Pending pending);
    bool start_hop(std::uint32_t index);
    void send_pending();
    void prepare_attempt(std::uint32_t index, Clock::time_point now);
    void unprepare_attempt(std::uint32_t index);
    void flush_outgoing();
    void start_tcp(std::uint32_t index);
    void end_attempt(Lookup& lookup);

    void read_udp(std::uint32_t socket_index);
    void handle_udp_datagram(std::uint32_t socket_index, const std::uint8_t* data, std::size_t size,
                             const sockaddr_storage& from, bool cut);
    void handle_tcp_event(std::uint32_t slot, std::uint32_t serial, std::uint32_t events);
    void fail_tcp(std::uint32_t index, const std::string& note);
    void on_answer(std::uint32_t index, std::span<const std::uint8_t> wire, bool via_tcp);
    void on_noerror(std::uint32_t index, ParsedAnswer& parsed);
    void on_definitive_failure(std::uint32_t index, FailureKind kind, int rcode, std::string note);
    void on_soft_failure(std::uint32_t index, FailureKind kind, std::string note);
    void expire(Clock::time_point now);
    int wait_ms(Clock::time_point now);

    std::uint16_t directed_server(const ServerAddress& address);
    unsigned server_count(const Lookup& lookup) const {
        return lookup.directed != k_no_server ? 1u : m_configured_servers;
    }
    // The server at position `k` of the lookup's rotation in this hop.
    std::uint16_t server_at(const Lookup& lookup, unsigned k) const {
        return lookup.directed != k_no_server
                   ? lookup.directed
                   : static_cast<std::uint16_t>((lookup.start + k) % m_configured_servers);
    }
    void finish(std::uint32_t index, LookupOutcome outcome, std::string detail,
                std::vector<std::vector<std::string>> txt = {});
    void finish_after_failures(std::uint32_t index);
    std::string describe_failures(const Lookup& lookup) const;

    bool has_queued() const { return !m_retry_queue.empty() || !m_new_queue.empty(); }
    void count_rcode(RcodeKey key) { ++*m_rcode_counters[key]; }

    ResolverSettings m_settings;
    // The configured servers first, then every server a directed query named (added on first
    // use, never removed: as many as the authoritative servers of the zones checked).
    std::vector<Server> m_servers;
    unsigned m_configured_servers = 0;
    std::map<std::string, std::uint16_t> m_directed_index; // "ip:port" -> index in m_servers
    std::vector<UdpSocket> m_sockets;
    std::vector<std::uint32_t> m_v4_sockets; // the pools: indexes into m_sockets
    std::vector<std::uint32_t> m_v6_sockets;
    std::vector<std::uint32_t> m_free_sockets; // closed slots of m_sockets (by_id kept, all free)
    std::vector<std::uint32_t> m_drained;      // draining sockets with nothing in flight
    std::size_t m_draining = 0;                // draining sockets not closed yet
    std::size_t m_max_draining = 0;            // beyond this, sockets serve on instead
    int m_epoll = -1;

    std::vector<Lookup> m_lookups;
    std::vector<std::uint32_t> m_free_lookups;
    std::deque<Pending> m_new_queue;
    std::deque<std::uint32_t> m_retry_queue; // started lookups waiting to send; served first
    std::deque<Deadline> m_deadlines;        // in order, since every attempt has one timeout
    std::vector<TcpConnection> m_tcp;
    std::vector<std::uint32_t> m_free_tcp;
    std::uint32_t m_tcp_serial = 0;

    int m_in_flight = 0;
    double m_tokens = 0;
    double m_burst = 1;
    Clock::time_point m_token_time;
    Clock::time_point m_send_blocked_until;
    std::uint64_t m_next_generation = 1;
    unsigned m_next_start = 0;

    std::array<std::uint16_t, 2048> m_random{};
    std::size_t m_random_used = m_random.size();

    std::vector<std::uint8_t> m_recv_storage;
    std::size_t m_recv_buffer_size = 0;
    std::array<mmsghdr, k_recv_batch> m_msgs{};
    std::array<mmsghdr, k_send_batch> m_send_msgs{};
    std::array<iovec, k_send_batch> m_send_iov{};
    std::size_t m_outgoing_count = 0;
    std::array<iovec, k_recv_batch> m_iov{};
    std::array<sockaddr_storage, k_recv_batch> m_from{};

    ResolverStats m_stats;
    std::array<std::uint64_t*, k_rcode_keys> m_rcode_counters{};
    bool m_record_latencies = false;
    bool m_running = false;
};

AsyncResolver::Impl::Server AsyncResolver::Impl::make_server(const ServerAddress& address) {
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

// The index of a directed query's server in m_servers, added on first use.
std::uint16_t AsyncResolver::Impl::directed_server(const ServerAddress& address) {
    std::string text = address.to_string();
    if (const auto it = m_directed_index.find(text); it != m_directed_index.end()) {
        return it->second;
    }
    if (m_servers.size() >= k_no_server) {
        return k_no_server;
    }
    const auto index = static_cast<std::uint16_t>(m_servers.size());
    m_servers.push_back(make_server(address));
    m_directed_index.emplace(std::move(text), index);
    return index;
}

AsyncResolver::Impl::Impl(ResolverSettings s) : m_settings(std::move(s)) {
    if (m_settings.servers.empty()) {
        throw std::runtime_error("AsyncResolver: no DNS server configured");
    }
    m_settings.attempts = std::max(1, m_settings.attempts);
    m_settings.max_inflight = std::clamp(m_settings.max_inflight, 1, k_max_inflight);
    m_settings.max_qps = std::max(0, m_settings.max_qps);
    m_settings.max_cname_hops = std::max(0, m_settings.max_cname_hops);
    if (m_settings.timeout <= std::chrono::milliseconds(0)) {
        m_settings.timeout = std::chrono::milliseconds(1);
    }
    for (std::size_t i = 0; i < k_rcode_keys; ++i) {
        m_rcode_counters[i] = &m_stats.answers_by_rcode[k_rcode_key_names[i]];
    }

    bool want_v4 = false;
    bool want_v6 = false;
    for (const ServerAddress& address : m_settings.servers) {
        Server server = make_server(address);
        (server.ipv6 ? want_v6 : want_v4) |= server.valid;
        m_servers.push_back(std::move(server));
    }
    m_configured_servers = static_cast<unsigned>(m_servers.size());

    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        throw std::runtime_error(std::string("AsyncResolver: epoll_create1: ") +
                                 std::strerror(errno));
    }
    const int per_family =
        std::clamp((m_settings.max_inflight + k_inflight_per_socket - 1) / k_inflight_per_socket,
                   k_min_sockets_per_family, k_max_sockets_per_family);
    for (int i = 0; i < per_family; ++i) {
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

    m_recv_buffer_size = std::max<std::size_t>(k_min_recv_buffer, m_settings.edns_buffer_size);
    m_recv_storage.resize(m_recv_buffer_size * k_recv_batch);
    m_lookups.reserve(static_cast<std::size_t>(m_settings.max_inflight) + 16);
    if (m_settings.max_qps > 0) {
        m_burst = std::max(1.0, m_settings.max_qps / 100.0);
        m_tokens = m_burst;
    }
    m_token_time = Clock::now();
}

AsyncResolver::Impl::~Impl() {
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
std::uint32_t AsyncResolver::Impl::open_socket(bool ipv6) {
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
std::uint32_t AsyncResolver::Impl::socket_for_query(bool ipv6, Clock::time_point now) {
    std::vector<std::uint32_t>& pool = ipv6 ? m_v6_sockets : m_v4_sockets;
    if (pool.empty()) {
        // A family first needed by a directed query: its pool is opened now.
        for (int i = 0; i < k_min_sockets_per_family; ++i) {
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
void AsyncResolver::Impl::close_drained_sockets() {
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
std::uint16_t AsyncResolver::Impl::random_id() {
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

std::uint32_t AsyncResolver::Impl::start_lookup(Pending pending) {
    std::uint32_t index;
    if (!m_free_lookups.empty()) {
        index = m_free_lookups.back();
        m_free_lookups.pop_back();
    } else {
        index = static_cast<std::uint32_t>(m_lookups.size());
        m_lookups.emplace_back();
    }
    Lookup& lookup = m_lookups[index];
    lookup.request = std::move(pending.request);
    lookup.callback = std::move(pending.callback);
    lookup.chain.clear();
    lookup.hops = 0;
    lookup.total_attempts = 0;
    lookup.used_tcp = false;
    lookup.has_answer = false;
    lookup.transport = Transport::none;
    lookup.generation = 0;
    lookup.authoritative = false;
    lookup.soa_owner.clear();
    lookup.soa_serial.reset();
    lookup.ttl = 0;
    lookup.chain_ttl = UINT32_MAX;
    lookup.values.clear();
    lookup.wires.clear();
    lookup.directed = k_no_server;
    assign_canonical(lookup.qname, lookup.request.name);
    if (lookup.request.server) {
        lookup.directed = directed_server(*lookup.request.server);
        if (lookup.directed == k_no_server) {
            finish(index, LookupOutcome::timeout, "too many distinct servers for directed queries");
            return k_none;
        }
    }
    if (!start_hop(index)) {
        return k_none;
    }
    return index;
}

// Prepares the query for `lookup.qname`; false (and the lookup finished) when it cannot be
// encoded. The query buffer of the slot is reused.
bool AsyncResolver::Impl::start_hop(std::uint32_t index) {
    Lookup& lookup = m_lookups[index];
    const std::string& name = lookup.qname;
    QueryOptions options;
    options.recursion_desired = lookup.directed == k_no_server;
    options.dnssec = lookup.request.dnssec;
    options.edns_buffer_size = m_settings.edns_buffer_size;
    build_query(name, lookup.request.type, options, lookup.query);
    lookup.server_state.assign(m_servers.size(), k_not_asked);
    lookup.failures.clear();
    lookup.hop_attempts = 0;
    lookup.start = m_next_start++ % m_configured_servers;
    lookup.next_pos = 0;
    if (lookup.query.size() <= k_header_size) {
        finish(index, LookupOutcome::malformed, "\"" + name + "\" cannot be encoded as a DNS name");
        return false;
    }
    return true;
}

void AsyncResolver::Impl::send_pending() {
    close_drained_sockets();
    while (m_in_flight < m_settings.max_inflight && has_queued()) {
        const Clock::time_point now = Clock::now();
        if (now < m_send_blocked_until) {
            break;
        }
        if (m_settings.max_qps > 0) {
            const double elapsed = std::chrono::duration<double>(now - m_token_time).count();
            m_tokens = std::min(m_burst, m_tokens + elapsed * m_settings.max_qps);
            m_token_time = now;
            if (m_tokens < 1.0) {
                break;
            }
        }
        std::uint32_t index;
        if (!m_retry_queue.empty()) {
            index = m_retry_queue.front();
            m_retry_queue.pop_front();
        } else {
            Pending pending = std::move(m_new_queue.front());
            m_new_queue.pop_front();
            index = start_lookup(std::move(pending));
            if (index == k_none) {
                continue;
            }
        }
        if (m_settings.max_qps > 0) {
            m_tokens -= 1.0;
        }
        prepare_attempt(index, now);
        if (m_outgoing_count >= k_send_batch) {
            flush_outgoing();
        }
    }
    flush_outgoing();
}

// Makes the lookup's next UDP attempt ready to send: server, socket and id chosen, the attempt
// registered as in flight. flush_outgoing() sends it.
void AsyncResolver::Impl::prepare_attempt(std::uint32_t index, Clock::time_point now) {
    Lookup& lookup = m_lookups[index];
    const std::uint16_t server_index = server_at(lookup, lookup.next_pos);
    const Server& server = m_servers[server_index];
    ++lookup.next_pos;
    ++lookup.hop_attempts;
    ++lookup.total_attempts;
    lookup.server = server_index;
    if (lookup.server_state[server_index] == k_not_asked) {
        lookup.server_state[server_index] = k_asked;
    }

    const std::uint32_t socket_index = server.valid ? socket_for_query(server.ipv6, now) : k_none;
    if (socket_index == k_none) {
        on_soft_failure(index, FailureKind::send_error,
                        server.valid ? "no socket for this address family"
                                     : "not a numeric address");
        return;
    }
    UdpSocket& socket = m_sockets[socket_index];
    std::uint16_t id = random_id();
    while (socket.by_id[id] != k_none) {
        id = random_id();
    }
    lookup.query[0] = static_cast<std::uint8_t>(id >> 8);
    lookup.query[1] = static_cast<std::uint8_t>(id & 0xff);
    socket.by_id[id] = index;
    ++socket.in_flight;
    socket.outgoing.push_back(index);
    ++m_outgoing_count;
    lookup.transport = Transport::udp;
    lookup.socket = socket_index;
    lookup.id = id;
    lookup.sent_at = now;
    lookup.generation = m_next_generation++;
    m_deadlines.push_back({now + m_settings.timeout, index, lookup.generation});
    ++m_in_flight;
}

// Takes back a prepared attempt that the kernel had no room for; it is sent again first.
void AsyncResolver::Impl::unprepare_attempt(std::uint32_t index) {
    Lookup& lookup = m_lookups[index];
    end_attempt(lookup);
    --lookup.next_pos;
    --lookup.hop_attempts;
    --lookup.total_attempts;
    if (m_settings.max_qps > 0) {
        m_tokens += 1.0;
    }
    m_retry_queue.push_front(index);
}

// Sends every prepared attempt, one sendmmsg per socket and batch.
void AsyncResolver::Impl::flush_outgoing() {
    if (m_outgoing_count == 0) {
        return;
    }
    m_outgoing_count = 0;
    for (std::uint32_t socket_index = 0; socket_index < m_sockets.size(); ++socket_index) {
        std::vector<std::uint32_t>& queue = m_sockets[socket_index].outgoing;
        if (queue.empty()) {
            continue;
        }
        const std::size_t count = queue.size();
        for (std::size_t i = 0; i < count; ++i) {
            Lookup& lookup = m_lookups[queue[i]];
            Server& server = m_servers[lookup.server];
            m_send_iov[i].iov_base = lookup.query.data();
            m_send_iov[i].iov_len = lookup.query.size();
            m_send_msgs[i].msg_hdr = msghdr{};
            m_send_msgs[i].msg_hdr.msg_name = &server.address;
            m_send_msgs[i].msg_hdr.msg_namelen = server.address_size;
            m_send_msgs[i].msg_hdr.msg_iov = &m_send_iov[i];
            m_send_msgs[i].msg_hdr.msg_iovlen = 1;
        }
        std::size_t done = 0;
        std::size_t blocked_from = count;
        while (done < count) {
            const int sent = sendmmsg(m_sockets[socket_index].fd, m_send_msgs.data() + done,
                                      static_cast<unsigned>(count - done), MSG_DONTWAIT);
            if (sent > 0) {
                done += static_cast<std::size_t>(sent);
                m_stats.queries_sent += static_cast<std::uint64_t>(sent);
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
            const std::uint32_t index = queue[done];
            end_attempt(m_lookups[index]);
            on_soft_failure(index, FailureKind::send_error, std::strerror(error));
            ++done;
        }
        if (blocked_from < count) {
            for (std::size_t i = count; i > blocked_from; --i) {
                unprepare_attempt(queue[i - 1]);
            }
            m_send_blocked_until = Clock::now() + k_send_backoff;
        }
        queue.clear();
    }
}

// Retries the current question over TCP to the server that sent a truncated answer.
void AsyncResolver::Impl::start_tcp(std::uint32_t index) {
    Lookup& lookup = m_lookups[index];
    const Server& server = m_servers[lookup.server];
    ++m_stats.tcp_fallbacks;
    ++lookup.total_attempts;
    lookup.used_tcp = true;
    if (m_settings.max_qps > 0) {
        m_tokens -= 1.0; // may go below zero: the next UDP sends wait for it
    }

    const int fd =
        ::socket(server.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        on_soft_failure(index, FailureKind::tcp_error,
                        std::string("cannot open a TCP socket: ") + std::strerror(errno));
        return;
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&server.address), server.address_size) != 0 &&
        errno != EINPROGRESS) {
        const int error = errno;
        close(fd);
        on_soft_failure(index, FailureKind::tcp_error, std::strerror(error));
        return;
    }
    std::uint32_t slot;
    if (!m_free_tcp.empty()) {
        slot = m_free_tcp.back();
        m_free_tcp.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_tcp.size());
        m_tcp.emplace_back();
    }
    TcpConnection& connection = m_tcp[slot];
    connection.fd = fd;
    connection.lookup = index;
    m_tcp_serial = (m_tcp_serial + 1) & 0x7fffffffu;
    connection.serial = m_tcp_serial;
    connection.connected = false;
    connection.written = 0;
    connection.received = 0;
    connection.in.clear();

    const std::uint16_t id = random_id();
    lookup.query[0] = static_cast<std::uint8_t>(id >> 8);
    lookup.query[1] = static_cast<std::uint8_t>(id & 0xff);
    connection.out.clear();
    connection.out.push_back(static_cast<std::uint8_t>(lookup.query.size() >> 8));
    connection.out.push_back(static_cast<std::uint8_t>(lookup.query.size() & 0xff));
    connection.out.insert(connection.out.end(), lookup.query.begin(), lookup.query.end());

    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = k_tcp_tag | (static_cast<std::uint64_t>(connection.serial) << 32) | slot;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        const int error = errno;
        close(fd);
        connection.fd = -1;
        m_free_tcp.push_back(slot);
        on_soft_failure(index, FailureKind::tcp_error, std::strerror(error));
        return;
    }
    ++m_stats.queries_sent;
    lookup.transport = Transport::tcp;
    lookup.socket = slot;
    lookup.id = id;
    lookup.sent_at = Clock::now();
    lookup.generation = m_next_generation++;
    m_deadlines.push_back({lookup.sent_at + m_settings.timeout, index, lookup.generation});
    ++m_in_flight;
}

// Releases what the attempt in flight holds (id slot or TCP connection).
void AsyncResolver::Impl::end_attempt(Lookup& lookup) {
    if (lookup.transport == Transport::udp) {
        UdpSocket& socket = m_sockets[lookup.socket];
        socket.by_id[lookup.id] = k_none;
        if (--socket.in_flight == 0 && socket.draining) {
            m_drained.push_back(lookup.socket);
        }
        --m_in_flight;
    } else if (lookup.transport == Transport::tcp) {
        TcpConnection& connection = m_tcp[lookup.socket];
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, connection.fd, nullptr);
        close(connection.fd);
        connection.fd = -1;
        connection.lookup = k_none;
        m_free_tcp.push_back(lookup.socket);
        --m_in_flight;
    }
    lookup.transport = Transport::none;
    lookup.generation = 0;
}

void AsyncResolver::Impl::read_udp(std::uint32_t socket_index) {
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
            handle_udp_datagram(socket_index,
                                m_recv_storage.data() +
                                    static_cast<std::size_t>(i) * m_recv_buffer_size,
                                size, m_from[i], (m_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
        }
        if (static_cast<std::size_t>(got) < k_recv_batch) {
            return;
        }
    }
}

// Matches a datagram to the attempt it answers by (socket, id, source address, question).
// Anything else is ignored: late answers to finished attempts, strays, spoofing attempts.
void AsyncResolver::Impl::handle_udp_datagram(std::uint32_t socket_index, const std::uint8_t* data,
                                              std::size_t size, const sockaddr_storage& from,
                                              bool cut) {
    if (size < k_header_size) {
        return;
    }
    const auto id = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
    const std::uint32_t index = m_sockets[socket_index].by_id[id];
    if (index == k_none) {
        return;
    }
    Lookup& lookup = m_lookups[index];
    const Server& server = m_servers[lookup.server];
    if (from.ss_family != server.address.ss_family) {
        return;
    }
    if (from.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&from);
        const auto* b = reinterpret_cast<const sockaddr_in*>(&server.address);
        if (a->sin_port != b->sin_port || a->sin_addr.s_addr != b->sin_addr.s_addr) {
            return;
        }
    } else {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
        const auto* b = reinterpret_cast<const sockaddr_in6*>(&server.address);
        if (a->sin6_port != b->sin6_port ||
            std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) != 0) {
            return;
        }
    }
    // Without our question (none, another, several) it is not an answer, whatever its rcode:
    // the attempt goes on waiting, as for a lost packet. (Cut datagrams keep their question:
    // the buffer holds at least 4096 bytes.)
    if (!answers_query(std::span<const std::uint8_t>(data, size), lookup.query)) {
        return;
    }
    if (cut) {
        // Bigger than our buffer: treat it as truncated.
        count_rcode(rcode_key(data[3] & 0x0f));
        if (m_record_latencies) {
            m_stats.latencies.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                Clock::now() - lookup.sent_at));
        }
        end_attempt(lookup);
        start_tcp(index);
        return;
    }
    on_answer(index, std::span<const std::uint8_t>(data, size), false);
}

void AsyncResolver::Impl::handle_tcp_event(std::uint32_t slot, std::uint32_t serial,
                                           std::uint32_t events) {
    if (slot >= m_tcp.size()) {
        return;
    }
    TcpConnection& connection = m_tcp[slot];
    if (connection.fd < 0 || connection.serial != serial) {
        return; // the connection this event was for is gone
    }
    const std::uint32_t index = connection.lookup;
    if (!connection.connected) {
        int error = 0;
        socklen_t size = sizeof error;
        if (getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
            error = errno;
        }
        if (error != 0) {
            fail_tcp(index, std::strerror(error));
            return;
        }
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
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
            fail_tcp(index, std::strerror(errno));
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
                              m_lookups[index].query)) {
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
            fail_tcp(index, std::strerror(errno));
            return;
        }
        if (n == 0) {
            fail_tcp(index, "connection closed before a full answer");
            return;
        }
        connection.received += static_cast<std::size_t>(n);
        if (connection.received == 2 && connection.in[0] == 0 && connection.in[1] == 0) {
            fail_tcp(index, "empty answer");
            return;
        }
    }
    // Copy out: on_answer ends the attempt, which recycles this connection's buffers.
    std::vector<std::uint8_t> message(connection.in.begin() + 2,
                                      connection.in.begin() +
                                          static_cast<std::ptrdiff_t>(connection.received));
    on_answer(index, message, true);
}

void AsyncResolver::Impl::fail_tcp(std::uint32_t index, const std::string& note) {
    Lookup& lookup = m_lookups[index];
    end_attempt(lookup);
    on_soft_failure(index, FailureKind::tcp_error, note);
}

void AsyncResolver::Impl::on_answer(std::uint32_t index, std::span<const std::uint8_t> wire,
                                    bool via_tcp) {
    Lookup& lookup = m_lookups[index];
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - lookup.sent_at);
    const std::uint16_t id = lookup.id;
    end_attempt(lookup);
    if (m_record_latencies) {
        m_stats.latencies.push_back(latency);
    }
    ParsedAnswer parsed =
        parse_answer(wire, id, lookup.qname, lookup.request.type, lookup.directed == k_no_server);
    count_rcode(rcode_key(parsed.rcode));
    lookup.has_answer = true;
    lookup.answer_server = lookup.server;
    lookup.answer_latency = latency;

    // The id and question are ours (answers_query); what follows them may still not parse.
    if (parsed.truncated) {
        // Over UDP: ask again over TCP. Over TCP, TC has no business being set: the answer says
        // it is incomplete, so neither its records nor its rcode can be trusted.
        if (via_tcp) {
            on_definitive_failure(index, FailureKind::truncated_tcp, parsed.rcode, {});
        } else {
            start_tcp(index);
        }
        return;
    }
    if (!parsed.parsed) {
        on_definitive_failure(index, FailureKind::unparseable, parsed.rcode,
                              std::move(parsed.error));
        return;
    }
    if (parsed.rcode == 0 || parsed.rcode == 3) {
        // An answer that is used: what it says beyond the chain is reported, and with
        // request.dnssec the message itself, for the validator.
        lookup.authoritative = parsed.authoritative;
        lookup.soa_owner = std::move(parsed.soa_owner);
        lookup.soa_serial = parsed.soa_serial;
        lookup.ttl = parsed.ttl;
        if (lookup.request.dnssec) {
            lookup.wires.emplace_back(wire.begin(), wire.end());
        }
    }
    switch (parsed.rcode) {
    case 0:
        on_noerror(index, parsed);
        return;
    case 3: {
        for (std::string& name : parsed.cname_chain) {
            lookup.chain.push_back(std::move(name));
        }
        const std::string& final_name = lookup.chain.empty() ? lookup.qname : lookup.chain.back();
        finish(index, LookupOutcome::nxdomain, final_name + " does not exist (NXDOMAIN)");
        return;
    }
    case 2:
        on_definitive_failure(index, FailureKind::servfail, 2, {});
        return;
    case 5:
        on_definitive_failure(index, FailureKind::refused, 5, {});
        return;
    default:
        on_definitive_failure(index, FailureKind::bad_rcode, parsed.rcode, {});
        return;
    }
}

void AsyncResolver::Impl::on_noerror(std::uint32_t index, ParsedAnswer& parsed) {
    Lookup& lookup = m_lookups[index];
    const std::string type = record_type_name(lookup.request.type);
    if (lookup.request.type == RecordType::cname) {
        if (parsed.has_requested_type) {
            lookup.chain = std::move(parsed.cname_chain);
            finish(index, LookupOutcome::answer, {});
        } else {
            finish(index, LookupOutcome::nodata, "no CNAME record at " + lookup.qname);
        }
        return;
    }
    // Every name of the chain must be new: the first name asked, then each target.
    const std::string_view first = lookup.request.name;
    for (std::string& name : parsed.cname_chain) {
        const bool seen =
            is_canonical_of(name, first) ||
            std::find(lookup.chain.begin(), lookup.chain.end(), name) != lookup.chain.end();
        lookup.chain.push_back(std::move(name));
        if (seen) {
            finish(index, LookupOutcome::malformed, "CNAME loop");
            return;
        }
    }
    if (parsed.has_requested_type) {
        lookup.values = std::move(parsed.values);
        lookup.ttl = std::min(lookup.ttl, lookup.chain_ttl);
        finish(index, LookupOutcome::answer, {}, std::move(parsed.txt_records));
        return;
    }
    if (parsed.cname_chain.empty()) {
        finish(index, LookupOutcome::nodata, "no " + type + " record at " + lookup.qname);
        return;
    }
    if (lookup.directed != k_no_server) {
        // A directed query reports what this server says at the name: the CNAME, no more.
        finish(index, LookupOutcome::nodata,
               "CNAME at " + lookup.qname + " and no " + type + " record for its target");
        return;
    }
    // The chain ends in a name this answer says nothing more about: ask for it.
    if (lookup.hops >= m_settings.max_cname_hops) {
        finish(index, LookupOutcome::malformed,
               "CNAME chain longer than " + std::to_string(m_settings.max_cname_hops));
        return;
    }
    ++lookup.hops;
    lookup.chain_ttl = std::min(lookup.chain_ttl, parsed.ttl);
    lookup.qname = lookup.chain.back();
    if (start_hop(index)) {
        m_retry_queue.push_back(index);
    }
}

// An answer that says no (SERVFAIL, REFUSED, FORMERR, garbage): ask a server not asked yet in
// this hop, if attempts remain.
void AsyncResolver::Impl::on_definitive_failure(std::uint32_t index, FailureKind kind, int rcode,
                                                std::string note) {
    Lookup& lookup = m_lookups[index];
    lookup.failures.push_back({lookup.server, kind, rcode, std::move(note)});
    lookup.server_state[lookup.server] = k_said_no;
    const unsigned n = server_count(lookup);
    if (lookup.hop_attempts < m_settings.attempts) {
        for (unsigned k = lookup.next_pos; k < lookup.next_pos + n; ++k) {
            if (lookup.server_state[server_at(lookup, k)] == k_not_asked) {
                lookup.next_pos = k;
                m_retry_queue.push_back(index);
                return;
            }
        }
    }
    finish_after_failures(index);
}

// No answer (timeout, TCP or send failure): the next server in turn that has not said no.
void AsyncResolver::Impl::on_soft_failure(std::uint32_t index, FailureKind kind, std::string note) {
    Lookup& lookup = m_lookups[index];
    lookup.failures.push_back({lookup.server, kind, 0, std::move(note)});
    if (kind == FailureKind::send_error) {
        lookup.server_state[lookup.server] = k_said_no; // trying it again would fail the same way
    }
    const unsigned n = server_count(lookup);
    if (lookup.hop_attempts < m_settings.attempts) {
        for (unsigned k = lookup.next_pos; k < lookup.next_pos + n; ++k) {
            if (lookup.server_state[server_at(lookup, k)] != k_said_no) {
                lookup.next_pos = k;
                m_retry_queue.push_back(index);
                return;
            }
        }
    }
    finish_after_failures(index);
}

void AsyncResolver::Impl::expire(Clock::time_point now) {
    while (!m_deadlines.empty() && m_deadlines.front().at <= now) {
        const Deadline deadline = m_deadlines.front();
        m_deadlines.pop_front();
        Lookup& lookup = m_lookups[deadline.lookup];
        if (lookup.generation != deadline.generation) {
            continue; // answered already
        }
        end_attempt(lookup);
        count_rcode(k_timeout);
        on_soft_failure(deadline.lookup, FailureKind::timeout, {});
    }
}

// Milliseconds to sleep in epoll_wait: until the next deadline or send slot; -1 for none.
int AsyncResolver::Impl::wait_ms(Clock::time_point now) {
    while (!m_deadlines.empty() &&
           m_lookups[m_deadlines.front().lookup].generation != m_deadlines.front().generation) {
        m_deadlines.pop_front();
    }
    int wait = -1;
    if (!m_deadlines.empty()) {
        wait = ms_until(now, m_deadlines.front().at);
    }
    if (has_queued() && m_in_flight < m_settings.max_inflight) {
        int send_wait = 0;
        if (now < m_send_blocked_until) {
            send_wait = std::max(1, ms_until(now, m_send_blocked_until));
        } else if (m_settings.max_qps > 0 && m_tokens < 1.0) {
            const double seconds = (1.0 - m_tokens) / m_settings.max_qps;
            send_wait = std::max(1, static_cast<int>(std::ceil(seconds * 1000.0)));
        }
        wait = wait < 0 ? send_wait : std::min(wait, send_wait);
    }
    return wait;
}

void AsyncResolver::Impl::finish_after_failures(std::uint32_t index) {
    const Lookup& lookup = m_lookups[index];
    LookupOutcome outcome = LookupOutcome::timeout;
    // The last answer that said no decides; without any, nothing usable came back in time.
    for (auto it = lookup.failures.rbegin(); it != lookup.failures.rend(); ++it) {
        if (it->kind == FailureKind::servfail) {
            outcome = LookupOutcome::servfail;
        } else if (it->kind == FailureKind::refused) {
            outcome = LookupOutcome::refused;
        } else if (it->kind == FailureKind::bad_rcode || it->kind == FailureKind::unparseable ||
                   it->kind == FailureKind::truncated_tcp) {
            outcome = LookupOutcome::malformed;
        } else {
            continue;
        }
        break;
    }
    finish(index, outcome, describe_failures(lookup));
}

std::string AsyncResolver::Impl::describe_failures(const Lookup& lookup) const {
    // Groups in order of first appearance: same kind (and rcode) -> servers, count, first note.
    struct Group {
        FailureKind kind;
        int rcode;
        std::vector<std::string> servers;
        int count = 0;
        std::string note;
    };
    std::vector<Group> groups;
    for (const Failure& failure : lookup.failures) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
            return g.kind == failure.kind && g.rcode == failure.rcode;
        });
        if (it == groups.end()) {
            groups.push_back({failure.kind, failure.rcode, {}, 0, failure.note});
            it = groups.end() - 1;
        }
        ++it->count;
        const std::string& text = m_servers[failure.server].text;
        if (std::find(it->servers.begin(), it->servers.end(), text) == it->servers.end()) {
            it->servers.push_back(text);
        }
    }
    std::string out;
    for (const Group& group : groups) {
        if (!out.empty()) {
            out += "; ";
        }
        const std::string from = join_names(group.servers);
        switch (group.kind) {
        case FailureKind::timeout:
            out += "no answer from " + from + " after " + std::to_string(group.count) +
                   (group.count == 1 ? " attempt (" : " attempts (") +
                   format_duration(m_settings.timeout) + " each)";
            break;
        case FailureKind::tcp_error:
            out += "TCP to " + from + " failed: " + group.note;
            break;
        case FailureKind::send_error:
            out += "cannot send to " + from + ": " + group.note;
            break;
        case FailureKind::servfail:
            out += "SERVFAIL from " + from;
            break;
        case FailureKind::refused:
            out += "REFUSED from " + from;
            break;
        case FailureKind::bad_rcode:
            out += (group.rcode == 1   ? std::string("FORMERR")
                    : group.rcode == 4 ? std::string("NOTIMP")
                                       : "rcode " + std::to_string(group.rcode)) +
                   " from " + from;
            break;
        case FailureKind::unparseable:
            out += "unusable answer from " + from + " (" + group.note + ")";
            break;
        case FailureKind::truncated_tcp:
            out += "answer truncated (TC) over TCP from " + from;
            break;
        }
    }
    return out;
}

void AsyncResolver::Impl::finish(std::uint32_t index, LookupOutcome outcome, std::string detail,
                                 std::vector<std::vector<std::string>> txt) {
    Lookup& lookup = m_lookups[index];
    LookupResult result;
    result.request = std::move(lookup.request);
    result.outcome = outcome;
    result.cname_chain = std::move(lookup.chain);
    result.txt_records = std::move(txt);
    if (outcome != LookupOutcome::timeout && lookup.has_answer) {
        result.server = m_servers[lookup.answer_server].text;
        result.latency = lookup.answer_latency;
    }
    result.attempts = lookup.total_attempts;
    result.used_tcp = lookup.used_tcp;
    result.detail = std::move(detail);
    if (outcome == LookupOutcome::answer || outcome == LookupOutcome::nodata ||
        outcome == LookupOutcome::nxdomain) {
        result.authoritative_answer = lookup.authoritative;
        result.soa_owner = std::move(lookup.soa_owner);
        result.soa_serial = lookup.soa_serial;
        result.ttl = lookup.ttl;
        result.values = std::move(lookup.values);
    }
    result.wires = std::move(lookup.wires);
    Callback callback = std::move(lookup.callback);

    lookup.request = {};
    lookup.callback = nullptr;
    lookup.chain.clear();
    lookup.failures.clear();
    lookup.values.clear();
    lookup.wires.clear();
    lookup.transport = Transport::none;
    lookup.generation = 0;
    m_free_lookups.push_back(index);

    if (callback) {
        callback(std::move(result));
    }
}

AsyncResolver::AsyncResolver(ResolverSettings settings)
    : m_impl(std::make_unique<Impl>(std::move(settings))) {}

AsyncResolver::~AsyncResolver() = default;

void AsyncResolver::submit(LookupRequest request, Callback callback) {
    m_impl->m_new_queue.push_back({std::move(request), std::move(callback)});
}

void AsyncResolver::run() {
    Impl& impl = *m_impl;
    if (impl.m_running) {
        throw std::logic_error("AsyncResolver::run called from inside run");
    }
    struct Running {
        bool& flag;
        explicit Running(bool& f) : flag(f) { flag = true; }
        ~Running() { flag = false; }
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;
    } running(impl.m_running);

    std::array<epoll_event, k_epoll_batch> events{};
    for (;;) {
        if (impl.m_should_stop && impl.m_should_stop()) {
            impl.m_interrupted = true;
            return;
        }
        impl.expire(Clock::now());
        impl.send_pending();
        if (impl.m_in_flight == 0 && !impl.has_queued()) {
            return;
        }
        int timeout = impl.wait_ms(Clock::now());
        if (impl.m_should_stop && (timeout < 0 || timeout > k_interrupt_poll_ms)) {
            timeout = k_interrupt_poll_ms;
        }
        const int count = epoll_wait(impl.m_epoll, events.data(), k_epoll_batch, timeout);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::runtime_error(std::string("AsyncResolver: epoll_wait: ") +
                                     std::strerror(errno));
        }
        for (int i = 0; i < count; ++i) {
            const std::uint64_t data = events[static_cast<std::size_t>(i)].data.u64;
            if ((data & k_tcp_tag) != 0) {
                impl.handle_tcp_event(static_cast<std::uint32_t>(data & 0xffffffffu),
                                      static_cast<std::uint32_t>((data >> 32) & 0x7fffffffu),
                                      events[static_cast<std::size_t>(i)].events);
            } else {
                impl.read_udp(static_cast<std::uint32_t>(data));
            }
        }
    }
}

const ResolverStats& AsyncResolver::stats() const {
    return m_impl->m_stats;
}

void AsyncResolver::set_interrupt_check(std::function<bool()> should_stop) {
    m_impl->m_should_stop = std::move(should_stop);
}

bool AsyncResolver::interrupted() const {
    return m_impl->m_interrupted;
}

std::vector<std::chrono::microseconds> AsyncResolver::take_latencies() {
    return std::exchange(m_impl->m_stats.latencies, {});
}

void AsyncResolver::set_record_latencies(bool on) {
    m_impl->m_record_latencies = on;
}

} // namespace dkimwatch
