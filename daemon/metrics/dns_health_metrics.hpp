#pragma once
// The authoritative and DNSSEC metric families, registered in the DaemonMetrics registry
// (DaemonMetrics forwards its zone/DNSSEC functions here). Internal to dkimwatch_metrics:
// include it only from .cpp files (it names prometheus-cpp types).
//
// Families (names and labels are a public contract, see the README's metrics reference):
//   dkimwatch_zone_serial{zone,server,address}  gauge, the last SOA serial the server gave for
//       the zone (zone: the apex, canonical; server: the NS name; address: the numeric address
//       asked, without port). One series per server address; absent until it answered once.
//   dkimwatch_dnssec_signature_expiry_timestamp_seconds{zone}
//                                               gauge, Unix time of the earliest RRSIG
//       expiration on the validated chains of the zone's records; absent when nothing is signed
//   dkimwatch_authoritative_unreachable_total   counter, checks of a record for which no
//       authoritative server could be reached (the resolver's verdict stood); 0 from the start
// A zone that is no longer watched loses its series (remove_zone).
//
// Thread-safety: every member function may be called from any thread, concurrently with each
// other and with scrapes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace dkimwatch {

class DnsHealthMetrics {
public:
    // Registers the three families in `registry`, which must outlive this object.
    explicit DnsHealthMetrics(prometheus::Registry& registry);
    ~DnsHealthMetrics();
    DnsHealthMetrics(const DnsHealthMetrics&) = delete;
    DnsHealthMetrics& operator=(const DnsHealthMetrics&) = delete;

    // The SOA serial `server_name` (at `address`) gave for `zone`; creates the series on first
    // use.
    void set_zone_serial(const std::string& zone, const std::string& server_name,
                         const std::string& address, std::uint32_t serial);
    // Drops one server address's serial series (it left the zone's NS set). Unknown ones are
    // ignored.
    void remove_zone_server(const std::string& zone, const std::string& server_name,
                            const std::string& address);
    // Drops every series of the zone: its serials and its signature expiry (it is no longer
    // watched). Unknown zones are ignored.
    void remove_zone(const std::string& zone);

    // The earliest RRSIG expiration on the chains of the zone's records.
    void set_dnssec_expiry(const std::string& zone, std::chrono::system_clock::time_point expiry);
    // Drops the zone's expiry series (nothing signed any more, or validation turned off).
    void remove_dnssec_expiry(const std::string& zone);

    // `checks` more record checks whose authoritative servers could not be reached at all.
    void add_authoritative_unreachable(std::uint64_t checks);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
