#include "app/logging.hpp"
#include "app/service_notifier.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace dkimwatch;
using namespace std::chrono_literals;

namespace {

// Saves the variables the notifier reads and restores them afterwards.
class ScopedEnvironment {
public:
    ScopedEnvironment() {
        for (const char* name : k_names) {
            const char* value = std::getenv(name);
            m_saved.emplace_back(name, value ? std::optional<std::string>{value} : std::nullopt);
            unsetenv(name);
        }
    }
    ~ScopedEnvironment() {
        for (const auto& [name, value] : m_saved) {
            if (value) {
                setenv(name.c_str(), value->c_str(), 1);
            } else {
                unsetenv(name.c_str());
            }
        }
    }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

private:
    static constexpr std::array k_names{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                        "JOURNAL_STREAM"};
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

// A datagram socket bound in a fresh temporary directory, playing the service manager.
class FakeServiceManager {
public:
    FakeServiceManager() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "dkimwatch-notify-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error(std::string{"mkdtemp: "} + std::strerror(errno));
        }
        m_dir = pattern;
        m_path = (m_dir / "notify.sock").string();
        m_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (m_fd < 0) {
            throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
        }
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (m_path.size() >= sizeof(address.sun_path)) {
            throw std::runtime_error("socket path too long: " + m_path);
        }
        std::memcpy(address.sun_path, m_path.c_str(), m_path.size() + 1);
        if (bind(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
            throw std::runtime_error(std::string{"bind: "} + std::strerror(errno));
        }
        timeval timeout{1, 0}; // only a bug makes a receive wait
        setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
    ~FakeServiceManager() {
        close(m_fd);
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
    FakeServiceManager(const FakeServiceManager&) = delete;
    FakeServiceManager& operator=(const FakeServiceManager&) = delete;

    const std::string& path() const { return m_path; }

    // The next datagram, exactly; nullopt when none arrives within a second.
    std::optional<std::string> receive() {
        std::array<char, 4096> buffer{};
        const ssize_t size = recv(m_fd, buffer.data(), buffer.size(), 0);
        if (size < 0) {
            return std::nullopt;
        }
        return std::string(buffer.data(), static_cast<std::size_t>(size));
    }

    // True when no datagram is waiting.
    bool idle() {
        std::array<char, 16> buffer{};
        return recv(m_fd, buffer.data(), buffer.size(), MSG_DONTWAIT) < 0 && errno == EAGAIN;
    }

private:
    std::filesystem::path m_dir;
    std::string m_path;
    int m_fd = -1;
};

class ServiceNotifierTest : public ::testing::Test {
protected:
    ScopedEnvironment m_environment;
};

TEST_F(ServiceNotifierTest, DisabledWithoutNotifySocket) {
    ServiceNotifier notifier;
    EXPECT_FALSE(notifier.enabled());
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
    EXPECT_EQ(notifier.watchdog_ping_interval(), std::nullopt);
    // No-ops: nothing to send to, nothing to fail.
    notifier.ready("x");
    notifier.reloading();
    notifier.stopping();
    notifier.status("x");
    notifier.watchdog();
}

TEST_F(ServiceNotifierTest, EmptyNotifySocketIsDisabled) {
    setenv("NOTIFY_SOCKET", "", 1);
    EXPECT_FALSE(ServiceNotifier{}.enabled());
}

TEST_F(ServiceNotifierTest, SendsEachMessageExactly) {
    FakeServiceManager manager;
    setenv("NOTIFY_SOCKET", manager.path().c_str(), 1);
    ServiceNotifier notifier;
    ASSERT_TRUE(notifier.enabled());

    notifier.ready("3 identities: 3 verified");
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=3 identities: 3 verified");
    notifier.reloading();
    EXPECT_EQ(manager.receive(), "RELOADING=1");
    notifier.ready("4 identities: 1 pending, 3 verified");
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=4 identities: 1 pending, 3 verified");
    notifier.status("checking 4 identities");
    EXPECT_EQ(manager.receive(), "STATUS=checking 4 identities");
    notifier.watchdog();
    EXPECT_EQ(manager.receive(), "WATCHDOG=1");
    notifier.extend_start_timeout(std::chrono::seconds{60});
    EXPECT_EQ(manager.receive(), "EXTEND_TIMEOUT_USEC=60000000");
    notifier.stopping();
    EXPECT_EQ(manager.receive(), "STOPPING=1");
    EXPECT_TRUE(manager.idle());
}

TEST_F(ServiceNotifierTest, StatusCannotInjectAssignments) {
    FakeServiceManager manager;
    setenv("NOTIFY_SOCKET", manager.path().c_str(), 1);
    ServiceNotifier notifier;
    notifier.status("bad\nREADY=1\r\nWATCHDOG=trigger");
    EXPECT_EQ(manager.receive(), "STATUS=bad READY=1  WATCHDOG=trigger");
    notifier.ready("a\nb");
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=a b");
}

TEST_F(ServiceNotifierTest, LeavesTheEnvironmentAlone) {
    FakeServiceManager manager;
    setenv("NOTIFY_SOCKET", manager.path().c_str(), 1);
    setenv("WATCHDOG_USEC", "60000000", 1);
    ServiceNotifier notifier;
    notifier.ready("x");
    ASSERT_NE(std::getenv("NOTIFY_SOCKET"), nullptr);
    EXPECT_EQ(std::string{std::getenv("NOTIFY_SOCKET")}, manager.path());
    ASSERT_NE(std::getenv("WATCHDOG_USEC"), nullptr);
    EXPECT_EQ(std::string{std::getenv("WATCHDOG_USEC")}, "60000000");
}

TEST_F(ServiceNotifierTest, WatchdogIntervalFromEnvironment) {
    setenv("WATCHDOG_USEC", "60000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    ServiceNotifier notifier;
    EXPECT_EQ(notifier.watchdog_interval(), std::chrono::microseconds{60s});
    EXPECT_EQ(notifier.watchdog_ping_interval(), std::chrono::microseconds{30s});
}

TEST_F(ServiceNotifierTest, WatchdogWithoutPidIsForUs) {
    setenv("WATCHDOG_USEC", "1500001", 1);
    ServiceNotifier notifier;
    EXPECT_EQ(notifier.watchdog_interval(), std::chrono::microseconds{1500001});
    EXPECT_EQ(notifier.watchdog_ping_interval(), std::chrono::microseconds{750000});
}

TEST_F(ServiceNotifierTest, WatchdogForAnotherProcessIsOff) {
    setenv("WATCHDOG_USEC", "60000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
    EXPECT_EQ(ServiceNotifier{}.watchdog_interval(), std::nullopt);
}

TEST_F(ServiceNotifierTest, InvalidWatchdogIsOff) {
    for (const char* value : {"", "0", "abc", "-5", "60s"}) {
        setenv("WATCHDOG_USEC", value, 1);
        setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
        EXPECT_EQ(ServiceNotifier{}.watchdog_interval(), std::nullopt) << "WATCHDOG_USEC=" << value;
    }
}

// "device:inode" of the file open as stderr now.
std::string stderr_identity() {
    struct stat status {};
    if (fstat(STDERR_FILENO, &status) != 0) {
        return "fstat failed";
    }
    return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

// Also checks, end to end, that setup_logging() picks the journal format from JOURNAL_STREAM.
TEST_F(ServiceNotifierTest, SendFailureIsLoggedOnceAsWarningToTheJournal) {
    setenv("NOTIFY_SOCKET", "/nonexistent-dkimwatch-dir/notify.sock", 1);
    ServiceNotifier notifier;
    ASSERT_TRUE(notifier.enabled());
    ::testing::internal::CaptureStderr();
    setenv("JOURNAL_STREAM", stderr_identity().c_str(), 1);
    const bool logging = setup_logging("info").ok();
    notifier.ready("x");
    notifier.watchdog();
    const std::string captured = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(logging);
    EXPECT_EQ(captured,
              "<4>level=warning event=sd_notify_failed error=\"No such file or directory\"\n");
}

TEST_F(ServiceNotifierTest, SendFailureIsLoggedWithTimestampOutsideTheJournal) {
    setenv("NOTIFY_SOCKET", "/nonexistent-dkimwatch-dir/notify.sock", 1);
    ServiceNotifier notifier;
    ::testing::internal::CaptureStderr();
    const bool logging = setup_logging("info").ok();
    notifier.stopping();
    const std::string captured = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(logging);
    // "2024-05-01T12:34:56.789Z " then the event.
    const std::string event =
        "level=warning event=sd_notify_failed error=\"No such file or directory\"\n";
    ASSERT_EQ(captured.size(), 25 + event.size()) << captured;
    EXPECT_EQ(captured.substr(25), event);
    const std::string timestamp = captured.substr(0, 25);
    for (std::size_t i = 0; i < timestamp.size(); ++i) {
        const char expected = "dddd-dd-ddTdd:dd:dd.dddZ "[i];
        if (expected == 'd') {
            EXPECT_TRUE(timestamp[i] >= '0' && timestamp[i] <= '9') << captured;
        } else {
            EXPECT_EQ(timestamp[i], expected) << captured;
        }
    }
}

TEST_F(ServiceNotifierTest, NothingLoggedBelowTheLevel) {
    setenv("NOTIFY_SOCKET", "/nonexistent-dkimwatch-dir/notify.sock", 1);
    ServiceNotifier notifier;
    ::testing::internal::CaptureStderr();
    const bool logging = setup_logging("error", LogStyle::journal).ok();
    notifier.stopping();
    const std::string captured = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(logging);
    EXPECT_EQ(captured, "");
}

TEST(StatusSummary, ExampleFromTheDocumentation) {
    EXPECT_EQ(status_summary({{"verified", 118}, {"revocation_warning", 2}}, 120),
              "120 identities: 118 verified, 2 revocation-warning");
}

TEST(StatusSummary, FixedOrderAndZeroesOmitted) {
    EXPECT_EQ(status_summary(
                  {{"revoked", 1}, {"revocation_warning", 2}, {"verified", 0}, {"pending", 4}}, 7),
              "7 identities: 4 pending, 2 revocation-warning, 1 revoked");
    EXPECT_EQ(status_summary(
                  {{"revoked", 1}, {"pending", 1}, {"verified", 1}, {"revocation_warning", 1}}, 4),
              "4 identities: 1 pending, 1 verified, 1 revocation-warning, 1 revoked");
}

TEST(StatusSummary, Singular) {
    EXPECT_EQ(status_summary({{"pending", 1}}, 1), "1 identity: 1 pending");
}

TEST(StatusSummary, NothingToList) {
    EXPECT_EQ(status_summary({}, 0), "0 identities");
    EXPECT_EQ(status_summary({{"verified", 0}, {"pending", -1}}, 0), "0 identities");
    EXPECT_EQ(status_summary({}, 5), "5 identities");
}

TEST(StatusSummary, HyphenatedKeysAccepted) {
    EXPECT_EQ(status_summary({{"revocation-warning", 2}, {"revocation_warning", 1}}, 3),
              "3 identities: 3 revocation-warning");
}

TEST(StatusSummary, UnknownKeysFollowInKeyOrder) {
    EXPECT_EQ(status_summary({{"zzz", 1}, {"verified", 2}, {"aaa", 3}}, 6),
              "6 identities: 2 verified, 3 aaa, 1 zzz");
}

} // namespace
