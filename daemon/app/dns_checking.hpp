#pragma once
// Everything a check asks DNS through, built from the configuration's dns section: the
// resolver (dns/async_resolver.hpp), the cache of infrastructure lookups in front of it (zone
// servers, DNSKEY, DS; core/lookup_cache.hpp), and the DNSSEC validator with its trust anchors
// when dns.dnssec is on. `check` makes one per run; the daemon keeps one across sweeps (so the
// cache spans them) and makes a new one when a reload changes the dns section.

#include "config/config.hpp"
#include "core/lookup_cache.hpp"
#include "core/result.hpp"
#include "core/sweep.hpp"
#include "dns/async_resolver.hpp"

#include <chrono>
#include <memory>

namespace dkimwatch {

class DnsChecking {
public:
    // Errors: no resolver (none configured and /etc/resolv.conf unusable), no socket, or the
    // trust anchor file ("<path>:<line>: <reason>").
    static Result<std::unique_ptr<DnsChecking>> make(const DnsSettings& dns);
    ~DnsChecking();
    DnsChecking(const DnsChecking&) = delete;
    DnsChecking& operator=(const DnsChecking&) = delete;

    // What sweeps submit to: the cache in front of the resolver.
    LookupService& lookups();
    AsyncResolver& resolver();
    const LookupCacheStats& cache_stats() const;
    // Forgets every cached infrastructure answer (a zone's serial changed: its next check must
    // see the servers' new state, serials included).
    void clear_cache();
    // The sweep options for a sweep starting at `now` (signatures are checked against it).
    SweepOptions sweep_options(std::chrono::system_clock::time_point now) const;
    const DnsSettings& settings() const;

private:
    struct Parts;
    explicit DnsChecking(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> m_parts;
};

} // namespace dkimwatch
