// The authoritative and DNSSEC families (metrics/dns_health_metrics.hpp) as DaemonMetrics renders
// them: serials per zone and server, removal of a server and of a zone, the earliest signature
// expiry, the unreachable counter, the new verdict codes in dkimwatch_record_problem, and
// `promtool check metrics` clean.

#include "http_test_support.hpp"
#include "metrics/daemon_metrics.hpp"

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

std::chrono::system_clock::time_point at_seconds(long long seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

// `promtool check metrics` on `text`: its exit code (0: lint-clean) and output.
std::pair<int, std::string> promtool(const std::string& text) {
    const auto path = std::filesystem::path{testing::TempDir()} /
                      ("dkimwatch_dns_health_metrics_" + std::to_string(getpid()) + ".prom");
    std::ofstream{path} << text;
    const std::string command = "/usr/bin/promtool check metrics < '" + path.string() + "' 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, "popen failed"};
    }
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) {
        output += buffer;
    }
    const int status = pclose(pipe);
    std::filesystem::remove(path);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

} // namespace

TEST(DnsHealthMetrics, OnlyTheUnreachableCounterBeforeAnything) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    const std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_zone_serial"), IsEmpty());
    EXPECT_THAT(samples(text, "dkimwatch_dnssec_signature_expiry_timestamp_seconds"), IsEmpty());
    EXPECT_THAT(samples(text, "dkimwatch_authoritative_unreachable_total"),
                ElementsAre("dkimwatch_authoritative_unreachable_total 0"));
}

TEST(DnsHealthMetrics, OneSerialSeriesPerZoneAndServerAddress) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_zone_serial("example.com", "ns1.example.net", "192.0.2.1", 2026120301U);
    metrics->set_zone_serial("example.com", "ns1.example.net", "2001:db8::1", 2026120301U);
    metrics->set_zone_serial("example.com", "ns2.example.net", "192.0.2.2", 2026113000U);
    metrics->set_zone_serial("example.org", "ns1.example.net", "192.0.2.1", 7U);
    // A new serial replaces the value; the largest serial is exact.
    metrics->set_zone_serial("example.org", "ns1.example.net", "192.0.2.1", 4294967295U);
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_zone_serial"),
                UnorderedElementsAre(
                    "dkimwatch_zone_serial{address=\"192.0.2.1\",server=\"ns1.example.net\","
                    "zone=\"example.com\"} 2026120301",
                    "dkimwatch_zone_serial{address=\"2001:db8::1\",server=\"ns1.example.net\","
                    "zone=\"example.com\"} 2026120301",
                    "dkimwatch_zone_serial{address=\"192.0.2.2\",server=\"ns2.example.net\","
                    "zone=\"example.com\"} 2026113000",
                    "dkimwatch_zone_serial{address=\"192.0.2.1\",server=\"ns1.example.net\","
                    "zone=\"example.org\"} 4294967295"));

    // A server that left the NS set loses its series; unknown ones are ignored.
    metrics->remove_zone_server("example.com", "ns1.example.net", "2001:db8::1");
    metrics->remove_zone_server("example.com", "ns9.example.net", "192.0.2.9");
    metrics->remove_zone_server("nowhere.example", "ns1.example.net", "192.0.2.1");
    EXPECT_EQ(samples(metrics->render(), "dkimwatch_zone_serial").size(), 3u);
}

TEST(DnsHealthMetrics, SignatureExpiryPerZone) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_dnssec_expiry("example.com", at_seconds(1795780800));
    metrics->set_dnssec_expiry("example.org", at_seconds(1795000000));
    metrics->set_dnssec_expiry("example.com", at_seconds(1795867200));
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_dnssec_signature_expiry_timestamp_seconds"),
                UnorderedElementsAre("dkimwatch_dnssec_signature_expiry_timestamp_seconds{"
                                     "zone=\"example.com\"} 1795867200",
                                     "dkimwatch_dnssec_signature_expiry_timestamp_seconds{"
                                     "zone=\"example.org\"} 1795000000"));
    metrics->remove_dnssec_expiry("example.org");
    metrics->remove_dnssec_expiry("unknown.example");
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_dnssec_signature_expiry_timestamp_seconds"),
                ElementsAre("dkimwatch_dnssec_signature_expiry_timestamp_seconds{"
                            "zone=\"example.com\"} 1795867200"));
}

