#include "metrics/daemon_metrics.hpp"

#include "dns/async_resolver.hpp"
#include "metrics/dns_health_metrics.hpp"
#include "metrics/identity_snapshot.hpp"
#include "metrics/metrics_http_server.hpp"
#include "metrics/ses_metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <set>
#include <string_view>
#include <utility>

namespace dkimwatch {

namespace {

// The ResolverStats::answers_by_rcode keys; anything else counts as "other".
constexpr std::array<std::string_view, 8> k_rcodes{"noerror", "nxdomain", "servfail", "refused",
                                                   "formerr", "notimp",   "other",    "timeout"};
constexpr std::size_t k_other_rcode = 6;

constexpr std::array k_severities{Severity::ok, Severity::warning, Severity::error,
                                  Severity::indeterminate};

// Upper bounds in seconds: loopback and cache hits (sub-millisecond) up to the slowest
// answered attempts (the resolver's default per-attempt timeout is 2 s).
const prometheus::Histogram::BucketBoundaries k_dns_buckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

} // namespace

// The global families live in a prometheus-cpp registry (thread-safe counters, gauges and
// histogram); the per-identity ones in the snapshot.
struct DaemonMetrics::Impl {
    std::atomic<bool> ready{true};
    prometheus::Registry registry;
    IdentitySnapshot identities;

    prometheus::Family<prometheus::Counter>& dns_queries_family =
        prometheus::BuildCounter()
            .Name("dkimwatch_dns_queries_total")
            .Help("DNS query attempts by outcome: the answer's rcode, or timeout.")
            .Register(registry);
    std::array<prometheus::Counter*, k_rcodes.size()> dns_queries{};
    prometheus::Histogram& dns_duration =
        prometheus::BuildHistogram()
            .Name("dkimwatch_dns_query_duration_seconds")
            .Help("Time from sending a DNS query attempt to its answer (timeouts excluded).")
            .Register(registry)
            .Add({}, k_dns_buckets);
    prometheus::Family<prometheus::Counter>& checks_family =
        prometheus::BuildCounter()
            .Name("dkimwatch_checks_total")
            .Help("Identity checks by the worst severity among their records.")
            .Register(registry);
    std::array<prometheus::Counter*, k_severities.size()> checks{};
    prometheus::Family<prometheus::Gauge>& sweep_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_sweep_duration_seconds")
            .Help("Wall time of the last completed sweep over all identities.")
            .Register(registry);
    prometheus::Family<prometheus::Gauge>& reload_ok_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_config_last_reload_successful")
            .Help("1 if the last configuration (re)load succeeded, else 0.")
            .Register(registry);
    prometheus::Family<prometheus::Gauge>& reload_time_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_config_last_reload_success_timestamp_seconds")
            .Help("Unix time of the last successful configuration (re)load.")
            .Register(registry);
    prometheus::Counter& state_save_failures =
        prometheus::BuildCounter()
            .Name("dkimwatch_state_save_failures_total")
            .Help("Writes of the state database that failed (full disk, I/O error, lock held "
                  "too long); what they held is kept in memory and saved by the next write.")
            .Register(registry)
            .Add({});
    prometheus::Gauge& state_unsaved =
        prometheus::BuildGauge()
            .Name("dkimwatch_state_unsaved_identities")
            .Help("Identities whose newest state is applied in memory but not saved in the "
                  "state database yet.")
            .Register(registry)
            .Add({});
    prometheus::Family<prometheus::Gauge>& build_info_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_build_info")
            .Help("Always 1; the version label identifies the running build.")
            .Register(registry);
    prometheus::Family<prometheus::Gauge>& shard_info_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_shard_info")
            .Help("Always 1; shard K of N (config shard: \"K/N\") watches the identities whose "
                  "documented hash modulo N is K-1. 1 of 1 is the whole inventory.")
            .Register(registry);

