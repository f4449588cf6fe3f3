#include "app/ses_sources.hpp"

#include "aws/aws_call.hpp"
#include "aws/credential_provider.hpp"
#include "aws/sts_client.hpp"

#include <utility>

namespace dkimwatch {

SesSources::SesSources(const SesSettings& settings, AwsEnvironment environment) {
    for (const auto& account : settings.accounts) {
        // AssumeRole calls are paced (STS's own budget: one per second) and counted under the
        // source whose listing asked for the credentials.
        m_sts_pacers.push_back(std::make_unique<AwsPacer>(1.0));
        AwsPacer* pacer = m_sts_pacers.back().get();
        m_providers.push_back(std::make_unique<CredentialProvider>(
            account, environment,
            [this, pacer](const AwsCredentials& base, const AssumeRoleRequest& request) {
                AwsCallContext context;
                context.pacer = pacer;
                context.stop = m_syncing_stop;
                context.on_attempt = [this](const std::string& operation,
                                            const AwsAttempt& attempt) {
                    m_syncing_requests.push_back(SesApiRequest{operation, attempt.code});
                };
                return sts_assume_role(base, request, context);
            }));
        CredentialProvider* provider = m_providers.back().get();
        for (const auto& region : account.regions) {
            Source source;
            source.name = account.name;
            source.region = region;
            source.configured_account = account.account;
            source.source = std::make_unique<SesSource>(
                account, region, settings.max_rps,
                [provider](TimePoint now) { return provider->credentials(now); });
            m_sources.push_back(std::move(source));
        }
    }
}

SesSources::~SesSources() = default;

std::string SesSources::account(std::size_t index) const {
    const Source& source = m_sources[index];
    return source.configured_account.empty() ? source.learnt_account : source.configured_account;
}

SesSourceOutcome SesSources::sync(std::size_t index, TimePoint now, std::stop_token stop,
                                  const RequestObserver& on_request) {
    Source& source = m_sources[index];
    m_syncing_stop = stop;
    m_syncing_requests.clear();
    SesSourceOutcome outcome;
    outcome.name = source.name;
    outcome.region = source.region;
    auto listed = source.source->sync(now, std::move(stop), [this](const SesApiRequest& request) {
        m_syncing_requests.push_back(request);
    });
    if (listed) {
        source.learnt_account = listed->account;
        outcome.inventory = std::move(listed).value();
    } else {
        outcome.error = listed.error();
    }
    outcome.account = account(index);
    // Reported once the listing is over, so that every request of a source carries the same
    // account label (the id is learnt from GetCallerIdentity during the first listing).
    if (on_request) {
        const std::string& label = outcome.account.empty() ? source.name : outcome.account;
        for (const auto& request : m_syncing_requests) {
            on_request(label, source.region, request);
        }
    }
    m_syncing_requests.clear();
    return outcome;
}

std::vector<SesSourceOutcome> SesSources::sync_all(TimePoint now, std::stop_token stop,
                                                   const RequestObserver& on_request) {
    std::vector<SesSourceOutcome> outcomes;
    outcomes.reserve(m_sources.size());
    for (std::size_t index = 0; index < m_sources.size(); ++index) {
        outcomes.push_back(sync(index, now, stop, on_request));
    }
    return outcomes;
}

} // namespace dkimwatch
