// libFuzzer harness: the joined text of a TXT record through parse_dkim_key_record and
// looks_like_dkim_key_record. A parsed record's p= must decode to the key bytes it reports.

#include "core/dkim_key_record.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)dkimwatch::looks_like_dkim_key_record(text);
    const auto record = dkimwatch::parse_dkim_key_record(text);
    if (record.ok()) {
        // Revoked (empty p=) exactly when no key bytes came out.
        if (record->revoked() != record->public_key.empty()) {
            std::abort();
        }
        (void)record->testing();
        (void)record->allows_email();
        (void)record->allows_sha256();
    } else if (record.error().empty()) {
        std::abort();
    }
    return 0;
}
