// libFuzzer harness: the key decoder of core/public_key. The first byte picks the entry point,
// the rest is the input:
//   0  decode_dkim_public_key("rsa", bytes)      (a DKIM p= value, base64-decoded)
//   1  decode_dkim_public_key("ed25519", bytes)
//   2  load_byodkim_key(bytes)                   (a configured key: PEM, DER or base64)
//   3  base64_decode(bytes), re-encoded and decoded again must give the same bytes

#include "core/public_key.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::span<const unsigned char> bytes(data + 1, size - 1);
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 4) {
    case 0:
    case 1: {
        const auto key =
            dkimwatch::decode_dkim_public_key(data[0] % 4 == 0 ? "rsa" : "ed25519", bytes);
        if (key.ok() && key->canonical_der.empty()) {
            std::abort();
        }
        break;
    }
    case 2: {
        const auto loaded = dkimwatch::load_byodkim_key(text);
        if (loaded.ok() && (loaded->key.canonical_der.empty() ||
                            (loaded->key.bits != 1024 && loaded->key.bits != 2048))) {
            std::abort(); // SES BYODKIM takes RSA 1024 or 2048 only
        }
        break;
    }
    default: {
        const auto decoded = dkimwatch::base64_decode(text);
        if (decoded.ok()) {
            const auto again = dkimwatch::base64_decode(dkimwatch::base64_encode(*decoded));
            if (!again.ok() || *again != *decoded) {
                std::abort();
            }
        }
        break;
    }
    }
    return 0;
}
