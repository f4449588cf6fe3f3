#pragma once
// A real nsd (authoritative only) on 127.0.0.1 and a free port, serving the given zones from a
// temporary directory, for the resolver's directed-query tests. With `sign`, every zone is
// signed first (ldns-keygen, one ECDSA P-256 key per zone; ldns-signzone). Started by the
// constructor (which waits until nsd answers the first zone's SOA), stopped by pid in the
// destructor.

#include "core/server_address.hpp"

#include <map>
#include <string>
#include <sys/types.h>

namespace dkimwatch::resolver_test {

class NsdServer {
public:
    // `zones`: zone name (no trailing dot) -> zone file text ($ORIGIN set by the caller).
    NsdServer(const std::map<std::string, std::string>& zones, bool sign = false);
    ~NsdServer();
    NsdServer(const NsdServer&) = delete;
    NsdServer& operator=(const NsdServer&) = delete;

    bool ready() const { return m_ready; }
    const std::string& error() const { return m_error; }
    ServerAddress address() const { return ServerAddress{"127.0.0.1", m_port, false}; }

private:
    bool start(const std::string& probe_zone);
    void stop();

    std::string m_dir;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
    bool m_ready = false;
    std::string m_error;
};

} // namespace dkimwatch::resolver_test
