#include "metrics/dns_health_metrics.hpp"

#include <map>
#include <mutex>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <tuple>

namespace dkimwatch {

struct DnsHealthMetrics::Impl {
    explicit Impl(prometheus::Registry& registry)
        : serial_family(prometheus::BuildGauge()
                            .Name("dkimwatch_zone_serial")
                            .Help("The last SOA serial each authoritative server gave for the "
                                  "zone.")
                            .Register(registry)),
          expiry_family(prometheus::BuildGauge()
                            .Name("dkimwatch_dnssec_signature_expiry_timestamp_seconds")
                            .Help("Unix time of the earliest RRSIG expiration on the validated "
                                  "chains of the zone's records.")
                            .Register(registry)),
          unreachable(prometheus::BuildCounter()
                          .Name("dkimwatch_authoritative_unreachable_total")
                          .Help("Record checks for which no authoritative server could be "
                                "reached (the resolver's verdict stood).")
                          .Register(registry)
                          .Add({})) {}

    prometheus::Family<prometheus::Gauge>& serial_family;
    prometheus::Family<prometheus::Gauge>& expiry_family;
    prometheus::Counter& unreachable;

    // (server name, address) -> gauge
    using ZoneSerials = std::map<std::pair<std::string, std::string>, prometheus::Gauge*>;

    // Guards both maps (prometheus-cpp guards each family and metric itself).
    std::mutex mutex;
    std::map<std::string, ZoneSerials> serials;         // by zone
    std::map<std::string, prometheus::Gauge*> expiries; // by zone

    void drop_expiry(const std::string& zone) {
        if (const auto it = expiries.find(zone); it != expiries.end()) {
            expiry_family.Remove(it->second);
            expiries.erase(it);
        }
    }
};

DnsHealthMetrics::DnsHealthMetrics(prometheus::Registry& registry)
    : m_impl(std::make_unique<Impl>(registry)) {}

DnsHealthMetrics::~DnsHealthMetrics() = default;

void DnsHealthMetrics::set_zone_serial(const std::string& zone, const std::string& server_name,
                                       const std::string& address, std::uint32_t serial) {
    const std::lock_guard lock{m_impl->mutex};
    auto& gauge = m_impl->serials[zone][{server_name, address}];
    if (gauge == nullptr) {
        gauge = &m_impl->serial_family.Add(
            {{"zone", zone}, {"server", server_name}, {"address", address}});
    }
    gauge->Set(static_cast<double>(serial));
}

void DnsHealthMetrics::remove_zone_server(const std::string& zone, const std::string& server_name,
                                          const std::string& address) {
    const std::lock_guard lock{m_impl->mutex};
    const auto zone_it = m_impl->serials.find(zone);
    if (zone_it == m_impl->serials.end()) {
        return;
    }
    const auto it = zone_it->second.find({server_name, address});
    if (it == zone_it->second.end()) {
        return;
    }
    m_impl->serial_family.Remove(it->second);
    zone_it->second.erase(it);
    if (zone_it->second.empty()) {
        m_impl->serials.erase(zone_it);
    }
}

void DnsHealthMetrics::remove_zone(const std::string& zone) {
    const std::lock_guard lock{m_impl->mutex};
    if (const auto it = m_impl->serials.find(zone); it != m_impl->serials.end()) {
        for (auto& entry : it->second) {
            m_impl->serial_family.Remove(entry.second);
        }
        m_impl->serials.erase(it);
    }
    m_impl->drop_expiry(zone);
}

void DnsHealthMetrics::set_dnssec_expiry(const std::string& zone,
                                         std::chrono::system_clock::time_point expiry) {
    const std::lock_guard lock{m_impl->mutex};
    auto& gauge = m_impl->expiries[zone];
    if (gauge == nullptr) {
        gauge = &m_impl->expiry_family.Add({{"zone", zone}});
    }
    gauge->Set(std::chrono::duration<double>(expiry.time_since_epoch()).count());
}

void DnsHealthMetrics::remove_dnssec_expiry(const std::string& zone) {
    const std::lock_guard lock{m_impl->mutex};
    m_impl->drop_expiry(zone);
}

void DnsHealthMetrics::add_authoritative_unreachable(std::uint64_t checks) {
    m_impl->unreachable.Increment(static_cast<double>(checks));
}

} // namespace dkimwatch
