#include "config/config_loader.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iterator>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace dkimwatch {

// "line:column" in failure messages.
void PrintTo(const ConfigPosition& position, std::ostream* out) {
    *out << position.line << ":" << position.column;
}

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

const fs::path k_cases_dir = fs::path(DKIMWATCH_TEST_DATA_DIR) / "config_cases";

std::vector<unsigned char> file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string file_text(const fs::path& path) {
    const auto bytes = file_bytes(path);
    return {bytes.begin(), bytes.end()};
}

// The errors of a load that must fail, as ConfigError::to_string() lines.
std::vector<std::string> error_lines(const ConfigLoadResult& result) {
    const auto* errors = std::get_if<std::vector<ConfigError>>(&result);
    if (errors == nullptr) {
        ADD_FAILURE() << "the configuration loaded without errors";
        return {};
    }
    std::vector<std::string> lines;
    for (const ConfigError& error : *errors) {
        lines.push_back(error.to_string());
    }
    return lines;
}

// The configuration of a load that must succeed.
Config loaded(const ConfigLoadResult& result) {
    if (const auto* errors = std::get_if<std::vector<ConfigError>>(&result)) {
        std::string all;
        for (const ConfigError& error : *errors) {
            all += error.to_string() + "\n";
        }
        ADD_FAILURE() << "unexpected errors:\n" << all;
        return {};
    }
    return std::get<Config>(result);
}

std::vector<std::string> text_errors(std::string_view yaml) {
    return error_lines(load_config_text(yaml, "dkimwatch.yaml", k_cases_dir));
}

constexpr std::string_view k_identity = R"(
identities:
  - domain: example.com
    account: "111122223333"
    region: us-east-1
    easy_dkim:
      tokens: [tok1, tok2, tok3]
)";

// ---------------------------------------------------------------------------------------------

TEST(ConfigError, ToStringWithAndWithoutPosition) {
    EXPECT_EQ((ConfigError{"dkimwatch.yaml", 14, 7, "boom"}).to_string(),
              "dkimwatch.yaml:14:7: boom");
    EXPECT_EQ((ConfigError{"dkimwatch.yaml", 14, 0, "boom"}).to_string(),
              "dkimwatch.yaml:14: boom");
    EXPECT_EQ((ConfigError{"dkimwatch.yaml", 0, 0, "boom"}).to_string(), "dkimwatch.yaml: boom");
}

TEST(LoadConfigFile, MissingFileIsOneWholeFileError) {
    const fs::path path = k_cases_dir / "does-not-exist.yaml";
    auto result = load_config_file(path);
    const auto* errors = std::get_if<std::vector<ConfigError>>(&result);
    ASSERT_NE(errors, nullptr);
    ASSERT_EQ(errors->size(), 1U);
    EXPECT_EQ(errors->front().file, path.string());
    EXPECT_EQ(errors->front().line, 0);
    EXPECT_EQ(errors->front().to_string(),
              path.string() + ": cannot read: No such file or directory");
}

// Every file is read through the bounded reader: a FIFO used to block forever, /dev/zero to be
// read until the 256 MiB limit, and a YAML of tens of MB to take gigabytes in yaml-cpp.
class LoadConfigFileKinds : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/dkimwatch-config-files-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { fs::remove_all(m_dir); }
    std::string whole_file_error(const fs::path& path) {
        const auto lines = error_lines(load_config_file(path));
        return lines.size() == 1 ? lines.front() : "(" + std::to_string(lines.size()) + " errors)";
    }
    fs::path m_dir;
};

TEST_F(LoadConfigFileKinds, TheConfigurationMustBeARegularFile) {
    const fs::path fifo = m_dir / "fifo.yaml";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(whole_file_error(fifo),
              fifo.string() + ": is a FIFO (named pipe), not a regular file");
    EXPECT_EQ(whole_file_error("/dev/zero"),
              "/dev/zero: is a character device, not a regular file");
    EXPECT_EQ(whole_file_error(m_dir), m_dir.string() + ": is a directory, not a regular file");
}

TEST_F(LoadConfigFileKinds, AnOversizedConfigurationPointsToIdentitiesFile) {
    const fs::path big = m_dir / "big.yaml";
    {
        std::ofstream out(big);
        out << "identities:\n";
        const std::string comment = "# " + std::string(1000, 'x') + "\n";
        while (static_cast<std::size_t>(out.tellp()) <= 8u * 1024 * 1024) {
            out << comment;
        }
    }
    EXPECT_EQ(whole_file_error(big),
              big.string() + ": is larger than 8 MiB, the limit for a YAML configuration (yaml-cpp "
                             "needs about 60 times a file's size in memory); list a large "
                             "inventory in identities_file, one line per identity, which has no "
                             "such cost");
}

TEST_F(LoadConfigFileKinds, NamedFilesMustBeRegularFilesAndErrorsKeepTheirPosition) {
    ASSERT_EQ(::mkfifo((m_dir / "fifo").c_str(), 0600), 0);
    fs::create_directory(m_dir / "keys.d");
    const std::string yaml = R"(identities_file: fifo
identities:
  - domain: example.org
    account: "1"
    region: eu-west-1
    byodkim:
      selector: sel1
      private_key_file: /dev/zero
  - domain: example.net
    account: "1"
    region: eu-west-1
    byodkim:
      selector: sel1
      public_key_file: keys.d
alerts:
  - name: hook
    type: webhook
    url_file: fifo
)";
    EXPECT_THAT(
        error_lines(load_config_text(yaml, "files.yaml", m_dir)),
        ElementsAre("files.yaml:1:18: identities_file \"fifo\" (" + (m_dir / "fifo").string() +
                        "): is a FIFO (named pipe), not a regular file",
                    "files.yaml:8:25: byodkim.private_key_file \"/dev/zero\": is a character "
                    "device, not a regular file",
                    "files.yaml:14:24: byodkim.public_key_file \"keys.d\" (" +
                        (m_dir / "keys.d").string() + "): is a directory, not a regular file",
                    "files.yaml:18:15: alerts[0].url_file \"fifo\" (" + (m_dir / "fifo").string() +
                        "): is a FIFO (named pipe), not a regular file"));
}

TEST(LoadConfigFile, OrReportWritesEveryErrorOneLineEach) {
    std::ostringstream errors;
    const fs::path bad = k_cases_dir / "bad" / "duplicate_identity.yaml";
    EXPECT_FALSE(load_config_or_report(bad, errors).has_value());
    std::string expected;
    for (const auto& line : error_lines(load_config_file(bad))) {
        expected += line + "\n";
    }
    EXPECT_EQ(errors.str(), expected);
    EXPECT_NE(expected.find("duplicate identity"), std::string::npos);

    std::ostringstream none;
    const auto config = load_config_or_report(k_cases_dir / "good" / "minimal.yaml", none);
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->source_path, (k_cases_dir / "good" / "minimal.yaml").string());
    EXPECT_EQ(none.str(), "");
}

TEST(LoadConfigFile, MinimalConfigGetsDefaults) {
    const fs::path path = k_cases_dir / "good" / "minimal.yaml";
    const Config config = loaded(load_config_file(path));
    EXPECT_EQ(config.source_path, path.string());
    EXPECT_TRUE(config.dns.resolvers.empty());
    EXPECT_EQ(config.dns.timeout, 2s);
    EXPECT_EQ(config.dns.attempts, 3);
    EXPECT_EQ(config.dns.max_inflight, 256);
    EXPECT_EQ(config.dns.max_qps, 1000);
    EXPECT_TRUE(config.dns.authoritative);
    EXPECT_EQ(config.dns.authoritative_port, 53);
    EXPECT_TRUE(config.dns.dnssec);
    EXPECT_EQ(config.dns.trust_anchor_file, "/usr/share/dns/root.key");
    EXPECT_EQ(config.dns.dnssec_expiry_warning, 72h);
    EXPECT_EQ(config.dns.zone_poll_interval, 1min);
    ASSERT_EQ(config.identities.size(), 1U);
    const Identity& identity = config.identities[0];
    EXPECT_EQ(identity.domain, "example.com");
    EXPECT_EQ(identity.account, "111122223333");
    EXPECT_EQ(identity.region, "us-east-1");
    const auto* easy = std::get_if<EasyDkim>(&identity.method);
    ASSERT_NE(easy, nullptr);
    EXPECT_EQ(easy->tokens, (std::array<std::string, 3>{"tok1", "tok2", "tok3"}));
    EXPECT_EQ(easy->signing_hosted_zone, "dkim.amazonses.com");
    EXPECT_FALSE(easy->hosted_zone_from_config);

    EXPECT_EQ(config.daemon.check_interval, 10min);
    EXPECT_EQ(config.daemon.recheck_interval, 1min);
    EXPECT_EQ(config.daemon.state_dir, "/var/lib/dkimwatch");
    EXPECT_EQ(config.daemon.metrics_listen, "127.0.0.1:9797");
    EXPECT_EQ(config.policy.confirmations, 2);
    EXPECT_EQ(config.policy.pending_timeout, 72h);
    EXPECT_EQ(config.policy.revocation_window, 120h);
    EXPECT_EQ(config.policy.blind_after, 1h);
    EXPECT_EQ(config.policy.reminders, (std::vector<std::chrono::milliseconds>{48h, 24h, 6h, 1h}));
    EXPECT_EQ(config.policy, StateMachinePolicy{});
    EXPECT_TRUE(config.alerts.sinks.empty());
    EXPECT_EQ(config.alerts.group_threshold, 10U);
    EXPECT_EQ(config.alerts.max_retry_age, 24h);
    EXPECT_EQ(config.alerts.group_wait, 10s);
    EXPECT_EQ(config.alerts.group_interval, 1min);
}

TEST(LoadConfigFile, FullConfig) {
    const Config config = loaded(load_config_file(k_cases_dir / "good" / "full.yaml"));
    EXPECT_EQ(config.dns.resolvers, (std::vector<ServerAddress>{{"127.0.0.1", 5301, false},
                                                                {"::1", 53, true},
                                                                {"9.9.9.9", 53, false},
                                                                {"2001:db8::53", 53, true},
                                                                {"fe80::1", 5300, true}}));
    EXPECT_EQ(config.dns.timeout, 1500ms);
    EXPECT_EQ(config.dns.attempts, 5);
    EXPECT_EQ(config.dns.max_inflight, 64);
    EXPECT_EQ(config.dns.max_qps, 0);
    EXPECT_FALSE(config.dns.authoritative);
    EXPECT_EQ(config.dns.authoritative_port, 5353);
    EXPECT_TRUE(config.dns.dnssec);
    EXPECT_EQ(config.dns.trust_anchor_file,
              (k_cases_dir / "good" / "root.key").lexically_normal().string());
    EXPECT_EQ(config.dns.dnssec_expiry_warning, 36h);
    EXPECT_EQ(config.dns.zone_poll_interval, 0s);

    EXPECT_EQ(config.daemon.check_interval, 5min);
    EXPECT_EQ(config.daemon.recheck_interval, 30s);
    EXPECT_EQ(config.daemon.state_dir,
              (k_cases_dir / "state" / "dkimwatch").lexically_normal().string());
    EXPECT_EQ(config.daemon.metrics_listen, "0.0.0.0:0");
    EXPECT_EQ(config.policy.confirmations, 3);
    EXPECT_EQ(config.policy.pending_timeout, 48h);
    EXPECT_EQ(config.policy.revocation_window, 96h);
    EXPECT_EQ(config.policy.blind_after, 0s);
    EXPECT_EQ(config.policy.reminders, (std::vector<std::chrono::milliseconds>{72h, 24h, 90min}));
    EXPECT_EQ(policy_error(config.policy), std::nullopt);

    ASSERT_EQ(config.identities.size(), 5U);

    // Canonical names, a numeric account kept as text, the region's own hosted zone.
    const Identity& first = config.identities[0];
    EXPECT_EQ(first.domain, "example.com");
    EXPECT_EQ(first.account, "011122223333");
    EXPECT_EQ(first.region, "eu-south-1");
    const auto& first_easy = std::get<EasyDkim>(first.method);
    EXPECT_EQ(first_easy.tokens, (std::array<std::string, 3>{"abcdefghijklmnopqrstuvwxyz234567",
                                                             "bcdefghijklmnopqrstuvwxyz2345672",
                                                             "cdefghijklmnopqrstuvwxyz23456723"}));
    EXPECT_EQ(first_easy.signing_hosted_zone, "dkim.eu-south-1.amazonses.com");
    EXPECT_FALSE(first_easy.hosted_zone_from_config);

    const auto& second_easy = std::get<EasyDkim>(config.identities[1].method);
    EXPECT_EQ(second_easy.signing_hosted_zone, "dkim.test");
    EXPECT_TRUE(second_easy.hosted_zone_from_config);

    const fs::path keys = (k_cases_dir / "keys").lexically_normal();
    const auto rsa2048_der = file_bytes(keys / "rsa2048.pub.der");
    const auto rsa1024_der = file_bytes(keys / "rsa1024.pub.der");

    const Identity& inline_key = config.identities[2];
    EXPECT_EQ(inline_key.domain, "example.org");
    const auto& inline_byodkim = std::get<Byodkim>(inline_key.method);
    EXPECT_EQ(inline_byodkim.selector, "sel2026");
    EXPECT_EQ(inline_byodkim.public_key_der, rsa2048_der);
    EXPECT_EQ(inline_byodkim.key_bits, 2048);
    EXPECT_EQ(inline_byodkim.key_source, "public_key");

    const auto& private_file = std::get<Byodkim>(config.identities[3].method);
    EXPECT_EQ(config.identities[3].region, "us-west-2");
    EXPECT_EQ(private_file.selector, "s1024");
    EXPECT_EQ(private_file.public_key_der, rsa1024_der);
    EXPECT_EQ(private_file.key_bits, 1024);
    EXPECT_EQ(private_file.key_source, "private_key_file " + (keys / "rsa1024_pkcs1.pem").string());

    const auto& public_file = std::get<Byodkim>(config.identities[4].method);
    EXPECT_EQ(public_file.public_key_der, rsa2048_der);
    EXPECT_EQ(public_file.key_bits, 2048);
    EXPECT_EQ(public_file.key_source, "public_key_file " + (keys / "rsa2048.pub.pem").string());
}

