#include "app/logging.hpp"

#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace dkimwatch;

namespace {

// 2024-05-01T12:34:56.789Z
std::chrono::system_clock::time_point sample_time() {
    using namespace std::chrono;
    return sys_days{year{2024} / May / 1} + hours{12} + minutes{34} + seconds{56} +
           milliseconds{789};
}

std::string line(LogStyle style, const std::string& level, const std::string& message) {
    const auto result = format_log_line(style, level, message, sample_time());
    if (!result) {
        return "error: " + result.error();
    }
    return *result;
}

// "device:inode" of the file open as stderr now.
std::string stderr_identity() {
    struct stat status {};
    if (fstat(STDERR_FILENO, &status) != 0) {
        return "fstat failed";
    }
    return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

class JournalStreamEnvironment : public ::testing::Test {
protected:
    JournalStreamEnvironment() {
        if (const char* value = std::getenv("JOURNAL_STREAM")) {
            m_saved = value;
        }
        unsetenv("JOURNAL_STREAM");
    }
    ~JournalStreamEnvironment() override {
        if (m_saved) {
            setenv("JOURNAL_STREAM", m_saved->c_str(), 1);
        } else {
            unsetenv("JOURNAL_STREAM");
        }
    }

private:
    std::optional<std::string> m_saved;
};

TEST(FormatLogLine, PlainHasUtcTimestampAndLevel) {
    EXPECT_EQ(line(LogStyle::plain, "info", "event=started identities=3"),
              "2024-05-01T12:34:56.789Z level=info event=started identities=3");
    EXPECT_EQ(line(LogStyle::plain, "warn", "event=x"),
              "2024-05-01T12:34:56.789Z level=warning event=x");
}

TEST(FormatLogLine, JournalHasPriorityPrefixAndNoTimestamp) {
    EXPECT_EQ(line(LogStyle::journal, "critical", "event=a"), "<2>level=critical event=a");
    EXPECT_EQ(line(LogStyle::journal, "error", "event=b"), "<3>level=error event=b");
    EXPECT_EQ(line(LogStyle::journal, "err", "event=b"), "<3>level=error event=b");
    EXPECT_EQ(line(LogStyle::journal, "warn", "event=c"), "<4>level=warning event=c");
    EXPECT_EQ(line(LogStyle::journal, "info", "event=d k=\"v w\""),
              "<6>level=info event=d k=\"v w\"");
    EXPECT_EQ(line(LogStyle::journal, "debug", "event=e"), "<7>level=debug event=e");
    EXPECT_EQ(line(LogStyle::journal, "trace", "event=f"), "<7>level=trace event=f");
}

TEST(FormatLogLine, RejectsBadLevels) {
    EXPECT_EQ(line(LogStyle::plain, "loud", "x"),
              "error: unknown log level \"loud\" (use trace, debug, info, warn, error, critical "
              "or off)");
    EXPECT_EQ(line(LogStyle::journal, "off", "x"), "error: nothing is logged at level \"off\"");
}

TEST(SetupLogging, RejectsUnknownLevel) {
    const auto result = setup_logging("verbose");
    ASSERT_FALSE(result);
    EXPECT_EQ(
        result.error(),
        "unknown log level \"verbose\" (use trace, debug, info, warn, error, critical or off)");
}

TEST(SetupLogging, CanBeCalledAgain) {
    EXPECT_TRUE(setup_logging("info", LogStyle::plain));
    EXPECT_TRUE(setup_logging("debug", LogStyle::journal));
    EXPECT_TRUE(setup_logging("off"));
}

TEST_F(JournalStreamEnvironment, PlainWithoutJournalStream) {
    EXPECT_EQ(detect_log_style(), LogStyle::plain);
}

TEST_F(JournalStreamEnvironment, JournalWhenItNamesStderr) {
    setenv("JOURNAL_STREAM", stderr_identity().c_str(), 1);
    EXPECT_EQ(detect_log_style(), LogStyle::journal);
}

TEST_F(JournalStreamEnvironment, PlainWhenStderrWasRedirected) {
    // Inherited from a journald-connected parent, but stderr now goes elsewhere.
    const std::string original = stderr_identity();
    ::testing::internal::CaptureStderr();
    setenv("JOURNAL_STREAM", original.c_str(), 1);
    const LogStyle style = detect_log_style();
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(style, LogStyle::plain);
}

TEST_F(JournalStreamEnvironment, PlainWhenMalformed) {
    for (const char* value : {"", "12", "12:", ":34", "a:b", "12:34x", "12:34:56"}) {
        setenv("JOURNAL_STREAM", value, 1);
        EXPECT_EQ(detect_log_style(), LogStyle::plain) << "JOURNAL_STREAM=" << value;
    }
}

} // namespace
