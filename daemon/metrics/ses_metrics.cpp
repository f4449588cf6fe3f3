#include "metrics/ses_metrics.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <utility>

namespace dkimwatch {

namespace {

using SourceKey = std::pair<std::string, std::string>; // (account, region)

double seconds_since_epoch(TimePoint time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

} // namespace

struct SesMetrics::Impl {
    explicit Impl(prometheus::Registry& registry)
        : status_family(prometheus::BuildGauge()
                            .Name("dkimwatch_ses_dkim_status")
                            .Help("1 for the DKIM status SES reports for the identity "
                                  "(DkimAttributes.Status).")
                            .Register(registry)),
          signing_family(prometheus::BuildGauge()
                             .Name("dkimwatch_ses_signing_enabled")
                             .Help("1 if SES signs the identity's mail with DKIM "
                                   "(DkimAttributes.SigningEnabled), else 0.")
                             .Register(registry)),
          finding_family(prometheus::BuildGauge()
                             .Name("dkimwatch_ses_finding")
                             .Help("1 while a cross-check finding between SES, the configuration "
                                   "and DNS holds for the identity.")
                             .Register(registry)),
          identities_family(prometheus::BuildGauge()
                                .Name("dkimwatch_ses_identities")
                                .Help("DOMAIN identities SES lists for the account and region.")
                                .Register(registry)),
          last_success_family(prometheus::BuildGauge()
                                  .Name("dkimwatch_ses_sync_last_success_timestamp_seconds")
                                  .Help("Unix time of the last complete SES listing of the "
                                        "account and region.")
                                  .Register(registry)),
          requests_family(prometheus::BuildCounter()
                              .Name("dkimwatch_ses_api_requests_total")
                              .Help("SES v2 and STS API requests by operation and HTTP status "
                                    "(\"error\": no response).")
                              .Register(registry)) {}

    prometheus::Family<prometheus::Gauge>& status_family;
    prometheus::Family<prometheus::Gauge>& signing_family;
    prometheus::Family<prometheus::Gauge>& finding_family;
    prometheus::Family<prometheus::Gauge>& identities_family;
    prometheus::Family<prometheus::Gauge>& last_success_family;
    prometheus::Family<prometheus::Counter>& requests_family;

    struct IdentitySeries {
        std::string status_name;
        prometheus::Gauge* status = nullptr;
        prometheus::Gauge* signing = nullptr;
        std::map<std::string, prometheus::Gauge*> findings; // by finding code name
    };
    struct SourceSeries {
        prometheus::Gauge* identities = nullptr;
        prometheus::Gauge* last_success = nullptr;
        // (operation, code) -> counter
        std::map<std::pair<std::string, std::string>, prometheus::Counter*> requests;
    };

    // Guards both maps (prometheus-cpp guards each family and metric itself).
    std::mutex mutex;
    std::map<IdentityKey, IdentitySeries> identities;
    std::map<SourceKey, SourceSeries> sources;

    static prometheus::Labels identity_labels(const IdentityKey& key) {
        return {{"account", key.account}, {"region", key.region}, {"domain", key.domain}};
    }

    void remove(IdentitySeries& series) {
        if (series.status != nullptr) {
            status_family.Remove(series.status);
        }
        if (series.signing != nullptr) {
            signing_family.Remove(series.signing);
        }
        for (auto& [code, gauge] : series.findings) {
            finding_family.Remove(gauge);
        }
    }

    // Keeps one finding series per distinct code of `findings`, removing the others.
    void set_findings(IdentitySeries& series, const prometheus::Labels& labels,
                      const std::vector<SesFinding>& findings) {
        std::map<std::string, prometheus::Gauge*> kept;
        for (const SesFinding& finding : findings) {
            const std::string code = ses_finding_code_name(finding.code);
            if (kept.contains(code)) {
                continue;
            }
            if (auto old = series.findings.find(code); old != series.findings.end()) {
                kept.emplace(code, old->second);
                series.findings.erase(old);
                continue;
            }
            auto finding_labels = labels;
            finding_labels.emplace("finding", code);
            auto& gauge = finding_family.Add(finding_labels);
            gauge.Set(1);
            kept.emplace(code, &gauge);
        }
        for (auto& [code, gauge] : series.findings) {
            finding_family.Remove(gauge);
        }
        series.findings = std::move(kept);
    }

