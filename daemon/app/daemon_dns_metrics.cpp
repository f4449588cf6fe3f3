#include "app/daemon_dns_metrics.hpp"

#include <cstdint>

namespace dkimwatch {

void DaemonDnsMetrics::start(const AsyncResolver& resolver) {
    m_last = resolver.stats();
}

void DaemonDnsMetrics::publish(AsyncResolver& resolver, DaemonMetrics& metrics) {
    const ResolverStats& now = resolver.stats();
    ResolverStats delta;
    delta.queries_sent = now.queries_sent - m_last.queries_sent;
    delta.tcp_fallbacks = now.tcp_fallbacks - m_last.tcp_fallbacks;
    for (const auto& [rcode, count] : now.answers_by_rcode) {
        const auto before = m_last.answers_by_rcode.find(rcode);
        delta.answers_by_rcode[rcode] =
            count - (before == m_last.answers_by_rcode.end() ? 0 : before->second);
    }
    delta.latencies = resolver.take_latencies();
    metrics.add_dns_stats(delta);
    m_last = resolver.stats();
}

void publish_record_evidence(const std::vector<RecordVerdict>& records, DaemonMetrics& metrics) {
    std::uint64_t unreachable = 0;
    for (const auto& record : records) {
        if (record.authoritative_indeterminate) {
            ++unreachable;
        }
        if (record.dnssec_expiry) {
            metrics.set_dnssec_expiry(record.zone.empty() ? record.dnssec_expiry_zone : record.zone,
                                      *record.dnssec_expiry);
        }
    }
    if (unreachable > 0) {
        metrics.add_authoritative_unreachable(unreachable);
    }
}

} // namespace dkimwatch
