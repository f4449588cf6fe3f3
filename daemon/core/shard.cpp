#include "core/shard.hpp"

#include <array>
#include <charconv>
#include <openssl/evp.h>

namespace dkimwatch {

namespace {

// A decimal without sign, spaces or leading "+"; nullopt for anything else or an overflow.
std::optional<std::uint32_t> parse_count(std::string_view text) {
    if (text.empty() || text.size() > 9) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

Result<Shard> parse_shard(std::string_view text) {
    const std::size_t slash = text.find('/');
    const char* form = "a shard is \"K/N\", e.g. \"2/4\" for the second of four";
    if (slash == std::string_view::npos) {
        return Error{form};
    }
    const auto index = parse_count(text.substr(0, slash));
    const auto count = parse_count(text.substr(slash + 1));
    if (!index || !count) {
        return Error{form};
    }
    if (*count < 1 || *count > k_max_shard_count) {
        return Error{"N must be between 1 and " + std::to_string(k_max_shard_count) + ", got " +
                     std::to_string(*count)};
    }
    if (*index < 1 || *index > *count) {
        return Error{"the shard " + std::string(text) +
                     " does not exist: K must be between 1 and N"};
    }
    return Shard{*index, *count};
}

std::string shard_text(const Shard& shard) {
    return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

std::uint64_t identity_shard_hash(const IdentityKey& key) {
    const std::string input = key.account + "\n" + key.region + "\n" + key.domain;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    // SHA-256 of a short string in memory cannot fail short of memory exhaustion; a failure
    // leaves the digest zero, which still gives every process the same (if unbalanced) answer.
    if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        digest.fill(0);
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        value = (value << 8) | digest[i];
    }
    return value;
}

bool shard_owns(const Shard& shard, const IdentityKey& key) {
    if (is_whole_inventory(shard)) {
        return true;
    }
    return identity_shard_hash(key) % shard.count == shard.index - 1;
}

bool shard_owns_source(const Shard& shard, const std::string& account, const std::string& region) {
    return shard_owns(shard, IdentityKey{account, region, ""});
}

} // namespace dkimwatch
