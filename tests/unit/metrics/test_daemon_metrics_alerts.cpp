// The alert delivery families of DaemonMetrics: one series per configured sink from the start,
// counters, queue depth, the oldest-queued gauge that is absent while the queue is empty, and
// the series of removed sinks going away.

#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace dkimwatch;
using dkimwatch::test::samples;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

namespace {

std::unique_ptr<DaemonMetrics> start_metrics() {
    auto started = DaemonMetrics::start("127.0.0.1:0", "1.2.3");
    if (!started.ok()) {
        ADD_FAILURE() << started.error();
        return nullptr;
    }
    return std::move(started).value();
}

// Sinks of one URL each: the lane key is the sink's name, the url "http://NAME.test".
std::vector<AlertLaneLabels> single_url_lanes(const std::vector<std::string>& names) {
    std::vector<AlertLaneLabels> lanes;
    for (const std::string& name : names) {
        lanes.push_back(AlertLaneLabels{name, name, "http://" + name + ".test"});
    }
    return lanes;
}

TimePoint at_ms(long long ms) {
    return TimePoint{Milliseconds{ms}};
}

// `promtool check metrics` on `text`: its exit code (0: lint-clean) and output.
std::pair<int, std::string> promtool(const std::string& text) {
    const auto path = std::filesystem::path{testing::TempDir()} /
                      ("dkimwatch_alert_metrics_" + std::to_string(getpid()) + ".prom");
    std::ofstream{path} << text;
    const std::string command = "/usr/bin/promtool check metrics < '" + path.string() + "' 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    if (pipe == nullptr) {
        return {-1, output};
    }
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        output.append(buffer, n);
    }
    const int status = pclose(pipe);
    std::filesystem::remove(path);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

} // namespace