    SourceSeries& source(const std::string& account, const std::string& region) {
        return sources[SourceKey{account, region}];
    }
};

SesMetrics::SesMetrics(prometheus::Registry& registry) : m_impl(std::make_unique<Impl>(registry)) {}

SesMetrics::~SesMetrics() = default;

void SesMetrics::set_ses_identity(const IdentityKey& key, const SesDomainIdentity& identity,
                                  const std::vector<SesFinding>& findings) {
    const prometheus::Labels labels = Impl::identity_labels(key);
    const std::lock_guard lock{m_impl->mutex};
    auto& series = m_impl->identities[key];

    const std::string status_name = ses_dkim_status_name(identity.status);
    if (series.status == nullptr || series.status_name != status_name) {
        if (series.status != nullptr) {
            m_impl->status_family.Remove(series.status);
        }
        auto status_labels = labels;
        status_labels.emplace("status", status_name);
        series.status = &m_impl->status_family.Add(status_labels);
        series.status->Set(1);
        series.status_name = status_name;
    }

    if (series.signing == nullptr) {
        series.signing = &m_impl->signing_family.Add(labels);
    }
    series.signing->Set(identity.signing_enabled ? 1 : 0);

    m_impl->set_findings(series, labels, findings);
}

void SesMetrics::remove_ses_identity(const IdentityKey& key) {
    const std::lock_guard lock{m_impl->mutex};
    const auto it = m_impl->identities.find(key);
    if (it == m_impl->identities.end()) {
        return;
    }
    m_impl->remove(it->second);
    m_impl->identities.erase(it);
}

void SesMetrics::set_ses_unlisted(const IdentityKey& key, const std::vector<SesFinding>& findings) {
    const std::lock_guard lock{m_impl->mutex};
    if (findings.empty()) {
        if (const auto it = m_impl->identities.find(key); it != m_impl->identities.end()) {
            m_impl->remove(it->second);
            m_impl->identities.erase(it);
        }
        return;
    }
    auto& series = m_impl->identities[key];
    if (series.status != nullptr) {
        m_impl->status_family.Remove(series.status);
        series.status = nullptr;
        series.status_name.clear();
    }
    if (series.signing != nullptr) {
        m_impl->signing_family.Remove(series.signing);
        series.signing = nullptr;
    }
    m_impl->set_findings(series, Impl::identity_labels(key), findings);
}

void SesMetrics::set_ses_source(const std::string& account, const std::string& region,
                                std::size_t identities, std::optional<TimePoint> last_success) {
    const prometheus::Labels labels{{"account", account}, {"region", region}};
    const std::lock_guard lock{m_impl->mutex};
    auto& series = m_impl->source(account, region);
    if (series.identities == nullptr) {
        series.identities = &m_impl->identities_family.Add(labels);
    }
    series.identities->Set(static_cast<double>(identities));
    if (last_success) {
        if (series.last_success == nullptr) {
            series.last_success = &m_impl->last_success_family.Add(labels);
        }
        series.last_success->Set(seconds_since_epoch(*last_success));
    }
}

void SesMetrics::remove_ses_source(const std::string& account, const std::string& region) {
    const std::lock_guard lock{m_impl->mutex};
    const auto it = m_impl->sources.find(SourceKey{account, region});
    if (it == m_impl->sources.end()) {
        return;
    }
    auto& series = it->second;
    if (series.identities != nullptr) {
        m_impl->identities_family.Remove(series.identities);
    }
    if (series.last_success != nullptr) {
        m_impl->last_success_family.Remove(series.last_success);
    }
    for (auto& [labels, counter] : series.requests) {
        m_impl->requests_family.Remove(counter);
    }
    m_impl->sources.erase(it);
}

void SesMetrics::count_ses_api_request(const std::string& account, const std::string& region,
                                       const std::string& operation, const std::string& code) {
    const std::lock_guard lock{m_impl->mutex};
    auto& series = m_impl->source(account, region);
    auto& counter = series.requests[{operation, code}];
    if (counter == nullptr) {
        counter = &m_impl->requests_family.Add(
            {{"account", account}, {"region", region}, {"operation", operation}, {"code", code}});
    }
    counter->Increment();
}

} // namespace dkimwatch
