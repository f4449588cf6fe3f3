#include "dns/dnssec_records.hpp"

#include "core/dns_name.hpp"

#include <cstdlib>

namespace dkimwatch::dnssec_records {

ListPtr new_list() {
    return ListPtr(ldns_rr_list_new());
}

std::string name_text(const ldns_rdf* name) {
    if (name == nullptr) {
        return "?";
    }
    if (ldns_dname_label_count(name) == 0) {
        return ".";
    }
    char* text = ldns_rdf2str(name);
    std::string result = text != nullptr ? canonical_name(text) : std::string("?");
    std::free(text);
    return result;
}

std::string type_text(ldns_rr_type type) {
    char* text = ldns_rr_type2str(type);
    std::string result = text != nullptr ? text : "?";
    std::free(text);
    return result;
}

std::string rrset_text(const ldns_rdf* owner, ldns_rr_type type) {
    return name_text(owner) + "/" + type_text(type);
}

bool same_dname(const ldns_rdf* a, const ldns_rdf* b) {
    return a != nullptr && b != nullptr && ldns_dname_compare(a, b) == 0;
}

// `name` equals `zone` or lies below it.
bool at_or_below(const ldns_rdf* name, const ldns_rdf* zone) {
    if (name == nullptr || zone == nullptr) {
        return false;
    }
    if (ldns_dname_label_count(zone) == 0 || same_dname(name, zone)) {
        return true;
    }
    return ldns_dname_is_subdomain(name, zone);
}

const ldns_rdf* rrsig_signer(const ldns_rr* rrsig) {
    if (ldns_rr_rd_count(rrsig) < 9) {
        return nullptr;
    }
    const ldns_rdf* signer = ldns_rr_rrsig_signame(rrsig);
    return signer != nullptr && ldns_rdf_get_type(signer) == LDNS_RDF_TYPE_DNAME ? signer : nullptr;
}

std::optional<ldns_rr_type> rrsig_covered(const ldns_rr* rrsig) {
    if (ldns_rr_rd_count(rrsig) < 9 || ldns_rr_rrsig_typecovered(rrsig) == nullptr ||
        ldns_rdf_size(ldns_rr_rrsig_typecovered(rrsig)) != 2) {
        return std::nullopt;
    }
    return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rrsig));
}

// An RRSIG time field (RFC 4034 section 3.1.5: serial number arithmetic) as the point in time
// nearest to `now`.
std::chrono::system_clock::time_point rrsig_time(const ldns_rdf* field,
                                                 std::chrono::system_clock::time_point now) {
    const auto now_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const auto value = field != nullptr && ldns_rdf_size(field) == 4 ? ldns_rdf2native_int32(field)
                                                                     : std::uint32_t{0};
    const auto delta = static_cast<std::int32_t>(value - static_cast<std::uint32_t>(now_seconds));
    return std::chrono::system_clock::time_point(std::chrono::seconds(now_seconds + delta));
}

// ldns parses rdata field by field until rdlength runs out, so a hostile record may lack
// fields; its accessors would then return null. Such records are left out.
bool well_formed(const ldns_rr* rr) {
    std::size_t fields = 0;
    switch (ldns_rr_get_type(rr)) {
    case LDNS_RR_TYPE_DNSKEY:
    case LDNS_RR_TYPE_DS:
        fields = 4;
        break;
    case LDNS_RR_TYPE_RRSIG:
        fields = 9;
        break;
    case LDNS_RR_TYPE_NSEC:
        fields = 2;
        break;
    case LDNS_RR_TYPE_NSEC3:
        fields = 6;
        break;
    case LDNS_RR_TYPE_CNAME:
        fields = 1;
        break;
    default:
        return true;
    }
    if (ldns_rr_rd_count(rr) != fields) {
        return false;
    }
    for (std::size_t i = 0; i < fields; ++i) {
        if (ldns_rr_rdf(rr, i) == nullptr) {
            return false;
        }
    }
    return true;
}

// The well-formed records of `section` with this owner (any owner when null) and type
// (pointers into the packet).
ListPtr records_of(const ldns_pkt* pkt, ldns_pkt_section section, const ldns_rdf* owner,
                   ldns_rr_type type) {
    ListPtr out = new_list();
    const ldns_rr_list* list =
        section == LDNS_SECTION_ANSWER ? ldns_pkt_answer(pkt) : ldns_pkt_authority(pkt);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) == type && well_formed(rr) &&
            (owner == nullptr || same_dname(ldns_rr_owner(rr), owner))) {
            ldns_rr_list_push_rr(out.get(), rr);
        }
    }
    return out;
}

// The RRSIGs of `section` over owner/covered.
ListPtr rrsigs_of(const ldns_pkt* pkt, ldns_pkt_section section, const ldns_rdf* owner,
                  ldns_rr_type covered) {
    ListPtr all = records_of(pkt, section, owner, LDNS_RR_TYPE_RRSIG);
    ListPtr out = new_list();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(all.get()); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(all.get(), i);
        if (rrsig_covered(rr) == covered && rrsig_signer(rr) != nullptr) {
            ldns_rr_list_push_rr(out.get(), rr);
        }
    }
    return out;
}

} // namespace dkimwatch::dnssec_records
