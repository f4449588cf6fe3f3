#pragma once
// A memo of DNSSEC signature checks for the validator (dns/dnssec_validator.hpp). Checking one
// RRSIG through ldns and OpenSSL 3 costs about 0.5 ms, most of it building the key, and the
// same DNSKEY and DS RRsets (the root, the TLD, the provider's zone) come back for every record
// and every step of the validation. Whether a signature verifies does not depend on the time,
// so the outcome is kept, keyed by the wire bytes of the RRSIG, the RRset and the keys; the
// caller checks the validity period itself on every call. Thread-safe (one mutex); at most
// k_capacity entries, then it starts afresh.

#include "dns/dnssec_records.hpp"

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace dkimwatch {

class DnssecSignatureMemo {
public:
    static constexpr std::size_t k_capacity = 16384;

    // ldns_verify_rrsig_keylist_notime(rrset, rrsig, keys), computed once per distinct input.
    ldns_status verify(const ldns_rr_list* rrset, const ldns_rr* rrsig, const ldns_rr_list* keys);

    std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, ldns_status> m_results;
};

} // namespace dkimwatch
