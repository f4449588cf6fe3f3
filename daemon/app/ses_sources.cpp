#include "app/ses_sources.hpp"

#include "aws/credential_provider.hpp"
#include "aws/sts_client.hpp"

#include <utility>

namespace dkimwatch {

SesSources::SesSources(const SesSettings& settings, AwsEnvironment environment) {
    for (const auto& account : settings.accounts) {
        m_providers.push_back(std::make_unique<CredentialProvider>(
            account, environment, [](const AwsCredentials& base, const AssumeRoleRequest& request) {
                return sts_assume_role(base, request);
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
    SesSourceOutcome outcome;
    outcome.name = source.name;
    outcome.region = source.region;
    auto listed = source.source->sync(now, std::move(stop), [&](const SesApiRequest& request) {
        if (on_request) {
            const std::string id = account(index);
            on_request(id.empty() ? source.name : id, source.region, request);
        }
    });
    if (listed) {
        source.learnt_account = listed->account;
        outcome.inventory = std::move(listed).value();
    } else {
        outcome.error = listed.error();
    }
    outcome.account = account(index);
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
