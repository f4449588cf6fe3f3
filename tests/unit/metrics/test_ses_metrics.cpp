// The SES families (metrics/ses_metrics.hpp) as DaemonMetrics renders them: one status series
// per identity, findings that come and go, per-source gauges, request counters, removal, and
// `promtool check metrics` clean.

#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace dkimwatch;
using dkimwatch::test::samples;
using testing::ElementsAre;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

namespace {

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"444455556666", "eu-west-1", "beta.example"};

std::unique_ptr<DaemonMetrics> start_metrics() {
    auto started = DaemonMetrics::start("127.0.0.1:0", "1.2.3");
    if (!started.ok()) {
        ADD_FAILURE() << started.error();
        return nullptr;
    }
    return std::move(started).value();
}

SesDomainIdentity ses_identity(std::string domain, SesDkimStatus status, bool signing) {
    SesDomainIdentity identity;
    identity.domain = std::move(domain);
    identity.status = status;
    identity.signing_enabled = signing;
    return identity;
}

// The sample lines that start with `prefix` (a family and some of its labels).
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) == 0) {
            lines.push_back(line);
        }
    }
    return lines;
}

SesFinding finding(SesFindingCode code) {
    return SesFinding{code, Severity::error, "message"};
}

// `promtool check metrics` on `text`: its exit code (0: lint-clean) and output.
std::pair<int, std::string> promtool(const std::string& text) {
    const auto path = std::filesystem::path{testing::TempDir()} /
                      ("dkimwatch_ses_metrics_" + std::to_string(getpid()) + ".prom");
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

TEST(SesMetrics, NoSeriesBeforeAnything) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    const std::string text = metrics->render();
    for (const char* family :
         {"dkimwatch_ses_dkim_status", "dkimwatch_ses_signing_enabled", "dkimwatch_ses_finding",
          "dkimwatch_ses_identities", "dkimwatch_ses_sync_last_success_timestamp_seconds",
          "dkimwatch_ses_api_requests_total"}) {
        EXPECT_THAT(samples(text, family), IsEmpty()) << family;
    }
}

TEST(SesMetrics, OneStatusSeriesPerIdentityReplacedOnChange) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::success, true),
                              {});
    metrics->set_ses_identity(k_beta, ses_identity("beta.example", SesDkimStatus::pending, false),
                              {});
    std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_ses_dkim_status"),
                UnorderedElementsAre("dkimwatch_ses_dkim_status{account=\"111122223333\","
                                     "domain=\"alpha.example\",region=\"us-east-1\","
                                     "status=\"SUCCESS\"} 1",
                                     "dkimwatch_ses_dkim_status{account=\"444455556666\","
                                     "domain=\"beta.example\",region=\"eu-west-1\","
                                     "status=\"PENDING\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_ses_signing_enabled"),
                UnorderedElementsAre("dkimwatch_ses_signing_enabled{account=\"111122223333\","
                                     "domain=\"alpha.example\",region=\"us-east-1\"} 1",
                                     "dkimwatch_ses_signing_enabled{account=\"444455556666\","
                                     "domain=\"beta.example\",region=\"eu-west-1\"} 0"));

    // SUCCESS -> FAILED, signing switched off: the SUCCESS series is gone, not 0.
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::failed, false),
                              {});
    text = metrics->render();
    EXPECT_THAT(lines_starting(text, "dkimwatch_ses_dkim_status{account=\"111122223333\""),
                ElementsAre("dkimwatch_ses_dkim_status{account=\"111122223333\","
                            "domain=\"alpha.example\",region=\"us-east-1\",status=\"FAILED\"} 1"));
    EXPECT_THAT(lines_starting(text, "dkimwatch_ses_signing_enabled{account=\"111122223333\""),
                ElementsAre("dkimwatch_ses_signing_enabled{account=\"111122223333\","
                            "domain=\"alpha.example\",region=\"us-east-1\"} 0"));

    // A status SES added later is exported as UNKNOWN.
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::unknown, false),
                              {});
    EXPECT_THAT(
        lines_starting(metrics->render(), "dkimwatch_ses_dkim_status{account=\"111122223333\""),
        ElementsAre("dkimwatch_ses_dkim_status{account=\"111122223333\","
                    "domain=\"alpha.example\",region=\"us-east-1\",status=\"UNKNOWN\"} "
                    "1"));
}

