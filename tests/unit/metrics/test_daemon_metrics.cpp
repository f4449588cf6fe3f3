#include "dns/async_resolver.hpp"
#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

#include <atomic>
#include <chrono>
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
using testing::Not;
using testing::StartsWith;
using testing::UnorderedElementsAre;

namespace {

const char* const k_promtool = "/usr/bin/promtool";

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"444455556666", "eu-west-1", "beta.example"};

TimePoint at_ms(long long ms) {
    return TimePoint{Milliseconds{ms}};
}

RecordVerdict record(std::string name, VerdictCode code) {
    RecordVerdict verdict;
    verdict.name = std::move(name);
    verdict.type = "CNAME";
    verdict.code = code;
    verdict.severity = severity_of(code);
    return verdict;
}

std::unique_ptr<DaemonMetrics> start_metrics() {
    auto started = DaemonMetrics::start("127.0.0.1:0", "1.2.3");
    if (!started.ok()) {
        ADD_FAILURE() << started.error();
        return nullptr;
    }
    return std::move(started).value();
}

std::string scrape(const DaemonMetrics& metrics) {
    const auto response = test::http_get(metrics.port());
    EXPECT_EQ(response.status, 200);
    return response.body;
}

struct PromtoolResult {
    int exit_code = -1;
    std::string output;
};

// Runs `promtool check metrics` on `text`; exit code 0 means lint-clean.
PromtoolResult promtool_check(const std::string& text) {
    PromtoolResult result;
    const auto path = std::filesystem::path{testing::TempDir()} /
                      ("dkimwatch_metrics_" + std::to_string(getpid()) + ".prom");
    std::ofstream{path} << text;
    const std::string command =
        std::string{k_promtool} + " check metrics < '" + path.string() + "' 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        result.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    std::filesystem::remove(path);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace

TEST(DaemonMetrics, ServesTheFreshStateOverHttp) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    EXPECT_NE(metrics->port(), 0);
    const std::string text = scrape(*metrics);

    EXPECT_THAT(samples(text, "dkimwatch_build_info"),
                ElementsAre("dkimwatch_build_info{version=\"1.2.3\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_identities"),
                ElementsAre("dkimwatch_identities{state=\"pending\"} 0",
                            "dkimwatch_identities{state=\"verified\"} 0",
                            "dkimwatch_identities{state=\"revocation_warning\"} 0",
                            "dkimwatch_identities{state=\"revoked\"} 0"));
    EXPECT_THAT(samples(text, "dkimwatch_dns_queries_total"),
                UnorderedElementsAre("dkimwatch_dns_queries_total{rcode=\"noerror\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"nxdomain\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"servfail\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"refused\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"formerr\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"notimp\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"other\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"timeout\"} 0"));
    EXPECT_THAT(samples(text, "dkimwatch_checks_total"),
                UnorderedElementsAre("dkimwatch_checks_total{result=\"ok\"} 0",
                                     "dkimwatch_checks_total{result=\"warning\"} 0",
                                     "dkimwatch_checks_total{result=\"error\"} 0",
                                     "dkimwatch_checks_total{result=\"indeterminate\"} 0"));
    // Unknown until first set.
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_sweep_duration_seconds ")));
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_config_last_reload_successful ")));
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_config_last_reload_success_timestamp_seconds ")));
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_identity_state{")));
    // Served text == render().
    EXPECT_EQ(text, metrics->render());
}

TEST(DaemonMetrics, IdentitySeriesFollowUpdatesAndRemovals) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->update_identity(k_alpha, IdentityState::verified, std::nullopt,
                             at_ms(1'700'000'000'000), {});
    metrics->update_identity(k_beta, IdentityState::pending, std::nullopt, std::nullopt, {});
    std::string text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{account=\"111122223333\",region=\"us-east-"
                            "1\",domain=\"alpha.example\",state=\"verified\"} 1",
                            "dkimwatch_identity_state{account=\"444455556666\",region=\"eu-west-"
                            "1\",domain=\"beta.example\",state=\"pending\"} 1"));

    // alpha breaks: verified -> revocation_warning with a deadline and a problem record.
    metrics->update_identity(k_alpha, IdentityState::revocation_warning, at_ms(1'700'432'000'000),
                             at_ms(1'700'000'300'000),
                             {record("t1._domainkey.alpha.example", VerdictCode::missing),
                              record("t2._domainkey.alpha.example", VerdictCode::ok)});
    text = scrape(*metrics);
    const std::string alpha =
        "account=\"111122223333\",region=\"us-east-1\",domain=\"alpha.example\"";
    EXPECT_THAT(
        samples(text, "dkimwatch_identity_state"),
        ElementsAre("dkimwatch_identity_state{" + alpha + ",state=\"revocation_warning\"} 1",
                    "dkimwatch_identity_state{account=\"444455556666\",region=\"eu-west-"
                    "1\",domain=\"beta.example\",state=\"pending\"} 1"));
    EXPECT_THAT(
        samples(text, "dkimwatch_revocation_deadline_timestamp_seconds"),
        ElementsAre("dkimwatch_revocation_deadline_timestamp_seconds{" + alpha + "} 1700432000"));
    EXPECT_THAT(samples(text, "dkimwatch_record_problem"),
                ElementsAre("dkimwatch_record_problem{" + alpha +
                            ",record=\"t1._domainkey.alpha.example\",verdict=\"missing\"} 1"));
    EXPECT_THAT(
        samples(text, "dkimwatch_identity_last_check_timestamp_seconds"),
        ElementsAre("dkimwatch_identity_last_check_timestamp_seconds{" + alpha + "} 1700000300"));
    EXPECT_THAT(samples(text, "dkimwatch_identities"),
                ElementsAre("dkimwatch_identities{state=\"pending\"} 1",
                            "dkimwatch_identities{state=\"verified\"} 0",
                            "dkimwatch_identities{state=\"revocation_warning\"} 1",
                            "dkimwatch_identities{state=\"revoked\"} 0"));

    // alpha recovers: the warning's series go; beta leaves the configuration.
    metrics->update_identity(k_alpha, IdentityState::verified, std::nullopt,
                             at_ms(1'700'000'600'000),
                             {record("t1._domainkey.alpha.example", VerdictCode::ok)});
    metrics->remove_identity(k_beta);
    text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{" + alpha + ",state=\"verified\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_revocation_deadline_timestamp_seconds"), IsEmpty());
    EXPECT_THAT(samples(text, "dkimwatch_record_problem"), IsEmpty());
    EXPECT_THAT(text, Not(HasSubstr("beta.example")));
    EXPECT_THAT(samples(text, "dkimwatch_identities"),
                ElementsAre("dkimwatch_identities{state=\"pending\"} 0",
                            "dkimwatch_identities{state=\"verified\"} 1",
                            "dkimwatch_identities{state=\"revocation_warning\"} 0",
                            "dkimwatch_identities{state=\"revoked\"} 0"));
}

