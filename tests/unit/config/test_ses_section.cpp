#include "config/config_loader.hpp"
#include "config/ses_section.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <variant>
#include <vector>

namespace dkimwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using config_reading::invalid_endpoint_url_reason;
using config_reading::invalid_role_arn_reason;

const fs::path k_cases_dir = fs::path(DKIMWATCH_TEST_DATA_DIR) / "config_cases";

Config loaded(const ConfigLoadResult& result) {
    if (const auto* errors = std::get_if<std::vector<ConfigError>>(&result)) {
        std::string all;
        for (const ConfigError& error : *errors) {
            all += error.to_string() + "\n";
        }
        ADD_FAILURE() << "unexpected errors:\n" << all;
        return {};
    }
    return std::get<Config>(result);
}

TEST(SesSection, EveryKeyReachesTheSettings) {
    const Config config = loaded(load_config_file(k_cases_dir / "good" / "ses.yaml"));
    EXPECT_TRUE(config.identities.empty()); // SES is the only source here
    const SesSettings& ses = config.ses;
    EXPECT_EQ(ses.sync_interval, 5min);
    EXPECT_EQ(ses.max_rps, 0.5);
    ASSERT_EQ(ses.accounts.size(), 2U);

    const SesAccountConfig& prod = ses.accounts[0];
    EXPECT_EQ(prod.name, "prod");
    EXPECT_EQ(prod.regions, (std::vector<std::string>{"us-east-1", "eu-west-1", "mars-north-9"}));
    EXPECT_EQ(prod.account, "011122223333"); // quoted: the leading zero stays
    EXPECT_TRUE(prod.has_credentials_block);
    EXPECT_EQ(prod.credentials.profile, "prod.read+1");
    EXPECT_EQ(prod.credentials.role_arn,
              "arn:aws-cn:iam::111122223333:role/team/ops/dkimwatch-read");
    EXPECT_EQ(prod.credentials.external_id, "s3cr3t-External.ID:1/2@x=y+z"); // newline stripped
    EXPECT_EQ(prod.credentials.external_id_file,
              (k_cases_dir / "secrets" / "external-id").lexically_normal().string());
    EXPECT_EQ(prod.endpoint_url, "http://127.0.0.1:4566");
    EXPECT_EQ(prod.sts_endpoint_url, "https://[::1]:8443");

    const SesAccountConfig& staging = ses.accounts[1];
    EXPECT_EQ(staging.name, "staging_2");
    EXPECT_EQ(staging.regions, std::vector<std::string>{"eu-central-1"});
    EXPECT_EQ(staging.account, "");
    EXPECT_FALSE(staging.has_credentials_block);
    EXPECT_EQ(staging.credentials.external_id, "");
    EXPECT_EQ(staging.endpoint_url, "");
    EXPECT_EQ(staging.sts_endpoint_url, "");

    // An unknown but well-formed region is accepted with a warning, as in identities.
    ASSERT_EQ(config.warnings.size(), 1U);
    EXPECT_EQ(config.warnings[0].line, 7);
    EXPECT_EQ(config.warnings[0].column, 39);
    EXPECT_EQ(config.warnings[0].message,
              "ses.accounts[0].regions[2]: region \"mars-north-9\" is not in dkimwatch's table "
              "of SES regions; accepted as a region SES launched after this release (check the "
              "spelling)");
}

TEST(SesSection, AbsentMeansSesIsNotAskedAndDefaultsApply) {
    const Config none = loaded(load_config_file(k_cases_dir / "good" / "minimal.yaml"));
    EXPECT_TRUE(none.ses.accounts.empty());
    EXPECT_EQ(none.ses.sync_interval, 15min);
    EXPECT_EQ(none.ses.max_rps, 1.0);

    const Config defaults = loaded(load_config_text(
        "ses:\n  accounts:\n    - name: a\n      regions: [us-east-1]\n", "d.yaml", k_cases_dir));
    EXPECT_EQ(defaults.ses.sync_interval, 15min);
    EXPECT_EQ(defaults.ses.max_rps, 1.0);
    ASSERT_EQ(defaults.ses.accounts.size(), 1U);
}

