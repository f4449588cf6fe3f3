#include "aws/ses_source.hpp"

#include "aws/ses_client.hpp"
#include "aws/sts_client.hpp"
#include "core/dns_name.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace dkimwatch {
namespace {

// The domain part of an address, canonical; "" when there is none.
std::string address_domain(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : canonical_name(address.substr(at + 1));
}

} // namespace

SesSource::SesSource(SesAccountConfig account, std::string region, double max_rps,
                     CredentialsFunction credentials, SesSourceOptions options)
    : m_account(std::move(account)), m_region(std::move(region)),
      m_credentials(std::move(credentials)), m_options(options), m_pacer(max_rps),
      m_account_id(m_account.account) {}

Result<SesInventory> SesSource::sync(TimePoint now, std::stop_token stop,
                                     const std::function<void(const SesApiRequest&)>& on_request) {
    const std::string where = m_account.name + "/" + m_region + ": ";
    auto credentials = m_credentials(now);
    if (!credentials) {
        return Error{where + "no AWS credentials: " + credentials.error()};
    }

    AwsCallContext context;
    context.pacer = &m_pacer;
    context.policy = m_options.retry;
    context.stop = stop;
    context.timeout = m_options.request_timeout;
    context.on_attempt = [&](const std::string& operation, const AwsAttempt& attempt) {
        if (on_request) {
            on_request(SesApiRequest{operation, attempt.code});
        }
    };

    // Runs `call` (which uses *credentials); when it fails on an expired session token, asks
    // for credentials again and, if they differ, runs it once more.
    const auto with_refresh = [&](auto&& call) {
        auto result = call();
        if (!result && context.last_outcome == AwsOutcome::expired_token) {
            auto fresh = m_credentials(now);
            if (fresh && (fresh->access_key_id != credentials->access_key_id ||
                          fresh->session_token != credentials->session_token)) {
                credentials = std::move(fresh);
                result = call();
            }
        }
        return result;
    };

    if (m_account_id.empty()) {
        auto account = with_refresh([&] {
            return sts_get_caller_identity(*credentials, m_region, m_account.sts_endpoint_url,
                                           context);
        });
        if (!account) {
            return Error{where + account.error()};
        }
        m_account_id = std::move(account).value();
    }

    const SesClient client(m_region, m_account.endpoint_url, m_options.page_size);
    std::map<std::string, std::string> domains; // canonical -> the name as SES listed it
    std::vector<std::string> addresses;
    std::set<std::string> seen_tokens;
    std::string next_token;
    for (std::size_t page_number = 0;; ++page_number) {
        if (page_number >= m_options.max_pages) {
            return Error{where + "ListEmailIdentities: more than " +
                         std::to_string(m_options.max_pages) + " pages"};
        }
        auto page = with_refresh(
            [&] { return client.list_identities_page(*credentials, next_token, context); });
        if (!page) {
            return Error{where + page.error()};
        }
        for (const SesListedIdentity& listed : page->identities) {
            if (listed.type == "DOMAIN") {
                if (const auto reason = invalid_domain_reason(listed.name)) {
                    return Error{where +
                                 "ListEmailIdentities: a DOMAIN identity is not a domain "
                                 "name (" +
                                 *reason + ")"};
                }
                domains.emplace(canonical_name(listed.name), listed.name);
            } else if (listed.type == "EMAIL_ADDRESS") {
                addresses.push_back(listed.name);
            }
        }
        if (page->next_token.empty()) {
            break;
        }
        if (!seen_tokens.insert(page->next_token).second) {
            return Error{where + "ListEmailIdentities: SES returned the same NextToken twice"};
        }
        next_token = page->next_token;
    }

    std::map<std::string, std::vector<std::string>> addresses_by_domain;
    for (const std::string& address : addresses) {
        if (const std::string domain = address_domain(address); domains.contains(domain)) {
            addresses_by_domain[domain].push_back(address);
        }
    }

    SesInventory inventory;
    inventory.source = m_account.name;
    inventory.account = m_account_id;
    inventory.region = m_region;
    for (const auto& entry : domains) {
        const auto& domain = entry.first;
        // Fetched under the name as listed (entry.second): SES's names are not always
        // lowercase. (A named variable, not a structured binding: clang 14, which builds the
        // fuzzers, cannot capture one in a lambda.)
        const std::string& listed_name = entry.second;
        auto identity = with_refresh(
            [&] { return client.get_domain_identity(*credentials, listed_name, context); });
        if (!identity) {
            return Error{where + identity.error()};
        }
        if (!identity->has_value()) {
            continue; // deleted between the listing and now
        }
        SesDomainIdentity found = std::move(**identity);
        found.domain = domain;
        if (const auto it = addresses_by_domain.find(domain); it != addresses_by_domain.end()) {
            found.email_identities = it->second;
            std::sort(found.email_identities.begin(), found.email_identities.end());
            found.email_identities.erase(
                std::unique(found.email_identities.begin(), found.email_identities.end()),
                found.email_identities.end());
        }
        inventory.domains.push_back(std::move(found));
    }
    inventory.synced_at =
        std::max(now, std::chrono::floor<Milliseconds>(std::chrono::system_clock::now()));
    return inventory;
}

} // namespace dkimwatch