TEST(LoadConfigFile, InlineKeysFoldedOrPem) {
    const Config config = loaded(load_config_file(k_cases_dir / "good" / "multiline_key.yaml"));
    ASSERT_EQ(config.identities.size(), 2U);
    const auto der = file_bytes(k_cases_dir / "keys" / "rsa2048.pub.der");
    EXPECT_EQ(std::get<Byodkim>(config.identities[0].method).public_key_der, der);
    EXPECT_EQ(std::get<Byodkim>(config.identities[1].method).public_key_der, der);
}

TEST(LoadConfigText, RelativeKeyPathsResolveAgainstBaseDir) {
    const std::string yaml = R"(
identities:
  - domain: example.org
    account: "111122223333"
    region: eu-west-1
    byodkim:
      selector: sel1
      public_key_file: keys/rsa2048.pub.pem
)";
    const Config config = loaded(load_config_text(yaml, "inline.yaml", k_cases_dir));
    EXPECT_EQ(config.source_path, "inline.yaml");
    ASSERT_EQ(config.identities.size(), 1U);
    EXPECT_EQ(std::get<Byodkim>(config.identities[0].method).key_source,
              "public_key_file " + (k_cases_dir / "keys" / "rsa2048.pub.pem").string());
    // The same text read from another directory cannot find the key, and says where it looked.
    EXPECT_THAT(error_lines(load_config_text(yaml, "inline.yaml", k_cases_dir / "good")),
                ElementsAre("inline.yaml:8:24: byodkim.public_key_file \"keys/rsa2048.pub.pem\" (" +
                            (k_cases_dir / "good" / "keys" / "rsa2048.pub.pem").string() +
                            "): cannot read: No such file or directory"));
}

// SES launches regions: a well-formed name missing from the built-in table loads, with a
// warning at its position (validate prints it, the daemon logs it).
TEST(LoadConfigText, AnUnknownWellFormedRegionLoadsWithAWarning) {
    const Config config = loaded(load_config_text(R"(identities:
  - domain: example.com
    account: "1"
    region: mars-north-9
    easy_dkim: {tokens: [a, b, c]}
  - domain: example.org
    account: "1"
    region: us-east-1
    easy_dkim: {tokens: [a, b, c]}
)",
                                                  "regions.yaml", k_cases_dir));
    ASSERT_EQ(config.identities.size(), 2U);
    EXPECT_EQ(config.identities[0].region, "mars-north-9");
    EXPECT_EQ(std::get<EasyDkim>(config.identities[0].method).signing_hosted_zone,
              "dkim.amazonses.com");
    ASSERT_EQ(config.warnings.size(), 1U);
    EXPECT_EQ(config.warnings[0].to_string(),
              "regions.yaml:4:13: region \"mars-north-9\" is not in dkimwatch's table of SES "
              "regions; accepted as a region SES launched after this release, with its DKIM "
              "records assumed under dkim.amazonses.com (check the spelling, and set "
              "signing_hosted_zone if SES reports another)");
    EXPECT_TRUE(loaded(load_config_text(k_identity, "known.yaml", k_cases_dir)).warnings.empty());
}

TEST(LoadConfigText, IdentitiesFileRegionWarningsReachTheConfig) {
    char pattern[] = "/tmp/dkimwatch-region-warning-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    const fs::path dir = pattern;
    std::ofstream(dir / "ids.csv") << "# comment\n"
                                      "a.test,1,us-east-1,easy_dkim,t1 t2 t3\n"
                                      "b.test,1,mars-north-9,easy_dkim,t1 t2 t3\n";
    const Config config = loaded(load_config_text("identities_file: ids.csv\n", "ids.yaml", dir));
    EXPECT_EQ(config.identities.size(), 2U);
    ASSERT_EQ(config.warnings.size(), 1U);
    EXPECT_EQ(config.warnings[0].file, (dir / "ids.csv").string());
    EXPECT_EQ(config.warnings[0].line, 3);
    EXPECT_EQ(config.warnings[0].column, 10);
    EXPECT_NE(config.warnings[0].message.find("\"mars-north-9\" is not in dkimwatch's table"),
              std::string::npos);
    std::ofstream(dir / "bad.csv") << "c.test,1,Mars_North,easy_dkim,t1 t2 t3\n";
    EXPECT_THAT(error_lines(load_config_text("identities_file: bad.csv\n", "ids.yaml", dir)),
                ElementsAre((dir / "bad.csv").string() +
                            ":1:10: region \"Mars_North\" is not an AWS region name such as "
                            "us-east-1 or eu-west-1"));
    fs::remove_all(dir);
}

TEST(LoadConfigText, ErrorsOfAllSectionsComeInFileOrder) {
    // The duplicate identity is found after both identities are read, yet it is listed
    // between them and the dns error that follows in the file.
    EXPECT_THAT(
        text_errors(R"(identities:
  - domain: example.com
    account: "1"
    region: us-east-1
    easy_dkim: {tokens: [a, b, c]}
  - domain: example.com
    account: "1"
    region: us-east-1
    easy_dkim: {tokens: [a, b]}
dns:
  attempts: 11
)"),
        ElementsAre("dkimwatch.yaml:6:5: duplicate identity (account 1, region us-east-1, "
                    "domain example.com); first defined at line 2",
                    "dkimwatch.yaml:9:17: easy_dkim.tokens must list exactly 3 tokens, got 2",
                    "dkimwatch.yaml:11:13: dns.attempts must be an integer from 1 to 10, "
                    "got 11"));
}

TEST(LoadConfigText, DaemonKeysAtTheirBounds) {
    const Config config = loaded(load_config_text("check_interval: 100ms\n"
                                                  "recheck_interval: 100ms\n"
                                                  "confirmations: 100\n"
                                                  "pending_timeout: 1ms\n"
                                                  "blind_after: 0s\n"
                                                  "reminders: [119h59m59s999ms, 1ms]\n" +
                                                      std::string(k_identity),
                                                  "a.yaml", k_cases_dir));
    EXPECT_EQ(config.daemon.check_interval, 100ms);
    EXPECT_EQ(config.daemon.recheck_interval, 100ms);
    EXPECT_EQ(config.policy.confirmations, 100);
    EXPECT_EQ(config.policy.pending_timeout, 1ms);
    EXPECT_EQ(config.policy.blind_after, 0ms);
    EXPECT_EQ(config.policy.reminders, (std::vector<std::chrono::milliseconds>{120h - 1ms, 1ms}));
    EXPECT_EQ(policy_error(config.policy), std::nullopt);

    const Config one = loaded(
        load_config_text("confirmations: 1\nreminders: []\nmetrics: {}\n" + std::string(k_identity),
                         "a.yaml", k_cases_dir));
    EXPECT_EQ(one.policy.confirmations, 1);
    EXPECT_TRUE(one.policy.reminders.empty());
    EXPECT_EQ(one.daemon.metrics_listen, "127.0.0.1:9797");
}

TEST(LoadConfigText, DefaultsThatDependOnAnotherKey) {
    auto load = [](const std::string& keys) {
        return loaded(load_config_text(keys + std::string(k_identity), "a.yaml", k_cases_dir));
    };
    using Reminders = std::vector<std::chrono::milliseconds>;
    // A check_interval shorter than the default recheck_interval caps it.
    EXPECT_EQ(load("check_interval: 30s\n").daemon.recheck_interval, 30s);
    EXPECT_EQ(load("check_interval: 5m\n").daemon.recheck_interval, 1min);
    EXPECT_EQ(load("check_interval: 1m\nrecheck_interval: 1m\n").daemon.recheck_interval, 1min);
    // A short revocation_window drops the default reminders it cannot hold; written ones stay.
    EXPECT_EQ(load("revocation_window: 24h\n").policy.reminders, (Reminders{6h, 1h}));
    EXPECT_EQ(load("revocation_window: 30m\n").policy.reminders, Reminders{});
    EXPECT_EQ(load("revocation_window: 30m\nreminders: [10m]\n").policy.reminders,
              (Reminders{10min}));
}

TEST(LoadConfigText, ErrorsAcrossKeysComeInFileOrder) {
    // The checks across keys run after the whole file is read; their errors still sit at the
    // dependent key, among the others, and compare with the value written later in the file.
    EXPECT_THAT(text_errors("reminders: [200h]\n"
                            "recheck_interval: 20m\n"
                            "confirmations: 0\n"
                            "check_interval: 15m\n"
                            "check_interval: 30m\n" +
                            std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:13: reminders[0]: 200h is not shorter than "
                            "revocation_window (5d, the default)",
                            "dkimwatch.yaml:2:19: recheck_interval (20m) must not be longer than "
                            "check_interval (15m)",
                            "dkimwatch.yaml:3:16: confirmations must be an integer from 1 to 100, "
                            "got 0",
                            "dkimwatch.yaml:5:1: duplicate key \"check_interval\" at the top "
                            "level; first defined at line 4"));
    // An invalid check_interval or revocation_window is not compared with.
    EXPECT_THAT(text_errors("check_interval: 1x\nrecheck_interval: 1h\n"
                            "revocation_window: 0s\nreminders: [200h]\n" +
                            std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:17: check_interval: \"1x\" is not a duration: "
                            "unknown unit \"x\" (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)",
                            "dkimwatch.yaml:3:20: revocation_window must be more than 0s, got "
                            "0s"));
}

TEST(LoadConfigText, StateDirIsStoredAbsoluteAndNormal) {
    const fs::path base = k_cases_dir.lexically_normal();
    auto state_dir = [](const std::string& written) {
        return loaded(load_config_text("state_dir: " + written + "\n" + std::string(k_identity),
                                       "a.yaml", k_cases_dir))
            .daemon.state_dir;
    };
    EXPECT_EQ(state_dir("/var/lib/dkimwatch"), "/var/lib/dkimwatch");
    EXPECT_EQ(state_dir("/var/lib//dkimwatch/./x/../"), "/var/lib/dkimwatch");
    EXPECT_EQ(state_dir("/"), "/");
    EXPECT_EQ(state_dir("state"), (base / "state").string());
    EXPECT_EQ(state_dir("./a/../b/"), (base / "b").string());
    EXPECT_EQ(state_dir("."), base.string());
    EXPECT_EQ(state_dir("2026"), (base / "2026").string());
    EXPECT_THAT(text_errors("state_dir: \"/var/lib/\\0x\"\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:12: state_dir must not contain a NUL character"));
}

