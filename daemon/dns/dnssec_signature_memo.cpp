#include "dns/dnssec_signature_memo.hpp"

#include <cstdlib>

namespace dkimwatch {

namespace {

// The record's wire form, length-prefixed so that concatenations cannot collide.
void append_wire(std::string& out, const ldns_rr* rr) {
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_rr2wire(&wire, rr, LDNS_SECTION_ANSWER, &size) == LDNS_STATUS_OK) {
        out.append(std::to_string(size)).append(":");
        out.append(reinterpret_cast<const char*>(wire), size);
    } else {
        out.append("?");
    }
    std::free(wire);
}

} // namespace

ldns_status DnssecSignatureMemo::verify(const ldns_rr_list* rrset, const ldns_rr* rrsig,
                                        const ldns_rr_list* keys) {
    std::string key;
    append_wire(key, rrsig);
    key.append("|");
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrset); ++i) {
        append_wire(key, ldns_rr_list_rr(rrset, i));
    }
    key.append("|");
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(keys); ++i) {
        append_wire(key, ldns_rr_list_rr(keys, i));
    }
    {
        std::lock_guard lock(m_mutex);
        auto found = m_results.find(key);
        if (found != m_results.end()) {
            return found->second;
        }
    }
    // Outside the lock: two threads may both compute a new entry, with the same outcome.
    const ldns_status status = ldns_verify_rrsig_keylist_notime(rrset, rrsig, keys, nullptr);
    std::lock_guard lock(m_mutex);
    if (m_results.size() >= k_capacity) {
        m_results.clear();
    }
    m_results.emplace(std::move(key), status);
    return status;
}

std::size_t DnssecSignatureMemo::size() const {
    std::lock_guard lock(m_mutex);
    return m_results.size();
}

} // namespace dkimwatch
