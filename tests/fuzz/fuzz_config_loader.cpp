// libFuzzer harness: YAML text -> Config through load_config_text, the loader behind
// load_config_file. Any text must give a Config or a list of errors each with a message; never a
// crash, a hang or an exception.

#include "config/config_loader.hpp"
#include "fuzz_base_dir.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result =
        dkimwatch::load_config_text(text, "fuzz.yaml", dkimwatch::fuzz::empty_base_dir());
    if (const auto* errors = std::get_if<std::vector<dkimwatch::ConfigError>>(&result)) {
        // A rejected config always says why.
        if (errors->empty()) {
            std::abort();
        }
        for (const auto& error : *errors) {
            if (error.message.empty() || error.to_string().empty()) {
                std::abort();
            }
        }
    }
    return 0;
}
