#include "app/validate_command.hpp"

#include "config/config_loader.hpp"

#include <iostream>

namespace dkimwatch {

int run_validate_command(const std::string& config_path) {
    auto loaded = load_config_file(config_path);
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
        for (const auto& error : *errors) {
            std::cerr << error.to_string() << "\n";
        }
        return 1;
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace dkimwatch
