#pragma once
// Every `ses.accounts[]` entry times each of its regions: one SES source each. Puts together
// the credential chain (aws/credential_provider, one per account, shared by its regions), STS
// (the account id and AssumeRole, aws/sts_client) and the SES v2 listing (aws/ses_source).
// Used by `discover`, `check` and the daemon's sync thread.
// Thread-safety: one sync() at a time (the daemon's sync thread, or a command's only thread).

#include "aws/credential_environment.hpp"
#include "aws/ses_source.hpp"
#include "config/config.hpp"
#include "core/ses_view.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace dkimwatch {

class AwsPacer;
class CredentialProvider;

// What one sync of one source gave.
struct SesSourceOutcome {
    std::string name;    // the ses.accounts[].name
    std::string region;  // one of its regions
    std::string account; // the account id once known (configured or from STS); "" before
    std::optional<SesInventory> inventory; // set when the sync succeeded
    std::string error; // why it failed, naming the IAM action where one is missing; no secret
    bool ok() const { return inventory.has_value(); }
};

class SesSources {
public:
    // One API attempt of a source: its account id (the ses.accounts name while the id is not
    // known yet), its region, and the attempt.
    using RequestObserver = std::function<void(
        const std::string& account, const std::string& region, const SesApiRequest& request)>;

    SesSources(const SesSettings& settings, AwsEnvironment environment);
    ~SesSources();
    SesSources(const SesSources&) = delete;
    SesSources& operator=(const SesSources&) = delete;

    // Account x region pairs, in configuration order.
    std::size_t size() const { return m_sources.size(); }
    const std::string& name(std::size_t index) const { return m_sources[index].name; }
    const std::string& region(std::size_t index) const { return m_sources[index].region; }
    // The account id when configured or learnt by an earlier sync; "" otherwise.
    std::string account(std::size_t index) const;

    // Lists source `index` once (blocking; paced to max_rps; retries inside). `on_request` gets
    // every API attempt of the listing when it ends, under the source's account id (its name
    // while the id is unknown).
    SesSourceOutcome sync(std::size_t index, TimePoint now, std::stop_token stop,
                          const RequestObserver& on_request = {});
    // Every source in turn.
    std::vector<SesSourceOutcome> sync_all(TimePoint now, std::stop_token stop,
                                           const RequestObserver& on_request = {});

private:
    struct Source {
        std::string name;
        std::string region;
        std::string configured_account;
        std::string learnt_account; // from the last good inventory
        std::unique_ptr<SesSource> source;
    };
    std::vector<std::unique_ptr<AwsPacer>> m_sts_pacers;          // one per account entry
    std::vector<std::unique_ptr<CredentialProvider>> m_providers; // one per account entry
    std::vector<Source> m_sources;
    // The sync in progress: its stop token, and its API attempts (the credential chain's STS
    // calls included), reported when it ends.
    std::stop_token m_syncing_stop;
    std::vector<SesApiRequest> m_syncing_requests;
};

} // namespace dkimwatch