TEST(LoadConfigText, MetricsListenAddresses) {
    auto listen = [](const std::string& written) {
        return loaded(load_config_text("metrics:\n  listen: " + written + "\n" +
                                           std::string(k_identity),
                                       "a.yaml", k_cases_dir))
            .daemon.metrics_listen;
    };
    EXPECT_EQ(listen("127.0.0.1:9797"), "127.0.0.1:9797");
    EXPECT_EQ(listen("0.0.0.0:0"), "0.0.0.0:0");
    EXPECT_EQ(listen("10.1.2.3:65535"), "10.1.2.3:65535");
    EXPECT_EQ(listen("\"127.0.0.1:09797\""), "127.0.0.1:9797");

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"9797", "the host is missing; 0.0.0.0:9797 listens on all interfaces"},
        {"\":9797\"", "the host is missing; 0.0.0.0:9797 listens on all interfaces"},
        {"127.0.0.1", "the port is missing"},
        {"\"127.0.0.1:\"", "the port is missing"},
        {"localhost", "host names are not resolved"},
        {"metrics.example.com:9797", "host names are not resolved"},
        {"\"::1\"", "IPv6 is not supported: the bundled civetweb is built without it"},
        {"\"[::1]:9797\"", "IPv6 is not supported: the bundled civetweb is built without it"},
        {"\"::ffff:127.0.0.1:9797\"",
         "IPv6 is not supported: the bundled civetweb is built without it"},
        {"300.1.1.1:80", "\"300.1.1.1\" is not an IPv4 address"},
        {"127.1:80", "\"127.1\" is not an IPv4 address"},
        {"\"*:9797\"", "\"*\" is not an IPv4 address"},
        {"127.0.0.1:http", "the port \"http\" is not a number"},
        {"127.0.0.1:-1", "the port \"-1\" is not a number"},
        {"127.0.0.1:+80", "the port \"+80\" is not a number"},
        {"127.0.0.1:70000",
         "port 70000 is out of range: ports are 0 to 65535, 0 picks a free port"},
        {"127.0.0.1:99999999999999999999",
         "port 99999999999999999999 is out of range: ports are 0 to 65535, 0 picks a free port"},
    };
    for (const auto& [written, reason] : bad) {
        std::string shown = written;
        if (shown.front() == '"') {
            shown = shown.substr(1, shown.size() - 2);
        }
        EXPECT_THAT(text_errors("metrics:\n  listen: " + written + "\n" + std::string(k_identity)),
                    ElementsAre("dkimwatch.yaml:2:11: metrics.listen \"" + shown +
                                "\" must be IPv4:port, e.g. 127.0.0.1:9797 (" + reason + ")"))
            << written;
    }
    EXPECT_THAT(text_errors("metrics:\n  listen: \"\"\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:2:11: metrics.listen must be IPv4:port, e.g. "
                            "127.0.0.1:9797, got an empty string"));
}

TEST(LoadConfigText, PositionsOfHaAndOfEachSinkAreKeptApartFromTheSettings) {
    const std::string sinks =
        "alerts:\n"
        "  - name: am\n"
        "    type: alertmanager\n"
        "    urls: [\"http://127.0.0.1:9093\", \"http://127.0.0.1:9094\"]\n"
        "  -   {name: hook, type: webhook, url: \"http://127.0.0.1:8080/h\"}\n";
    const Config first = loaded(
        load_config_text("ha: true\n" + sinks + std::string(k_identity), "a.yaml", k_cases_dir));
    EXPECT_EQ(first.positions.ha, (ConfigPosition{1, 1}));
    EXPECT_THAT(first.positions.sinks, ElementsAre(ConfigPosition{3, 5}, ConfigPosition{6, 7}));

    // The same sinks two lines further down, after other keys: they compare equal (a moved
    // sink is not a changed sink), only their positions differ.
    const Config moved = loaded(load_config_text("state_dir: s\n# a comment\n\n" + sinks +
                                                     "ha: true\n" + std::string(k_identity),
                                                 "a.yaml", k_cases_dir));
    ASSERT_EQ(moved.alerts.sinks.size(), 2u);
    EXPECT_EQ(moved.alerts.sinks, first.alerts.sinks);
    EXPECT_THAT(moved.positions.sinks, ElementsAre(ConfigPosition{5, 5}, ConfigPosition{8, 7}));
    EXPECT_EQ(moved.positions.ha, (ConfigPosition{9, 1}));

    // Nothing is written: no position.
    const Config bare = loaded(load_config_text(k_identity, "a.yaml", k_cases_dir));
    EXPECT_EQ(bare.positions.ha, (ConfigPosition{}));
    EXPECT_TRUE(bare.positions.sinks.empty());
}

TEST(LoadConfigText, HaAndShard) {
    auto daemon = [](const std::string& written) {
        return loaded(load_config_text(written + std::string(k_identity), "a.yaml", k_cases_dir))
            .daemon;
    };
    EXPECT_FALSE(daemon("").ha);
    EXPECT_EQ(daemon("").shard, (Shard{1, 1}));
    EXPECT_TRUE(daemon("ha: true\n").ha);
    EXPECT_FALSE(daemon("ha: false\n").ha);
    EXPECT_EQ(daemon("shard: \"2/4\"\n").shard, (Shard{2, 4}));
    EXPECT_EQ(daemon("shard: 3/3\n").shard, (Shard{3, 3}));

    EXPECT_THAT(text_errors("ha: yes\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:5: ha must be true or false, got \"yes\""));
    EXPECT_THAT(text_errors("ha: [true]\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:5: ha must be true or false, got a sequence"));
    EXPECT_THAT(text_errors("shard: \"5/4\"\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:8: shard \"5/4\": the shard 5/4 does not exist: K "
                            "must be between 1 and N"));
    EXPECT_THAT(text_errors("shard: 2\n" + std::string(k_identity)),
                ElementsAre("dkimwatch.yaml:1:8: shard \"2\": a shard is \"K/N\", e.g. \"2/4\" "
                            "for the second of four"));
}

TEST(LoadConfigText, YamlSyntaxErrorHasAPosition) {
    EXPECT_THAT(
        text_errors("identities:\n  - domain: [example.com\n"),
        ElementsAre("dkimwatch.yaml:3:1: YAML syntax error: end of sequence flow not found"));
    EXPECT_THAT(text_errors("dns:\n  timeout: 2s\n\tattempts: 3\n"),
                ElementsAre("dkimwatch.yaml:3:1: YAML syntax error: illegal tab when looking for "
                            "indentation"));
}

TEST(LoadConfigText, DeepNestingIsASyntaxErrorNotACrash) {
    const std::string yaml = "dns: " + std::string(600, '[') + std::string(600, ']') + "\n";
    EXPECT_THAT(text_errors(yaml),
                ElementsAre("dkimwatch.yaml:1:1206: YAML syntax error: nested too deeply"));
}

TEST(LoadConfigText, AccountMayBeANumberOrAnyLabel) {
    const std::string yaml(k_identity);
    auto with_account = [&](const std::string& account) {
        std::string text = yaml;
        text.replace(text.find("\"111122223333\""), 14, account);
        const Config config = loaded(load_config_text(text, "a.yaml", k_cases_dir));
        return config.identities.empty() ? std::string("<none>") : config.identities[0].account;
    };
    EXPECT_EQ(with_account("111122223333"), "111122223333");
    EXPECT_EQ(with_account("000000000001"), "000000000001");
    EXPECT_EQ(with_account("prod"), "prod");
}

TEST(LoadConfigText, AuthoritativeAndDnssecKeysAtTheirBounds) {
    const std::string yaml = "dns:\n  authoritative: on\n  authoritative_port: 65535\n"
                             "  dnssec: off\n  trust_anchor_file: /etc/unbound/root.key\n"
                             "  dnssec_expiry_warning: 1h\n  zone_poll_interval: 1s\n" +
                             std::string(k_identity);
    const Config config = loaded(load_config_text(yaml, "a.yaml", k_cases_dir));
    EXPECT_TRUE(config.dns.authoritative);
    EXPECT_EQ(config.dns.authoritative_port, 65535);
    EXPECT_FALSE(config.dns.dnssec);
    EXPECT_EQ(config.dns.trust_anchor_file, "/etc/unbound/root.key");
    EXPECT_EQ(config.dns.dnssec_expiry_warning, 1h);
    EXPECT_EQ(config.dns.zone_poll_interval, 1s);
    EXPECT_THAT(
        error_lines(load_config_text("dns:\n  authoritative_port: 65536\n  dnssec: ON\n" +
                                         std::string(k_identity),
                                     "a.yaml", k_cases_dir)),
        ElementsAre("a.yaml:2:23: dns.authoritative_port must be a port from 1 to 65535, got 65536",
                    "a.yaml:3:11: dns.dnssec must be on or off, got \"ON\""));
}

TEST(LoadConfigText, DnsLimitsAtTheirBounds) {
    const std::string yaml = "dns:\n  timeout: 60s\n  attempts: 10\n  max_inflight: 65535\n"
                             "  max_qps: 2147483647\n" +
                             std::string(k_identity);
    const Config config = loaded(load_config_text(yaml, "a.yaml", k_cases_dir));
    EXPECT_EQ(config.dns.timeout, 60s);
    EXPECT_EQ(config.dns.attempts, 10);
    EXPECT_EQ(config.dns.max_inflight, 65535);
    EXPECT_EQ(config.dns.max_qps, 2147483647);
    EXPECT_THAT(
        error_lines(load_config_text("dns:\n  max_qps: 2147483648\n" + std::string(k_identity),
                                     "a.yaml", k_cases_dir)),
        ElementsAre("a.yaml:2:12: dns.max_qps must be an integer >= 0 (0 means "
                    "unlimited), got 2147483648"));
}

TEST(LoadConfigText, SameDomainInTwoRegionsOrAccountsIsNotADuplicate) {
    const Config config = loaded(load_config_text(R"(identities:
  - {domain: example.com, account: "1", region: us-east-1, easy_dkim: {tokens: [a, b, c]}}
  - {domain: example.com, account: "1", region: eu-west-1, easy_dkim: {tokens: [d, e, f]}}
  - {domain: example.com, account: "2", region: us-east-1, easy_dkim: {tokens: [g, h, i]}}
)",
                                                  "a.yaml", k_cases_dir));
    EXPECT_EQ(config.identities.size(), 3U);
}

TEST(LoadConfigText, KeyMaterialNeverAppearsInErrors) {
    // A key pasted where a selector belongs, and a private key pasted inline.
    const std::string pem = file_text(k_cases_dir / "keys" / "rsa2048.pem");
    std::string indented;
    for (char c : pem) {
        indented += c;
        if (c == '\n') {
            indented += "        ";
        }
    }
    const std::string b64 = file_text(k_cases_dir / "keys" / "rsa2048.pub.b64");
    const std::string yaml = "identities:\n"
                             "  - domain: example.org\n"
                             "    account: \"1\"\n"
                             "    region: us-east-1\n"
                             "    byodkim:\n"
                             "      selector: " +
                             b64 +
                             "\n"
                             "      public_key: |\n"
                             "        " +
                             indented + "\n";
    const auto errors = text_errors(yaml);
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0], "dkimwatch.yaml:6:17: byodkim.selector \"" + b64.substr(0, 24) +
                             "...\" (392 characters) is 392 characters long: SES selectors are 1 "
                             "to 63 letters and digits, with no periods or other punctuation");
    EXPECT_EQ(errors[1], "dkimwatch.yaml:7:19: byodkim.public_key holds a private key; keep "
                         "private keys out of the configuration and name their file in "
                         "private_key_file");
    for (const std::string& error : errors) {
        EXPECT_EQ(error.find(b64.substr(24, 40)), std::string::npos) << error;
        EXPECT_EQ(error.find(pem.substr(40, 40)), std::string::npos) << error;
    }
}

// ---------------------------------------------------------------------------------------------
// alerts, group_threshold, max_retry_age

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : m_name(name) { ::setenv(name, value, 1); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() { ::unsetenv(m_name); }

private:
    const char* m_name;
};

TEST(AlertSinkTypeName, NamesEveryType) {
    EXPECT_STREQ(alert_sink_type_name(AlertSinkConfig::Type::slack), "slack");
    EXPECT_STREQ(alert_sink_type_name(AlertSinkConfig::Type::webhook), "webhook");
    EXPECT_STREQ(alert_sink_type_name(AlertSinkConfig::Type::alertmanager), "alertmanager");
    EXPECT_STREQ(alert_sink_type_name(AlertSinkConfig::Type::pagerduty), "pagerduty");
}

