#pragma once
// The daemon's zone serial watch: which zones hold the tracked identities' records, their
// authoritative servers' SOA serials (dkimwatch_zone_serial), and when to poll them next.
// A zone whose serial changed makes its identities due at once; the Daemon does that with the
// keys poll() returns. Not thread-safe: the daemon loop's thread only.

#include "app/dns_checking.hpp"
#include "config/config.hpp"
#include "core/identity.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"
#include "core/zone_watch.hpp"
#include "metrics/daemon_metrics.hpp"

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace dkimwatch {

class DaemonZoneWatch {
public:
    // A zone whose serial changed, and the identities whose records are in it.
    struct ChangedZone {
        std::string zone;
        std::set<IdentityKey> members;
    };

    // Forgets every zone and removes their series (the authoritative check was turned off).
    void clear(DaemonMetrics& metrics);

    // What a check's records say about the identity's zones and their servers.
    void learn(const IdentityKey& key, const std::vector<RecordVerdict>& records);

    // The authoritative servers the identity's check asks (0 while its zones are unknown).
    std::size_t server_count(const IdentityKey& key) const;

    // When the next poll is due: nullopt while the watch is off (dns.zone_poll_interval 0) or
    // has no zones.
    std::optional<TimePoint> next_poll(const DnsSettings& dns) const;

    // True when the watch is on, has zones, and its interval has passed; the next poll is then
    // scheduled one interval on.
    bool poll_due(TimePoint now, const DnsSettings& dns);

    // Asks every watched zone's servers for its serial and exports the readings (a server that
    // left its zone's NS set loses its series); clears the lookup cache when a zone changed.
    // Returns the changed zones, or nullopt when a stop signal interrupted the poll.
    std::optional<std::vector<ChangedZone>> poll(DnsChecking& dns, DaemonMetrics& metrics,
                                                 const DnsSettings& settings);

    // After the tracked set changed: zones keep only `identities`, and the zones of new ones
    // are found now (not at their first check, up to check_interval away).
    void refresh(const std::vector<const Identity*>& identities, DnsChecking& dns,
                 DaemonMetrics& metrics, const DnsSettings& settings);

private:
    void forget(const std::vector<std::string>& zones, DaemonMetrics& metrics);

    ZoneWatch m_zone_watch; // zones of the tracked identities' records, their servers' serials
    // (zone, server, address) of the dkimwatch_zone_serial series exported.
    std::set<std::tuple<std::string, std::string, std::string>> m_serial_series;
    TimePoint m_next_poll{};
};

} // namespace dkimwatch