TEST(SesSection, LimitsAtTheirBounds) {
    const Config config =
        loaded(load_config_text("ses:\n  sync_interval: 1m\n  max_rps: 50\n"
                                "  accounts:\n    - name: " +
                                    std::string(64, 'n') + "\n      regions: [us-east-1]\n",
                                "b.yaml", k_cases_dir));
    EXPECT_EQ(config.ses.sync_interval, 1min);
    EXPECT_EQ(config.ses.max_rps, 50.0);
    const Config tiny =
        loaded(load_config_text("ses:\n  max_rps: 0.001\n  accounts:\n    - name: a\n"
                                "      regions: [us-east-1]\n      credentials: {}\n",
                                "b.yaml", k_cases_dir));
    EXPECT_EQ(tiny.ses.max_rps, 0.001);
    ASSERT_EQ(tiny.ses.accounts.size(), 1U);
    EXPECT_TRUE(tiny.ses.accounts[0].has_credentials_block); // empty: the default chain
}

TEST(SesSection, ExternalIdFileLosesOnlyItsLineEnd) {
    const fs::path dir = fs::temp_directory_path() / "dkimwatch-ses-section-test";
    fs::create_directories(dir);
    std::ofstream(dir / "crlf", std::ios::binary) << "ab:cd\r\n";
    std::ofstream(dir / "two-lines", std::ios::binary) << "s3cr3t\nmore\n";
    const std::string head = "ses:\n  accounts:\n    - name: a\n      regions: [us-east-1]\n"
                             "      credentials:\n"
                             "        role_arn: arn:aws:iam::111122223333:role/r\n"
                             "        external_id_file: ";
    const Config crlf = loaded(load_config_text(head + "crlf\n", "e.yaml", dir));
    ASSERT_EQ(crlf.ses.accounts.size(), 1U);
    EXPECT_EQ(crlf.ses.accounts[0].credentials.external_id, "ab:cd");

    const auto two = load_config_text(head + "two-lines\n", "e.yaml", dir);
    const auto* errors = std::get_if<std::vector<ConfigError>>(&two);
    ASSERT_NE(errors, nullptr);
    ASSERT_EQ(errors->size(), 1U);
    EXPECT_EQ((*errors)[0].to_string(),
              "e.yaml:7:27: ses.accounts[0].credentials.external_id_file \"two-lines\" (" +
                  (dir / "two-lines").string() +
                  ") must hold an external id of 2 to 1224 letters, digits or the characters "
                  "_+=,.@:/- on one line, got another character (not shown)");
    fs::remove_all(dir);
}

TEST(SesSection, RoleArnRule) {
    for (const char* good :
         {"arn:aws:iam::111122223333:role/r", "arn:aws-us-gov:iam::111122223333:role/a/b/c-d",
          "arn:aws-cn:iam::111122223333:role/name+=,.@_-"}) {
        EXPECT_EQ(invalid_role_arn_reason(good), std::nullopt) << good;
    }
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"aws:iam::111122223333:role/r", "it does not start with arn:aws"},
        {"arn:awsx:iam::111122223333:role/r", "the partition is not aws or aws-<name>"},
        {"arn:aws:iam:us-east-1:111122223333:role/r",
         "the service is not iam, or a region is given"},
        {"arn:aws:iam::11112222333:role/r", "the account is not 12 digits"},
        {"arn:aws:iam::111122223333:user/r", "the resource is not role/<name>"},
        {"arn:aws:iam::111122223333:role/", "the role name is not 1 to 64 letters, digits or "
                                            "_+=,.@-"},
        {"arn:aws:iam::111122223333:role/" + std::string(65, 'r'),
         "the role name is not 1 to 64 letters, digits or _+=,.@-"},
        {"arn:aws:iam::111122223333:role/a//b",
         "the role path is not /-separated names of letters, digits or _+=,.@-"},
    };
    for (const auto& [arn, reason] : bad) {
        EXPECT_EQ(invalid_role_arn_reason(arn), reason) << arn;
    }
}

TEST(SesSection, EndpointUrlRule) {
    for (const char* good : {"http://127.0.0.1:4566", "https://email.us-east-1.amazonaws.com",
                             "https://[::1]:8443", "HTTP://vpce-1.example"}) {
        EXPECT_EQ(invalid_endpoint_url_reason(good), std::nullopt) << good;
    }
    EXPECT_EQ(invalid_endpoint_url_reason("https://host/"), "it has a path");
    EXPECT_EQ(invalid_endpoint_url_reason("https://a@host"),
              "it has a user name; give credentials in the credentials block");
    EXPECT_EQ(invalid_endpoint_url_reason("https://host?"), "it has a query");
    EXPECT_EQ(invalid_endpoint_url_reason("127.0.0.1:4566"),
              "it does not start with http:// or https://");
}

} // namespace
} // namespace dkimwatch
