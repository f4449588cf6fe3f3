#include "aws/ses_client.hpp"

#include "core/dns_name.hpp"

namespace dkimwatch {
namespace {

constexpr const char* k_identities_path = "/v2/email/identities";

AwsRequest ses_get(const std::string& endpoint_url, const std::string& region) {
    AwsRequest request;
    request.method = "GET";
    request.endpoint_url = endpoint_url.empty() ? default_ses_endpoint(region) : endpoint_url;
    request.accept = "application/json";
    request.region = region;
    request.service = "ses";
    return request;
}

} // namespace

std::string default_ses_endpoint(const std::string& region) {
    return "https://email." + region + ".amazonaws.com";
}

AwsRequest ses_list_identities_request(const std::string& endpoint_url, const std::string& region,
                                       const std::string& next_token, int page_size) {
    AwsRequest request = ses_get(endpoint_url, region);
    request.path = k_identities_path;
    if (!next_token.empty()) {
        request.query.emplace_back("NextToken", next_token);
    }
    if (page_size > 0) {
        request.query.emplace_back("PageSize", std::to_string(page_size));
    }
    return request;
}

Result<AwsRequest> ses_get_identity_request(const std::string& endpoint_url,
                                            const std::string& region, const std::string& domain) {
    if (const auto reason = invalid_domain_reason(domain)) {
        return Error{"GetEmailIdentity: not a domain name (" + *reason + ")"};
    }
    AwsRequest request = ses_get(endpoint_url, region);
    // As given (SES may list "Example.com"); a trailing dot is not part of SES's name.
    std::string name = domain;
    if (!name.empty() && name.back() == '.') {
        name.pop_back();
    }
    request.path = std::string(k_identities_path) + "/" + name;
    if (const auto problem = aws_path_problem(request.path)) {
        return Error{"GetEmailIdentity: " + *problem};
    }
    return request;
}

SesClient::SesClient(std::string region, std::string endpoint_url, int page_size)
    : m_region(std::move(region)),
      m_endpoint_url(endpoint_url.empty() ? default_ses_endpoint(m_region)
                                          : std::move(endpoint_url)),
      m_page_size(page_size) {}

Result<SesIdentityPage> SesClient::list_identities_page(const AwsCredentials& credentials,
                                                        const std::string& next_token,
                                                        AwsCallContext& context) const {
    AwsRequest request =
        ses_list_identities_request(m_endpoint_url, m_region, next_token, m_page_size);
    request.timeout = context.timeout;
    const AwsOperation operation{"ListEmailIdentities", "ses:ListEmailIdentities", false};
    const AwsCallResult call = call_aws(
        operation, [&] { return send_aws_request(request, credentials, context.stop); }, context);
    if (!call.error.empty()) {
        return Error{call.error};
    }
    return parse_list_email_identities(call.response.body);
}

Result<std::optional<SesDomainIdentity>>
SesClient::get_domain_identity(const AwsCredentials& credentials, const std::string& domain,
                               AwsCallContext& context) const {
    auto request = ses_get_identity_request(m_endpoint_url, m_region, domain);
    if (!request) {
        return Error{request.error()};
    }
    request.value().timeout = context.timeout;
    const AwsOperation operation{"GetEmailIdentity", "ses:GetEmailIdentity", false};
    const AwsCallResult call = call_aws(
        operation, [&] { return send_aws_request(*request, credentials, context.stop); }, context);
    if (call.response.status == 404) {
        const AwsErrorInfo error =
            parse_aws_json_error(call.response.error_type, call.response.body);
        if (error.code == "NotFoundException") {
            context.last_outcome = AwsOutcome::ok;
            return std::optional<SesDomainIdentity>{};
        }
    }
    if (!call.error.empty()) {
        return Error{call.error};
    }
    auto identity = parse_get_email_identity(domain, call.response.body);
    if (!identity) {
        return Error{identity.error()};
    }
    return std::optional<SesDomainIdentity>(std::move(identity).value());
}

} // namespace dkimwatch
