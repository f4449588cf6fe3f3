#pragma once
// A real ldns-testns process serving canned answers on a free loopback port, for the
// resolver integration tests. Started by the constructor, stopped (SIGTERM, by pid) by the
// destructor. ldns-testns binds the wildcard address; the tests only send to loopback.

#include "core/server_address.hpp"

#include <string>
#include <sys/types.h>

namespace dkimwatch::resolver_test {

class NameServer {
public:
    // `data` is the text of an ldns-testns data file. A probe entry is put before it and the
    // constructor waits until the server answers the probe (at most a few seconds).
    explicit NameServer(const std::string& data, bool ipv6 = false);
    ~NameServer();
    NameServer(const NameServer&) = delete;
    NameServer& operator=(const NameServer&) = delete;

    // False when the server could not be started; error() says why.
    bool ready() const { return m_ready; }
    const std::string& error() const { return m_error; }

    std::uint16_t port() const { return m_port; }
    // 127.0.0.1:port, or [::1]:port for an IPv6 server.
    ServerAddress address() const;

private:
    bool start_once();
    void stop();

    std::string m_data_path;
    bool m_ipv6;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
    bool m_ready = false;
    std::string m_error;
};

// The text of a data file in tests/integration/resolver/.
std::string read_data_file(const std::string& name);

// A UDP port on 127.0.0.1 that is bound (so nobody else takes it) but never answers.
class SilentPort {
public:
    SilentPort();
    ~SilentPort();
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;
    ServerAddress address() const { return ServerAddress{"127.0.0.1", m_port, false}; }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

} // namespace dkimwatch::resolver_test
