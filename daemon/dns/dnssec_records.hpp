#pragma once
// The ldns plumbing of the DNSSEC validator (dns/dnssec_validator.cpp): owning pointers for
// ldns objects, names and times as text for reasons, and the well-formed records of a packet
// section. Hostile input is expected: every accessor tolerates records that lack rdata fields.

// clang-format off
// The standard headers first: ldns/common.h defines bool, true and false as macros, after
// which <optional> does not compile.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <ldns/ldns.h>
// clang-format on

namespace dkimwatch::dnssec_records {

struct PktDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
// Lists of pointers into packets (or the anchors): the records are not owned.
struct ListDeleter {
    void operator()(ldns_rr_list* list) const { ldns_rr_list_free(list); }
};
using ListPtr = std::unique_ptr<ldns_rr_list, ListDeleter>;
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
struct RrDeleter {
    void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;

// An empty list that does not own its records.
ListPtr new_list();

// A name as dkimwatch writes it (canonical, no trailing dot; "." for the root; "?" for null).
std::string name_text(const ldns_rdf* name);

// "TXT", "DNSKEY", ... ("TYPE65280" for unknown types).
std::string type_text(ldns_rr_type type);

// "owner/TYPE", as reasons name an RRset.
std::string rrset_text(const ldns_rdf* owner, ldns_rr_type type);

// Equal names (case-insensitive); false when either is null.
bool same_dname(const ldns_rdf* a, const ldns_rdf* b);

// `name` equals `zone` or lies below it.
bool at_or_below(const ldns_rdf* name, const ldns_rdf* zone);

// The signer name of an RRSIG; null when the record lacks it.
const ldns_rdf* rrsig_signer(const ldns_rr* rrsig);

// The type an RRSIG covers; nullopt when the record lacks it.
std::optional<ldns_rr_type> rrsig_covered(const ldns_rr* rrsig);

// An RRSIG time field (RFC 4034 section 3.1.5: serial number arithmetic) as the point in time
// nearest to `now`.
std::chrono::system_clock::time_point rrsig_time(const ldns_rdf* field,
                                                 std::chrono::system_clock::time_point now);

// ldns parses rdata field by field until rdlength runs out, so a hostile record may lack
// fields; its accessors would then return null. Such records are left out.
bool well_formed(const ldns_rr* rr);

// The well-formed records of `section` with this owner (any owner when null) and type
// (pointers into the packet).
ListPtr records_of(const ldns_pkt* pkt, ldns_pkt_section section, const ldns_rdf* owner,
                   ldns_rr_type type);

// The RRSIGs of `section` over owner/covered.
ListPtr rrsigs_of(const ldns_pkt* pkt, ldns_pkt_section section, const ldns_rdf* owner,
                  ldns_rr_type covered);

} // namespace dkimwatch::dnssec_records
