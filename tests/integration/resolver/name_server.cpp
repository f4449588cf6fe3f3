#include "name_server.hpp"

#include "dns/ldns_answer.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dkimwatch::resolver_test {

namespace {

constexpr const char* k_probe_name = "probe.dkimwatch.invalid";
constexpr const char* k_probe_entry = R"(
ENTRY_BEGIN
MATCH opcode qtype qname
REPLY QR AA NOERROR
ADJUST copy_id copy_query
SECTION QUESTION
probe.dkimwatch.invalid. IN TXT
SECTION ANSWER
probe.dkimwatch.invalid. 300 IN TXT "ready"
ENTRY_END
)";

sockaddr_storage loopback(bool ipv6, std::uint16_t port, socklen_t& size) {
    sockaddr_storage address{};
    if (ipv6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&address);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        sa->sin6_addr = in6addr_loopback;
        size = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&address);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        size = sizeof(sockaddr_in);
    }
    return address;
}

// A port free for both UDP and TCP on the wildcard address (ldns-testns binds both there):
// bind UDP to port 0, then check that TCP can bind the same port.
std::uint16_t free_port(bool ipv6) {
    const int family = ipv6 ? AF_INET6 : AF_INET;
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int udp = socket(family, SOCK_DGRAM, 0);
        sockaddr_storage any{};
        socklen_t size = 0;
        if (ipv6) {
            auto* sa = reinterpret_cast<sockaddr_in6*>(&any);
            sa->sin6_family = AF_INET6;
            sa->sin6_addr = in6addr_any;
            size = sizeof(sockaddr_in6);
        } else {
            auto* sa = reinterpret_cast<sockaddr_in*>(&any);
            sa->sin_family = AF_INET;
            sa->sin_addr.s_addr = htonl(INADDR_ANY);
            size = sizeof(sockaddr_in);
        }
        if (udp < 0 || bind(udp, reinterpret_cast<sockaddr*>(&any), size) != 0) {
            if (udp >= 0) {
                close(udp);
            }
            continue;
        }
        sockaddr_storage bound{};
        socklen_t bound_size = sizeof bound;
        getsockname(udp, reinterpret_cast<sockaddr*>(&bound), &bound_size);
        const std::uint16_t port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
        const int tcp = socket(family, SOCK_STREAM, 0);
        const int on = 1;
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (ipv6) {
            reinterpret_cast<sockaddr_in6*>(&any)->sin6_port = htons(port);
        } else {
            reinterpret_cast<sockaddr_in*>(&any)->sin_port = htons(port);
        }
        const bool tcp_free = bind(tcp, reinterpret_cast<sockaddr*>(&any), size) == 0;
        close(tcp);
        close(udp);
        if (tcp_free) {
            return port;
        }
    }
    throw std::runtime_error("no free port found");
}

// True when a TXT query for the probe name gets an answer within `wait`.
bool probe(bool ipv6, std::uint16_t port, std::chrono::milliseconds wait) {
    const int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        return false;
    }
    socklen_t size = 0;
    const sockaddr_storage to = loopback(ipv6, port, size);
    const std::vector<std::uint8_t> query = build_query(k_probe_name, RecordType::txt); // id 0
    bool answered = false;
    if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to), size) ==
        static_cast<ssize_t>(query.size())) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(wait.count())) == 1) {
            std::uint8_t buffer[512];
            const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
            answered =
                got > 0 &&
                parse_answer(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(got)),
                             0, k_probe_name, RecordType::txt)
                    .has_requested_type;
        }
    }
    close(fd);
    return answered;
}

} // namespace

std::string read_data_file(const std::string& name) {
    const std::string path = std::string(DKIMWATCH_RESOLVER_DATA_DIR) + "/" + name;
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

NameServer::NameServer(const std::string& data, bool ipv6) : m_ipv6(ipv6) {
    char path[] = "/tmp/dkimwatch_testns_XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) {
        m_error = std::string("mkstemp: ") + std::strerror(errno);
        return;
    }
    close(fd);
    m_data_path = path;
    {
        std::ofstream out(m_data_path, std::ios::trunc);
        // First, so that catch-all entries of `data` do not answer the probe.
        out << k_probe_entry << data;
    }
    // A port can be taken between choosing and binding it (parallel tests): choose again.
    for (int attempt = 0; attempt < 5 && !m_ready; ++attempt) {
        if (!start_once() && m_pid == -2) {
            return; // ldns-testns cannot run at all
        }
    }
}

bool NameServer::start_once() {
    m_port = free_port(m_ipv6);
    const std::string port = std::to_string(m_port);
    const pid_t parent = getpid();
    m_pid = fork();
    if (m_pid < 0) {
        m_error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (m_pid == 0) {
        // Dies with the test process, even when that crashes or is killed by ctest's timeout.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(126);
        }
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO); // it prints "Listening on port N"; stderr is kept
            close(null);
        }
        if (m_ipv6) {
            execlp(DKIMWATCH_LDNS_TESTNS, "ldns-testns", "-6", "-p", port.c_str(),
                   m_data_path.c_str(), static_cast<char*>(nullptr));
        } else {
            execlp(DKIMWATCH_LDNS_TESTNS, "ldns-testns", "-p", port.c_str(), m_data_path.c_str(),
                   static_cast<char*>(nullptr));
        }
        _exit(127);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < give_up) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                m_error = std::string("cannot execute ") + DKIMWATCH_LDNS_TESTNS +
                          " (install the Debian package ldnsutils)";
                m_pid = -2;
                return false;
            }
            m_error = "ldns-testns exited at start on port " + port;
            return false;
        }
        if (probe(m_ipv6, m_port, std::chrono::milliseconds(50))) {
            m_ready = true;
            m_error.clear();
            return true;
        }
    }
    m_error = "ldns-testns did not answer on port " + port + " within 5 s";
    stop();
    m_pid = -2; // waiting again would not help
    return false;
}

void NameServer::stop() {
    if (m_pid > 0) {
        kill(m_pid, SIGTERM);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
    }
}

NameServer::~NameServer() {
    stop();
    if (!m_data_path.empty()) {
        std::remove(m_data_path.c_str());
    }
}

ServerAddress NameServer::address() const {
    return ServerAddress{m_ipv6 ? "::1" : "127.0.0.1", m_port, m_ipv6};
}

SilentPort::SilentPort() {
    m_fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t size = 0;
    sockaddr_storage address = loopback(false, 0, size);
    if (m_fd < 0 || bind(m_fd, reinterpret_cast<sockaddr*>(&address), size) != 0) {
        throw std::runtime_error("cannot bind a silent UDP port");
    }
    socklen_t bound = sizeof address;
    getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &bound);
    m_port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

SilentPort::~SilentPort() {
    if (m_fd >= 0) {
        close(m_fd);
    }
}

} // namespace dkimwatch::resolver_test
