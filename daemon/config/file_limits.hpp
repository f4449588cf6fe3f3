#pragma once
// The size limit of each kind of file the program reads (read through util/bounded_file.hpp).

#include "util/bounded_file.hpp"

#include <cstddef>

namespace dkimwatch {

// The YAML configuration. yaml-cpp needs 50 to 60 times the file's size in memory (a 50 MB
// YAML took 3 GB); a YAML of just under this limit (58,562 identities) peaked at 434 MiB RSS
// in `validate`. Larger inventories belong in identities_file.
inline constexpr std::size_t k_max_config_file_bytes = std::size_t{8} * 1024 * 1024;
// identities_file: one short line per identity; 1 GiB is millions of identities.
inline constexpr std::size_t k_max_identities_file_bytes = std::size_t{1} << 30;
// A PEM, DER or base64 key (an RSA 2048 private key in PEM is under 2 KB).
inline constexpr std::size_t k_max_key_file_bytes = std::size_t{1024} * 1024;
// A secret: a URL, an HMAC secret or a routing key.
inline constexpr std::size_t k_max_secret_file_bytes = std::size_t{64} * 1024;

inline FileLimit config_file_limit() {
    return {k_max_config_file_bytes, "a YAML configuration"};
}
inline FileLimit identities_file_limit() {
    return {k_max_identities_file_bytes, "an identities file"};
}
inline FileLimit key_file_limit() {
    return {k_max_key_file_bytes, "a key file"};
}
inline FileLimit secret_file_limit() {
    return {k_max_secret_file_bytes, "a secret file"};
}

} // namespace dkimwatch
