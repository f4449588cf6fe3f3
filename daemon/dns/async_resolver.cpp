#include "dns/async_resolver.hpp"

#include "dns/query_policy.hpp"
#include "dns/udp_tcp_transport.hpp"

#include <algorithm>
#include <stdexcept>

namespace dkimwatch {

namespace {

ResolverSettings checked(ResolverSettings settings) {
    if (settings.servers.empty()) {
        throw std::runtime_error("AsyncResolver: no DNS server configured");
    }
    settings.max_inflight =
        std::clamp(settings.max_inflight, 1, UdpTcpTransport::max_inflight_limit());
    return settings;
}

} // namespace

// The query policy over the real transport (sockets first: the policy registers the servers
// with it).
struct AsyncResolver::Impl {
    explicit Impl(const ResolverSettings& settings)
        : transport(settings.servers, settings.max_inflight, settings.edns_buffer_size),
          policy(settings, transport) {}

    UdpTcpTransport transport;
    QueryPolicy policy;
};

AsyncResolver::AsyncResolver(ResolverSettings settings)
    : m_impl(std::make_unique<Impl>(checked(std::move(settings)))) {}

AsyncResolver::~AsyncResolver() = default;

void AsyncResolver::submit(LookupRequest request, Callback callback) {
    m_impl->policy.submit(std::move(request), std::move(callback));
}

void AsyncResolver::run() {
    m_impl->policy.run();
}

const ResolverStats& AsyncResolver::stats() const {
    return m_impl->policy.stats();
}

void AsyncResolver::set_interrupt_check(std::function<bool()> should_stop) {
    m_impl->policy.set_interrupt_check(std::move(should_stop));
}

bool AsyncResolver::interrupted() const {
    return m_impl->policy.interrupted();
}

std::vector<std::chrono::microseconds> AsyncResolver::take_latencies() {
    return m_impl->policy.take_latencies();
}

void AsyncResolver::set_record_latencies(bool on) {
    m_impl->policy.set_record_latencies(on);
}

} // namespace dkimwatch
