#pragma once
// The daemon's Prometheus endpoint: GET /metrics over plain HTTP (metrics_http_server.hpp), the
// per-identity families rendered from a snapshot (identity_snapshot.hpp) and the global families
// in a prometheus-cpp registry.
//
// Metric families (names and labels are a public contract, see the README):
//   dkimwatch_identity_state{account,region,domain,state}           gauge, 1, one per identity
//   dkimwatch_identities{state}                                     gauge, all 4 states always
//   dkimwatch_revocation_deadline_timestamp_seconds{account,region,domain}
//                                                                   gauge, revocation_warning only
//   dkimwatch_record_problem{account,region,domain,record,verdict}  gauge, 1 per non-ok record
//   dkimwatch_identity_last_check_timestamp_seconds{account,region,domain}
//                                                                   gauge, once checked
//   dkimwatch_checks_total{result}          counter, result ok|warning|error|indeterminate
//   dkimwatch_dns_queries_total{rcode}      counter, noerror|nxdomain|servfail|refused|formerr|
//                                           notimp|other|timeout (one per attempt)
//   dkimwatch_dns_query_duration_seconds    histogram of answered attempts, 0.5 ms .. 5 s
//   dkimwatch_sweep_duration_seconds        gauge (not a histogram): wall time of the last
//                                           completed sweep; absent until the first one
//   dkimwatch_config_last_reload_successful gauge 0/1; absent until the first load
//   dkimwatch_config_last_reload_success_timestamp_seconds
//                                           gauge; absent until the first successful load
//   dkimwatch_build_info{version}           gauge, 1
//   dkimwatch_shard_info{shard,of}          gauge, 1: the shard this process watches ("2","4"
//                                           for shard: "2/4"; "1","1" for the whole
//                                           inventory); absent until set_shard()
//   dkimwatch_state_save_failures_total     counter: writes of the state database that failed
//   dkimwatch_state_unsaved_identities      gauge: identities whose newest state is applied in
//                                           memory but not saved yet (0 when all is saved)
//   dkimwatch_alerts_sent_total{sink,url}   counter: alert messages delivered
//   dkimwatch_alert_failures_total{sink,url}
//                                           counter: failed delivery attempts (each attempt,
//                                           outbox messages and alertmanager re-sends)
//   dkimwatch_alerts_dropped_total{sink,url}
//                                           counter: messages given up on (rejected by the
//                                           sink, or older than max_retry_age)
//   dkimwatch_alert_queue_depth{sink,url}   gauge: messages waiting in the outbox
//   dkimwatch_alert_oldest_queued_timestamp_seconds{sink,url}
//                                           gauge: when the oldest waiting message was queued;
//                                           absent while the lane's queue is empty
//   The alert families have one series per delivery lane (alert/delivery_lanes.hpp: one per URL
//   of each configured sink; set_alert_sinks), 0 from the start. `sink` is the sink's name,
//   `url` the lane's display form (scheme://host[:port], never a secret).
//   dkimwatch_check_lag_seconds             gauge: how far behind schedule the most overdue
//                                           identity is, 0 when none is (set_check_lag)
//   dkimwatch_ses_*                         the SES source's families: see
//                                           metrics/ses_metrics.hpp and the set_ses_* functions
//   dkimwatch_zone_serial{zone,server,address}, dkimwatch_authoritative_unreachable_total,
//   dkimwatch_dnssec_signature_expiry_timestamp_seconds{zone}
//                                           the authoritative and DNSSEC families: see
//                                           metrics/dns_health_metrics.hpp
// No sample carries a timestamp. Series vanish when their condition ends: an identity removed,
// a record back to ok, a warning over.
//
// Cost at 100,000 identities (1% with problems): about 26 MB of snapshot, a 27 MB scrape
// rendered in about 120 ms (gzip when asked: about 1 MB on the wire).
//
// Thread-safety: every member function may be called from any thread, concurrently with each
// other and with scrapes (which run on civetweb's worker threads). Updates of the per-identity
// snapshot wait while a scrape renders it.

#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/ses_view.hpp"
#include "core/shard.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

struct ResolverStats;

// One delivery lane's series: `key` names it in the updates (the lane's outbox key), `sink`
// and `url` are its labels.
struct AlertLaneLabels {
    std::string key;
    std::string sink;
    std::string url;
    bool operator==(const AlertLaneLabels&) const = default;
};

class DaemonMetrics {
public:
    // Starts serving /metrics on `listen`, "IPv4-address:port" such as "127.0.0.1:9797" or
    // "0.0.0.0:9797" (all interfaces); port 0 picks a free port (see port()). Errors are those
    // of MetricsHttpServer::start(), e.g.
    //   "metrics.listen 127.0.0.1:9797: cannot listen (address in use?)"
    //   "metrics.listen 9797: expected IPv4-address:port, e.g. 127.0.0.1:9797"
    // `version` becomes dkimwatch_build_info{version}. With `ready` false, scrapes get 503
    // until set_ready() (the daemon publishes every identity first, so that no scrape ever
    // sees a partial inventory).
    static Result<std::unique_ptr<DaemonMetrics>>
    start(const std::string& listen, const std::string& version, bool ready = true);
    // Starts answering scrapes with the exposition.
    void set_ready();
    // Stops serving (within milliseconds).
    ~DaemonMetrics();
    DaemonMetrics(const DaemonMetrics&) = delete;
    DaemonMetrics& operator=(const DaemonMetrics&) = delete;

    // The port actually listened on.
    std::uint16_t port() const;

