#pragma once
// What the daemon's DNS traffic adds to /metrics: the resolver's counters since the last
// publication, and what checked records say about their zones (DNSSEC signature expiry,
// unreachable authoritative servers). Not thread-safe: the daemon loop's thread only.

#include "core/verdict.hpp"
#include "dns/async_resolver.hpp"
#include "metrics/daemon_metrics.hpp"

#include <vector>

namespace dkimwatch {

class DaemonDnsMetrics {
public:
    // Counts from now on (a new resolver starts at zero).
    void start(const AsyncResolver& resolver);

    // Adds the queries, TCP fallbacks, answers by rcode and latencies since the last call (or
    // start()) to `metrics`.
    void publish(AsyncResolver& resolver, DaemonMetrics& metrics);

private:
    ResolverStats m_last; // the resolver's counters as last published
};

// What a check's records add to the DNS metrics: the earliest signature expiry per zone, and
// records whose authoritative servers could not be reached at all.
void publish_record_evidence(const std::vector<RecordVerdict>& records, DaemonMetrics& metrics);

} // namespace dkimwatch
