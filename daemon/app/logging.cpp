#include "app/logging.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dkimwatch {

namespace {

constexpr const char* k_plain_pattern = "%Y-%m-%dT%H:%M:%S.%eZ level=%l %v";
// '*' is the syslog priority prefix flag below.
constexpr const char* k_journal_pattern = "%*level=%l %v";

// The sd-daemon(3) priority prefix, e.g. "<6>" for info.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const char* prefix = priority_prefix(msg.level);
        dest.append(prefix, prefix + 3);
    }

    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriorityFlag>();
    }

private:
    // Always three characters.
    static const char* priority_prefix(spdlog::level::level_enum level) {
        switch (level) {
        case spdlog::level::critical:
            return "<2>"; // SD_CRIT
        case spdlog::level::err:
            return "<3>"; // SD_ERR
        case spdlog::level::warn:
            return "<4>"; // SD_WARNING
        case spdlog::level::info:
            return "<6>"; // SD_INFO
        case spdlog::level::debug:
        case spdlog::level::trace:
        default:
            return "<7>"; // SD_DEBUG
        }
    }
};

std::unique_ptr<spdlog::formatter> make_formatter(LogStyle style) {
    if (style == LogStyle::journal) {
        auto journal = std::make_unique<spdlog::pattern_formatter>();
        journal->add_flag<SyslogPriorityFlag>('*').set_pattern(k_journal_pattern);
        return journal;
    }
    return std::make_unique<spdlog::pattern_formatter>(k_plain_pattern,
                                                       spdlog::pattern_time_type::utc);
}

Result<spdlog::level::level_enum> parse_level(const std::string& level) {
    const auto parsed = spdlog::level::from_str(level);
    // from_str answers "off" for anything it does not know; only accept "off" when asked for.
    if (parsed == spdlog::level::off && level != "off") {
        return Error{"unknown log level \"" + level +
                     "\" (use trace, debug, info, warn, error, critical or off)"};
    }
    return parsed;
}

} // namespace

LogStyle detect_log_style() {
    const char* journal_stream = std::getenv("JOURNAL_STREAM");
    if (journal_stream == nullptr) {
        return LogStyle::plain;
    }
    std::uintmax_t device = 0;
    std::uintmax_t inode = 0;
    char trailing = 0;
    if (std::sscanf(journal_stream, "%" SCNuMAX ":%" SCNuMAX "%c", &device, &inode, &trailing) !=
        2) {
        return LogStyle::plain;
    }
    struct stat status {};
    if (fstat(STDERR_FILENO, &status) != 0) {
        return LogStyle::plain;
    }
    const bool is_journal = static_cast<std::uintmax_t>(status.st_dev) == device &&
                            static_cast<std::uintmax_t>(status.st_ino) == inode;
    return is_journal ? LogStyle::journal : LogStyle::plain;
}

void apply_log_style(spdlog::logger& logger, LogStyle style) {
    logger.set_formatter(make_formatter(style));
}

Result<std::string> format_log_line(LogStyle style, const std::string& level,
                                    std::string_view message,
                                    std::chrono::system_clock::time_point time) {
    const auto parsed = parse_level(level);
    if (!parsed) {
        return Error{parsed.error()};
    }
    if (*parsed == spdlog::level::off) {
        return Error{"nothing is logged at level \"off\""};
    }
    spdlog::details::log_msg msg(time, spdlog::source_loc{}, "dkimwatch", *parsed,
                                 spdlog::string_view_t{message.data(), message.size()});
    spdlog::memory_buf_t buffer;
    make_formatter(style)->format(msg, buffer);
    std::string line(buffer.data(), buffer.size());
    const std::string_view eol = spdlog::details::os::default_eol;
    if (line.ends_with(eol)) {
        line.resize(line.size() - eol.size());
    }
    return line;
}

Result<Unit> setup_logging(const std::string& level, std::optional<LogStyle> style) {
    const auto parsed = parse_level(level);
    if (!parsed) {
        return Error{parsed.error()};
    }
    // Not registered by name, so that a second call (reload, tests) replaces it cleanly.
    auto logger = std::make_shared<spdlog::logger>(
        "dkimwatch", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    apply_log_style(*logger, style.value_or(detect_log_style()));
    logger->set_level(*parsed);
    spdlog::set_default_logger(logger);
    return Unit{};
}

} // namespace dkimwatch
