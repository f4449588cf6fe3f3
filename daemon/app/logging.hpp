#pragma once
// Logging setup: stderr, one event per line, key=value fields.
//
// Two line formats:
// - plain:   "2024-05-01T12:00:00.123Z level=info event=started identities=3" (UTC)
// - journal: "<6>level=info event=started identities=3": an sd-daemon(3) priority prefix
//            (<2> critical, <3> error, <4> warning, <6> info, <7> debug and trace) and no
//            timestamp, because journald parses the prefix and stamps each line itself.

#include "core/result.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace dkimwatch {

struct Unit {};

enum class LogStyle { plain, journal };

// journal when stderr is connected to journald: JOURNAL_STREAM is set and names the
// "device:inode" of stderr, as systemd.exec(5) asks programs to check (a JOURNAL_STREAM inherited
// by a process whose stderr was redirected elsewhere does not count). plain otherwise.
LogStyle detect_log_style();

// Gives `logger` the line format of `style` (replaces its formatter on every sink).
void apply_log_style(spdlog::logger& logger, LogStyle style);

// The line `style` makes of one event logged at `time`, without the line end: exactly what
// the logger writes (same formatter). `level` as for setup_logging(), except "off".
Result<std::string> format_log_line(LogStyle style, const std::string& level,
                                    std::string_view message,
                                    std::chrono::system_clock::time_point time);

// Installs the default spdlog logger "dkimwatch" writing to stderr (thread-safe sink).
// `level`: trace, debug, info, warn, error, critical or off. `style`: detect_log_style() when
// not given. May be called again (e.g. on reload); the new logger replaces the old one.
Result<Unit> setup_logging(const std::string& level, std::optional<LogStyle> style = std::nullopt);

} // namespace dkimwatch