    // Replaces everything exported for the identity `key`. `deadline` is exported only while
    // `state` is revocation_warning; `last_check` only when set. `records` are the verdicts of
    // the latest check: each record whose code is not ok becomes one dkimwatch_record_problem
    // series (all others are dropped); pass an empty vector before the first check.
    void update_identity(const IdentityKey& key, IdentityState state,
                         std::optional<TimePoint> deadline, std::optional<TimePoint> last_check,
                         const std::vector<RecordVerdict>& records);
    // Drops every series of the identity (it left the configuration). Unknown keys are ignored.
    void remove_identity(const IdentityKey& key);

    // Adds a delta of resolver counters: answers_by_rcode to dkimwatch_dns_queries_total
    // (an unknown key counts as "other"), each latency to dkimwatch_dns_query_duration_seconds.
    // queries_sent and tcp_fallbacks are not exported.
    void add_dns_stats(const ResolverStats& delta);
    // Counts one identity check by its worst record severity (dkimwatch_checks_total).
    void observe_check(Severity worst);
    // Wall time of the sweep that just completed.
    void set_sweep_duration(std::chrono::duration<double> duration);
    // The outcome of a configuration (re)load at `when`; the success timestamp moves only when
    // `ok`.
    void set_config_reload(bool ok, TimePoint when);
    // The shard the inventory is restricted to (dkimwatch_shard_info{shard,of} 1); a new shard
    // replaces the previous series. Called at start and on each reload.
    void set_shard(const Shard& shard);
    // One failed write of the state database (dkimwatch_state_save_failures_total).
    void count_state_save_failure();
    // How many identities have a state that is not saved yet (dkimwatch_state_unsaved_identities).
    void set_unsaved_identities(std::size_t count);

    // Alert delivery, per lane (one URL of a sink). `lanes` are the configured lanes: each
    // gets its counters and queue depth at 0 unless a lane with the same key and labels already
    // had them; every series of a lane not in `lanes` (or whose labels changed) is removed (its
    // counters restart from 0 if it comes back). Called at start and on each reload.
    void set_alert_sinks(const std::vector<AlertLaneLabels>& lanes);
    // The updates below name a lane by its key and ignore a key not declared by
    // set_alert_sinks (a worker of a lane that was just removed), so the label set stays the
    // configured one.
    void count_alert_sent(const std::string& lane);
    void count_alert_failure(const std::string& lane);
    void count_alert_dropped(const std::string& lane);
    // The lane's queue: `depth` waiting messages, the oldest queued at `oldest` (nullopt when
    // the queue is empty, which removes the oldest-queued series).
    void set_alert_queue(const std::string& lane, std::size_t depth,
                         std::optional<TimePoint> oldest);

    // How far behind schedule the most overdue identity is (CheckSchedule::lag); negative
    // values count as 0. Set by the daemon loop before each batch of checks.
    void set_check_lag(std::chrono::duration<double> lag);

    // The SES source (metrics/ses_metrics.hpp has the families and their contracts).
    // SES's view of the identity `key` and its current findings: one dkimwatch_ses_dkim_status
    // series (replaced when the status changes), dkimwatch_ses_signing_enabled, and one
    // dkimwatch_ses_finding series per finding code present (the others removed).
    void set_ses_identity(const IdentityKey& key, const SesDomainIdentity& identity,
                          const std::vector<SesFinding>& findings);
    // Drops every SES series of the identity (SES no longer lists it, or it left the
    // configuration). Unknown keys are ignored.
    void remove_ses_identity(const IdentityKey& key);
    // An identity SES does not list, in an account and region a source covers: only its
    // dkimwatch_ses_finding series (not_in_ses); empty findings drop every SES series.
    void set_ses_unlisted(const IdentityKey& key, const std::vector<SesFinding>& findings);
    // An account/region's identity count, and the time of its last complete listing (nullopt
    // keeps the previous value; absent until the first).
    void set_ses_source(const std::string& account, const std::string& region,
                        std::size_t identities, std::optional<TimePoint> last_success);
    // Drops the account/region's series (it left the configuration).
    void remove_ses_source(const std::string& account, const std::string& region);
    // One SES v2/STS request: `operation` the API action, `code` the HTTP status ("200",
    // "429", ...) or "error" when no response came.
    void count_ses_api_request(const std::string& account, const std::string& region,
                               const std::string& operation, const std::string& code);

    // The authoritative servers and DNSSEC (metrics/dns_health_metrics.hpp has the contracts).
    // The SOA serial `server_name` at `address` (numeric, no port) gave for `zone` (the apex):
    // dkimwatch_zone_serial{zone,server,address}.
    void set_zone_serial(const std::string& zone, const std::string& server_name,
                         const std::string& address, std::uint32_t serial);
    // Drops one server address's serial series (it left the zone's NS set).
    void remove_zone_server(const std::string& zone, const std::string& server_name,
                            const std::string& address);
    // Drops every series of the zone (serials and signature expiry): it is no longer watched.
    void remove_zone(const std::string& zone);
    // The earliest RRSIG expiration on the chains of the zone's records
    // (dkimwatch_dnssec_signature_expiry_timestamp_seconds{zone}).
    void set_dnssec_expiry(const std::string& zone, std::chrono::system_clock::time_point expiry);
    // Drops the zone's expiry series (nothing signed any more, or dns.dnssec off).
    void remove_dnssec_expiry(const std::string& zone);
    // `checks` more record checks whose authoritative servers could not be reached at all
    // (dkimwatch_authoritative_unreachable_total).
    void add_authoritative_unreachable(std::uint64_t checks);

    // The exposition text exactly as served on /metrics (uncompressed).
    std::string render() const;

private:
    struct Impl;
    explicit DaemonMetrics(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