    prometheus::Family<prometheus::Counter>& alerts_sent_family =
        prometheus::BuildCounter()
            .Name("dkimwatch_alerts_sent_total")
            .Help("Alert messages delivered, by sink and URL.")
            .Register(registry);
    prometheus::Family<prometheus::Counter>& alert_failures_family =
        prometheus::BuildCounter()
            .Name("dkimwatch_alert_failures_total")
            .Help("Failed alert delivery attempts (each attempt counts), by sink and URL.")
            .Register(registry);
    prometheus::Family<prometheus::Counter>& alerts_dropped_family =
        prometheus::BuildCounter()
            .Name("dkimwatch_alerts_dropped_total")
            .Help("Alert messages given up on (rejected by the sink, or older than "
                  "max_retry_age), by sink and URL.")
            .Register(registry);
    prometheus::Family<prometheus::Gauge>& alert_queue_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_alert_queue_depth")
            .Help("Alert messages waiting in the outbox, by sink and URL.")
            .Register(registry);
    prometheus::Family<prometheus::Gauge>& alert_oldest_family =
        prometheus::BuildGauge()
            .Name("dkimwatch_alert_oldest_queued_timestamp_seconds")
            .Help("Unix time the oldest alert message waiting in the outbox was queued, by sink "
                  "and URL; absent when none waits.")
            .Register(registry);

    // The series of one configured sink; `oldest` is null while its queue is empty.
    struct SinkSeries {
        AlertLaneLabels labels;
        prometheus::Counter* sent = nullptr;
        prometheus::Counter* failures = nullptr;
        prometheus::Counter* dropped = nullptr;
        prometheus::Gauge* queue = nullptr;
        prometheus::Gauge* oldest = nullptr;
    };
    // Guards `sinks` (prometheus-cpp guards each family and metric itself).
    std::mutex sinks_mutex;
    std::map<std::string, SinkSeries, std::less<>> sinks;

    void remove_sink(SinkSeries& series) {
        alerts_sent_family.Remove(series.sent);
        alert_failures_family.Remove(series.failures);
        alerts_dropped_family.Remove(series.dropped);
        alert_queue_family.Remove(series.queue);
        if (series.oldest != nullptr) {
            alert_oldest_family.Remove(series.oldest);
        }
    }

    // Guards the lazily created gauges below (absent until their first value is known).
    std::mutex lazy_mutex;
    prometheus::Gauge* sweep = nullptr;
    prometheus::Gauge* reload_ok = nullptr;
    prometheus::Gauge* reload_time = nullptr;
    prometheus::Gauge* shard_info = nullptr;

    prometheus::Gauge& check_lag = prometheus::BuildGauge()
                                       .Name("dkimwatch_check_lag_seconds")
                                       .Help("How far behind schedule the most overdue identity "
                                             "is; 0 when none is overdue.")
                                       .Register(registry)
                                       .Add({});

    SesMetrics ses{registry};
    DnsHealthMetrics dns_health{registry};

    // Last member: destroyed first, so no scrape runs while the rest is torn down.
    std::unique_ptr<MetricsHttpServer> server;

