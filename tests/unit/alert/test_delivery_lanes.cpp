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

// The sink "am" with one URL, the first of two_alertmanagers().
AlertSinkConfig one_alertmanager(const std::string& display = "http://10.0.0.1:9093") {
    AlertSinkConfig am = test::sink(Type::alertmanager, "am");
    am.url = display + "/";
    am.display = display;
    am.endpoints = {{am.url, am.display}};
    return am;
}

const std::string k_lane1 = "am@http://10.0.0.1:9093";
const std::string k_lane2 = "am@https://am2.example";

TEST(LaneRekeying, OneUrlEraRowsGoToEveryLaneOfASinkWithSeveral) {
    const LaneRekeyPlan plan = plan_lane_rekeying({"am"}, {two_alertmanagers()});
    EXPECT_EQ(plan.moves, (std::vector<LaneRekeying>{{"am", "am", {k_lane1, k_lane2}}}));
    EXPECT_TRUE(plan.stranded.empty());
}

TEST(LaneRekeying, TheKeptUrlsRowsGoToTheSinkNameWhenOneUrlIsLeft) {
    const LaneRekeyPlan plan = plan_lane_rekeying({k_lane1, k_lane2}, {one_alertmanager()});
    EXPECT_EQ(plan.moves, (std::vector<LaneRekeying>{{"am", k_lane1, {"am"}}}));
    // am2 was removed from the configuration: its rows stay, and are reported.
    EXPECT_EQ(plan.stranded, (std::vector<StrandedLaneKey>{{"am", k_lane2}}));

    // The one URL left is a third one: nothing moves.
    const LaneRekeyPlan other =
        plan_lane_rekeying({k_lane1, k_lane2}, {one_alertmanager("http://10.0.0.3:9093")});
    EXPECT_TRUE(other.moves.empty());
    EXPECT_EQ(other.stranded, (std::vector<StrandedLaneKey>{{"am", k_lane1}, {"am", k_lane2}}));
}

TEST(LaneRekeying, ARemovedUrlOfASinkWithSeveralIsStranded) {
    AlertSinkConfig am = two_alertmanagers();
    am.endpoints = {am.endpoints[0], {"http://10.0.0.3:9093/", "http://10.0.0.3:9093"}};
    const LaneRekeyPlan plan = plan_lane_rekeying({k_lane1, k_lane2}, {am});
    EXPECT_TRUE(plan.moves.empty()); // k_lane1 is still a lane
    EXPECT_EQ(plan.stranded, (std::vector<StrandedLaneKey>{{"am", k_lane2}}));
}

TEST(LaneRekeying, CurrentLaneKeysAreLeftAlone) {
    AlertSettings settings;
    settings.sinks = {two_alertmanagers(), test::sink(Type::webhook, "hook")};
    EXPECT_EQ(plan_lane_rekeying({k_lane1, k_lane2, "hook"}, settings.sinks), LaneRekeyPlan{});
    EXPECT_EQ(plan_lane_rekeying({"am"}, {one_alertmanager()}), LaneRekeyPlan{});
    EXPECT_EQ(plan_lane_rekeying({}, settings.sinks), LaneRekeyPlan{});
}

TEST(LaneRekeying, KeysOfUnconfiguredSinksAreLeftAlone) {
    // "am-old" and "amx" only share a prefix with "am"; "gone" names nothing.
    const LaneRekeyPlan plan = plan_lane_rekeying(
        {"am-old", "amx@http://10.0.0.1:9093", "gone", "gone@http://10.0.0.1:9093"},
        {two_alertmanagers()});
    EXPECT_EQ(plan, LaneRekeyPlan{});
    EXPECT_EQ(plan_lane_rekeying({"am", k_lane1}, {}), LaneRekeyPlan{});
}

TEST(LaneRekeying, OnlyAlertmanagerSinksAreRekeyed) {
    // A webhook sink named "am" (one built in code with two endpoints, too): its old keys stay.
    AlertSinkConfig hook = two_alertmanagers();
    hook.type = Type::webhook;
    EXPECT_EQ(plan_lane_rekeying({"am"}, {hook}), LaneRekeyPlan{});
    AlertSinkConfig single = one_alertmanager();
    single.type = Type::slack;
    EXPECT_EQ(plan_lane_rekeying({k_lane1, k_lane2}, {single}), LaneRekeyPlan{});
    // An alertmanager sink beside a webhook sink with a name sharing its prefix.
    const LaneRekeyPlan plan =
        plan_lane_rekeying({"am", "am-hook@http://10.0.0.1:9093"},
                           {test::sink(Type::webhook, "am-hook"), two_alertmanagers()});
    EXPECT_EQ(plan.moves, (std::vector<LaneRekeying>{{"am", "am", {k_lane1, k_lane2}}}));
    EXPECT_TRUE(plan.stranded.empty());
}

TEST(LaneRekeying, TheNameEndsAtTheFirstAtSign) {
    // A display may hold '@' (never userinfo, but the split must not depend on it): the name is
    // what precedes the first '@', as sink names have none.
    AlertSinkConfig am = one_alertmanager("http://x@10.0.0.1:9093");
    const LaneRekeyPlan plan = plan_lane_rekeying({"am@http://x@10.0.0.1:9093"}, {am});
    EXPECT_EQ(plan.moves, (std::vector<LaneRekeying>{{"am", "am@http://x@10.0.0.1:9093", {"am"}}}));
    EXPECT_EQ(plan_lane_rekeying({"am@http://x@10.0.0.1:9093"}, {one_alertmanager()}).stranded,
              (std::vector<StrandedLaneKey>{{"am", "am@http://x@10.0.0.1:9093"}}));
}

TEST(LaneRekeying, MovesAndStrandedKeysFollowTheQueuedKeysOrder) {
    AlertSinkConfig b = one_alertmanager();
    b.name = "b";
    AlertSinkConfig a = two_alertmanagers();
    a.name = "a";
    const LaneRekeyPlan plan =
        plan_lane_rekeying({"b@http://10.0.0.1:9093", "b@http://10.0.0.9:9093", "a"}, {a, b});
    EXPECT_EQ(plan.moves, (std::vector<LaneRekeying>{
                              {"b", "b@http://10.0.0.1:9093", {"b"}},
                              {"a", "a", {"a@http://10.0.0.1:9093", "a@https://am2.example"}}}));
    EXPECT_EQ(plan.stranded, (std::vector<StrandedLaneKey>{{"b", "b@http://10.0.0.9:9093"}}));
}

} // namespace
} // namespace dkimwatch
