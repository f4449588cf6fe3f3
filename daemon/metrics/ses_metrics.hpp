#pragma once
// The SES source's metric families, registered in the DaemonMetrics registry (DaemonMetrics
// forwards its set_ses_* functions here). Internal to dkimwatch_metrics: include it only from
// .cpp files (it names prometheus-cpp types).
//
// Families (names and labels are a public contract, see the README's metrics reference):
//   dkimwatch_ses_dkim_status{account,region,domain,status}   gauge, 1 for SES's current DKIM
//       status (ses_dkim_status_name: PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE, NOT_STARTED,
//       UNKNOWN); exactly one series per identity: a change of status replaces it
//   dkimwatch_ses_signing_enabled{account,region,domain}      gauge 0/1, SigningEnabled
//   dkimwatch_ses_finding{account,region,domain,finding}      gauge, 1 while the finding holds
//       (ses_finding_code_name); the series is removed when it no longer holds
//   dkimwatch_ses_identities{account,region}                  gauge, DOMAIN identities listed
//   dkimwatch_ses_sync_last_success_timestamp_seconds{account,region}
//                                                             gauge, Unix time of the last
//       complete listing; absent until one is known
//   dkimwatch_ses_api_requests_total{account,region,operation,code}
//                                                             counter, SES v2/STS requests
// The `account` label is the 12-digit AWS account id (IdentityKey::account), `region` the AWS
// region. A removed identity or source loses every series.
//
// Thread-safety: every member function may be called from any thread, concurrently with each
// other and with scrapes.

#include "core/identity.hpp"
#include "core/ses_view.hpp"
#include "core/state_machine.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace dkimwatch {

class SesMetrics {
public:
    // Registers the six families in `registry`, which must outlive this object.
    explicit SesMetrics(prometheus::Registry& registry);
    ~SesMetrics();
    SesMetrics(const SesMetrics&) = delete;
    SesMetrics& operator=(const SesMetrics&) = delete;

    // Replaces what is exported for the identity `key` (key.domain not empty): its status series
    // (the old one is removed when the status changed), signing_enabled, and one finding series
    // per distinct code in `findings` (codes no longer present are removed).
    void set_ses_identity(const IdentityKey& key, const SesDomainIdentity& identity,
                          const std::vector<SesFinding>& findings);
    // Drops every SES series of the identity. Unknown keys are ignored.
    void remove_ses_identity(const IdentityKey& key);
    // An identity that SES does not list (in an account and region a source covers): only its
    // finding series (not_in_ses), no status or signing series; empty findings drop everything.
    void set_ses_unlisted(const IdentityKey& key, const std::vector<SesFinding>& findings);

    // One account/region: how many DOMAIN identities it lists, and when its last complete
    // listing was (nullopt: leaves the timestamp as it is, absent if never set; a saved
    // inventory's synced_at after a restart is a good value).
    void set_ses_source(const std::string& account, const std::string& region,
                        std::size_t identities, std::optional<TimePoint> last_success);
    // Drops the source's identities and timestamp series, and its request counters.
    void remove_ses_source(const std::string& account, const std::string& region);

    // One SES v2 or STS request: `operation` is the API action ("ListEmailIdentities",
    // "GetEmailIdentity", "GetCallerIdentity", "AssumeRole"); `code` the HTTP status as text
    // ("200", "429", "403", ...) or "error" when no response came (connection, timeout).
    void count_ses_api_request(const std::string& account, const std::string& region,
                               const std::string& operation, const std::string& code);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
