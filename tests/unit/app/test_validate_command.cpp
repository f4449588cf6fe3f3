#include "app/validate_command.hpp"
#include "config/config_loader.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Not;

namespace fs = std::filesystem;
const fs::path k_secrets_dir = fs::path(DKIMWATCH_TEST_DATA_DIR) / "config_cases" / "secrets";

AlertSinkConfig sink(const std::string& name, AlertSinkConfig::Type type) {
    AlertSinkConfig out;
    out.name = name;
    out.type = type;
    return out;
}

Config config_with(bool ha, std::vector<AlertSinkConfig> sinks) {
    Config config;
    config.source_path = "dkimwatch.yaml";
    config.daemon.ha = ha;
    config.alerts.sinks = std::move(sinks);
    return config;
}

std::vector<std::string> lines(const std::vector<ConfigError>& warnings) {
    std::vector<std::string> out;
    for (const ConfigError& warning : warnings) {
        out.push_back(warning.to_string());
    }
    return out;
}

TEST(HaWarnings, NoneWithoutHa) {
    EXPECT_THAT(ha_warnings(config_with(false, {sink("team", AlertSinkConfig::Type::slack),
                                                sink("hook", AlertSinkConfig::Type::webhook)})),
                IsEmpty());
    EXPECT_THAT(ha_warnings(config_with(false, {})), IsEmpty());
}

TEST(HaWarnings, EachSlackAndWebhookSinkNotifiesOncePerReplica) {
    const auto warnings =
        lines(ha_warnings(config_with(true, {sink("team", AlertSinkConfig::Type::slack),
                                             sink("am", AlertSinkConfig::Type::alertmanager),
                                             sink("pd", AlertSinkConfig::Type::pagerduty),
                                             sink("hook", AlertSinkConfig::Type::webhook)})));
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_THAT(warnings[0], HasSubstr("dkimwatch.yaml: alerts[0] (team, slack): with ha: true"));
    EXPECT_THAT(warnings[0], HasSubstr("once per replica"));
    EXPECT_THAT(warnings[0], HasSubstr("alertmanager sink"));
    EXPECT_THAT(warnings[1], HasSubstr("dkimwatch.yaml: alerts[3] (hook, webhook): with ha: true"));
}

TEST(HaWarnings, AlertmanagerAndPagerDutyAreFine) {
    EXPECT_THAT(ha_warnings(config_with(true, {sink("am", AlertSinkConfig::Type::alertmanager),
                                               sink("pd", AlertSinkConfig::Type::pagerduty)})),
                IsEmpty());
}

TEST(HaWarnings, NoAlertmanagerSink) {
    EXPECT_THAT(
        lines(ha_warnings(config_with(true, {sink("pd", AlertSinkConfig::Type::pagerduty)}))),
        ElementsAre(HasSubstr("dkimwatch.yaml: ha: true but no alertmanager sink")));
    EXPECT_THAT(lines(ha_warnings(config_with(true, {}))),
                ElementsAre(HasSubstr("no alertmanager sink")));
    EXPECT_EQ(ha_warnings(config_with(true, {sink("team", AlertSinkConfig::Type::slack)})).size(),
              2u);
}

// A configuration with every kind of sink, their mappings at known positions. Secrets come from
// the test data (each holds "s3cr3t").
std::string multi_sink_yaml() {
    const std::string secrets = k_secrets_dir.string();
    return "state_dir: state\n" // 1
           "dns:\n"             // 2
           "  dnssec: off\n"    // 3
           "alerts:\n"          // 4
           "  - name: team\n"   // 5
           "    type: slack\n"  // 6
           "    url_file: " +
           secrets +
           "/slack-url\n"                                                                 // 7
           "  - name: am\n"                                                               // 8
           "    type: alertmanager\n"                                                     // 9
           "    min_severity: warning\n"                                                  // 10
           "    urls: [\"http://127.0.0.1:9093/s3cr3t-am\", \"http://127.0.0.1:9094\"]\n" // 11
           "\n"                                                                           // 12
           "  -   name: hook\n"                                                           // 13
           "      type: webhook\n"                                                        // 14
           "      url: \"http://127.0.0.1:8080/s3cr3t-hook-path\"\n"                      // 15
           "      secret_file: " +
           secrets +
           "/hmac-secret\n" // 16
           "  - {name: pd, type: pagerduty, min_severity: critical, routing_key_file: " +
           secrets +
           "/pd-key}\n" // 17
           "ha: true\n" // 18
           "identities:\n"
           "  - domain: example.com\n"
           "    account: \"111122223333\"\n"
           "    region: us-east-1\n"
           "    easy_dkim:\n"
           "      tokens: [tok1, tok2, tok3]\n";
}

