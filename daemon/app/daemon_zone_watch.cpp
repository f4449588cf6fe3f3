#include "app/daemon_zone_watch.hpp"

#include "app/zone_serial_poll.hpp"

#include <spdlog/spdlog.h>

namespace dkimwatch {

void DaemonZoneWatch::clear(DaemonMetrics& metrics) {
    forget(m_zone_watch.clear(), metrics);
}

void DaemonZoneWatch::learn(const IdentityKey& key, const std::vector<RecordVerdict>& records) {
    m_zone_watch.learn(key, records);
}

std::size_t DaemonZoneWatch::server_count(const IdentityKey& key) const {
    return m_zone_watch.server_count(key);
}

std::optional<TimePoint> DaemonZoneWatch::next_poll(const DnsSettings& dns) const {
    if (dns.zone_poll_interval <= Milliseconds{0} || m_zone_watch.zone_count() == 0) {
        return std::nullopt;
    }
    return m_next_poll;
}

bool DaemonZoneWatch::poll_due(TimePoint now, const DnsSettings& dns) {
    const Milliseconds interval = dns.zone_poll_interval;
    if (interval <= Milliseconds{0} || m_zone_watch.zone_count() == 0 || now < m_next_poll) {
        return false;
    }
    m_next_poll = now + interval;
    return true;
}

std::optional<std::vector<DaemonZoneWatch::ChangedZone>>
DaemonZoneWatch::poll(DnsChecking& dns, DaemonMetrics& metrics, const DnsSettings& settings) {
    const auto changed =
        poll_zone_serials(m_zone_watch, dns.lookups(), settings.authoritative_port);
    if (dns.resolver().interrupted()) {
        return std::nullopt;
    }
    std::set<std::tuple<std::string, std::string, std::string>> published;
    for (const auto& reading : m_zone_watch.readings()) {
        metrics.set_zone_serial(reading.zone, reading.server, reading.address, reading.serial);
        published.emplace(reading.zone, reading.server, reading.address);
    }
    // A server that left its zone's NS set loses its series.
    for (const auto& [zone, server, address] : m_serial_series) {
        if (!published.contains({zone, server, address})) {
            metrics.remove_zone_server(zone, server, address);
        }
    }
    m_serial_series = std::move(published);
    if (!changed.empty()) {
        dns.clear_cache();
    }
    std::vector<ChangedZone> out;
    out.reserve(changed.size());
    for (const auto& zone : changed) {
        ChangedZone item{zone, {}};
        for (auto& key : m_zone_watch.members(zone)) {
            item.members.insert(std::move(key));
        }
        out.push_back(std::move(item));
    }
    return out;
}

void DaemonZoneWatch::refresh(const std::vector<const Identity*>& identities, DnsChecking& dns,
                              DaemonMetrics& metrics, const DnsSettings& settings) {
    std::set<IdentityKey> keys;
    for (const Identity* identity : identities) {
        keys.insert(identity->key());
    }
    forget(m_zone_watch.retain(keys), metrics);
    if (settings.authoritative && settings.zone_poll_interval > Milliseconds{0}) {
        discover_watched_zones(m_zone_watch, identities, dns.lookups(),
                               settings.authoritative_port);
        spdlog::debug("event=zones_watched zones={}", m_zone_watch.zone_count());
    }
}

void DaemonZoneWatch::forget(const std::vector<std::string>& zones, DaemonMetrics& metrics) {
    for (const auto& zone : zones) {
        metrics.remove_zone(zone);
    }
}

} // namespace dkimwatch