TEST(DnsHealthMetrics, RemovingAZoneDropsItsSerialsAndExpiryOnly) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_zone_serial("example.com", "ns1.example.net", "192.0.2.1", 1U);
    metrics->set_zone_serial("example.com", "ns2.example.net", "192.0.2.2", 1U);
    metrics->set_zone_serial("example.org", "ns1.example.net", "192.0.2.1", 2U);
    metrics->set_dnssec_expiry("example.com", at_seconds(1795780800));
    metrics->set_dnssec_expiry("example.org", at_seconds(1795780800));
    metrics->remove_zone("example.com");
    metrics->remove_zone("unknown.example");
    std::string text = metrics->render();
    EXPECT_THAT(samples(text, "dkimwatch_zone_serial"),
                ElementsAre("dkimwatch_zone_serial{address=\"192.0.2.1\",server=\"ns1.example."
                            "net\",zone=\"example.org\"} 2"));
    EXPECT_THAT(samples(text, "dkimwatch_dnssec_signature_expiry_timestamp_seconds"),
                ElementsAre("dkimwatch_dnssec_signature_expiry_timestamp_seconds{"
                            "zone=\"example.org\"} 1795780800"));
    // Back again: exported afresh.
    metrics->set_zone_serial("example.com", "ns1.example.net", "192.0.2.1", 3U);
    EXPECT_EQ(samples(metrics->render(), "dkimwatch_zone_serial").size(), 2u);
}

TEST(DnsHealthMetrics, UnreachableChecksAreCounted) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->add_authoritative_unreachable(3);
    metrics->add_authoritative_unreachable(0);
    metrics->add_authoritative_unreachable(1);
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_authoritative_unreachable_total"),
                ElementsAre("dkimwatch_authoritative_unreachable_total 4"));
}

TEST(DnsHealthMetrics, RecordProblemCarriesTheNewVerdicts) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    const IdentityKey key{"111122223333", "us-east-1", "alpha.example"};
    std::vector<RecordVerdict> records;
    for (const auto& [name, code] : std::vector<std::pair<std::string, VerdictCode>>{
             {"t1._domainkey.alpha.example", VerdictCode::ns_split},
             {"t2._domainkey.alpha.example", VerdictCode::lame_server},
             {"t3._domainkey.alpha.example", VerdictCode::dnssec_bogus},
             {"sel._domainkey.alpha.example", VerdictCode::dnssec_expiring}}) {
        RecordVerdict record;
        record.name = name;
        record.code = code;
        record.severity = severity_of(code);
        records.push_back(record);
    }
    metrics->update_identity(key, IdentityState::verified, std::nullopt, std::nullopt, records);
    const std::string labels =
        "account=\"111122223333\",region=\"us-east-1\",domain=\"alpha.example\"";
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_record_problem"),
                UnorderedElementsAre(
                    "dkimwatch_record_problem{" + labels +
                        ",record=\"t1._domainkey.alpha.example\",verdict=\"ns_split\"} 1",
                    "dkimwatch_record_problem{" + labels +
                        ",record=\"t2._domainkey.alpha.example\",verdict=\"lame_server\"} 1",
                    "dkimwatch_record_problem{" + labels +
                        ",record=\"t3._domainkey.alpha.example\",verdict=\"dnssec_bogus\"} 1",
                    "dkimwatch_record_problem{" + labels +
                        ",record=\"sel._domainkey.alpha.example\",verdict=\"dnssec_expiring\"} 1"));
}

TEST(DnsHealthMetrics, ConcurrentUpdatesAndScrapesAreSafe) {
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&metrics, t] {
            const std::string zone = "zone" + std::to_string(t % 2) + ".example";
            for (std::uint32_t i = 0; i < 200; ++i) {
                metrics->set_zone_serial(zone, "ns1.example.net", "192.0.2.1", i);
                metrics->set_dnssec_expiry(zone, at_seconds(1795780800 + i));
                metrics->add_authoritative_unreachable(1);
                if (i % 50 == 0) {
                    metrics->remove_zone(zone);
                }
            }
        });
    }
    threads.emplace_back([&metrics] {
        for (int i = 0; i < 50; ++i) {
            (void)metrics->render();
        }
    });
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_THAT(samples(metrics->render(), "dkimwatch_authoritative_unreachable_total"),
                ElementsAre("dkimwatch_authoritative_unreachable_total 800"));
}

TEST(DnsHealthMetrics, TheExpositionIsPromtoolClean) {
    ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool is missing";
    auto metrics = start_metrics();
    ASSERT_NE(metrics, nullptr);
    metrics->set_zone_serial("example.com", "ns1.example.net", "192.0.2.1", 2026120301U);
    metrics->set_dnssec_expiry("example.com", at_seconds(1795780800));
    metrics->add_authoritative_unreachable(2);
    const auto [exit_code, output] = promtool(metrics->render());
    EXPECT_EQ(exit_code, 0) << output;
    EXPECT_EQ(output, "");
}
