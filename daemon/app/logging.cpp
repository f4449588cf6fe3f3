#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace dkimwatch {

Result<Unit> setup_logging(const std::string& level) {
    const auto parsed = spdlog::level::from_str(level);
    // from_str answers "off" for anything it does not know; only accept "off" when asked for.
    if (parsed == spdlog::level::off && level != "off") {
        return Error{"unknown log level \"" + level +
                     "\" (use trace, debug, info, warn, error, critical or off)"};
    }
    auto logger = spdlog::stderr_logger_st("dkimwatch");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
    logger->set_level(parsed);
    spdlog::set_default_logger(logger);
    return Unit{};
}

} // namespace dkimwatch
