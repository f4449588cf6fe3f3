#include "hostile_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace dkimwatch::resolver_test {

namespace {

constexpr std::size_t k_header = 12;
constexpr std::size_t k_opt = 11; // the OPT record build_query appends

// Reads exactly `size` bytes within about a second; false on error, EOF or timeout.
bool read_exactly(int fd, std::uint8_t* out, std::size_t size) {
    std::size_t have = 0;
    while (have < size) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 1000) != 1) {
            return false;
        }
        const ssize_t n = recv(fd, out + have, size - have, 0);
        if (n <= 0) {
            return false;
        }
        have += static_cast<std::size_t>(n);
    }
    return true;
}

// Where the question of `message` ends (after QTYPE and QCLASS); the name is not compressed.
std::size_t question_end(const Wire& message) {
    std::size_t pos = k_header;
    while (pos < message.size() && message[pos] != 0) {
        pos += 1 + message[pos];
    }
    return pos + 1 + 4;
}

Wire encode_name(const std::string& name) {
    Wire out;
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string::npos) {
            dot = name.size();
        }
        out.push_back(static_cast<std::uint8_t>(dot - start));
        out.insert(out.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                   name.begin() + static_cast<std::ptrdiff_t>(dot));
        start = dot + 1;
    }
    out.push_back(0);
    return out;
}

} // namespace

HostileServer::HostileServer(Responder responder) : m_responder(std::move(responder)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; attempt < 20 && m_port == 0; ++attempt) {
        m_udp = socket(AF_INET, SOCK_DGRAM, 0);
        m_tcp = socket(AF_INET, SOCK_STREAM, 0);
        address.sin_port = 0;
        socklen_t size = sizeof address;
        if (bind(m_udp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            getsockname(m_udp, reinterpret_cast<sockaddr*>(&address), &size) == 0 &&
            bind(m_tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            listen(m_tcp, 64) == 0) {
            m_port = ntohs(address.sin_port);
            break;
        }
        close(m_udp);
        close(m_tcp);
        m_udp = m_tcp = -1;
    }
    if (m_port == 0) {
        throw std::runtime_error("HostileServer: no free port");
    }
    const int buffer = 4 << 20;
    setsockopt(m_udp, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    m_thread = std::thread([this] { serve(); });
}

HostileServer::~HostileServer() {
    m_stop = true;
    m_thread.join();
    close(m_udp);
    close(m_tcp);
}

std::vector<ReceivedQuery> HostileServer::queries() const {
    const std::lock_guard lock(m_mutex);
    return m_queries;
}

void HostileServer::record(const ReceivedQuery& query) {
    const std::lock_guard lock(m_mutex);
    m_queries.push_back(query);
}

void HostileServer::serve() {
    while (!m_stop) {
        pollfd p[2] = {{m_udp, POLLIN, 0}, {m_tcp, POLLIN, 0}};
        if (poll(p, 2, 20) <= 0) {
            continue;
        }
        if ((p[0].revents & POLLIN) != 0) {
            std::uint8_t buffer[4096];
            sockaddr_in from{};
            socklen_t size = sizeof from;
            const ssize_t got = recvfrom(m_udp, buffer, sizeof buffer, MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr*>(&from), &size);
            if (got >= static_cast<ssize_t>(k_header)) {
                ReceivedQuery query{Wire(buffer, buffer + got), ntohs(from.sin_port), false};
                record(query);
                for (const Wire& answer : m_responder(query)) {
                    sendto(m_udp, answer.data(), answer.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), size);
                }
            }
        }
        if ((p[1].revents & POLLIN) != 0) {
            sockaddr_in from{};
            socklen_t size = sizeof from;
            const int connection = accept(m_tcp, reinterpret_cast<sockaddr*>(&from), &size);
            if (connection >= 0) {
                serve_tcp(connection);
                close(connection);
            }
        }
    }
}

// One query per connection; every answer is sent with its length prefix, then the connection
// is closed.
void HostileServer::serve_tcp(int connection) {
    sockaddr_in peer{};
    socklen_t size = sizeof peer;
    getpeername(connection, reinterpret_cast<sockaddr*>(&peer), &size);
    std::uint8_t length[2];
    if (!read_exactly(connection, length, 2)) {
        return;
    }
    ReceivedQuery query{Wire(static_cast<std::size_t>((length[0] << 8) | length[1])),
                        ntohs(peer.sin_port), true};
    if (!read_exactly(connection, query.wire.data(), query.wire.size())) {
        return;
    }
    record(query);
    for (const Wire& answer : m_responder(query)) {
        Wire framed{static_cast<std::uint8_t>(answer.size() >> 8),
                    static_cast<std::uint8_t>(answer.size() & 0xff)};
        framed.insert(framed.end(), answer.begin(), answer.end());
        send(connection, framed.data(), framed.size(), MSG_NOSIGNAL);
    }
}

std::uint16_t message_id(const Wire& message) {
    return static_cast<std::uint16_t>((message[0] << 8) | message[1]);
}

Wire response_to(const Wire& query, int rcode, bool truncated,
                 const std::vector<std::string>& txt) {
    Wire out(query.begin(), query.end() - static_cast<std::ptrdiff_t>(k_opt));
    out[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x01) | (truncated ? 0x02 : 0));
    out[3] = static_cast<std::uint8_t>(0x80 | (rcode & 0x0f));
    out[6] = 0;
    out[7] = static_cast<std::uint8_t>(txt.size());
    out[11] = 0; // no OPT
    for (const std::string& text : txt) {
        const Wire record{0xc0,
                          0x0c,
                          0x00,
                          0x10,
                          0x00,
                          0x01,
                          0x00,
                          0x00,
                          0x01,
                          0x2c,
                          0x00,
                          static_cast<std::uint8_t>(text.size() + 1),
                          static_cast<std::uint8_t>(text.size())};
        out.insert(out.end(), record.begin(), record.end());
        out.insert(out.end(), text.begin(), text.end());
    }
    return out;
}

Wire bare_header_response(const Wire& query, int rcode) {
    return Wire{query[0],
                query[1],
                static_cast<std::uint8_t>(0x80 | (query[2] & 0x01)),
                static_cast<std::uint8_t>(0x80 | (rcode & 0x0f)),
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0};
}

Wire with_question_name(const Wire& response, const std::string& name) {
    const std::size_t end = question_end(response);
    Wire out(response.begin(), response.begin() + static_cast<std::ptrdiff_t>(k_header));
    const Wire encoded = encode_name(name);
    out.insert(out.end(), encoded.begin(), encoded.end());
    out.insert(out.end(), response.begin() + static_cast<std::ptrdiff_t>(end - 4), response.end());
    return out;
}

} // namespace dkimwatch::resolver_test
