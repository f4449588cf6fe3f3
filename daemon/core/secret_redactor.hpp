#pragma once
// Removes known secrets from text before it is logged, stored or printed: response bodies that
// echo the request ("Cannot POST /services/T0/B0/XXXX"), transport errors, failure reasons.
// Pure.
//
// Matching is exact (byte for byte) and case-sensitive; at each position the longest secret
// that matches is replaced by k_redacted_marker. Secrets shorter than k_min_secret_length are
// ignored, so that a short value (a path like "/", a one-letter query) cannot shred ordinary
// text; the real secrets (Slack paths, routing keys, HMAC keys) are far longer.
//
// Thread-safety: an instance is immutable after construction; redact() may be called from any
// thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

inline constexpr std::string_view k_redacted_marker = "[redacted]";
inline constexpr std::size_t k_min_secret_length = 6;

class SecretRedactor {
public:
    SecretRedactor() = default; // redacts nothing
    // `secrets` in any order, duplicates and short ones allowed (they are dropped).
    explicit SecretRedactor(std::vector<std::string> secrets);

    // `text` with every occurrence of every secret replaced by k_redacted_marker.
    std::string redact(std::string_view text) const;

    // The secrets it looks for: deduplicated, at least k_min_secret_length bytes, longest
    // first (ties in byte order).
    const std::vector<std::string>& secrets() const { return m_secrets; }

private:
    std::vector<std::string> m_secrets;
};

// The parts of `url` that are secret when the URL is: the URL itself, its userinfo
// ("user:password", before '@'), its query (after '?', without the '?' and the fragment), and,
// when `path_is_secret`, its path (without the leading '/', the query and the fragment). Parts
// that are absent are left out. Text that is not "scheme://..." gives only the text itself.
std::vector<std::string> url_secret_parts(std::string_view url, bool path_is_secret);

} // namespace dkimwatch
