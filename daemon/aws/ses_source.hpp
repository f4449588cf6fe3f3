#pragma once
// One account/region of SES as a source of identities: the only thing the daemon calls.
// sync() lists every identity (all pages), fetches each DOMAIN identity, attaches the
// EMAIL_ADDRESS identities to their domain and resolves the account id. Blocking; paced to
// max_rps; 429/throttling, 5xx and transport failures retried with exponential backoff and
// jitter within a bounded time; a 403 stops the sync with an error naming the missing IAM action.

#include "aws/aws_call.hpp"
#include "aws/aws_credentials.hpp"
#include "config/config.hpp"
#include "core/result.hpp"
#include "core/ses_view.hpp"

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

namespace dkimwatch {

// One HTTP attempt, for the metric dkimwatch_ses_api_requests_total.
struct SesApiRequest {
    // "ListEmailIdentities", "GetEmailIdentity", "GetCallerIdentity", "AssumeRole".
    std::string operation;
    // The HTTP status as text ("200", "429", "403", "500") or "network"/"timeout".
    std::string code;
};

// Tuning that tests change; the defaults are what the daemon uses.
struct SesSourceOptions {
    int page_size = k_ses_page_size; // PageSize of ListEmailIdentities; <= 0 leaves it out
    AwsRetryPolicy retry;
    std::chrono::milliseconds request_timeout = k_aws_request_timeout;
    std::size_t max_pages = 10'000; // a guard against a NextToken that never ends
};

class SesSource {
public:
    using CredentialsFunction = std::function<Result<AwsCredentials>(TimePoint now)>;

    SesSource(SesAccountConfig account, std::string region, double max_rps,
              CredentialsFunction credentials, SesSourceOptions options = {});

    // The inventory of this account and region at `now` (synced_at is the wall clock when the
    // listing completed, not earlier than `now`), or why not. `on_request` is called once per
    // HTTP attempt. A session token that SES or STS call expired makes it ask `credentials`
    // once more and retry the call once with what it gives.
    Result<SesInventory> sync(TimePoint now, std::stop_token stop,
                              const std::function<void(const SesApiRequest&)>& on_request);

    const std::string& region() const { return m_region; }
    const SesAccountConfig& account() const { return m_account; }

private:
    SesAccountConfig m_account;
    std::string m_region;
    CredentialsFunction m_credentials;
    SesSourceOptions m_options;
    AwsPacer m_pacer;
    std::string m_account_id; // configured, or from GetCallerIdentity (cached)
};

} // namespace dkimwatch
