#include "app/dns_checking.hpp"

#include "app/resolver_setup.hpp"
#include "dns/dnssec_validator.hpp"
#include "dns/trust_anchors.hpp"

#include <optional>
#include <stdexcept>

namespace dkimwatch {

struct DnsChecking::Parts {
    DnsSettings settings;
    std::unique_ptr<AsyncResolver> resolver;
    std::unique_ptr<CachingLookupService> cache;
    std::unique_ptr<LdnsDnssecValidator> validator; // null when dns.dnssec is off
};

Result<std::unique_ptr<DnsChecking>> DnsChecking::make(const DnsSettings& dns) {
    auto parts = std::make_unique<Parts>();
    parts->settings = dns;
    if (dns.dnssec) {
        auto anchors = load_trust_anchors(dns.trust_anchor_file);
        if (!anchors) {
            return Error{"dns.trust_anchor_file " + anchors.error()};
        }
        parts->validator = std::make_unique<LdnsDnssecValidator>(std::move(anchors).value());
    }
    auto settings = resolver_settings_for(dns);
    if (!settings) {
        return Error{settings.error()};
    }
    try {
        parts->resolver = std::make_unique<AsyncResolver>(std::move(settings).value());
    } catch (const std::runtime_error& error) {
        return Error{error.what()};
    }
    parts->cache = std::make_unique<CachingLookupService>(
        *parts->resolver, LookupCacheSettings{}, [] { return std::chrono::steady_clock::now(); });
    return std::unique_ptr<DnsChecking>(new DnsChecking(std::move(parts)));
}

DnsChecking::DnsChecking(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}
DnsChecking::~DnsChecking() = default;

LookupService& DnsChecking::lookups() {
    return *m_parts->cache;
}

AsyncResolver& DnsChecking::resolver() {
    return *m_parts->resolver;
}

const LookupCacheStats& DnsChecking::cache_stats() const {
    return m_parts->cache->stats();
}

void DnsChecking::clear_cache() {
    m_parts->cache->clear();
}

SweepOptions DnsChecking::sweep_options(std::chrono::system_clock::time_point now) const {
    SweepOptions options;
    options.probe.authoritative = m_parts->settings.authoritative;
    options.probe.authoritative_port = m_parts->settings.authoritative_port;
    options.probe.dnssec = m_parts->validator.get();
    options.probe.dnssec_expiry_warning = m_parts->settings.dnssec_expiry_warning;
    options.probe.now = now;
    return options;
}

const DnsSettings& DnsChecking::settings() const {
    return m_parts->settings;
}

} // namespace dkimwatch
