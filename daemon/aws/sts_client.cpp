#include "aws/sts_client.hpp"

#include "aws/sts_xml.hpp"

namespace dkimwatch {
namespace {

constexpr const char* k_sts_version = "2011-06-15";
constexpr const char* k_form_type = "application/x-www-form-urlencoded";

AwsRequest sts_post(const std::string& region, const std::string& sts_endpoint_url, AwsQuery form) {
    AwsRequest request;
    request.method = "POST";
    request.endpoint_url =
        sts_endpoint_url.empty() ? default_sts_endpoint(region) : sts_endpoint_url;
    request.path = "/";
    request.body = aws_query_string(std::move(form));
    request.content_type = k_form_type;
    request.accept = "text/xml";
    request.region = region;
    request.service = "sts";
    return request;
}

} // namespace

std::string default_sts_endpoint(const std::string& region) {
    return "https://sts." + region + ".amazonaws.com";
}

AwsRequest sts_assume_role_request(const AssumeRoleRequest& request) {
    AwsQuery form{{"Action", "AssumeRole"},
                  {"Version", k_sts_version},
                  {"RoleArn", request.role_arn},
                  {"RoleSessionName", request.session_name},
                  {"DurationSeconds", "3600"}};
    if (!request.external_id.empty()) {
        form.emplace_back("ExternalId", request.external_id);
    }
    return sts_post(request.region, request.sts_endpoint_url, std::move(form));
}

AwsRequest sts_get_caller_identity_request(const std::string& region,
                                           const std::string& sts_endpoint_url) {
    return sts_post(region, sts_endpoint_url,
                    {{"Action", "GetCallerIdentity"}, {"Version", k_sts_version}});
}

Result<AwsCredentials> sts_assume_role(const AwsCredentials& base, const AssumeRoleRequest& request,
                                       AwsCallContext& context) {
    AwsRequest http = sts_assume_role_request(request);
    http.timeout = context.timeout;
    const AwsOperation operation{"AssumeRole", "sts:AssumeRole on " + request.role_arn, true};
    const AwsCallResult call = call_aws(
        operation, [&] { return send_aws_request(http, base, context.stop); }, context);
    if (!call.error.empty()) {
        return Error{call.error};
    }
    auto credentials = parse_assume_role_response(call.response.body, request.role_arn);
    if (!credentials) {
        return Error{"AssumeRole " + request.role_arn + ": " + credentials.error()};
    }
    return credentials;
}

Result<std::string> sts_get_caller_identity(const AwsCredentials& credentials,
                                            const std::string& region,
                                            const std::string& sts_endpoint_url,
                                            AwsCallContext& context) {
    AwsRequest http = sts_get_caller_identity_request(region, sts_endpoint_url);
    http.timeout = context.timeout;
    const AwsOperation operation{"GetCallerIdentity", "sts:GetCallerIdentity", true};
    const AwsCallResult call = call_aws(
        operation, [&] { return send_aws_request(http, credentials, context.stop); }, context);
    if (!call.error.empty()) {
        return Error{call.error};
    }
    return parse_caller_identity_response(call.response.body);
}

Result<AwsCredentials> sts_assume_role(const AwsCredentials& base,
                                       const AssumeRoleRequest& request) {
    AwsPacer pacer(1.0);
    AwsCallContext context;
    context.pacer = &pacer;
    return sts_assume_role(base, request, context);
}

Result<std::string> sts_get_caller_identity(const AwsCredentials& credentials,
                                            const std::string& region,
                                            const std::string& sts_endpoint_url) {
    AwsPacer pacer(1.0);
    AwsCallContext context;
    context.pacer = &pacer;
    return sts_get_caller_identity(credentials, region, sts_endpoint_url, context);
}

} // namespace dkimwatch
