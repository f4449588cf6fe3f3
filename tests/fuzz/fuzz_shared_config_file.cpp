// libFuzzer harness: the AWS shared credentials and config file parser (INI-like, profiles).
// The first byte picks the kind (credentials or config). Contract checked: a failure says why.
// (That an error never quotes the text, which may hold a secret, is a unit test with random
// inputs: tests/unit/aws_credentials/test_shared_config_file.cpp.)

#include "aws/shared_config_file.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto kind = data[0] % 2 == 0 ? dkimwatch::SharedFileKind::credentials
                                       : dkimwatch::SharedFileKind::config;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto parsed = dkimwatch::parse_shared_file(text, kind, "credentials");
    if (!parsed.ok()) {
        if (parsed.error().empty()) {
            std::abort();
        }
    }
    return 0;
}