Config load(const std::string& yaml) {
    auto loaded = load_config_text(yaml, "dkimwatch.yaml", k_secrets_dir);
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
        ADD_FAILURE() << errors->front().to_string();
        return {};
    }
    return std::get<Config>(loaded);
}

TEST(HaWarnings, NameTheLineAndColumnOfEachSinkAndOfHa) {
    const Config config = load(multi_sink_yaml());
    const auto warnings = ha_warnings(config);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_THAT(warnings[0].to_string(),
                HasSubstr("dkimwatch.yaml:5:5: alerts[0] (team, slack): with ha: true"));
    EXPECT_THAT(warnings[1].to_string(),
                HasSubstr("dkimwatch.yaml:13:7: alerts[2] (hook, webhook): with ha: true"));

    // Without an alertmanager sink: the line and column of the `ha:` key.
    std::string yaml = multi_sink_yaml();
    const std::string am = "  - name: am\n    type: alertmanager\n";
    yaml.replace(yaml.find(am), am.size(), "  - name: am\n    type: webhook\n");
    yaml.replace(yaml.find("    urls: ["), std::string("    urls: [").size(), "    url: ");
    yaml.replace(yaml.find(", \"http://127.0.0.1:9094\"]"),
                 std::string(", \"http://127.0.0.1:9094\"]").size(), "");
    const auto without_am = lines(ha_warnings(load(yaml)));
    ASSERT_EQ(without_am.size(), 4u);
    EXPECT_THAT(without_am[1], HasSubstr("dkimwatch.yaml:8:5: alerts[1] (am, webhook)"));
    EXPECT_THAT(without_am[3], HasSubstr("dkimwatch.yaml:18:1: ha: true but no alertmanager sink"));
}

TEST(SinkSummary, NameTypeSeverityAndTheDisplayFormOfEachUrl) {
    const Config config = load(multi_sink_yaml());
    std::vector<std::string> summaries;
    for (const AlertSinkConfig& sink : config.alerts.sinks) {
        summaries.push_back(sink_summary(sink));
    }
    EXPECT_THAT(summaries,
                ElementsAre("sink team (slack, min_severity info): https://hooks.slack.com",
                            "sink am (alertmanager, min_severity warning): http://127.0.0.1:9093, "
                            "http://127.0.0.1:9094",
                            "sink hook (webhook, min_severity info): http://127.0.0.1:8080",
                            "sink pd (pagerduty, min_severity critical): "
                            "https://events.pagerduty.com"));
}

// Runs `dkimwatch validate` on `yaml` written to a temporary file; returns {exit code, stdout,
// stderr}.
struct ValidateRun {
    int code = 0;
    std::string out;
    std::string err;
};
ValidateRun run_validate(const std::string& yaml) {
    std::string pattern = (fs::temp_directory_path() / "dkimwatch-validate-XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    const fs::path path = fs::path(pattern) / "dkimwatch.yaml";
    std::ofstream(path) << yaml;
    std::ostringstream out;
    std::ostringstream err;
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
    const int code = run_validate_command(path.string());
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    fs::remove_all(pattern);
    return {code, out.str(), err.str()};
}

TEST(RunValidateCommand, ListsEverySinkBeforeOkWithoutSecrets) {
    const ValidateRun run = run_validate(multi_sink_yaml());
    ASSERT_EQ(run.code, 0) << run.err;
    std::vector<std::string> out;
    std::istringstream stream(run.out);
    for (std::string line; std::getline(stream, line);) {
        out.push_back(line);
    }
    EXPECT_THAT(out, ElementsAre(HasSubstr("sink team (slack,"), HasSubstr("sink am ("),
                                 HasSubstr("sink hook ("), HasSubstr("sink pd ("), "ok"));
    // The slack path, the alertmanager and webhook paths, the HMAC key and the routing key all
    // hold "s3cr3t"; none is printed (nor on stderr, where the HA warnings go).
    EXPECT_THAT(run.out, Not(HasSubstr("s3cr3t")));
    EXPECT_THAT(run.out, Not(HasSubstr("/services/")));
    EXPECT_THAT(run.err, Not(HasSubstr("s3cr3t")));
    EXPECT_THAT(run.err, HasSubstr("dkimwatch.yaml:5:5: warning: alerts[0] (team, slack)"));
}

} // namespace
} // namespace dkimwatch