TEST(LoadConfigFile, AlertSinksOfEveryType) {
    const ScopedEnv am_url("DKIMWATCH_TEST_AM_URL", "http://127.0.0.1:9093/\n");
    const ScopedEnv pd_key("DKIMWATCH_TEST_PD_KEY", "s3cr3tpdenvkey");
    const Config config = loaded(load_config_file(k_cases_dir / "good" / "alerts.yaml"));
    EXPECT_EQ(config.alerts.group_threshold, 5U);
    EXPECT_EQ(config.alerts.max_retry_age, 12h);
    EXPECT_EQ(config.alerts.group_wait, 30s);
    EXPECT_EQ(config.alerts.group_interval, 5min);
    ASSERT_EQ(config.alerts.sinks.size(), 6U);
    using Type = AlertSinkConfig::Type;

    const AlertSinkConfig& slack = config.alerts.sinks[0];
    EXPECT_EQ(slack.name, "ops-slack");
    EXPECT_EQ(slack.type, Type::slack);
    // The file's trailing newline is stripped.
    EXPECT_EQ(slack.url, "https://hooks.slack.com/services/T0000/B0000/s3cr3t-slack-token");
    EXPECT_EQ(slack.display, "https://hooks.slack.com");
    EXPECT_EQ(slack.secret, "");
    EXPECT_EQ(slack.routing_key, "");
    EXPECT_EQ(slack.min_severity, EventSeverity::warning);
    EXPECT_EQ(slack.resend_interval, 1min);

    const AlertSinkConfig& hooks = config.alerts.sinks[1];
    EXPECT_EQ(hooks.name, "hooks");
    EXPECT_EQ(hooks.type, Type::webhook);
    EXPECT_EQ(hooks.url, "http://127.0.0.1:8080/dkim");
    EXPECT_EQ(hooks.display, "http://127.0.0.1:8080");
    EXPECT_EQ(hooks.secret, "s3cr3t-hmac-key"); // "s3cr3t-hmac-key \n" in the file
    EXPECT_EQ(hooks.min_severity, EventSeverity::info);

    const AlertSinkConfig& am = config.alerts.sinks[2];
    EXPECT_EQ(am.name, "am");
    EXPECT_EQ(am.type, Type::alertmanager);
    EXPECT_EQ(am.url, "http://127.0.0.1:9093/");
    EXPECT_EQ(am.display, "http://127.0.0.1:9093");
    EXPECT_EQ(am.min_severity, EventSeverity::critical);
    EXPECT_EQ(am.resend_interval, 30s);

    const AlertSinkConfig& pd = config.alerts.sinks[3];
    EXPECT_EQ(pd.name, "pd");
    EXPECT_EQ(pd.type, Type::pagerduty);
    EXPECT_EQ(pd.url, "https://events.pagerduty.com/v2/enqueue");
    EXPECT_EQ(pd.display, "https://events.pagerduty.com");
    EXPECT_EQ(pd.routing_key, "s3cr3tpdroutingkey0123456789abcd");
    EXPECT_EQ(pd.secret, "");

    const AlertSinkConfig& pd_test = config.alerts.sinks[4];
    EXPECT_EQ(pd_test.name, "PD_test-2");
    EXPECT_EQ(pd_test.url, "HTTP://LocalHost:18080/v2/enqueue");
    EXPECT_EQ(pd_test.display, "http://localhost:18080");
    EXPECT_EQ(pd_test.routing_key, "s3cr3tpdenvkey");
    EXPECT_EQ(pd_test.min_severity, EventSeverity::info);

    const AlertSinkConfig& unsigned_hooks = config.alerts.sinks[5];
    EXPECT_EQ(unsigned_hooks.url, "https://user:pass@[::1]:8443/hook?token=x");
    EXPECT_EQ(unsigned_hooks.display, "https://[::1]:8443");
    EXPECT_EQ(unsigned_hooks.secret, "");
}

TEST(LoadConfigText, AlertSettingsAtTheirBounds) {
    const Config config = loaded(load_config_text("alerts: []\n"
                                                  "group_threshold: 2147483647\n"
                                                  "group_wait: 0s\n"
                                                  "group_interval: 1s\n"
                                                  "max_retry_age: 1s\n" +
                                                      std::string(k_identity),
                                                  "a.yaml", k_cases_dir));
    EXPECT_TRUE(config.alerts.sinks.empty());
    EXPECT_EQ(config.alerts.group_threshold, 2147483647U);
    EXPECT_EQ(config.alerts.max_retry_age, 1s);
    EXPECT_EQ(config.alerts.group_wait, 0s);
    EXPECT_EQ(config.alerts.group_interval, 1s);

    const Config low = loaded(load_config_text("group_threshold: 1\nmax_retry_age: 3650d\n"
                                               "group_wait: 1h30m\ngroup_interval: 365d\n"
                                               "alerts:\n"
                                               "  - {name: a, type: alertmanager, url: "
                                               "\"http://127.0.0.1:9093\", resend_interval: 1s}\n" +
                                                   std::string(k_identity),
                                               "a.yaml", k_cases_dir));
    EXPECT_EQ(low.alerts.group_threshold, 1U);
    EXPECT_EQ(low.alerts.max_retry_age, 3650 * 24h);
    EXPECT_EQ(low.alerts.group_wait, 90min);
    EXPECT_EQ(low.alerts.group_interval, 365 * 24h);
    ASSERT_EQ(low.alerts.sinks.size(), 1U);
    EXPECT_EQ(low.alerts.sinks[0].resend_interval, 1s);
}

