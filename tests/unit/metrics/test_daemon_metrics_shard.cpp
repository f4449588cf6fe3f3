#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

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

// `promtool check metrics` on `text`: its exit code and output (0 and "" when lint-clean).
std::pair<int, std::string> promtool_check(const std::string& text) {
    const auto path = std::filesystem::path{testing::TempDir()} /
                      ("dkimwatch_shard_metrics_" + std::to_string(getpid()) + ".prom");
    std::ofstream{path} << text;
    const std::string command = "/usr/bin/promtool check metrics < '" + path.string() + "' 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, "popen failed"};
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
    const auto [code, output] = promtool_check(text);
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(output, "");

    metrics->set_shard({2, 4});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_shard_info"),
                ElementsAre("dkimwatch_shard_info{of=\"4\",shard=\"2\"} 1"));
    metrics->set_shard({2, 4});
    metrics->set_shard({5, 5});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_shard_info"),
                ElementsAre("dkimwatch_shard_info{of=\"5\",shard=\"5\"} 1"));
}
