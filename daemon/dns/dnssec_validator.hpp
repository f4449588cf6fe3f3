#pragma once
// DNSSEC validation of a record's answer with ldns (RFC 4033-4035, NSEC and NSEC3 denial),
// as the pure step function core/dnssec_validation.hpp describes: it parses the wire forms the
// resolver kept (DO=1, CD=1), asks for the DNSKEY and DS RRsets it needs as lookups, and checks
// every signature at `now` up to the trust anchors. No I/O; stateless between calls, so one
// validator may serve many probes at once (const and thread-safe).
//
// Limits against hostile data: at most 16 zone cuts and 32 labels walked below an anchor,
// 9 responses per answer (8 CNAME hops), 256 records per section, 16 RRSIGs per RRset and 64
// keys per DNSKEY RRset; beyond them the result is indeterminate with the reason.
//
// Not checked: that a wildcard-expanded answer has the NSEC proof that no closer name exists.
//
// Cost: signature checks go through a DnssecSignatureMemo (dns/dnssec_signature_memo.hpp)
// shared by every call; the result is the same with or without it, and validity periods are
// checked on every call.

#include "core/dnssec_validation.hpp"
#include "dns/trust_anchors.hpp"

#include <memory>

namespace dkimwatch {

class DnssecSignatureMemo;

class LdnsDnssecValidator final : public DnssecValidator {
public:
    explicit LdnsDnssecValidator(TrustAnchors anchors);
    ~LdnsDnssecValidator() override;

    // Requests it returns name the root as "." (other names canonical, no trailing dot).
    DnssecStep validate(std::span<const LookupResult> answer, std::span<const LookupResult> chain,
                        std::chrono::system_clock::time_point now) const override;

private:
    TrustAnchors m_anchors;
    std::unique_ptr<DnssecSignatureMemo> m_memo;
};

} // namespace dkimwatch
