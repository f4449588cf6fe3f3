#pragma once
// The directory the config harnesses resolve relative key file paths against: an empty
// directory made once per process, so that a fuzzed relative path names nothing real.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace dkimwatch::fuzz {

inline const std::filesystem::path& empty_base_dir() {
    static const std::filesystem::path dir = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "dkimwatch-fuzz-XXXXXX");
        const char* made = ::mkdtemp(pattern.data());
        return made != nullptr ? std::filesystem::path(made)
                               : std::filesystem::path("/nonexistent");
    }();
    return dir;
}

} // namespace dkimwatch::fuzz