TEST(DaemonMetrics, DnsStatsAccumulate) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    ResolverStats delta;
    delta.queries_sent = 9;
    delta.answers_by_rcode = {{"noerror", 5}, {"nxdomain", 1}, {"timeout", 2}, {"weird", 1}};
    delta.latencies = {std::chrono::microseconds{300}, std::chrono::microseconds{1'500},
                       std::chrono::microseconds{40'000}, std::chrono::microseconds{7'000'000}};
    metrics->add_dns_stats(delta);
    metrics->add_dns_stats(ResolverStats{0, 0, {{"noerror", 2}}, {}});
    const std::string text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_dns_queries_total"),
                UnorderedElementsAre("dkimwatch_dns_queries_total{rcode=\"noerror\"} 7",
                                     "dkimwatch_dns_queries_total{rcode=\"nxdomain\"} 1",
                                     "dkimwatch_dns_queries_total{rcode=\"servfail\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"refused\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"formerr\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"notimp\"} 0",
                                     "dkimwatch_dns_queries_total{rcode=\"other\"} 1",
                                     "dkimwatch_dns_queries_total{rcode=\"timeout\"} 2"));
    EXPECT_THAT(samples(text, "dkimwatch_dns_query_duration_seconds_bucket"),
                ElementsAre("dkimwatch_dns_query_duration_seconds_bucket{le=\"0.0005\"} 1",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.001\"} 1",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.0025\"} 2",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.005\"} 2",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.01\"} 2",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.025\"} 2",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.05\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.1\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.25\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"0.5\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"1\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"2.5\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"5\"} 3",
                            "dkimwatch_dns_query_duration_seconds_bucket{le=\"+Inf\"} 4"));
    EXPECT_THAT(samples(text, "dkimwatch_dns_query_duration_seconds_count"),
                ElementsAre("dkimwatch_dns_query_duration_seconds_count 4"));
    EXPECT_THAT(samples(text, "dkimwatch_dns_query_duration_seconds_sum"),
                ElementsAre("dkimwatch_dns_query_duration_seconds_sum 7.0418"));
}

TEST(DaemonMetrics, ChecksSweepAndReload) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->observe_check(Severity::ok);
    metrics->observe_check(Severity::ok);
    metrics->observe_check(Severity::error);
    metrics->observe_check(Severity::indeterminate);
    metrics->set_sweep_duration(std::chrono::milliseconds{1'250});
    metrics->set_config_reload(true, at_ms(1'700'000'000'500));
    std::string text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_checks_total"),
                UnorderedElementsAre("dkimwatch_checks_total{result=\"ok\"} 2",
                                     "dkimwatch_checks_total{result=\"warning\"} 0",
                                     "dkimwatch_checks_total{result=\"error\"} 1",
                                     "dkimwatch_checks_total{result=\"indeterminate\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_sweep_duration_seconds"),
                ElementsAre("dkimwatch_sweep_duration_seconds 1.25"));
    EXPECT_THAT(samples(text, "dkimwatch_config_last_reload_successful"),
                ElementsAre("dkimwatch_config_last_reload_successful 1"));
    EXPECT_THAT(samples(text, "dkimwatch_config_last_reload_success_timestamp_seconds"),
                ElementsAre("dkimwatch_config_last_reload_success_timestamp_seconds "
                            "1700000000.5"));

    // A failed reload flips the flag and keeps the last success time.
    metrics->set_config_reload(false, at_ms(1'700'000'900'000));
    metrics->set_sweep_duration(std::chrono::milliseconds{800});
    text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_config_last_reload_successful"),
                ElementsAre("dkimwatch_config_last_reload_successful 0"));
    EXPECT_THAT(samples(text, "dkimwatch_config_last_reload_success_timestamp_seconds"),
                ElementsAre("dkimwatch_config_last_reload_success_timestamp_seconds "
                            "1700000000.5"));
    EXPECT_THAT(samples(text, "dkimwatch_sweep_duration_seconds"),
                ElementsAre("dkimwatch_sweep_duration_seconds 0.8"));
}