    explicit Impl(const std::string& version) {
        for (std::size_t i = 0; i < k_rcodes.size(); ++i) {
            dns_queries[i] = &dns_queries_family.Add({{"rcode", std::string{k_rcodes[i]}}});
        }
        for (std::size_t i = 0; i < k_severities.size(); ++i) {
            checks[i] = &checks_family.Add({{"result", severity_name(k_severities[i])}});
        }
        build_info_family.Add({{"version", version}}).Set(1);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::string render() const {
        std::string text = prometheus::TextSerializer{}.Serialize(registry.Collect());
        identities.append_exposition(text);
        return text;
    }
};

Result<std::unique_ptr<DaemonMetrics>>
DaemonMetrics::start(const std::string& listen, const std::string& version, bool ready) {
    auto impl = std::make_unique<Impl>(version);
    impl->ready = ready;
    const Impl* rendered = impl.get();
    auto server = MetricsHttpServer::start(listen, [rendered] {
        if (!rendered->ready) {
            throw MetricsNotReady("dkimwatch is loading its identities");
        }
        return rendered->render();
    });
    if (!server.ok()) {
        return Error{server.error()};
    }
    impl->server = std::move(server).value();
    return std::unique_ptr<DaemonMetrics>{new DaemonMetrics{std::move(impl)}};
}

DaemonMetrics::DaemonMetrics(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

DaemonMetrics::~DaemonMetrics() = default;

void DaemonMetrics::set_ready() {
    m_impl->ready = true;
}

std::uint16_t DaemonMetrics::port() const {
    return m_impl->server->port();
}

void DaemonMetrics::update_identity(const IdentityKey& key, IdentityState state,
                                    std::optional<TimePoint> deadline,
                                    std::optional<TimePoint> last_check,
                                    const std::vector<RecordVerdict>& records) {
    m_impl->identities.update(key, state, deadline, last_check, records);
}

void DaemonMetrics::remove_identity(const IdentityKey& key) {
    m_impl->identities.remove(key);
}

void DaemonMetrics::add_dns_stats(const ResolverStats& delta) {
    for (const auto& [rcode, count] : delta.answers_by_rcode) {
        std::size_t index = k_other_rcode;
        for (std::size_t i = 0; i < k_rcodes.size(); ++i) {
            if (k_rcodes[i] == rcode) {
                index = i;
            }
        }
        m_impl->dns_queries[index]->Increment(static_cast<double>(count));
    }
    for (const auto latency : delta.latencies) {
        m_impl->dns_duration.Observe(std::chrono::duration<double>(latency).count());
    }
}

void DaemonMetrics::observe_check(Severity worst) {
    for (std::size_t i = 0; i < k_severities.size(); ++i) {
        if (k_severities[i] == worst) {
            m_impl->checks[i]->Increment();
        }
    }
}

void DaemonMetrics::set_sweep_duration(std::chrono::duration<double> duration) {
    const std::lock_guard lock{m_impl->lazy_mutex};
    if (m_impl->sweep == nullptr) {
        m_impl->sweep = &m_impl->sweep_family.Add({});
    }
    m_impl->sweep->Set(duration.count());
}

void DaemonMetrics::set_config_reload(bool ok, TimePoint when) {
    const std::lock_guard lock{m_impl->lazy_mutex};
    if (m_impl->reload_ok == nullptr) {
        m_impl->reload_ok = &m_impl->reload_ok_family.Add({});
    }
    m_impl->reload_ok->Set(ok ? 1 : 0);
    if (ok) {
        if (m_impl->reload_time == nullptr) {
            m_impl->reload_time = &m_impl->reload_time_family.Add({});
        }
        m_impl->reload_time->Set(std::chrono::duration<double>(when.time_since_epoch()).count());
    }
}

void DaemonMetrics::set_shard(const Shard& shard) {
    const std::lock_guard lock{m_impl->lazy_mutex};
    if (m_impl->shard_info != nullptr) {
        m_impl->shard_info_family.Remove(m_impl->shard_info);
    }
    m_impl->shard_info = &m_impl->shard_info_family.Add(
        {{"shard", std::to_string(shard.index)}, {"of", std::to_string(shard.count)}});
    m_impl->shard_info->Set(1);
}

void DaemonMetrics::count_state_save_failure() {
    m_impl->state_save_failures.Increment();
}

void DaemonMetrics::set_unsaved_identities(std::size_t count) {
    m_impl->state_unsaved.Set(static_cast<double>(count));
}

void DaemonMetrics::set_alert_sinks(const std::vector<AlertLaneLabels>& lanes) {
    std::map<std::string, const AlertLaneLabels*, std::less<>> wanted;
    for (const AlertLaneLabels& lane : lanes) {
        wanted.emplace(lane.key, &lane);
    }
    const std::lock_guard lock{m_impl->sinks_mutex};
    for (auto it = m_impl->sinks.begin(); it != m_impl->sinks.end();) {
        const auto found = wanted.find(it->first);
        if (found != wanted.end() && *found->second == it->second.labels) {
            ++it;
        } else {
            m_impl->remove_sink(it->second);
            it = m_impl->sinks.erase(it);
        }
    }
    for (const auto& [key, lane] : wanted) {
        if (m_impl->sinks.contains(key)) {
            continue;
        }
        const prometheus::Labels labels{{"sink", lane->sink}, {"url", lane->url}};
        Impl::SinkSeries series;
        series.labels = *lane;
        series.sent = &m_impl->alerts_sent_family.Add(labels);
        series.failures = &m_impl->alert_failures_family.Add(labels);
        series.dropped = &m_impl->alerts_dropped_family.Add(labels);
        series.queue = &m_impl->alert_queue_family.Add(labels);
        m_impl->sinks.emplace(key, series);
    }
}

void DaemonMetrics::count_alert_sent(const std::string& lane) {
    const std::lock_guard lock{m_impl->sinks_mutex};
    if (const auto it = m_impl->sinks.find(lane); it != m_impl->sinks.end()) {
        it->second.sent->Increment();
    }
}

void DaemonMetrics::count_alert_failure(const std::string& lane) {
    const std::lock_guard lock{m_impl->sinks_mutex};
    if (const auto it = m_impl->sinks.find(lane); it != m_impl->sinks.end()) {
        it->second.failures->Increment();
    }
}

void DaemonMetrics::count_alert_dropped(const std::string& lane) {
    const std::lock_guard lock{m_impl->sinks_mutex};
    if (const auto it = m_impl->sinks.find(lane); it != m_impl->sinks.end()) {
        it->second.dropped->Increment();
    }
}

void DaemonMetrics::set_alert_queue(const std::string& lane, std::size_t depth,
                                    std::optional<TimePoint> oldest) {
    const std::lock_guard lock{m_impl->sinks_mutex};
    const auto it = m_impl->sinks.find(lane);
    if (it == m_impl->sinks.end()) {
        return;
    }
    Impl::SinkSeries& series = it->second;
    series.queue->Set(static_cast<double>(depth));
    if (oldest) {
        if (series.oldest == nullptr) {
            series.oldest = &m_impl->alert_oldest_family.Add(
                {{"sink", series.labels.sink}, {"url", series.labels.url}});
        }
        series.oldest->Set(std::chrono::duration<double>(oldest->time_since_epoch()).count());
    } else if (series.oldest != nullptr) {
        m_impl->alert_oldest_family.Remove(series.oldest);
        series.oldest = nullptr;
    }
}

void DaemonMetrics::set_check_lag(std::chrono::duration<double> lag) {
    m_impl->check_lag.Set(std::max(0.0, lag.count()));
}

void DaemonMetrics::set_ses_identity(const IdentityKey& key, const SesDomainIdentity& identity,
                                     const std::vector<SesFinding>& findings) {
    m_impl->ses.set_ses_identity(key, identity, findings);
}

void DaemonMetrics::remove_ses_identity(const IdentityKey& key) {
    m_impl->ses.remove_ses_identity(key);
}

void DaemonMetrics::set_ses_unlisted(const IdentityKey& key,
                                     const std::vector<SesFinding>& findings) {
    m_impl->ses.set_ses_unlisted(key, findings);
}

void DaemonMetrics::set_ses_source(const std::string& account, const std::string& region,
                                   std::size_t identities, std::optional<TimePoint> last_success) {
    m_impl->ses.set_ses_source(account, region, identities, last_success);
}

void DaemonMetrics::remove_ses_source(const std::string& account, const std::string& region) {
    m_impl->ses.remove_ses_source(account, region);
}

void DaemonMetrics::count_ses_api_request(const std::string& account, const std::string& region,
                                          const std::string& operation, const std::string& code) {
    m_impl->ses.count_ses_api_request(account, region, operation, code);
}

std::string DaemonMetrics::render() const {
    return m_impl->render();
}

void DaemonMetrics::set_zone_serial(const std::string& zone, const std::string& server_name,
                                    const std::string& address, std::uint32_t serial) {
    m_impl->dns_health.set_zone_serial(zone, server_name, address, serial);
}

void DaemonMetrics::remove_zone_server(const std::string& zone, const std::string& server_name,
                                       const std::string& address) {
    m_impl->dns_health.remove_zone_server(zone, server_name, address);
}

void DaemonMetrics::remove_zone(const std::string& zone) {
    m_impl->dns_health.remove_zone(zone);
}

void DaemonMetrics::set_dnssec_expiry(const std::string& zone,
                                      std::chrono::system_clock::time_point expiry) {
    m_impl->dns_health.set_dnssec_expiry(zone, expiry);
}

void DaemonMetrics::remove_dnssec_expiry(const std::string& zone) {
    m_impl->dns_health.remove_dnssec_expiry(zone);
}

void DaemonMetrics::add_authoritative_unreachable(std::uint64_t checks) {
    m_impl->dns_health.add_authoritative_unreachable(checks);
}

} // namespace dkimwatch
