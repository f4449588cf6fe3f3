#include "app/validate_command.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;

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

} // namespace
} // namespace dkimwatch