TEST(LoadConfigText, AlertmanagerUrlsListEveryUrl) {
    const Config config = loaded(load_config_text(
        "alerts:\n"
        "  - name: am\n"
        "    type: alertmanager\n"
        "    urls: [\"http://127.0.0.1:9093/\", \"https://u:p@am2.example:9443/am\"]\n"
        "  - {name: one, type: alertmanager, url: \"http://127.0.0.1:9094\"}\n"
        "  - {name: w, type: webhook, url: \"http://127.0.0.1:8080/x\"}\n" +
            std::string(k_identity),
        "a.yaml", k_cases_dir));
    ASSERT_EQ(config.alerts.sinks.size(), 3U);
    const AlertSinkConfig& am = config.alerts.sinks[0];
    EXPECT_EQ(am.url, "http://127.0.0.1:9093/");
    EXPECT_EQ(am.display, "http://127.0.0.1:9093");
    ASSERT_EQ(am.endpoints.size(), 2U);
    EXPECT_EQ(am.endpoints[0], (SinkEndpoint{"http://127.0.0.1:9093/", "http://127.0.0.1:9093"}));
    EXPECT_EQ(am.endpoints[1],
              (SinkEndpoint{"https://u:p@am2.example:9443/am", "https://am2.example:9443"}));
    // One url: one endpoint, the url itself.
    EXPECT_EQ(config.alerts.sinks[1].endpoints,
              (std::vector<SinkEndpoint>{{"http://127.0.0.1:9094", "http://127.0.0.1:9094"}}));
    EXPECT_EQ(config.alerts.sinks[2].endpoints,
              (std::vector<SinkEndpoint>{{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080"}}));
}

TEST(LoadConfigText, AlertmanagerUrlsErrors) {
    EXPECT_EQ(text_errors("alerts:\n"
                          "  - name: a\n"
                          "    type: alertmanager\n"
                          "    urls: []\n"
                          "  - name: b\n"
                          "    type: alertmanager\n"
                          "    urls: \"http://127.0.0.1:9093\"\n"
                          "  - name: c\n"
                          "    type: alertmanager\n"
                          "    urls: [\"http://127.0.0.1:9093\", \"ftp://x\", [1]]\n"
                          "  - name: d\n"
                          "    type: alertmanager\n"
                          "    urls:\n"
                          "      - http://10.0.0.1:9093\n"
                          "      - http://10.0.0.2:9093\n"
                          "      - http://10.0.0.1:9093/other\n"
                          "  - name: e\n"
                          "    type: alertmanager\n"
                          "    url: http://10.0.0.1:9093\n"
                          "    urls: [http://10.0.0.2:9093]\n"
                          "  - name: f\n"
                          "    type: webhook\n"
                          "    urls: [http://10.0.0.2:9093]\n" +
                          std::string(k_identity)),
              (std::vector<std::string>{
                  "dkimwatch.yaml:4:11: alerts[0].urls must be a non-empty sequence of http:// "
                  "or https:// URLs, got an empty sequence",
                  "dkimwatch.yaml:7:11: alerts[1].urls must be a non-empty sequence of http:// "
                  "or https:// URLs, got a URL (not shown)",
                  "dkimwatch.yaml:10:37: alerts[2].urls[1] must be an http:// or https:// URL "
                  "with a host (it does not start with http:// or https://)",
                  "dkimwatch.yaml:10:48: alerts[2].urls[2] must be an http:// or https:// URL "
                  "with a host, got a sequence",
                  "dkimwatch.yaml:16:9: alerts[3].urls[2] names the same Alertmanager "
                  "(http://10.0.0.1:9093) as alerts[3].urls[0]: each URL must have its own "
                  "scheme://host:port",
                  "dkimwatch.yaml:20:5: alert sink e needs exactly one of url, url_file, url_env, "
                  "urls, got url and urls",
                  "dkimwatch.yaml:21:5: alert sink f needs exactly one of url, url_file, "
                  "url_env, got none",
                  "dkimwatch.yaml:23:5: alerts[5].urls is not valid for type webhook: urls is for "
                  "alertmanager only (allowed for webhook: name, type, url, url_file, url_env, "
                  "secret_file, secret_env, min_severity)",
              }));
}

TEST(LoadConfigText, AlertUrlsInlineForEveryType) {
    // url: with slack (a secret in the configuration) is discouraged but accepted silently.
    const Config config = loaded(load_config_text(
        "alerts:\n"
        "  - {name: s, type: slack, url: \"https://hooks.slack.com/services/T/B/s3cr3t\"}\n"
        "  - {name: w, type: webhook, url: \"http://[2001:db8::1]/x\"}\n"
        "  - {name: a, type: alertmanager, url: \"https://am.example.com\"}\n"
        "  - {name: p, type: pagerduty, url: \"http://127.0.0.1:1/e\", routing_key_file: "
        "secrets/pd-key}\n" +
            std::string(k_identity),
        "a.yaml", k_cases_dir));
    ASSERT_EQ(config.alerts.sinks.size(), 4U);
    EXPECT_EQ(config.alerts.sinks[0].url, "https://hooks.slack.com/services/T/B/s3cr3t");
    EXPECT_EQ(config.alerts.sinks[0].display, "https://hooks.slack.com");
    EXPECT_EQ(config.alerts.sinks[1].display, "http://[2001:db8::1]");
    EXPECT_EQ(config.alerts.sinks[2].display, "https://am.example.com");
    EXPECT_EQ(config.alerts.sinks[3].url, "http://127.0.0.1:1/e");
    EXPECT_EQ(config.alerts.sinks[3].display, "http://127.0.0.1:1");
    EXPECT_EQ(config.alerts.sinks[3].routing_key, "s3cr3tpdroutingkey0123456789abcd");
}

TEST(LoadConfigText, AlertUrlReasons) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"\"mailto:ops@example.com\"", "it does not start with http:// or https://"},
        {"\"file:///etc/passwd\"", "it does not start with http:// or https://"},
        {"\"//example.com/x\"", "it does not start with http:// or https://"},
        {"\"http//example.com\"", "it does not start with http:// or https://"},
        {"\"http://user@/x\"", "the host is missing"},
        {"\"https://?q=1\"", "the host is missing"},
        {"\"http://[]/\"", "the host is not a name, an IPv4 address or a bracketed IPv6 address"},
        {"\"http://ex!ample.com/\"",
         "the host is not a name, an IPv4 address or a bracketed IPv6 address"},
        {"\"http://example.com:http/\"", "the port is not a number from 1 to 65535"},
        {"\"http://example.com:0/\"", "the port is not a number from 1 to 65535"},
        {"\"http://example.com:65536/\"", "the port is not a number from 1 to 65535"},
        {"\"http://example.com:-1/\"", "the port is not a number from 1 to 65535"},
        {"\"http://example.com/\\tx\"", "it contains a space or control character"},
    };
    for (const auto& [url, reason] : cases) {
        EXPECT_THAT(text_errors("alerts:\n  - {name: w, type: webhook, url: " + url + "}\n" +
                                std::string(k_identity)),
                    ElementsAre("dkimwatch.yaml:2:35: alerts[0].url must be an http:// or "
                                "https:// URL with a host (" +
                                reason + ")"))
            << url;
    }
    // At the bounds.
    const Config config = loaded(
        load_config_text("alerts:\n  - {name: w, type: webhook, url: \"HTTPS://a:65535\"}\n" +
                             std::string(k_identity),
                         "a.yaml", k_cases_dir));
    ASSERT_EQ(config.alerts.sinks.size(), 1U);
    EXPECT_EQ(config.alerts.sinks[0].display, "https://a:65535");
}

TEST(LoadConfigText, AlertSecretsNeverAppearInErrors) {
    // Every secret below contains "s3cr3t": URLs, file contents, environment values, keys. Each
    // sink has an error, in the secret or next to it.
    const ScopedEnv url("DKIMWATCH_TEST_SECRET_URL",
                        "https://hooks.slack.com/services/T1/B1/s3cr3t-env-url");
    const ScopedEnv not_url("DKIMWATCH_TEST_SECRET_NOT_URL", "s3cr3t-env-not-a-url");
    const ScopedEnv key("DKIMWATCH_TEST_SECRET_KEY", "s3cr3t env key");
    const ScopedEnv hmac("DKIMWATCH_TEST_SECRET_HMAC", "s3cr3t-env-hmac");
    const std::string slack = "https://hooks.slack.com/services/T0/B0/s3cr3t-inline-url";
    const std::string yaml =
        "alerts:\n"
        // a valid secret URL with a second source
        "  - {name: a, type: slack, url: \"" +
        slack +
        "\", url_env: DKIMWATCH_TEST_SECRET_URL}\n"
        // a secret URL with a bad port, in the configuration and in the environment
        "  - {name: b, type: slack, url: \"https://hooks.slack.com:0/s3cr3t-bad-port\"}\n"
        "  - {name: c, type: webhook, url_env: DKIMWATCH_TEST_SECRET_NOT_URL}\n"
        // secret URLs pasted under keys that are shown in messages
        "  - {name: \"" +
        slack +
        "\", type: slack, url_env: DKIMWATCH_TEST_SECRET_URL}\n"
        "  - {name: e, type: \"" +
        slack +
        "\"}\n"
        "  - {name: f, type: slack, url_file: \"" +
        slack +
        "\"}\n"
        "  - {name: g, type: slack, url_env: \"" +
        slack +
        "\"}\n"
        "  - {name: h, type: webhook, url: \"http://127.0.0.1/\", secret_file: \"" +
        slack +
        "\"}\n"
        "  - {name: i, type: pagerduty, routing_key_file: \"" +
        slack +
        "\"}\n"
        "  - {name: j, type: slack, min_severity: \"" +
        slack + "\", url: \"" + slack +
        "\"}\n"
        "  - {name: k, type: slack, \"" +
        slack +
        "\": 1, url_file: secrets/slack-url}\n"
        "  - \"" +
        slack +
        "\"\n"
        "  - [\"" +
        slack +
        "\"]\n"
        // secret file contents that are not valid
        "  - {name: l, type: slack, url_file: secrets/not-a-url}\n"
        "  - {name: m, type: slack, url_file: secrets/url-no-host}\n"
        "  - {name: n, type: pagerduty, routing_key_file: secrets/routing-key-with-space}\n"
        "  - {name: o, type: pagerduty, routing_key_env: DKIMWATCH_TEST_SECRET_KEY}\n"
        // valid secrets in the wrong place or with a second source
        "  - {name: p, type: slack, url_file: secrets/slack-url, secret_file: "
        "secrets/hmac-secret}\n"
        "  - {name: q, type: webhook, url_file: secrets/slack-url, secret_file: "
        "secrets/hmac-secret, secret_env: DKIMWATCH_TEST_SECRET_HMAC}\n"
        "  - {name: r, type: pagerduty, routing_key_file: secrets/pd-key, routing_key_env: "
        "DKIMWATCH_TEST_SECRET_KEY}\n"
        "max_retry_age: \"" +
        slack + "\"\n" + std::string(k_identity);
    const auto errors = text_errors(yaml);
    EXPECT_EQ(errors.size(), 21U);
    for (const std::string& error : errors) {
        EXPECT_EQ(error.find("s3cr3t"), std::string::npos) << error;
    }
    // The messages still say where to look: the key, the file or the variable.
    const std::string all = [&] {
        std::string out;
        for (const std::string& error : errors) {
            out += error + "\n";
        }
        return out;
    }();
    for (const std::string& expected : std::vector<std::string>{
             "alerts[2].url_env DKIMWATCH_TEST_SECRET_NOT_URL must hold an http:// or https:// URL "
             "with a host (it does not start with http:// or https://)",
             "alerts[13].url_file \"secrets/not-a-url\" (" +
                 (k_cases_dir / "secrets" / "not-a-url").lexically_normal().string() +
                 ") must hold an http:// or https:// URL with a host (it does not start with "
                 "http:// or https://)",
             "alerts[5].url_file must be the path of a file holding the URL, got a URL (not "
             "shown)",
             "alerts[1].url must be an http:// or https:// URL with a host (the port is not a "
             "number from 1 to 65535)"}) {
        EXPECT_NE(all.find(expected), std::string::npos) << expected << "\nin:\n" << all;
    }
}

// ---------------------------------------------------------------------------------------------
// The table: each file in config_cases/bad and the exact errors it must produce. Placeholders:
// {cases} is the config_cases directory, {forms} and {units} the hints that end the messages of
// parse_server_address and parse_duration, {top_keys} the allowed top-level keys.

struct BadCase {
    const char* file;
    std::vector<std::string> errors;
};

// Names the case in test listings and failures.
void PrintTo(const BadCase& bad, std::ostream* out) {
    *out << bad.file;
}

const std::vector<BadCase> k_bad_cases = {
    {"alert_env.yaml",
     {"alert_env.yaml:7:14: alerts[0].url_env DKIMWATCH_TEST_UNSET: the environment variable is "
      "not set",
      "alert_env.yaml:10:14: alerts[1].url_env DKIMWATCH_TEST_EMPTY: the environment variable is "
      "empty",
      "alert_env.yaml:13:14: alerts[2].url_env DKIMWATCH_TEST_BLANK: the environment variable "
      "holds only whitespace",
      "alert_env.yaml:16:14: alerts[3].url_env DKIMWATCH_TEST_NOT_URL must hold an http:// or "
      "https:// URL with a host (it does not start with http:// or https://)",
      "alert_env.yaml:19:14: alerts[4].url_env must be the name of an environment variable "
      "(letters, digits and '_', not starting with a digit), got \"SLACK-URL\"",
      "alert_env.yaml:22:14: alerts[5].url_env must be the name of an environment variable "
      "(letters, digits and '_', not starting with a digit), got \"1URL\"",
      "alert_env.yaml:25:14: alerts[6].url_env must be the name of an environment variable "
      "(letters, digits and '_', not starting with a digit), got a URL (not shown)",
      "alert_env.yaml:29:17: alerts[7].secret_env DKIMWATCH_TEST_UNSET: the environment variable "
      "is not set",
      "alert_env.yaml:32:22: alerts[8].routing_key_env DKIMWATCH_TEST_UNSET: the environment "
      "variable is not set",
      "alert_env.yaml:35:22: alerts[9].routing_key_env DKIMWATCH_TEST_SPACE_KEY must hold the "
      "routing key on one line, without spaces or control characters"}},
    {"alert_files.yaml",
     {"alert_files.yaml:4:15: alerts[0].url_file \"../secrets/does-not-exist\" "
      "({cases}/secrets/does-not-exist): cannot read: No such file or directory",
      "alert_files.yaml:7:15: alerts[1].url_file \"/nonexistent/dkimwatch/slack-url\": cannot "
      "read: No such file or directory",
      "alert_files.yaml:10:15: alerts[2].url_file \"../secrets/empty\" ({cases}/secrets/empty): "
      "the file is empty",
      "alert_files.yaml:13:15: alerts[3].url_file \"../secrets/blank\" ({cases}/secrets/blank): "
      "the file holds only whitespace",
      "alert_files.yaml:16:15: alerts[4].url_file \"../secrets\" ({cases}/secrets): is a "
      "directory, not a regular file",
      "alert_files.yaml:19:15: alerts[5].url_file \"../secrets/not-a-url\" "
      "({cases}/secrets/not-a-url) must hold an http:// or https:// URL with a host (it does not "
      "start with http:// or https://)",
      "alert_files.yaml:22:15: alerts[6].url_file \"../secrets/url-no-host\" "
      "({cases}/secrets/url-no-host) must hold an http:// or https:// URL with a host (the host is "
      "missing)",
      "alert_files.yaml:25:15: alerts[7].url_file must be the path of a file holding the URL, got "
      "a URL (not shown)",
      "alert_files.yaml:29:18: alerts[8].secret_file \"../secrets/empty\" ({cases}/secrets/empty): "
      "the file is empty",
      "alert_files.yaml:32:23: alerts[9].routing_key_file \"../secrets/routing-key-with-space\" "
      "({cases}/secrets/routing-key-with-space) must hold the routing key on one line, without "
      "spaces or control characters",
      "alert_files.yaml:35:23: alerts[10].routing_key_file must be the path of a file holding the "
      "routing key, got an empty string"}},
    {"alert_grouping_ranges.yaml",
     {"alert_grouping_ranges.yaml:1:13: group_wait: \"10\" is not a duration: the number 10 has "
      "no unit{units}",
      "alert_grouping_ranges.yaml:2:17: group_interval must be at least 1s, got 999ms"}},
    {"alert_grouping_wrong_types.yaml",
     {"alert_grouping_wrong_types.yaml:1:13: group_wait must be a duration such as 2s, 500ms or "
      "1h30m, got a sequence",
      "alert_grouping_wrong_types.yaml:2:17: group_interval must be at least 1s, got 0s"}},
    {"alert_item_shapes.yaml",
     {"alert_item_shapes.yaml:2:5: alerts[0] must be a mapping with name, type and the keys of its "
      "type, got a URL (not shown)",
      "alert_item_shapes.yaml:3:5: alerts[1] must be a mapping with name, type and the keys of its "
      "type, got a sequence",
      "alert_item_shapes.yaml:4:5: alerts[2] must be a mapping with name, type and the keys of its "
      "type, got \"ops-slack\"",
      "alert_item_shapes.yaml:6:1: alerts[3] must be a mapping with name, type and the keys of its "
      "type, got nothing"}},
    {"alert_keys_for_type.yaml",
     {"alert_keys_for_type.yaml:5:5: alerts[0].secret_file is not valid for type slack: "
      "secret_file is for webhook only (allowed for slack: name, type, url, url_file, url_env, "
      "min_severity)",
      "alert_keys_for_type.yaml:6:5: alerts[0].resend_interval is not valid for type slack: "
      "resend_interval is for alertmanager only (allowed for slack: name, type, url, url_file, "
      "url_env, min_severity)",
      "alert_keys_for_type.yaml:10:5: alerts[1].routing_key_file is not valid for type webhook: "
      "routing_key_file is for pagerduty only (allowed for webhook: name, type, url, url_file, "
      "url_env, secret_file, secret_env, min_severity)",
      "alert_keys_for_type.yaml:11:5: unknown key \"urll\" in webhook sink alerts[1] (allowed: "
      "name, type, url, url_file, url_env, secret_file, secret_env, min_severity)",
      "alert_keys_for_type.yaml:14:5: alerts[2].url_file is not valid for type pagerduty: url_file "
      "is for slack, webhook and alertmanager only (allowed for pagerduty: name, type, url, "
      "routing_key_file, routing_key_env, min_severity)",
      "alert_keys_for_type.yaml:16:5: duplicate key \"routing_key_file\" in pagerduty sink "
      "alerts[2]; first defined at line 15",
      "alert_keys_for_type.yaml:20:5: alerts[3].secret_env is not valid for type alertmanager: "
      "secret_env is for webhook only (allowed for alertmanager: name, type, url, urls, "
      "url_file, url_env, min_severity, resend_interval)",
      "alert_keys_for_type.yaml:22:11: alerts[4].type must be one of slack, webhook, alertmanager "
      "and pagerduty, got \"teams\"",
      "alert_keys_for_type.yaml:23:5: unknown key \"urll\" in alerts[4] (allowed: name, type, url, "
      "urls, url_file, url_env, secret_file, secret_env, routing_key_file, routing_key_env, "
      "min_severity, resend_interval)",
      "alert_keys_for_type.yaml:26:5: unknown key a URL (not shown) in slack sink alerts[5] "
      "(allowed: name, type, url, url_file, url_env, min_severity)"}},
    {"alert_name_rules.yaml",
     {"alert_name_rules.yaml:2:5: alerts[0] is missing \"name\" (a unique name of 1 to 64 letters, "
      "digits, '-' or '_')",
      "alert_name_rules.yaml:4:11: alerts[1].name must be a name of 1 to 64 letters, digits, '-' "
      "or '_', got an empty string",
      "alert_name_rules.yaml:7:11: alerts[2].name must be a name of 1 to 64 letters, digits, '-' "
      "or '_', got \"ops slack\"",
      "alert_name_rules.yaml:10:11: alerts[3].name must be a name of 1 to 64 letters, digits, '-' "
      "or '_', got \"aaaaaaaaaaaaaaaaaaaaaaaa...\" (65 characters)",
      "alert_name_rules.yaml:13:11: alerts[4].name must be a name of 1 to 64 letters, digits, '-' "
      "or '_', got a sequence",
      "alert_name_rules.yaml:19:11: duplicate alert sink name \"hooks\"; first defined at line "
      "16"}},
    {"alert_pagerduty.yaml",
     {"alert_pagerduty.yaml:2:5: alert sink no-key needs exactly one of routing_key_file, "
      "routing_key_env, got none",
      "alert_pagerduty.yaml:7:5: alert sink two-keys needs exactly one of routing_key_file, "
      "routing_key_env, got routing_key_file and routing_key_env",
      "alert_pagerduty.yaml:10:10: alerts[2].url must be an http:// or https:// URL with a host "
      "(it does not start with http:// or https://)",
      "alert_pagerduty.yaml:14:10: alerts[3].url must be an http:// or https:// URL with a host, "
      "got an empty string"}},
    {"alert_settings_ranges.yaml",
     {"alert_settings_ranges.yaml:1:18: group_threshold must be an integer >= 1, got 0",
      "alert_settings_ranges.yaml:2:16: max_retry_age must be at least 1s, got 999ms"}},
    {"alert_settings_wrong_types.yaml",
     {"alert_settings_wrong_types.yaml:1:1: alerts must be a sequence of alert sinks (each a "
      "mapping with name, type and the keys of its type; [] for none), got nothing",
      "alert_settings_wrong_types.yaml:2:18: group_threshold must be an integer >= 1, got \"10\" "
      "(a quoted string)",
      "alert_settings_wrong_types.yaml:3:16: max_retry_age must be a duration such as 2s, 500ms or "
      "1h30m, got a sequence"}},
    {"alert_severity_resend.yaml",
     {"alert_severity_resend.yaml:5:19: alerts[0].min_severity must be one of info, warning and "
      "critical, got \"resolved\"",
      "alert_severity_resend.yaml:6:22: alerts[0].resend_interval must be at least 1s, got 999ms",
      "alert_severity_resend.yaml:10:19: alerts[1].min_severity must be one of info, warning and "
      "critical, got \"Warning\"",
      "alert_severity_resend.yaml:11:22: alerts[1].resend_interval: \"1x\" is not a duration: "
      "unknown unit \"x\" (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)",
      "alert_severity_resend.yaml:15:19: alerts[2].min_severity must be one of info, warning and "
      "critical, got a sequence",
      "alert_severity_resend.yaml:16:22: alerts[2].resend_interval must be at least 1s, got 0s"}},
    {"alert_type_rules.yaml",
     {"alert_type_rules.yaml:2:5: alert sink no-type is missing \"type\" (one of slack, webhook, "
      "alertmanager and pagerduty)",
      "alert_type_rules.yaml:5:11: alerts[1].type must be one of slack, webhook, alertmanager and "
      "pagerduty, got \"teams\"",
      "alert_type_rules.yaml:9:11: alerts[2].type must be one of slack, webhook, alertmanager and "
      "pagerduty, got \"Slack\"",
      "alert_type_rules.yaml:12:11: alerts[3].type must be one of slack, webhook, alertmanager and "
      "pagerduty, got a sequence",
      "alert_type_rules.yaml:14:5: alerts[4].type must be one of slack, webhook, alertmanager and "
      "pagerduty, got nothing"}},
    {"alert_url_invalid.yaml",
     {"alert_url_invalid.yaml:4:10: alerts[0].url must be an http:// or https:// URL with a host "
      "(it does not start with http:// or https://)",
      "alert_url_invalid.yaml:7:10: alerts[1].url must be an http:// or https:// URL with a host "
      "(it does not start with http:// or https://)",
      "alert_url_invalid.yaml:10:10: alerts[2].url must be an http:// or https:// URL with a host "
      "(the host is missing)",
      "alert_url_invalid.yaml:13:10: alerts[3].url must be an http:// or https:// URL with a host "
      "(the host is missing)",
      "alert_url_invalid.yaml:16:10: alerts[4].url must be an http:// or https:// URL with a host "
      "(the port is not a number from 1 to 65535)",
      "alert_url_invalid.yaml:19:10: alerts[5].url must be an http:// or https:// URL with a host "
      "(the port is not a number from 1 to 65535)",
      "alert_url_invalid.yaml:22:10: alerts[6].url must be an http:// or https:// URL with a host "
      "(it contains a space or control character)",
      "alert_url_invalid.yaml:25:10: alerts[7].url must be an http:// or https:// URL with a host "
      "(the host is not a name, an IPv4 address or a bracketed IPv6 address)",
      "alert_url_invalid.yaml:28:10: alerts[8].url must be an http:// or https:// URL with a host "
      "(the host is not a name, an IPv4 address or a bracketed IPv6 address)",
      "alert_url_invalid.yaml:31:10: alerts[9].url must be an http:// or https:// URL with a host "
      "(the port is not a number from 1 to 65535)"}},
    {"alert_url_sources.yaml",
     {"alert_url_sources.yaml:2:5: alert sink ops-slack needs exactly one of url, url_file, "
      "url_env, got none",
      "alert_url_sources.yaml:8:5: alert sink hooks needs exactly one of url, url_file, url_env, "
      "got url and url_file",
      "alert_url_sources.yaml:12:5: alert sink am needs exactly one of url, url_file, url_env, "
      "urls, got url_env and url and url_file",
      "alert_url_sources.yaml:18:5: alert sink signed takes at most one of secret_file, "
      "secret_env, got secret_file and secret_env"}},
    {"alerts_not_sequence.yaml",
     {"alerts_not_sequence.yaml:2:3: alerts must be a sequence of alert sinks (each a mapping with "
      "name, type and the keys of its type; [] for none), got a mapping"}},
    {"alerts_url_instead_of_sequence.yaml",
     {"alerts_url_instead_of_sequence.yaml:1:9: alerts must be a sequence of alert sinks (each a "
      "mapping with name, type and the keys of its type; [] for none), got a URL (not shown)"}},
    {"bad_duration.yaml",
     {"bad_duration.yaml:2:12: dns.timeout: \"2x\" is not a duration: unknown unit \"x\"{units}"}},
    {"both_methods.yaml",
     {"both_methods.yaml:7:5: identity example.com has both easy_dkim and byodkim; use exactly "
      "one"}},
    {"byodkim_key_count.yaml",
     {"byodkim_key_count.yaml:5:5: identity example.org needs exactly one of public_key, "
      "public_key_file, private_key_file in byodkim, got none",
      "byodkim_key_count.yaml:13:7: identity example.net needs exactly one of public_key, "
      "public_key_file, private_key_file in byodkim, got public_key_file and private_key_file"}},
    {"comments_only.yaml",
     {"comments_only.yaml: no identities configured (the file is empty or only comments)"}},
    {"confirmations_too_many.yaml",
     {"confirmations_too_many.yaml:1:16: confirmations must be an integer from 1 to 100, got 101"}},
    {"daemon_wrong_types.yaml",
     {"daemon_wrong_types.yaml:1:17: check_interval must be a duration such as 2s, 500ms or "
      "1h30m, got a sequence",
      "daemon_wrong_types.yaml:2:19: recheck_interval: \"1 m\" is not a duration: spaces are not "
      "allowed{units}",
      "daemon_wrong_types.yaml:3:16: confirmations must be an integer from 1 to 100, got \"two\"",
      "daemon_wrong_types.yaml:4:18: pending_timeout must be a duration such as 2s, 500ms or "
      "1h30m, got a mapping",
      "daemon_wrong_types.yaml:5:1: revocation_window must be a duration such as 2s, 500ms or "
      "1h30m, got nothing",
      "daemon_wrong_types.yaml:6:14: blind_after: \"-1h\" is not a duration: a sign is not "
      "allowed{units}",
      "daemon_wrong_types.yaml:7:12: reminders must be a sequence of durations such as [48h, 24h, "
      "6h, 1h] ([] for none), got \"48h\"",
      "daemon_wrong_types.yaml:8:12: state_dir must be a directory such as /var/lib/dkimwatch, got "
      "a sequence",
      "daemon_wrong_types.yaml:9:1: metrics must be a mapping with the key listen, got nothing"}},
    {"dns_authoritative_dnssec.yaml",
     {"dns_authoritative_dnssec.yaml:2:18: dns.authoritative must be on or off, got \"true\"",
      "dns_authoritative_dnssec.yaml:3:23: dns.authoritative_port must be a port from 1 to 65535, "
      "got 0",
      "dns_authoritative_dnssec.yaml:4:11: dns.dnssec must be on or off, got a sequence",
      "dns_authoritative_dnssec.yaml:5:22: dns.trust_anchor_file \"keys/\" names a directory; give "
      "the file that holds the anchors",
      "dns_authoritative_dnssec.yaml:6:26: dns.dnssec_expiry_warning must be at least 1h, got 59m",
      "dns_authoritative_dnssec.yaml:7:23: dns.zone_poll_interval must be 0s (off) or at least "
      "1s, got 500ms"}},
    {"dns_authoritative_dnssec_types.yaml",
     {"dns_authoritative_dnssec_types.yaml:2:18: dns.authoritative must be on or off, got "
      "\"yes\"",
      "dns_authoritative_dnssec_types.yaml:3:23: dns.authoritative_port must be a port from 1 to "
      "65535, got \"53\" (a quoted string)",
      "dns_authoritative_dnssec_types.yaml:4:3: dns.dnssec must be on or off, got nothing",
      "dns_authoritative_dnssec_types.yaml:5:22: dns.trust_anchor_file must be a file path such as "
      "/usr/share/dns/root.key, got an empty string",
      "dns_authoritative_dnssec_types.yaml:6:26: dns.dnssec_expiry_warning must be whole seconds, "
      "got 1h500ms",
      "dns_authoritative_dnssec_types.yaml:7:23: dns.zone_poll_interval: \"1x\" is not a "
      "duration: unknown unit \"x\"{units}"}},
    {"dns_not_mapping.yaml",
     {"dns_not_mapping.yaml:2:3: dns must be a mapping with the keys resolvers, timeout, attempts, "
      "max_inflight, max_qps, authoritative, authoritative_port, dnssec, trust_anchor_file, "
      "dnssec_expiry_warning, zone_poll_interval, got a sequence"}},
    {"domain_invalid.yaml",
     {"domain_invalid.yaml:2:13: domain \"exa_mple..com\" is invalid: it has an empty label (two "
      "dots in a row)",
      "domain_invalid.yaml:7:13: domain \"localhost\" is invalid: an identity domain has at least "
      "two labels, such as example.com",
      "domain_invalid.yaml:12:13: domain must be a domain name such as example.com, got an empty "
      "string",
      "domain_invalid.yaml:17:13: domain \"bad domain.com\" is invalid: label \"bad domain\" "
      "contains a space; allowed are letters, digits, '-' and '_'"}},
    {"duplicate_identity.yaml",
     {"duplicate_identity.yaml:14:5: duplicate identity (account 111122223333, region us-east-1, "
      "domain example.com); first defined at line 2"}},
    {"duplicate_keys.yaml",
     {"duplicate_keys.yaml:4:3: duplicate key \"timeout\" in dns; first defined at line 2",
      "duplicate_keys.yaml:8:5: duplicate key \"domain\" in identity; first defined at line 6",
      "duplicate_keys.yaml:12:7: duplicate key \"tokens\" in easy_dkim; first defined at line 11",
      "duplicate_keys.yaml:13:1: duplicate key \"dns\" at the top level; first defined at line 1"}},
    {"empty.yaml", {"empty.yaml: no identities configured (the file is empty or only comments)"}},
    {"hosted_zone_invalid.yaml",
     {"hosted_zone_invalid.yaml:7:28: easy_dkim.signing_hosted_zone \"dkim..amazonses.com\" is "
      "invalid: it has an empty label (two dots in a row)"}},
    {"identities_empty.yaml",
     {"identities_empty.yaml:3:1: no identities configured (identities: is empty)"}},
    {"identities_not_sequence.yaml",
     {"identities_not_sequence.yaml:2:3: identities must be a sequence of identities (each a "
      "mapping with domain, account, region, and easy_dkim or byodkim), got a mapping"}},
    {"inline_key_invalid.yaml",
     {"inline_key_invalid.yaml:7:19: byodkim.public_key: not a key: neither PEM, DER nor base64 "
      "DER",
      "inline_key_invalid.yaml:13:19: byodkim.public_key must be the public key in base64 (DER "
      "SubjectPublicKeyInfo) or PEM, got an empty string"}},
    {"int_ranges.yaml",
     {"int_ranges.yaml:2:13: dns.attempts must be an integer from 1 to 10, got 0",
      "int_ranges.yaml:3:17: dns.max_inflight must be an integer from 1 to 65535, got 65536",
      "int_ranges.yaml:4:12: dns.max_qps must be an integer >= 0 (0 means unlimited), got "
      "99999999999999999999"}},
    {"duration_too_long.yaml",
     {"duration_too_long.yaml:1:20: revocation_window: 3651d is longer than 3650d, the longest "
      "allowed",
      "duration_too_long.yaml:3:12: dns.timeout: 100000000000d is longer than 3650d, the longest "
      "allowed"}},
    {"intervals_too_short.yaml",
     {"intervals_too_short.yaml:1:17: check_interval must be at least 100ms, got 99ms",
      "intervals_too_short.yaml:2:19: recheck_interval must be at least 100ms, got 50ms"}},
    {"key_file_bad_key.yaml",
     {"key_file_bad_key.yaml:7:25: byodkim.private_key_file \"../keys/ec_p256.pem\" "
      "({cases}/keys/ec_p256.pem): an EC key: SES BYODKIM needs an RSA key of 1024 or 2048 bits",
      "key_file_bad_key.yaml:13:24: byodkim.public_key_file \"../keys/rsa4096.pub.pem\" "
      "({cases}/keys/rsa4096.pub.pem): a 4096-bit RSA key: SES BYODKIM accepts 1024 or 2048 bits",
      "key_file_bad_key.yaml:19:25: byodkim.private_key_file \"../keys/rsa2048_encrypted.pem\" "
      "({cases}/keys/rsa2048_encrypted.pem): an encrypted PKCS#8 private key (ENCRYPTED PRIVATE "
      "KEY): SES needs the unencrypted key; decrypt it with: openssl pkcs8 -in KEY -out "
      "PLAIN.pem"}},
    {"key_file_unreadable.yaml",
     {"key_file_unreadable.yaml:7:25: byodkim.private_key_file \"/nonexistent/dkimwatch/y.pem\": "
      "cannot read: No such file or directory",
      "key_file_unreadable.yaml:13:24: byodkim.public_key_file \"missing.pem\" "
      "({cases}/bad/missing.pem): cannot read: No such file or directory",
      "key_file_unreadable.yaml:19:24: byodkim.public_key_file \"../keys\" ({cases}/keys): is a "
      "directory, not a regular file"}},
    {"key_kind_mismatch.yaml",
     {"key_kind_mismatch.yaml:8:24: byodkim.public_key_file \"../keys/rsa2048.pem\" "
      "({cases}/keys/rsa2048.pem) holds a private key; keep private keys out of the configuration "
      "and name their file in private_key_file",
      "key_kind_mismatch.yaml:15:25: byodkim.private_key_file \"../keys/rsa2048.pub.pem\" "
      "({cases}/keys/rsa2048.pub.pem) holds a public key, not a private key; use public_key_file"}},
    {"metrics_listen_host_name.yaml",
     {"metrics_listen_host_name.yaml:8:3: unknown key \"listen_address\" in metrics (allowed: "
      "listen)",
      "metrics_listen_host_name.yaml:9:11: metrics.listen \"localhost:9797\" must be IPv4:port, "
      "e.g. 127.0.0.1:9797 (host names are not resolved)"}},
    {"metrics_listen_ipv6.yaml",
     {"metrics_listen_ipv6.yaml:2:11: metrics.listen \"[::1]:9797\" must be IPv4:port, e.g. "
      "127.0.0.1:9797 (IPv6 is not supported: the bundled civetweb is built without it)"}},
    {"metrics_not_mapping.yaml",
     {"metrics_not_mapping.yaml:1:10: metrics must be a mapping with the key listen, got "
      "\"127.0.0.1:9797\""}},
    {"missing_fields.yaml",
     {"missing_fields.yaml:2:5: identity example.com is missing \"account\" (required: domain, "
      "account, region, and easy_dkim or byodkim)",
      "missing_fields.yaml:2:5: identity example.com is missing \"region\" (required: domain, "
      "account, region, and easy_dkim or byodkim)",
      "missing_fields.yaml:5:5: identities[1] is missing \"domain\" (required: domain, account, "
      "region, and easy_dkim or byodkim)",
      "missing_fields.yaml:10:14: account is empty: give the AWS account (any label)",
      "missing_fields.yaml:12:5: easy_dkim.tokens is missing: list the 3 tokens SES gave for this "
      "identity"}},
    {"multiple_documents.yaml",
     {"multiple_documents.yaml:7:1: a second YAML document starts here; the configuration is one "
      "document"}},
    {"name_too_long.yaml",
     {"name_too_long.yaml:7:16: easy_dkim.tokens[0]: the record name tok1._domainkey.<domain> "
      "would be 262 bytes long; DNS names are at most 253 bytes",
      "name_too_long.yaml:7:22: easy_dkim.tokens[1]: the record name tok2._domainkey.<domain> "
      "would be 262 bytes long; DNS names are at most 253 bytes",
      "name_too_long.yaml:7:28: easy_dkim.tokens[2]: the record name tok3._domainkey.<domain> "
      "would be 262 bytes long; DNS names are at most 253 bytes",
      "name_too_long.yaml:12:17: byodkim.selector: the record name sel1._domainkey.<domain> would "
      "be 262 bytes long; DNS names are at most 253 bytes",
      "name_too_long.yaml:18:28: easy_dkim.tokens[2]: the record name "
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.<signing_hosted_zone> would "
      "be 310 bytes long; DNS names are at most 253 bytes"}},
    {"neither_method.yaml",
     {"neither_method.yaml:2:5: identity example.com has neither easy_dkim nor byodkim"}},
    {"no_identities.yaml",
     {"no_identities.yaml: no identities configured (add an identities: list, an "
      "identities_file: or a ses: section)"}},
    {"policy_ranges.yaml",
     {"policy_ranges.yaml:1:16: confirmations must be an integer from 1 to 100, got 0",
      "policy_ranges.yaml:2:18: pending_timeout must be more than 0s, got 0s",
      "policy_ranges.yaml:3:20: revocation_window must be more than 0s, got 0h",
      "policy_ranges.yaml:4:13: reminders[0] must be more than 0s, got 0s"}},
    {"recheck_longer_than_check.yaml",
     {"recheck_longer_than_check.yaml:3:19: recheck_interval (20m) must not be longer than "
      "check_interval (10m)"}},
    {"recheck_longer_than_default.yaml",
     {"recheck_longer_than_default.yaml:7:19: recheck_interval (11m) must not be longer than "
      "check_interval (10m, the default)"}},
    {"region_invalid.yaml",
     {"region_invalid.yaml:4:13: region \"useast1\" is not an AWS region name such as us-east-1 or "
      "eu-west-1",
      "region_invalid.yaml:9:13: region \"US-EAST-1\" is not an AWS region name such as us-east-1 "
      "or eu-west-1",
      "region_invalid.yaml:14:13: region \"Mars_North\" is not an AWS region name such as "
      "us-east-1 or eu-west-1"}},
    {"reminders_default_window.yaml",
     {"reminders_default_window.yaml:1:13: reminders[0]: 5d is not shorter than "
      "revocation_window (5d, the default)",
      "reminders_default_window.yaml:1:21: reminders[2]: 6h is listed twice (first as "
      "reminders[1])"}},
    {"reminders_invalid.yaml",
     {"reminders_invalid.yaml:5:5: reminders[2]: 130h is not shorter than revocation_window (120h)",
      "reminders_invalid.yaml:6:5: reminders[3]: 1d is listed twice (first as reminders[1], 24h)",
      "reminders_invalid.yaml:7:5: reminders[4]: 120h is not shorter than revocation_window (120h)",
      "reminders_invalid.yaml:8:5: reminders[5] must be more than 0s, got 0s",
      "reminders_invalid.yaml:9:5: reminders[6]: \"10x\" is not a duration: unknown unit "
      "\"x\"{units}",
      "reminders_invalid.yaml:10:5: reminders[7] must be a duration such as 2s, 500ms or 1h30m, "
      "got "
      "a sequence"}},
    {"resolver_malformed.yaml",
     {"resolver_malformed.yaml:3:7: dns.resolvers[0]: \"300.1.1.1:53\" is not an IP address: "
      "\"300.1.1.1\" is not a valid IPv4 address{forms}",
      "resolver_malformed.yaml:4:7: dns.resolvers[1]: \"dns.google\" is not an IP address: "
      "\"dns.google\" looks like a host name; a resolver must be given by address{forms}",
      "resolver_malformed.yaml:5:7: dns.resolvers[2]: \"1.2.3.4:0\" has an invalid port: port 0 is "
      "out of range; ports are 1 to 65535{forms}",
      "resolver_malformed.yaml:6:7: dns.resolvers[3]: \"1.2.3.4:70000\" has an invalid port: port "
      "70000 is out of range; ports are 1 to 65535{forms}",
      "resolver_malformed.yaml:7:7: dns.resolvers[4]: \"[::1\" is not an IP address: '[' without a "
      "closing ']'{forms}",
      "resolver_malformed.yaml:8:7: dns.resolvers[5]: \"\" is not an IP address: the value is "
      "empty{forms}",
      "resolver_malformed.yaml:11:7: dns.resolvers[8] must be an address such as \"9.9.9.9\" or "
      "\"127.0.0.1:5301\", got a sequence (quote IPv6 addresses with a port: \"[::1]:53\")",
      "resolver_malformed.yaml:12:7: dns.resolvers[9] must be an address such as \"9.9.9.9\" or "
      "\"127.0.0.1:5301\", got a mapping",
      "resolver_malformed.yaml:14:7: dns.resolvers[11]: 9.9.9.9:53 is listed twice (first as "
      "dns.resolvers[10])"}},
    {"resolvers_empty.yaml",
     {"resolvers_empty.yaml:2:3: dns.resolvers is empty; list at least one address, or remove the "
      "key to use the servers in /etc/resolv.conf"}},
    {"resolvers_wrong_shape.yaml",
     {"resolvers_wrong_shape.yaml:2:14: dns.resolvers must be a sequence of addresses such as "
      "[\"9.9.9.9\", \"127.0.0.1:5301\", \"[::1]:53\"], got \"9.9.9.9\""}},
    {"selector_empty.yaml",
     {"selector_empty.yaml:6:17: byodkim.selector must be a selector of 1 to 63 letters and "
      "digits, got an empty string",
      "selector_empty.yaml:11:5: byodkim.selector is missing: name the selector of the DKIM record "
      "(<selector>._domainkey.example.net)"}},
    {"selector_hyphen.yaml",
     {"selector_hyphen.yaml:6:17: byodkim.selector \"sel-1\" contains a hyphen: SES selectors are "
      "1 to 63 letters and digits, with no periods or other punctuation (the SES API may accept "
      "inner hyphens, but SES documents letters and digits only)"}},
    {"selector_period.yaml",
     {"selector_period.yaml:6:17: byodkim.selector \"sel.1\" contains a period: SES selectors are "
      "1 to 63 letters and digits, with no periods or other punctuation"}},
    {"selector_punctuation.yaml",
     {"selector_punctuation.yaml:6:17: byodkim.selector \"sel_1\" contains '_': SES selectors are "
      "1 to 63 letters and digits, with no periods or other punctuation"}},
    {"selector_space.yaml",
     {"selector_space.yaml:6:17: byodkim.selector \"sel 1\" contains a space or non-ASCII byte: "
      "SES selectors are 1 to 63 letters and digits, with no periods or other punctuation"}},
    {"selector_too_long.yaml",
     {"selector_too_long.yaml:6:17: byodkim.selector "
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is 64 characters long: "
      "SES selectors are 1 to 63 letters and digits, with no periods or other punctuation"}},
    {"ses_account_rules.yaml",
     {"ses_account_rules.yaml:3:7: ses.accounts[0] is missing \"name\" (a unique name of 1 to 64 "
      "letters, digits, '-' or '_', used in logs and metrics)",
      "ses_account_rules.yaml:4:13: ses.accounts[1].name must be a name of 1 to 64 letters, "
      "digits, '-' or '_', got \"bad name\"",
      "ses_account_rules.yaml:7:7: ses.accounts[2].regions is empty; list at least one AWS region",
      "ses_account_rules.yaml:8:13: duplicate ses account name \"prod\"; first defined at line 6",
      "ses_account_rules.yaml:9:28: ses.accounts[3].regions[1]: region \"Mars_North\" is not an "
      "AWS region name such as us-east-1 or eu-west-1",
      "ses_account_rules.yaml:9:40: ses.accounts[3].regions[2]: us-east-1 is listed twice (first "
      "as ses.accounts[3].regions[0])",
      "ses_account_rules.yaml:12:16: ses.accounts[4].account must be quoted, such as "
      "\"011122223333\": YAML reads a bare number as an integer, which drops leading zeros",
      "ses_account_rules.yaml:15:16: ses.accounts[5].account must be an AWS account id of 12 "
      "digits in quotes, such as \"111122223333\", got \"12345\"",
      "ses_account_rules.yaml:16:7: unknown key \"region\" in ses.accounts[5] (allowed: name, "
      "regions, account, credentials, endpoint_url, sts_endpoint_url)",
      "ses_account_rules.yaml:17:7: ses.accounts[6] is missing \"regions\" (the AWS regions to "
      "list, such as [us-east-1])",
      "ses_account_rules.yaml:18:7: ses.accounts[7] must be a mapping with name and regions (and "
      "optionally account, credentials, endpoint_url, sts_endpoint_url), got \"just-a-string\""}},
    {"ses_credentials.yaml",
     {"ses_credentials.yaml:6:18: ses.accounts[0].credentials.profile must be a profile name of 1 "
      "to 64 letters, digits or _.+-, got \"my profile\"",
      "ses_credentials.yaml:7:19: ses.accounts[0].credentials.role_arn must be an IAM role ARN "
      "such as arn:aws:iam::111122223333:role/dkimwatch-read (the account is not 12 digits), got "
      "\"arn:aws:iam::1111:role/x\"",
      "ses_credentials.yaml:8:9: unknown key \"token\" in ses.accounts[0].credentials (allowed: "
      "profile, role_arn, external_id_file)",
      "ses_credentials.yaml:12:9: ses.accounts[1].credentials.external_id_file needs role_arn: the "
      "external id is sent with STS AssumeRole, and only then",
      "ses_credentials.yaml:17:27: ses.accounts[2].credentials.external_id_file "
      "\"../secrets/external-id-with-space\" ({cases}/secrets/external-id-with-space) must hold an "
      "external id of 2 to 1224 letters, digits or the characters _+=,.@:/- on one line, got "
      "another character (not shown)",
      "ses_credentials.yaml:22:27: ses.accounts[3].credentials.external_id_file "
      "\"../secrets/external-id-too-short\" ({cases}/secrets/external-id-too-short) must hold an "
      "external id of 2 to 1224 letters, digits or the characters _+=,.@:/- on one line, got 1 "
      "character",
      "ses_credentials.yaml:27:27: ses.accounts[4].credentials.external_id_file "
      "\"../secrets/does-not-exist\" ({cases}/secrets/does-not-exist): cannot read: No such file "
      "or directory",
      "ses_credentials.yaml:30:20: ses.accounts[5].credentials must be a mapping with the keys "
      "profile, role_arn, external_id_file (remove it to use the AWS default chain), got "
      "\"arn:aws:iam::111122223333:role/read\"",
      "ses_credentials.yaml:34:19: ses.accounts[6].credentials.role_arn must be an IAM role ARN "
      "such as arn:aws:iam::111122223333:role/dkimwatch-read (the service is not iam, or a region "
      "is given), got \"arn:aws:sts::111122223333:role/read\"",
      "ses_credentials.yaml:35:18: ses.accounts[6].credentials.profile must be a profile name of 1 "
      "to 64 letters, digits or _.+-, got an empty string"}},
    {"ses_endpoint_urls.yaml",
     {"ses_endpoint_urls.yaml:5:21: ses.accounts[0].endpoint_url must be an http:// or https:// "
      "URL with a host and an optional port, such as http://127.0.0.1:4566 (it has a path)",
      "ses_endpoint_urls.yaml:6:25: ses.accounts[0].sts_endpoint_url must be an http:// or "
      "https:// URL with a host and an optional port, such as http://127.0.0.1:4566 (it has a user "
      "name; give credentials in the credentials block)",
      "ses_endpoint_urls.yaml:9:21: ses.accounts[1].endpoint_url must be an http:// or https:// "
      "URL with a host and an optional port, such as http://127.0.0.1:4566 (it has a query)",
      "ses_endpoint_urls.yaml:10:25: ses.accounts[1].sts_endpoint_url must be an http:// or "
      "https:// URL with a host and an optional port, such as http://127.0.0.1:4566 (it does not "
      "start with http:// or https://)",
      "ses_endpoint_urls.yaml:13:21: ses.accounts[2].endpoint_url must be an http:// or https:// "
      "URL with a host and an optional port, such as http://127.0.0.1:4566 (the port is not a "
      "number from 1 to 65535)",
      "ses_endpoint_urls.yaml:14:25: ses.accounts[2].sts_endpoint_url must be an http:// or "
      "https:// URL with a host and an optional port, such as http://127.0.0.1:4566 (it has a "
      "fragment)"}},
    {"ses_max_rps_over.yaml",
     {"ses_max_rps_over.yaml:1:1: ses.accounts is missing: list at least one account (name and "
      "regions), or remove the ses section",
      "ses_max_rps_over.yaml:2:12: ses.max_rps must be a number more than 0 and at most 50 (SES "
      "API requests per second per account and region), got 50.5"}},
    {"ses_not_mapping.yaml",
     {"ses_not_mapping.yaml:1:6: ses must be a mapping with the keys sync_interval, max_rps, "
      "accounts, got a sequence"}},
    {"ses_settings_ranges.yaml",
     {"ses_settings_ranges.yaml:2:18: ses.sync_interval must be at least 1m, got 59s",
      "ses_settings_ranges.yaml:3:12: ses.max_rps must be a number more than 0 and at most 50 (SES "
      "API requests per second per account and region), got 0",
      "ses_settings_ranges.yaml:4:3: unknown key \"colour\" in ses (allowed: sync_interval, "
      "max_rps, accounts)",
      "ses_settings_ranges.yaml:5:3: ses.accounts is empty; list at least one account, or remove "
      "the ses section"}},
    {"ses_settings_wrong_types.yaml",
     {"ses_settings_wrong_types.yaml:2:18: ses.sync_interval must be a duration such as 2s, 500ms "
      "or 1h30m, got a sequence",
      "ses_settings_wrong_types.yaml:3:12: ses.max_rps must be a number more than 0 and at most 50 "
      "(SES API requests per second per account and region), got \"2\" (a quoted string)",
      "ses_settings_wrong_types.yaml:4:13: ses.accounts must be a sequence of accounts (each a "
      "mapping with name and regions), got \"prod\""}},
    {"state_dir_empty.yaml",
     {"state_dir_empty.yaml:1:12: state_dir must be a directory such as /var/lib/dkimwatch, got an "
      "empty string"}},
    {"timeout_out_of_range.yaml",
     {"timeout_out_of_range.yaml:2:12: dns.timeout must be more than 0s and at most 60s, got 0s"}},
    {"timeout_too_long.yaml",
     {"timeout_too_long.yaml:2:12: dns.timeout must be more than 0s and at most 60s, got 1m1ms"}},
    {"token_invalid.yaml",
     {"token_invalid.yaml:7:11: easy_dkim.tokens[0] \"tok.1\" is not a DNS label: label \"tok.1\" "
      "contains '.'; allowed are letters, digits, '-' and '_'",
      "token_invalid.yaml:8:11: easy_dkim.tokens[1] \"-tok2\" is not a DNS label: label \"-tok2\" "
      "starts with '-'",
      "token_invalid.yaml:9:11: easy_dkim.tokens[2] "
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not a DNS label: "
      "label \"aaaaaaaaaaaaaaaaaaaa...\" is 64 bytes long; labels are 1 to 63 bytes",
      "token_invalid.yaml:14:16: easy_dkim.tokens[0] must be a token (one DNS label), got an empty "
      "string",
      "token_invalid.yaml:14:20: easy_dkim.tokens[1] must be a token (one DNS label), got a "
      "sequence",
      "token_invalid.yaml:14:28: easy_dkim.tokens[2] must be a token (one DNS label), got "
      "nothing"}},
    {"token_repeated.yaml",
     {"token_repeated.yaml:6:28: easy_dkim.tokens[2] \"TOK1\" repeats easy_dkim.tokens[0]; the 3 "
      "tokens must be distinct"}},
    {"top_level_sequence.yaml",
     {"top_level_sequence.yaml:1:1: the top level must be a mapping with the keys {top_keys}, "
      "got a sequence"}},
    {"unknown_keys_inside.yaml",
     {"unknown_keys_inside.yaml:2:3: unknown key \"resolver\" in dns (allowed: resolvers, timeout, "
      "attempts, max_inflight, max_qps, authoritative, authoritative_port, dnssec, "
      "trust_anchor_file, dnssec_expiry_warning, zone_poll_interval)",
      "unknown_keys_inside.yaml:7:5: unknown key \"tokens\" in identity (allowed: domain, account, "
      "region, easy_dkim, byodkim)",
      "unknown_keys_inside.yaml:10:7: unknown key \"hosted_zone\" in easy_dkim (allowed: tokens, "
      "signing_hosted_zone)",
      "unknown_keys_inside.yaml:16:7: unknown key \"key\" in byodkim (allowed: selector, "
      "public_key, public_key_file, private_key_file)"}},
    {"unknown_top_level_key.yaml",
     {"unknown_top_level_key.yaml:1:1: unknown top-level key \"check_intervals\" (allowed: "
      "{top_keys})"}},
    {"wrong_token_count.yaml",
     {"wrong_token_count.yaml:6:7: easy_dkim.tokens must list exactly 3 tokens, got 2",
      "wrong_token_count.yaml:11:7: easy_dkim.tokens must list exactly 3 tokens, got 4"}},
    {"wrong_types.yaml",
     {"wrong_types.yaml:3:12: dns.timeout must be a duration such as 2s, 500ms or 1h30m, got a "
      "sequence",
      "wrong_types.yaml:4:13: dns.attempts must be an integer from 1 to 10, got \"three\"",
      "wrong_types.yaml:5:17: dns.max_inflight must be an integer from 1 to 65535, got \"64\" (a "
      "quoted string)",
      "wrong_types.yaml:6:12: dns.max_qps must be an integer >= 0 (0 means unlimited), got -1",
      "wrong_types.yaml:11:16: easy_dkim must be a mapping with tokens (and optionally "
      "signing_hosted_zone), got a sequence",
      "wrong_types.yaml:12:13: domain must be a domain name such as example.com, got a sequence",
      "wrong_types.yaml:13:14: account must be an AWS account such as \"111122223333\", got a "
      "mapping",
      "wrong_types.yaml:14:5: region must be an AWS region such as us-east-1, got nothing",
      "wrong_types.yaml:15:14: byodkim must be a mapping with selector and one of public_key, "
      "public_key_file, private_key_file, got \"sel1\"",
      "wrong_types.yaml:16:5: identities[2] must be a mapping with domain, account, region, and "
      "easy_dkim or byodkim, got \"just a string\""}},
    // yaml-cpp 0.7's LoadAll() would loop forever on this one, allocating.
    {"yaml_lone_comma.yaml",
     {"yaml_lone_comma.yaml:1:1: YAML syntax error: the text does not parse as YAML near \",\""}},
    {"yaml_syntax_error.yaml",
     {"yaml_syntax_error.yaml:3:1: YAML syntax error: end of sequence flow not found"}},
};

std::string expand(std::string text) {
    const std::pair<std::string, std::string> placeholders[] = {
        {"{cases}", k_cases_dir.string()},
        {"{forms}", " (use an IP address with an optional port: 9.9.9.9, 127.0.0.1:5301, ::1 or "
                    "[::1]:5301; host names are not accepted)"},
        {"{units}", " (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)"},
        {"{top_keys}",
         "dns, identities, identities_file, check_interval, recheck_interval, confirmations, "
         "pending_timeout, revocation_window, blind_after, reminders, state_dir, ha, shard, "
         "metrics, alerts, group_threshold, group_wait, group_interval, max_retry_age, ses"},
    };
    for (const auto& [from, to] : placeholders) {
        for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
            text.replace(at, from.size(), to);
            at += to.size();
        }
    }
    return text;
}

