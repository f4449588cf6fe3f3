#include "nsd_server.hpp"

#include "dns/ldns_answer.hpp"

#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dkimwatch::resolver_test {

namespace {

// A port free for UDP and TCP on 127.0.0.1 (UDP bound to port 0, then TCP checked on it).
std::uint16_t free_loopback_port() {
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int udp = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (udp < 0 || bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            if (udp >= 0) {
                close(udp);
            }
            continue;
        }
        socklen_t size = sizeof address;
        getsockname(udp, reinterpret_cast<sockaddr*>(&address), &size);
        const int tcp = socket(AF_INET, SOCK_STREAM, 0);
        const int on = 1;
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        const bool tcp_free = bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(tcp);
        close(udp);
        if (tcp_free) {
            return ntohs(address.sin_port);
        }
    }
    throw std::runtime_error("no free port found");
}

// True when `zone`'s SOA query gets a NOERROR answer from 127.0.0.1:port within `wait`.
bool soa_answered(std::uint16_t port, const std::string& zone, std::chrono::milliseconds wait) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QueryOptions options;
    options.recursion_desired = false;
    const std::vector<std::uint8_t> query = build_query(zone, RecordType::soa, options); // id 0
    bool answered = false;
    if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) == static_cast<ssize_t>(query.size())) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(wait.count())) == 1) {
            std::array<std::uint8_t, 4096> buffer{};
            const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
            answered = got > 0 && parse_answer(std::span<const std::uint8_t>(
                                                   buffer.data(), static_cast<std::size_t>(got)),
                                               0, zone, RecordType::soa)
                                      .has_requested_type;
        }
    }
    close(fd);
    return answered;
}

// Runs a shell command line in `dir`; its stdout, or nullopt when it failed.
bool run_in(const std::string& dir, const std::string& command, std::string& out) {
    const std::string line = "cd '" + dir + "' && " + command + " 2>&1";
    FILE* pipe = popen(line.c_str(), "r");
    if (pipe == nullptr) {
        out = "popen failed";
        return false;
    }
    out.clear();
    std::array<char, 512> chunk{};
    while (std::fgets(chunk.data(), chunk.size(), pipe) != nullptr) {
        out += chunk.data();
    }
    return pclose(pipe) == 0;
}

} // namespace

NsdServer::NsdServer(const std::map<std::string, std::string>& zones, bool sign) {
    char dir[] = "/tmp/dkimwatch_nsd_XXXXXX";
    if (mkdtemp(dir) == nullptr) {
        m_error = std::string("mkdtemp: ") + std::strerror(errno);
        return;
    }
    m_dir = dir;
    for (const auto& [zone, text] : zones) {
        const std::string file = zone + ".zone";
        {
            std::ofstream out(m_dir + "/" + file);
            out << text;
        }
        if (sign) {
            std::string key;
            if (!run_in(m_dir, "ldns-keygen -a ECDSAP256SHA256 -k " + zone, key)) {
                m_error = "ldns-keygen failed: " + key;
                return;
            }
            while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
                key.pop_back();
            }
            std::string output;
            if (!run_in(m_dir, "ldns-signzone " + file + " " + key, output)) {
                m_error = "ldns-signzone failed: " + output;
                return;
            }
        }
    }
    for (int attempt = 0; attempt < 5 && !m_ready; ++attempt) {
        if (!start(zones.begin()->first) && m_pid == -2) {
            return;
        }
    }
}

bool NsdServer::start(const std::string& probe_zone) {
    m_port = free_loopback_port();
    // Every zone file of the directory, the signed one where there is one.
    std::string zones_conf;
    for (const auto& entry : std::filesystem::directory_iterator(m_dir)) {
        const std::string name = entry.path().filename().string();
        const bool is_zone = name.size() > 5 && name.ends_with(".zone");
        const bool is_signed = name.ends_with(".zone.signed");
        if (!is_zone && !is_signed) {
            continue;
        }
        const std::string zone = name.substr(0, name.find(".zone"));
        if (is_zone && std::filesystem::exists(m_dir + "/" + name + ".signed")) {
            continue; // the signed one is served
        }
        zones_conf +=
            "zone:\n    name: \"" + zone + "\"\n    zonefile: \"" + m_dir + "/" + name + "\"\n";
    }
    {
        std::ofstream conf(m_dir + "/nsd.conf", std::ios::trunc);
        conf << "server:\n"
             << "    ip-address: 127.0.0.1\n"
             << "    port: " << m_port << "\n"
             << "    do-ip6: no\n    server-count: 1\n    reuseport: no\n"
             << "    username: \"\"\n    chroot: \"\"\n    database: \"\"\n"
             << "    zonelistfile: \"" << m_dir << "/zone.list\"\n"
             << "    xfrdfile: \"" << m_dir << "/xfrd.state\"\n"
             << "    xfrdir: \"" << m_dir << "\"\n"
             << "    pidfile: \"" << m_dir << "/nsd.pid\"\n"
             << "    logfile: \"" << m_dir << "/nsd.log\"\n"
             << "    verbosity: 1\n    refuse-any: no\n"
             << "    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n"
             << "remote-control:\n    control-enable: no\n"
             << zones_conf;
    }
    const std::string conf = m_dir + "/nsd.conf";
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
        execlp(DKIMWATCH_NSD, "nsd", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                m_error = std::string("cannot execute ") + DKIMWATCH_NSD + " (Debian package nsd)";
                m_pid = -2;
                return false;
            }
            m_error = "nsd exited at start on port " + std::to_string(m_port) + " (see " + m_dir +
                      "/nsd.log)";
            return false;
        }
        if (soa_answered(m_port, probe_zone, std::chrono::milliseconds(100))) {
            m_ready = true;
            m_error.clear();
            return true;
        }
    }
    m_error = "nsd did not answer on port " + std::to_string(m_port) + " within 10 s";
    stop();
    m_pid = -2;
    return false;
}

void NsdServer::stop() {
    if (m_pid > 0) {
        kill(m_pid, SIGTERM);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
    }
}

NsdServer::~NsdServer() {
    stop();
    if (!m_dir.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
}

} // namespace dkimwatch::resolver_test
