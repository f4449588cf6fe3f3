#include "app/validate_command.hpp"

#include "config/config_loader.hpp"

#include <iostream>

namespace dkimwatch {

int run_validate_command(const std::string& config_path) {
    const auto config = load_config_or_report(config_path, std::cerr);
    if (!config) {
        return 1;
    }
    for (const auto& warning : config->warnings) {
        ConfigError shown = warning;
        shown.message = "warning: " + shown.message;
        std::cerr << shown.to_string() << "\n";
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace dkimwatch