TEST(SesMetrics, FindingsHoldWhilePresentAndAreRemovedAfter) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    const auto identity = ses_identity("alpha.example", SesDkimStatus::failed, false);
    // A repeated code gives one series.
    metrics->set_ses_identity(k_alpha, identity,
                              {finding(SesFindingCode::signing_disabled),
                               finding(SesFindingCode::ses_failed),
                               finding(SesFindingCode::email_identity_unsigned),
                               finding(SesFindingCode::email_identity_unsigned)});
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_ses_finding"),
                UnorderedElementsAre(
                    "dkimwatch_ses_finding{account=\"111122223333\",domain=\"alpha.example\","
                    "finding=\"signing_disabled\",region=\"us-east-1\"} 1",
                    "dkimwatch_ses_finding{account=\"111122223333\",domain=\"alpha.example\","
                    "finding=\"ses_failed\",region=\"us-east-1\"} 1",
                    "dkimwatch_ses_finding{account=\"111122223333\",domain=\"alpha.example\","
                    "finding=\"email_identity_unsigned\",region=\"us-east-1\"} 1"));

    metrics->set_ses_identity(
        k_alpha, identity,
        {finding(SesFindingCode::ses_failed), finding(SesFindingCode::ses_dns_disagree)});
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_ses_finding"),
                UnorderedElementsAre(
                    "dkimwatch_ses_finding{account=\"111122223333\",domain=\"alpha.example\","
                    "finding=\"ses_failed\",region=\"us-east-1\"} 1",
                    "dkimwatch_ses_finding{account=\"111122223333\",domain=\"alpha.example\","
                    "finding=\"ses_dns_disagree\",region=\"us-east-1\"} 1"));

    metrics->set_ses_identity(k_alpha, identity, {});
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_ses_finding"), IsEmpty());
}

TEST(SesMetrics, RemovingAnIdentityDropsAllItsSeries) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::failed, false),
                              {finding(SesFindingCode::signing_disabled)});
    metrics->set_ses_identity(k_beta, ses_identity("beta.example", SesDkimStatus::success, true),
                              {finding(SesFindingCode::weak_signing_key)});
    metrics->remove_ses_identity(k_alpha);
    metrics->remove_ses_identity(IdentityKey{"x", "y", "unknown.example"}); // ignored
    const std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_ses_dkim_status"),
                ElementsAre("dkimwatch_ses_dkim_status{account=\"444455556666\","
                            "domain=\"beta.example\",region=\"eu-west-1\",status=\"SUCCESS\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_ses_signing_enabled"),
                ElementsAre("dkimwatch_ses_signing_enabled{account=\"444455556666\","
                            "domain=\"beta.example\",region=\"eu-west-1\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_ses_finding"),
                ElementsAre("dkimwatch_ses_finding{account=\"444455556666\","
                            "domain=\"beta.example\",finding=\"weak_signing_key\","
                            "region=\"eu-west-1\"} 1"));
    // Back again: exported afresh.
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::pending, true),
                              {});
    EXPECT_EQ(samples(metrics->render(), "dkimwatch_ses_dkim_status").size(), 2u);
}

// An identity that SES does not list (not_in_ses) has a finding series and nothing else; when
// SES lists it later, its status and signing series come back, and an empty set drops all.
TEST(SesMetrics, AnUnlistedIdentityHasOnlyItsFindings) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::success, true),
                              {});
    metrics->set_ses_unlisted(k_alpha, {finding(SesFindingCode::not_in_ses)});
    std::string text = metrics->render();
    EXPECT_TRUE(samples(text, "dkimwatch_ses_dkim_status").empty());
    EXPECT_TRUE(samples(text, "dkimwatch_ses_signing_enabled").empty());
    EXPECT_THAT(samples(text, "dkimwatch_ses_finding"),
                ElementsAre("dkimwatch_ses_finding{account=\"111122223333\","
                            "domain=\"alpha.example\",finding=\"not_in_ses\","
                            "region=\"us-east-1\"} 1"));
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::success, true),
                              {});
    text = metrics->render();
    EXPECT_EQ(samples(text, "dkimwatch_ses_dkim_status").size(), 1u);
    EXPECT_TRUE(samples(text, "dkimwatch_ses_finding").empty());
    metrics->set_ses_unlisted(k_alpha, {});
    EXPECT_TRUE(samples(metrics->render(), "dkimwatch_ses_dkim_status").empty());
}

