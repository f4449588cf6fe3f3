#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

using namespace dkimwatch;
using dkimwatch::test::samples;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;

namespace {

std::string scrape(const DaemonMetrics& metrics) {
    const auto response = test::http_get(metrics.port());
    EXPECT_EQ(response.status, 200);
    return response.body;
}

} // namespace

// dkimwatch_shard_info{shard,of} 1: absent until the daemon sets it, one series after, replaced
// (not added to) when a reload changes the shard.
TEST(DaemonMetricsShard, ExportsTheShardAndReplacesItOnChange) {
    auto started = DaemonMetrics::start("127.0.0.1:0", "1.2.3");
    ASSERT_TRUE(started.ok()) << started.error();
    auto metrics = std::move(started).value();
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_shard_info"), IsEmpty());

    metrics->set_shard({});
    std::string text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_shard_info"),
                ElementsAre("dkimwatch_shard_info{of=\"1\",shard=\"1\"} 1"));
    EXPECT_THAT(text, HasSubstr("# TYPE dkimwatch_shard_info gauge"));

    metrics->set_shard({2, 4});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_shard_info"),
                ElementsAre("dkimwatch_shard_info{of=\"4\",shard=\"2\"} 1"));
    metrics->set_shard({2, 4});
    metrics->set_shard({5, 5});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_shard_info"),
                ElementsAre("dkimwatch_shard_info{of=\"5\",shard=\"5\"} 1"));
}