class BadConfig : public ::testing::TestWithParam<BadCase> {
public:
    // The environment bad/alert_env.yaml describes.
    static void SetUpTestSuite() {
        ::setenv("DKIMWATCH_TEST_EMPTY", "", 1);
        ::setenv("DKIMWATCH_TEST_BLANK", " \n", 1);
        ::setenv("DKIMWATCH_TEST_NOT_URL", "hooks.slack.com/services/s3cr3t-env", 1);
        ::setenv("DKIMWATCH_TEST_SPACE_KEY", "s3cr3t env key", 1);
        ::setenv("DKIMWATCH_TEST_AM_URL", "http://127.0.0.1:9093", 1);
        ::setenv("DKIMWATCH_TEST_PD_KEY", "s3cr3tpdenvkey", 1);
        ::setenv("DKIMWATCH_TEST_HMAC", "s3cr3t-env-hmac", 1);
        ::unsetenv("DKIMWATCH_TEST_UNSET");
    }
    static void TearDownTestSuite() {
        for (const char* name :
             {"DKIMWATCH_TEST_EMPTY", "DKIMWATCH_TEST_BLANK", "DKIMWATCH_TEST_NOT_URL",
              "DKIMWATCH_TEST_SPACE_KEY", "DKIMWATCH_TEST_AM_URL", "DKIMWATCH_TEST_PD_KEY",
              "DKIMWATCH_TEST_HMAC"}) {
            ::unsetenv(name);
        }
    }
};

