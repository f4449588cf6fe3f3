#pragma once
// DNSSEC trust anchors: the DS and DNSKEY records a validation chain must end in, read from a
// file in zone-file form as Unbound's trust-anchor-file is (any number of DS and DNSKEY
// records, comments, $ORIGIN and $TTL; Debian's /usr/share/dns/root.key is one). Owns its
// ldns data; movable, not copyable; immutable after loading, so it may be shared read-only
// between threads.

#include "core/result.hpp"

#include <memory>
#include <string>
#include <vector>

struct ldns_struct_rr_list;

namespace dkimwatch {

class TrustAnchors {
public:
    TrustAnchors(TrustAnchors&&) noexcept;
    TrustAnchors& operator=(TrustAnchors&&) noexcept;
    ~TrustAnchors();

    // The anchored zone names, canonical ("." for the root), sorted, without duplicates.
    std::vector<std::string> zones() const;
    // Every anchor record (DS and DNSKEY), owner names in ldns form. Never null, never empty.
    const ldns_struct_rr_list* records() const;

private:
    struct Records;
    explicit TrustAnchors(std::unique_ptr<Records> records);
    std::unique_ptr<Records> m_records;

    friend Result<TrustAnchors> load_trust_anchors_from_text(const std::string& text,
                                                             const std::string& origin_for_errors);
};

// Reads the trust anchor file at `path`. Errors: "<path>: cannot read: <reason>",
// "<path>:<line>: <reason>" for a syntax error or a record that is neither DS nor DNSKEY, and
// "<path>: no DS or DNSKEY record" for a file without any anchor.
Result<TrustAnchors> load_trust_anchors(const std::string& path);

// The same parser on text in memory; errors are prefixed with `origin_for_errors` as with a
// path.
Result<TrustAnchors> load_trust_anchors_from_text(const std::string& text,
                                                  const std::string& origin_for_errors);

} // namespace dkimwatch
