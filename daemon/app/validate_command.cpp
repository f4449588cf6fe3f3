#include "app/validate_command.hpp"

#include "config/config_loader.hpp"

#include <iostream>

namespace dkimwatch {

int run_validate_command(const std::string& config_path) {
    if (!load_config_or_report(config_path, std::cerr)) {
        return 1;
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace dkimwatch
