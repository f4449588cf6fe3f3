#pragma once
// Sharding an inventory over several dkimwatch processes (config: shard: "K/N"), after
// Prometheus's hashmod relabelling. Pure.
//
// The hash is part of the public contract: the same on every host, architecture and version, so
// that N processes configured "1/N" .. "N/N" cover every identity exactly once:
//
//   hash(identity) = the first 8 bytes of SHA-256(account "\n" region "\n" domain),
//                    read as a big-endian unsigned 64-bit integer
//   shard K of N owns the identity when hash(identity) mod N == K - 1
//
// account is the 12-digit AWS account id ("" when the identity names none), region the region
// code ("" when none) and domain the canonical name: lower case, no trailing dot. For example
// ("111122223333", "us-east-1", "example.com") hashes to 0x20b3435a9ea3d335, which shard 2 of 4
// owns (0x20b3435a9ea3d335 mod 4 = 1).

#include "core/identity.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

// Shard `index` of `count` (1 <= index <= count). The default, 1/1, owns every identity.
struct Shard {
    std::uint32_t index = 1;
    std::uint32_t count = 1;

    bool operator==(const Shard&) const = default;
};

// The largest N accepted in "K/N".
inline constexpr std::uint32_t k_max_shard_count = 1024;

// "K/N" with 1 <= K <= N <= k_max_shard_count, decimal without signs or spaces, e.g. "2/4".
// The error is a sentence fragment saying what is wrong, e.g. "the shard 5/4 does not exist:
// K must be between 1 and N".
Result<Shard> parse_shard(std::string_view text);

// "2/4".
std::string shard_text(const Shard& shard);

// Whether the shard is the whole inventory (count 1).
inline bool is_whole_inventory(const Shard& shard) {
    return shard.count <= 1;
}

// The documented hash above.
std::uint64_t identity_shard_hash(const IdentityKey& key);

// Whether `shard` watches the identity: identity_shard_hash(key) % count == index - 1.
bool shard_owns(const Shard& shard, const IdentityKey& key);

// Whether `shard` speaks for the SES source (account, region) as a whole: it raises the
// source's ses_sync_failing / ses_sync_recovered events and exports its per-source series
// (dkimwatch_ses_identities, dkimwatch_ses_sync_last_success_timestamp_seconds). Every shard
// lists the source (it needs the identities it owns), and exactly one of N owns it: the shard
// that owns the identity key (account, region, "") under the hash above, i.e.
// shard_owns(shard, {account, region, ""}). account is "" when the source's account id is not
// known yet. For example ("111122223333", "us-east-1") hashes to 0xf6f9c39abd2d1504, which
// shard 3 of 3 owns.
bool shard_owns_source(const Shard& shard, const std::string& account, const std::string& region);

} // namespace dkimwatch
