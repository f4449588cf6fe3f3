#pragma once
// SES v2 calls: ListEmailIdentities (one page) and GetEmailIdentity (one DOMAIN identity),
// signed with service "ses", paced and retried through an AwsCallContext. EMAIL_ADDRESS
// identities are never fetched one by one: their '@' is signed wrongly by curl 7.88.1.

#include "aws/aws_call.hpp"
#include "aws/aws_credentials.hpp"
#include "aws/ses_json.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>

namespace dkimwatch {

// "https://email.<region>.amazonaws.com".
std::string default_ses_endpoint(const std::string& region);

// GET /v2/email/identities?NextToken=..&PageSize=.. (pure). An empty next_token and a
// page_size <= 0 are left out.
AwsRequest ses_list_identities_request(const std::string& endpoint_url, const std::string& region,
                                       const std::string& next_token, int page_size);
// GET /v2/email/identities/<domain> (pure); an error when `domain` is not a plain domain name
// (an address, '%', '/'), which is then never sent.
Result<AwsRequest> ses_get_identity_request(const std::string& endpoint_url,
                                            const std::string& region, const std::string& domain);

class SesClient {
public:
    // endpoint_url "" = default_ses_endpoint(region).
    SesClient(std::string region, std::string endpoint_url, int page_size = k_ses_page_size);

    // One page; next_token "" for the first.
    Result<SesIdentityPage> list_identities_page(const AwsCredentials& credentials,
                                                 const std::string& next_token,
                                                 AwsCallContext& context) const;
    // One DOMAIN identity; nullopt when SES answers NotFoundException (deleted since listed).
    Result<std::optional<SesDomainIdentity>> get_domain_identity(const AwsCredentials& credentials,
                                                                 const std::string& domain,
                                                                 AwsCallContext& context) const;

    const std::string& endpoint_url() const { return m_endpoint_url; }

private:
    std::string m_region;
    std::string m_endpoint_url;
    int m_page_size;
};

} // namespace dkimwatch
