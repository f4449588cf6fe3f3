// libFuzzer harness: the identities file line format (config key identities_file) through
// parse_identities_csv. Every line is either an identity or an error with its 1-based line.

#include "config/identities_csv.hpp"
#include "fuzz_base_dir.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed =
        dkimwatch::parse_identities_csv(text, "fuzz.csv", dkimwatch::fuzz::empty_base_dir());
    const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (const auto& identity : parsed.identities) {
        if (identity.line < 1 || identity.line > lines) {
            std::abort();
        }
    }
    for (const auto& error : parsed.errors) {
        if (error.message.empty() || error.line < 0 || error.line > lines) {
            std::abort();
        }
    }
    return 0;
}