TEST(DaemonMetrics, LabelValuesAreEscapedOnTheWire) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->update_identity(IdentityKey{"q\"uote", "back\\slash", "new\nline.example"},
                             IdentityState::verified, std::nullopt, std::nullopt,
                             {record("sel._domainkey.\"odd\\\n", VerdictCode::key_mismatch)});
    const std::string text = scrape(*metrics);
    const std::string labels =
        R"(account="q\"uote",region="back\\slash",domain="new\nline.example")";
    EXPECT_THAT(samples(text, "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{" + labels + ",state=\"verified\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_record_problem"),
                ElementsAre("dkimwatch_record_problem{" + labels +
                            R"(,record="sel._domainkey.\"odd\\\n",verdict="key_mismatch"} 1)"));
    const PromtoolResult lint = promtool_check(text);
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
}

TEST(DaemonMetrics, ScrapePassesPromtool) {
    ASSERT_EQ(access(k_promtool, X_OK), 0)
        << k_promtool << " is missing: install the Debian package `prometheus`";
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->update_identity(k_alpha, IdentityState::revocation_warning, at_ms(1'700'432'000'000),
                             at_ms(1'700'000'000'000),
                             {record("t1._domainkey.alpha.example", VerdictCode::wrong_target)});
    metrics->update_identity(k_beta, IdentityState::revoked, std::nullopt, at_ms(1'700'000'000'000),
                             {});
    metrics->add_dns_stats(ResolverStats{3, 0, {{"noerror", 3}}, {std::chrono::microseconds{900}}});
    metrics->observe_check(Severity::warning);
    metrics->set_sweep_duration(std::chrono::seconds{2});
    metrics->set_config_reload(true, at_ms(1'700'000'000'000));
    const std::string text = scrape(*metrics);
    // Every family present, so that the lint covers them all.
    for (const char* family :
         {"dkimwatch_identity_state", "dkimwatch_identities",
          "dkimwatch_revocation_deadline_timestamp_seconds", "dkimwatch_record_problem",
          "dkimwatch_identity_last_check_timestamp_seconds", "dkimwatch_dns_queries_total",
          "dkimwatch_dns_query_duration_seconds", "dkimwatch_sweep_duration_seconds",
          "dkimwatch_config_last_reload_successful",
          "dkimwatch_config_last_reload_success_timestamp_seconds", "dkimwatch_checks_total",
          "dkimwatch_build_info", "dkimwatch_check_lag_seconds",
          "dkimwatch_state_save_failures_total", "dkimwatch_state_unsaved_identities"}) {
        EXPECT_THAT(text, HasSubstr(std::string{"# TYPE "} + family + " ")) << family;
    }
    const PromtoolResult lint = promtool_check(text);
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
    EXPECT_EQ(lint.output, "");
}