TEST(SesMetrics, SourcesAndRequests) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    const TimePoint synced{std::chrono::milliseconds{1'714'564'800'500}};
    // From a saved inventory without a listing yet: no timestamp.
    metrics->set_ses_source("111122223333", "us-east-1", 3, std::nullopt);
    std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_ses_identities"),
                ElementsAre("dkimwatch_ses_identities{account=\"111122223333\","
                            "region=\"us-east-1\"} 3"));
    EXPECT_THAT(samples(text, "dkimwatch_ses_sync_last_success_timestamp_seconds"), IsEmpty());

    metrics->set_ses_source("111122223333", "us-east-1", 4, synced);
    metrics->set_ses_source("111122223333", "eu-west-1", 0, synced);
    // nullopt keeps the last value.
    metrics->set_ses_source("111122223333", "eu-west-1", 1, std::nullopt);
    metrics->count_ses_api_request("111122223333", "us-east-1", "ListEmailIdentities", "200");
    metrics->count_ses_api_request("111122223333", "us-east-1", "ListEmailIdentities", "200");
    metrics->count_ses_api_request("111122223333", "us-east-1", "ListEmailIdentities", "429");
    metrics->count_ses_api_request("111122223333", "eu-west-1", "AssumeRole", "error");
    text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_ses_identities"),
                UnorderedElementsAre("dkimwatch_ses_identities{account=\"111122223333\","
                                     "region=\"us-east-1\"} 4",
                                     "dkimwatch_ses_identities{account=\"111122223333\","
                                     "region=\"eu-west-1\"} 1"));
    EXPECT_THAT(
        samples(text, "dkimwatch_ses_sync_last_success_timestamp_seconds"),
        UnorderedElementsAre("dkimwatch_ses_sync_last_success_timestamp_seconds{"
                             "account=\"111122223333\",region=\"us-east-1\"} 1714564800.5",
                             "dkimwatch_ses_sync_last_success_timestamp_seconds{"
                             "account=\"111122223333\",region=\"eu-west-1\"} 1714564800.5"));
    EXPECT_THAT(samples(text, "dkimwatch_ses_api_requests_total"),
                UnorderedElementsAre("dkimwatch_ses_api_requests_total{account=\"111122223333\","
                                     "code=\"200\",operation=\"ListEmailIdentities\","
                                     "region=\"us-east-1\"} 2",
                                     "dkimwatch_ses_api_requests_total{account=\"111122223333\","
                                     "code=\"429\",operation=\"ListEmailIdentities\","
                                     "region=\"us-east-1\"} 1",
                                     "dkimwatch_ses_api_requests_total{account=\"111122223333\","
                                     "code=\"error\",operation=\"AssumeRole\","
                                     "region=\"eu-west-1\"} 1"));

    metrics->remove_ses_source("111122223333", "us-east-1");
    text = metrics->render();
    EXPECT_EQ(samples(text, "dkimwatch_ses_identities").size(), 1u);
    EXPECT_EQ(samples(text, "dkimwatch_ses_sync_last_success_timestamp_seconds").size(), 1u);
    EXPECT_THAT(samples(text, "dkimwatch_ses_api_requests_total"),
                ElementsAre("dkimwatch_ses_api_requests_total{account=\"111122223333\","
                            "code=\"error\",operation=\"AssumeRole\",region=\"eu-west-1\"} 1"));
}

TEST(SesMetrics, ConcurrentUpdatesAndScrapesAreSafe) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&metrics, t] {
            const IdentityKey key{"111122223333", "us-east-1",
                                  "d" + std::to_string(t) + ".example"};
            for (int i = 0; i < 200; ++i) {
                const auto status = i % 2 == 0 ? SesDkimStatus::success : SesDkimStatus::failed;
                metrics->set_ses_identity(key, ses_identity(key.domain, status, i % 3 == 0),
                                          {finding(SesFindingCode::ses_failed)});
                metrics->count_ses_api_request("111122223333", "us-east-1", "GetEmailIdentity",
                                               "200");
                (void)metrics->render();
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const std::string text = metrics->render();
    EXPECT_EQ(samples(text, "dkimwatch_ses_dkim_status").size(), 4u);
    EXPECT_THAT(samples(text, "dkimwatch_ses_api_requests_total"),
                ElementsAre("dkimwatch_ses_api_requests_total{account=\"111122223333\","
                            "code=\"200\",operation=\"GetEmailIdentity\",region=\"us-east-1\"} "
                            "800"));
}

TEST(SesMetrics, TheExpositionIsPromtoolClean) {
    ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool is missing";
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_ses_identity(k_alpha, ses_identity("alpha.example", SesDkimStatus::failed, false),
                              {finding(SesFindingCode::signing_disabled)});
    metrics->set_ses_source("111122223333", "us-east-1", 1,
                            TimePoint{std::chrono::milliseconds{1'714'564'800'000}});
    metrics->count_ses_api_request("111122223333", "us-east-1", "ListEmailIdentities", "200");
    const auto [exit_code, output] = promtool(metrics->render());
    EXPECT_EQ(exit_code, 0) << output;
    EXPECT_EQ(output, "");
}