TEST(DaemonMetricsAlerts, ConfiguredSinksStartAtZeroWithoutAnOldestSample) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_alerts_sent_total"), IsEmpty());
    metrics->set_alert_sinks(single_url_lanes({"slack-ops", "am"}));
    text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_sent_total"),
        UnorderedElementsAre(
            R"(dkimwatch_alerts_sent_total{sink="am",url="http://am.test"} 0)",
            R"(dkimwatch_alerts_sent_total{sink="slack-ops",url="http://slack-ops.test"} 0)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_failures_total"),
        UnorderedElementsAre(
            R"(dkimwatch_alert_failures_total{sink="am",url="http://am.test"} 0)",
            R"(dkimwatch_alert_failures_total{sink="slack-ops",url="http://slack-ops.test"} 0)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_dropped_total"),
        UnorderedElementsAre(
            R"(dkimwatch_alerts_dropped_total{sink="am",url="http://am.test"} 0)",
            R"(dkimwatch_alerts_dropped_total{sink="slack-ops",url="http://slack-ops.test"} 0)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_queue_depth"),
        UnorderedElementsAre(
            R"(dkimwatch_alert_queue_depth{sink="am",url="http://am.test"} 0)",
            R"(dkimwatch_alert_queue_depth{sink="slack-ops",url="http://slack-ops.test"} 0)"));
    EXPECT_THAT(samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"), IsEmpty());
    // Served over HTTP as rendered.
    EXPECT_EQ(test::http_get(metrics->port()).body, text);
}

TEST(DaemonMetricsAlerts, CountsAndQueue) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_alert_sinks(single_url_lanes({"hook"}));
    metrics->count_alert_sent("hook");
    metrics->count_alert_sent("hook");
    metrics->count_alert_failure("hook");
    metrics->count_alert_failure("hook");
    metrics->count_alert_failure("hook");
    metrics->count_alert_dropped("hook");
    metrics->set_alert_queue("hook", 7, at_ms(1'700'000'000'123));
    std::string text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_sent_total"),
        ElementsAre(R"(dkimwatch_alerts_sent_total{sink="hook",url="http://hook.test"} 2)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_failures_total"),
        ElementsAre(R"(dkimwatch_alert_failures_total{sink="hook",url="http://hook.test"} 3)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_dropped_total"),
        ElementsAre(R"(dkimwatch_alerts_dropped_total{sink="hook",url="http://hook.test"} 1)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_queue_depth"),
        ElementsAre(R"(dkimwatch_alert_queue_depth{sink="hook",url="http://hook.test"} 7)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"),
        ElementsAre(
            R"(dkimwatch_alert_oldest_queued_timestamp_seconds{sink="hook",url="http://hook.test"} )"
            "1700000000.123"));

    // The queue empties: the oldest-queued series goes away, the depth says 0.
    metrics->set_alert_queue("hook", 0, std::nullopt);
    text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_queue_depth"),
        ElementsAre(R"(dkimwatch_alert_queue_depth{sink="hook",url="http://hook.test"} 0)"));
    EXPECT_THAT(samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"), IsEmpty());
    metrics->set_alert_queue("hook", 1, at_ms(1'700'000'001'000));
    EXPECT_THAT(
        samples(metrics->render(), "dkimwatch_alert_oldest_queued_timestamp_seconds"),
        ElementsAre(
            R"(dkimwatch_alert_oldest_queued_timestamp_seconds{sink="hook",url="http://hook.test"} )"
            "1700000001"));
}

TEST(DaemonMetricsAlerts, UnknownSinksAreIgnoredAndRemovedSinksVanish) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_alert_sinks(single_url_lanes({"a", "b"}));
    metrics->count_alert_sent("a");
    metrics->count_alert_sent("b");
    metrics->set_alert_queue("b", 2, at_ms(1'000));
    metrics->count_alert_sent("nope");
    metrics->count_alert_failure("nope");
    metrics->count_alert_dropped("nope");
    metrics->set_alert_queue("nope", 3, at_ms(1'000));
    std::string text = metrics->render();
    EXPECT_THAT(text, testing::Not(HasSubstr("nope")));

    // A reload keeps "a" (and its count), drops "b", adds "c".
    metrics->set_alert_sinks(single_url_lanes({"c", "a"}));
    text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_sent_total"),
        UnorderedElementsAre(R"(dkimwatch_alerts_sent_total{sink="a",url="http://a.test"} 1)",
                             R"(dkimwatch_alerts_sent_total{sink="c",url="http://c.test"} 0)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_queue_depth"),
        UnorderedElementsAre(R"(dkimwatch_alert_queue_depth{sink="a",url="http://a.test"} 0)",
                             R"(dkimwatch_alert_queue_depth{sink="c",url="http://c.test"} 0)"));
    EXPECT_THAT(samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"), IsEmpty());
    metrics->count_alert_sent("b");
    EXPECT_THAT(metrics->render(), testing::Not(HasSubstr(R"(sink="b",)")));

    // No sinks at all: no alert series, but the families stay declared.
    metrics->set_alert_sinks({});
    text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_alerts_sent_total"), IsEmpty());
    EXPECT_THAT(samples(text, "dkimwatch_alert_queue_depth"), IsEmpty());
}

TEST(DaemonMetricsAlerts, ConcurrentUpdatesAreAllCounted) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_alert_sinks(single_url_lanes({"s0", "s1"}));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&metrics, t] {
            const std::string sink = "s" + std::to_string(t % 2);
            for (int i = 0; i < 1000; ++i) {
                metrics->count_alert_sent(sink);
                metrics->set_alert_queue(sink, static_cast<std::size_t>(i),
                                         i % 2 == 0 ? std::optional(at_ms(i)) : std::nullopt);
                if (i % 100 == 0) {
                    metrics->set_alert_sinks(single_url_lanes({"s0", "s1"}));
                    (void)metrics->render();
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_alerts_sent_total"),
                UnorderedElementsAre(
                    R"(dkimwatch_alerts_sent_total{sink="s0",url="http://s0.test"} 2000)",
                    R"(dkimwatch_alerts_sent_total{sink="s1",url="http://s1.test"} 2000)"));
}

TEST(DaemonMetricsAlerts, PassPromtool) {
    ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool is missing";
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_alert_sinks(single_url_lanes({"slack", "pager-duty_1"}));
    metrics->count_alert_sent("slack");
    metrics->count_alert_failure("slack");
    metrics->count_alert_dropped("pager-duty_1");
    metrics->set_alert_queue("slack", 3, at_ms(1'700'000'000'000));
    const std::string text = metrics->render();
    for (const char* family : {"dkimwatch_alerts_sent_total", "dkimwatch_alert_failures_total",
                               "dkimwatch_alerts_dropped_total", "dkimwatch_alert_queue_depth",
                               "dkimwatch_alert_oldest_queued_timestamp_seconds"}) {
        EXPECT_THAT(text, HasSubstr(std::string{"# TYPE "} + family + " ")) << family;
    }
    const auto [exit_code, output] = promtool(text);
    EXPECT_EQ(exit_code, 0) << output;
    EXPECT_EQ(output, "");
}

TEST(DaemonMetricsAlerts, LanesOfOneSinkHaveOneSeriesPerUrl) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_alert_sinks({AlertLaneLabels{"am@http://a:9093", "am", "http://a:9093"},
                              AlertLaneLabels{"am@http://b:9093", "am", "http://b:9093"}});
    metrics->count_alert_sent("am@http://a:9093");
    metrics->count_alert_failure("am@http://b:9093");
    metrics->count_alert_failure("am@http://b:9093");
    metrics->set_alert_queue("am@http://b:9093", 1, at_ms(2'000));
    std::string text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_sent_total"),
        UnorderedElementsAre(R"(dkimwatch_alerts_sent_total{sink="am",url="http://a:9093"} 1)",
                             R"(dkimwatch_alerts_sent_total{sink="am",url="http://b:9093"} 0)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_failures_total"),
        UnorderedElementsAre(R"(dkimwatch_alert_failures_total{sink="am",url="http://a:9093"} 0)",
                             R"(dkimwatch_alert_failures_total{sink="am",url="http://b:9093"} 2)"));
    EXPECT_THAT(
        samples(text, "dkimwatch_alert_queue_depth"),
        UnorderedElementsAre(R"(dkimwatch_alert_queue_depth{sink="am",url="http://a:9093"} 0)",
                             R"(dkimwatch_alert_queue_depth{sink="am",url="http://b:9093"} 1)"));
    EXPECT_THAT(samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"),
                ElementsAre(R"(dkimwatch_alert_oldest_queued_timestamp_seconds{sink="am",)"
                            R"(url="http://b:9093"} 2)"));

    // A one-URL sink whose URL changed keeps its key but gets new series (counts from 0).
    metrics->set_alert_sinks({AlertLaneLabels{"am@http://a:9093", "am", "http://a:9093"},
                              AlertLaneLabels{"hook", "hook", "https://x.test"}});
    metrics->count_alert_sent("hook");
    metrics->set_alert_sinks({AlertLaneLabels{"am@http://a:9093", "am", "http://a:9093"},
                              AlertLaneLabels{"hook", "hook", "https://y.test"}});
    text = metrics->render();
    EXPECT_THAT(
        samples(text, "dkimwatch_alerts_sent_total"),
        UnorderedElementsAre(R"(dkimwatch_alerts_sent_total{sink="am",url="http://a:9093"} 1)",
                             R"(dkimwatch_alerts_sent_total{sink="hook",url="https://y.test"} 0)"));
    EXPECT_THAT(samples(text, "dkimwatch_alert_oldest_queued_timestamp_seconds"), IsEmpty());
}