TEST(DaemonMetrics, StateSaveFailuresAndUnsavedIdentities) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    // Both present from the start, at 0.
    std::string text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_state_save_failures_total"),
                ElementsAre("dkimwatch_state_save_failures_total 0"));
    EXPECT_THAT(samples(text, "dkimwatch_state_unsaved_identities"),
                ElementsAre("dkimwatch_state_unsaved_identities 0"));
    metrics->count_state_save_failure();
    metrics->count_state_save_failure();
    metrics->set_unsaved_identities(3);
    text = scrape(*metrics);
    EXPECT_THAT(samples(text, "dkimwatch_state_save_failures_total"),
                ElementsAre("dkimwatch_state_save_failures_total 2"));
    EXPECT_THAT(samples(text, "dkimwatch_state_unsaved_identities"),
                ElementsAre("dkimwatch_state_unsaved_identities 3"));
    metrics->set_unsaved_identities(0);
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_state_unsaved_identities"),
                ElementsAre("dkimwatch_state_unsaved_identities 0"));
}

TEST(DaemonMetrics, PromtoolCatchesALintProblem) {
    // The check above can fail: promtool rejects a counter without _total.
    ASSERT_EQ(access(k_promtool, X_OK), 0) << k_promtool << " is missing";
    const PromtoolResult lint = promtool_check("# HELP dkimwatch_bad A counter.\n"
                                               "# TYPE dkimwatch_bad counter\n"
                                               "dkimwatch_bad 1\n");
    EXPECT_EQ(lint.exit_code, 3);
    EXPECT_THAT(lint.output, HasSubstr("counter metrics should have \"_total\" suffix"));
}

TEST(DaemonMetrics, AddressInUseIsAClearError) {
    auto first = start_metrics();
    ASSERT_NE(first, nullptr);
    const std::string listen = "127.0.0.1:" + std::to_string(first->port());
    const auto second = DaemonMetrics::start(listen, "1.2.3");
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error(), "metrics.listen " + listen + ": cannot listen (address in use?)");
    // The first one still serves.
    EXPECT_EQ(test::http_get(first->port()).status, 200);
}

TEST(DaemonMetrics, ScrapesSeeConsistentSnapshotsDuringUpdates) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    std::atomic<bool> done{false};
    std::thread updater{[&] {
        for (int round = 0; !done.load(); ++round) {
            for (int i = 0; i < 200; ++i) {
                const IdentityKey key{"111122223333", "us-east-1",
                                      "d" + std::to_string(i) + ".example"};
                if ((i + round) % 3 == 0) {
                    metrics->remove_identity(key);
                } else {
                    metrics->update_identity(
                        key, IdentityState::revocation_warning, at_ms(2'000'000), at_ms(1'000'000),
                        {record("s._domainkey." + key.domain, VerdictCode::missing)});
                }
            }
        }
    }};
    for (int scrape_number = 0; scrape_number < 20; ++scrape_number) {
        const std::string text = scrape(*metrics);
        const auto per_state = samples(text, "dkimwatch_identities");
        ASSERT_EQ(per_state.size(), 4U);
        const std::string prefix = "dkimwatch_identities{state=\"revocation_warning\"} ";
        ASSERT_THAT(per_state[2], StartsWith(prefix));
        const auto warned =
            static_cast<std::size_t>(std::stoul(per_state[2].substr(prefix.size())));
        EXPECT_EQ(samples(text, "dkimwatch_identity_state").size(), warned);
        EXPECT_EQ(samples(text, "dkimwatch_revocation_deadline_timestamp_seconds").size(), warned);
        EXPECT_EQ(samples(text, "dkimwatch_record_problem").size(), warned);
    }
    done.store(true);
    updater.join();
}

namespace {

TEST(DaemonMetricsReadiness, AnswersServiceUnavailableUntilReady) {
    auto started = DaemonMetrics::start("127.0.0.1:0", "1.2.3", /*ready=*/false);
    ASSERT_TRUE(started.ok()) << started.error();
    auto& metrics = *started.value();
    const auto before = dkimwatch::test::http_get(metrics.port());
    EXPECT_EQ(before.status, 503);
    EXPECT_THAT(before.body, Not(HasSubstr("dkimwatch_identities")));
    metrics.set_ready();
    const auto after = dkimwatch::test::http_get(metrics.port());
    EXPECT_EQ(after.status, 200);
    EXPECT_THAT(after.body, HasSubstr("dkimwatch_identities{state=\"pending\"} 0"));
}

TEST(DaemonMetrics, CheckLagIsZeroFromTheStartThenTheLatestValue) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_check_lag_seconds"),
                ElementsAre("dkimwatch_check_lag_seconds 0"));
    metrics->set_check_lag(std::chrono::milliseconds{76'500});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_check_lag_seconds"),
                ElementsAre("dkimwatch_check_lag_seconds 76.5"));
    metrics->set_check_lag(std::chrono::milliseconds{-3});
    EXPECT_THAT(samples(scrape(*metrics), "dkimwatch_check_lag_seconds"),
                ElementsAre("dkimwatch_check_lag_seconds 0"));
}

} // namespace
