// A small program that runs SesSource::sync (aws/ses_source) once or more and prints what came
// back as one JSON document, for test_ses_api.py, which scripts the servers (fake_aws.py,
// moto_server) around it. Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN; with --role-arn they are the base of an STS AssumeRole (ExternalId from the
// environment variable PROBE_EXTERNAL_ID), re-assumed when less than 5 minutes remain.
//
//   ses_sync_probe --endpoint URL --sts-endpoint URL [--region R] [--name N] [--account ID]
//                  [--role-arn ARN] [--page-size N] [--max-rps X] [--timeout-ms N]
//                  [--retry-base-ms N] [--max-attempts N] [--syncs N]
// Output: {"syncs": [{"ok", "error", "inventory": {...} | null}], "requests": [{"operation",
// "code"}], "assume_role_calls": N}. Exit status 0 (the JSON says what happened), 2 bad usage.

#include "aws/ses_source.hpp"
#include "aws/sts_client.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

using namespace dkimwatch;

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

nlohmann::json to_json(const SesInventory& inventory) {
    nlohmann::json domains = nlohmann::json::array();
    for (const SesDomainIdentity& d : inventory.domains) {
        domains.push_back({{"domain", d.domain},
                           {"signing_enabled", d.signing_enabled},
                           {"status", ses_dkim_status_name(d.status)},
                           {"status_text", d.status_text},
                           {"origin", d.origin},
                           {"tokens", d.tokens},
                           {"signing_hosted_zone", d.signing_hosted_zone},
                           {"current_key_length", d.current_key_length},
                           {"email_identities", d.email_identities}});
    }
    return {{"source", inventory.source},
            {"account", inventory.account},
            {"region", inventory.region},
            {"synced_at_ms", inventory.synced_at.time_since_epoch().count()},
            {"domains", domains}};
}

} // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> options{
        {"--region", "us-east-1"}, {"--name", "test"},        {"--page-size", "1000"},
        {"--max-rps", "50"},       {"--timeout-ms", "15000"}, {"--retry-base-ms", "250"},
        {"--max-attempts", "4"},   {"--syncs", "1"}};
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || std::string(argv[i]).rfind("--", 0) != 0) {
            std::cerr << "usage: see the comment at the top of ses_sync_probe.cpp\n";
            return 2;
        }
        options[argv[i]] = argv[i + 1];
    }
    SesAccountConfig account;
    account.name = options["--name"];
    account.account = options["--account"];
    account.endpoint_url = options["--endpoint"];
    account.sts_endpoint_url = options["--sts-endpoint"];
    const std::string region = options["--region"];

    AwsCredentials base;
    base.access_key_id = env("AWS_ACCESS_KEY_ID");
    base.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    base.session_token = env("AWS_SESSION_TOKEN");
    base.source = "environment";

    nlohmann::json requests = nlohmann::json::array();
    std::mutex mutex;
    int assume_role_calls = 0;
    std::optional<AwsCredentials> assumed;
    const std::string role_arn = options["--role-arn"];
    SesSource::CredentialsFunction credentials = [&](TimePoint now) -> Result<AwsCredentials> {
        if (role_arn.empty()) {
            return base;
        }
        if (assumed && assumed->expiration &&
            *assumed->expiration - now > std::chrono::minutes{5}) {
            return *assumed;
        }
        AssumeRoleRequest request{role_arn, env("PROBE_EXTERNAL_ID"), "dkimwatch-test", region,
                                  account.sts_endpoint_url};
        ++assume_role_calls;
        auto fresh = sts_assume_role(base, request);
        if (!fresh) {
            return Error{fresh.error()};
        }
        assumed = *fresh;
        return fresh;
    };

    SesSourceOptions source_options;
    source_options.page_size = std::stoi(options["--page-size"]);
    source_options.request_timeout = std::chrono::milliseconds{std::stoi(options["--timeout-ms"])};
    source_options.retry.base_delay =
        std::chrono::milliseconds{std::stoi(options["--retry-base-ms"])};
    source_options.retry.max_attempts = std::stoi(options["--max-attempts"]);
    SesSource source(account, region, std::stod(options["--max-rps"]), credentials, source_options);

    nlohmann::json syncs = nlohmann::json::array();
    for (int i = 0; i < std::stoi(options["--syncs"]); ++i) {
        const auto now = std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
        auto inventory = source.sync(now, {}, [&](const SesApiRequest& request) {
            const std::lock_guard lock(mutex);
            requests.push_back({{"operation", request.operation}, {"code", request.code}});
        });
        if (inventory) {
            syncs.push_back({{"ok", true}, {"error", ""}, {"inventory", to_json(*inventory)}});
        } else {
            syncs.push_back({{"ok", false}, {"error", inventory.error()}, {"inventory", nullptr}});
        }
    }
    std::cout << nlohmann::json{{"syncs", syncs},
                                {"requests", requests},
                                {"assume_role_calls", assume_role_calls}}
                     .dump()
              << "\n";
    return 0;
}
