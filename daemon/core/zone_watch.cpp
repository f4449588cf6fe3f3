#include "core/zone_watch.hpp"

#include <algorithm>
#include <tuple>

namespace dkimwatch {

void ZoneWatch::leave(const IdentityKey& key, const std::string& zone,
                      std::vector<std::string>& dropped) {
    auto found = m_zones.find(zone);
    if (found == m_zones.end()) {
        return;
    }
    found->second.members.erase(key);
    if (found->second.members.empty()) {
        dropped.push_back(zone);
        m_zones.erase(found);
    }
}

void ZoneWatch::learn(const IdentityKey& key, const std::vector<RecordVerdict>& records) {
    std::set<std::string> now_in;
    for (const auto& record : records) {
        if (record.zone.empty() || record.authoritative.empty()) {
            continue;
        }
        now_in.insert(record.zone);
        Zone& zone = m_zones[record.zone];
        zone.members.insert(key);
        std::map<std::string, Server> servers;
        for (const auto& answer : record.authoritative) {
            Server server{answer.server, std::nullopt};
            if (auto before = zone.servers.find(answer.address); before != zone.servers.end()) {
                server.serial = before->second.serial;
            }
            // A check's serial may come from a cache; once the polls read a server, they own
            // its serial (else a cached older serial would look like a change at every poll).
            if (!server.serial && answer.serial && answer.aa) {
                server.serial = answer.serial;
            }
            servers[answer.address] = std::move(server);
        }
        zone.servers = std::move(servers);
    }
    auto& zones_of = m_zones_of[key];
    std::vector<std::string> dropped;
    for (const auto& zone : zones_of) {
        if (!now_in.contains(zone)) {
            leave(key, zone, dropped);
        }
    }
    if (now_in.empty()) {
        m_zones_of.erase(key);
    } else {
        zones_of = std::move(now_in);
    }
}

void ZoneWatch::add(const IdentityKey& key, const ZoneServers& zone) {
    if (zone.apex.empty() || zone.servers.empty()) {
        return;
    }
    Zone& watched = m_zones[zone.apex];
    if (watched.servers.empty()) {
        for (const auto& server : zone.servers) {
            watched.servers[server.address.ip] = Server{server.name, std::nullopt};
        }
    }
    watched.members.insert(key);
    m_zones_of[key].insert(zone.apex);
}

bool ZoneWatch::knows(const IdentityKey& key) const {
    return m_zones_of.contains(key);
}

std::size_t ZoneWatch::server_count(const IdentityKey& key) const {
    const auto zones = m_zones_of.find(key);
    if (zones == m_zones_of.end()) {
        return 0;
    }
    std::size_t count = 0;
    for (const auto& apex : zones->second) {
        if (const auto zone = m_zones.find(apex); zone != m_zones.end()) {
            count += zone->second.servers.size();
        }
    }
    return count;
}

std::vector<std::string> ZoneWatch::retain(const std::set<IdentityKey>& keys) {
    std::vector<std::string> dropped;
    for (auto it = m_zones_of.begin(); it != m_zones_of.end();) {
        if (keys.contains(it->first)) {
            ++it;
            continue;
        }
        for (const auto& zone : it->second) {
            leave(it->first, zone, dropped);
        }
        it = m_zones_of.erase(it);
    }
    std::sort(dropped.begin(), dropped.end());
    return dropped;
}

std::vector<std::string> ZoneWatch::clear() {
    std::vector<std::string> zones;
    for (const auto& [zone, unused] : m_zones) {
        zones.push_back(zone);
    }
    m_zones.clear();
    m_zones_of.clear();
    return zones;
}

std::vector<LookupRequest> ZoneWatch::poll_requests(std::uint16_t port) const {
    std::vector<LookupRequest> requests;
    for (const auto& [apex, zone] : m_zones) {
        for (const auto& [address, server] : zone.servers) {
            LookupRequest request(apex, RecordType::soa);
            request.server = ServerAddress{address, port, address.find(':') != std::string::npos};
            requests.push_back(std::move(request));
        }
    }
    return requests;
}

std::vector<std::string> ZoneWatch::observe(std::span<const LookupResult> results) {
    std::set<std::string> changed;
    for (const auto& result : results) {
        if (!result.request.server || result.request.type != RecordType::soa ||
            !result.authoritative_answer || !result.soa_serial ||
            result.soa_owner != result.request.name) {
            continue;
        }
        auto zone = m_zones.find(result.request.name);
        if (zone == m_zones.end()) {
            continue;
        }
        auto server = zone->second.servers.find(result.request.server->ip);
        if (server == zone->second.servers.end()) {
            continue;
        }
        if (server->second.serial && *server->second.serial != *result.soa_serial) {
            changed.insert(zone->first);
        }
        server->second.serial = result.soa_serial;
    }
    return {changed.begin(), changed.end()};
}

std::vector<IdentityKey> ZoneWatch::members(const std::string& zone) const {
    auto found = m_zones.find(zone);
    if (found == m_zones.end()) {
        return {};
    }
    return {found->second.members.begin(), found->second.members.end()};
}

std::vector<ZoneSerialReading> ZoneWatch::readings() const {
    std::vector<ZoneSerialReading> out;
    for (const auto& [apex, zone] : m_zones) {
        for (const auto& [address, server] : zone.servers) {
            if (server.serial) {
                out.push_back({apex, server.name, address, *server.serial});
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.zone, a.server, a.address) < std::tie(b.zone, b.server, b.address);
    });
    return out;
}

std::size_t ZoneWatch::zone_count() const {
    return m_zones.size();
}

} // namespace dkimwatch
