#pragma once
// The zone serial watch (dns.zone_poll_interval): which zones the watched records live in, which
// authoritative servers serve them, and the last SOA serial each server gave. A zone changes at
// its servers before any resolver cache shows it, so a new serial is the earliest sign that a
// record may have been removed: the daemon then re-checks the zone's identities at once.
// Pure: the daemon performs the polls (one directed SOA query per server address per zone,
// which is what keeps it cheap at 100,000 identities: their zones are few).

#include "core/dns_lookup.hpp"
#include "core/identity.hpp"
#include "core/verdict.hpp"
#include "core/zone_discovery.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace dkimwatch {

struct ZoneSerialReading {
    std::string zone;    // apex, canonical
    std::string server;  // NS name, canonical
    std::string address; // numeric, without port
    std::uint32_t serial = 0;
};

class ZoneWatch {
public:
    // Records what one check of `key` found: the zone of each record that has authoritative
    // answers, with those servers (replacing the zone's previous server list; serials of
    // addresses that stay are kept; a serial an answer carries is taken only for a server
    // without one, since a check's serial may come from a cache). The identity leaves
    // zones its records no longer live in; a zone left without identities is dropped.
    void learn(const IdentityKey& key, const std::vector<RecordVerdict>& records);
    // Records that `key`'s records live in `zone` (found by discovery, before any check of
    // this process): the identity joins the zone; servers are taken only for a zone not known yet
    // (a check's list is fresher). Ignored when zone.apex or zone.servers is empty.
    void add(const IdentityKey& key, const ZoneServers& zone);
    // True when `key` is a member of some zone.
    bool knows(const IdentityKey& key) const;
    // The server addresses of the zones `key`'s records live in (0 for an unknown identity).
    std::size_t server_count(const IdentityKey& key) const;
    // Keeps only the identities in `keys` (after a reload or a new SES listing). Returns the
    // zones dropped because no identity is left in them.
    std::vector<std::string> retain(const std::set<IdentityKey>& keys);
    // Every zone and identity forgotten (dns.authoritative turned off). Returns the zones.
    std::vector<std::string> clear();

    // One directed SOA query (not cacheable) per server address per zone, on `port`.
    std::vector<LookupRequest> poll_requests(std::uint16_t port) const;
    // Feeds the results of a poll (any order, other results ignored). Only authoritative answers
    // (AA set) with a SOA whose owner is the zone count. Returns the zones, sorted, whose serial
    // changed at one of their servers since that server's previous reading (a server's first
    // reading is not a change).
    std::vector<std::string> observe(std::span<const LookupResult> results);

    // The identities whose records live in `zone` (empty for an unknown zone), sorted.
    std::vector<IdentityKey> members(const std::string& zone) const;
    // The last serial of every server that gave one, sorted by zone, server, address.
    std::vector<ZoneSerialReading> readings() const;
    std::size_t zone_count() const;

private:
    struct Server {
        std::string name;
        std::optional<std::uint32_t> serial;
    };
    struct Zone {
        std::map<std::string, Server> servers; // by address
        std::set<IdentityKey> members;
    };
    void leave(const IdentityKey& key, const std::string& zone, std::vector<std::string>& dropped);

    std::map<std::string, Zone> m_zones;
    std::map<IdentityKey, std::set<std::string>> m_zones_of;
};

} // namespace dkimwatch