TEST_P(BadConfig, ReportsExactlyTheseErrors) {
    const BadCase& bad = GetParam();
    const fs::path dir = k_cases_dir / "bad";
    const std::string prefix = (dir / "").string();
    std::vector<std::string> actual = error_lines(load_config_file(dir / bad.file));
    for (std::string& line : actual) {
        ASSERT_EQ(line.compare(0, prefix.size(), prefix), 0) << line;
        line.erase(0, prefix.size());
    }
    std::vector<std::string> expected;
    for (const std::string& line : bad.errors) {
        expected.push_back(expand(line));
    }
    EXPECT_EQ(actual, expected);
    // Every secret in the test data (files, environment, URLs) contains this marker.
    for (const std::string& line : actual) {
        EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
    }
}

INSTANTIATE_TEST_SUITE_P(Table, BadConfig, ::testing::ValuesIn(k_bad_cases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                             return fs::path(info.param.file).stem().string();
                         });

TEST(BadConfigTable, CoversEveryFileInTheDirectory) {
    std::set<std::string> files;
    for (const auto& entry : fs::directory_iterator(k_cases_dir / "bad")) {
        if (entry.path().extension() == ".yaml") {
            files.insert(entry.path().filename().string());
        }
    }
    std::set<std::string> listed;
    for (const BadCase& bad : k_bad_cases) {
        EXPECT_TRUE(listed.insert(bad.file).second) << "listed twice: " << bad.file;
        EXPECT_FALSE(bad.errors.empty()) << bad.file;
    }
    EXPECT_EQ(files, listed);
}

} // namespace
} // namespace dkimwatch
