#include "alert/delivery_lanes.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using Type = AlertSinkConfig::Type;

AlertSinkConfig two_alertmanagers() {
    AlertSinkConfig am = test::sink(Type::alertmanager, "am");
    am.url = "http://10.0.0.1:9093/";
    am.display = "http://10.0.0.1:9093";
    am.endpoints = {{"http://10.0.0.1:9093/", "http://10.0.0.1:9093"},
                    {"https://user:pw@am2.example/alertmanager", "https://am2.example"}};
    am.resend_interval = std::chrono::seconds{30};
    return am;
}

TEST(DeliveryLanes, OneUrlKeepsTheSinkNameAsItsKey) {
    AlertSinkConfig hook = test::sink(Type::webhook, "hook");
    hook.display = "https://receiver.example:8443";
    hook.endpoints = {{hook.url, hook.display}};
    const std::vector<DeliveryLane> lanes = delivery_lanes(hook);
    ASSERT_EQ(lanes.size(), 1u);
    EXPECT_EQ(lanes[0].outbox_key, "hook");
    EXPECT_EQ(lanes[0].sink, hook);
}

TEST(DeliveryLanes, ASinkBuiltWithoutEndpointsHasOneLaneForItsUrl) {
    AlertSinkConfig slack = test::sink(Type::slack, "chat");
    slack.display = "https://hooks.slack.com";
    const std::vector<DeliveryLane> lanes = delivery_lanes(slack);
    ASSERT_EQ(lanes.size(), 1u);
    EXPECT_EQ(lanes[0].outbox_key, "chat");
    EXPECT_EQ(lanes[0].sink.url, slack.url);
    EXPECT_EQ(lanes[0].sink.display, "https://hooks.slack.com");
    ASSERT_EQ(lanes[0].sink.endpoints.size(), 1u);
    EXPECT_EQ(lanes[0].sink.endpoints[0].url, slack.url);
}

TEST(DeliveryLanes, SeveralUrlsGetOneLaneEachKeyedByDisplay) {
    const AlertSinkConfig am = two_alertmanagers();
    const std::vector<DeliveryLane> lanes = delivery_lanes(am);
    ASSERT_EQ(lanes.size(), 2u);
    EXPECT_EQ(lanes[0].outbox_key, "am@http://10.0.0.1:9093");
    EXPECT_EQ(lanes[1].outbox_key, "am@https://am2.example");
    EXPECT_EQ(lanes[0].sink.url, "http://10.0.0.1:9093/");
    EXPECT_EQ(lanes[1].sink.url, "https://user:pw@am2.example/alertmanager");
    EXPECT_EQ(lanes[1].sink.display, "https://am2.example");
    ASSERT_EQ(lanes[1].sink.endpoints.size(), 1u);
    EXPECT_EQ(lanes[1].sink.endpoints[0].display, "https://am2.example");
    // Everything else is the sink's.
    for (const DeliveryLane& lane : lanes) {
        EXPECT_EQ(lane.sink.name, "am");
        EXPECT_EQ(lane.sink.type, Type::alertmanager);
        EXPECT_EQ(lane.sink.resend_interval, std::chrono::seconds{30});
    }
    // The key holds no secret of the URL.
    EXPECT_EQ(lanes[1].outbox_key.find("pw"), std::string::npos);
    // Stable: the same configuration gives the same lanes.
    EXPECT_EQ(delivery_lanes(two_alertmanagers()), lanes);
}

TEST(DeliveryLanes, SettingsListEveryLaneInSinkOrder) {
    AlertSettings settings;
    settings.sinks = {test::sink(Type::webhook, "hook"), two_alertmanagers(),
                      test::sink(Type::pagerduty, "pd")};
    const std::vector<DeliveryLane> lanes = delivery_lanes(settings);
    ASSERT_EQ(lanes.size(), 4u);
    EXPECT_EQ(lanes[0].outbox_key, "hook");
    EXPECT_EQ(lanes[1].outbox_key, "am@http://10.0.0.1:9093");
    EXPECT_EQ(lanes[2].outbox_key, "am@https://am2.example");
    EXPECT_EQ(lanes[3].outbox_key, "pd");
    EXPECT_TRUE(delivery_lanes(AlertSettings{}).empty());
}

TEST(DeliveryLanes, KeyForm) {
    EXPECT_EQ(lane_outbox_key("am", 1, "http://a:9093"), "am");
    EXPECT_EQ(lane_outbox_key("am", 2, "http://a:9093"), "am@http://a:9093");
    EXPECT_EQ(lane_outbox_key("am", 3, "http://[::1]:9093"), "am@http://[::1]:9093");
}

} // namespace
} // namespace dkimwatch
