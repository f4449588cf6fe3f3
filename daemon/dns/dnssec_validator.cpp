#include "dns/dnssec_validator.hpp"

#include "core/duration.hpp"
#include "dns/dnssec_records.hpp"
#include "dns/dnssec_signature_memo.hpp"

#include <algorithm>
#include <ctime>
#include <ldns/ldns.h>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

namespace {

using namespace dnssec_records;

constexpr int k_max_zone_cuts = 16;
constexpr std::size_t k_max_walk_labels = 32;
constexpr std::size_t k_max_answer_wires = 9;
constexpr int k_max_cname_hops = 8;
constexpr std::size_t k_max_section_records = 256;
constexpr std::size_t k_max_rrsigs = 16;
constexpr std::size_t k_max_keys = 64;
constexpr std::size_t k_max_signers = 4;
constexpr std::uint16_t k_max_nsec3_iterations = 150;
// Nested zone_keys/ds_at calls: each is at most one zone cut further up, so 16 cuts and the walk
// stay well inside it.
constexpr int k_max_depth = 64;

bool lookup_failed(LookupOutcome outcome) {
    return outcome == LookupOutcome::timeout || outcome == LookupOutcome::servfail ||
           outcome == LookupOutcome::refused || outcome == LookupOutcome::malformed;
}

enum class State { secure, insecure, bogus, indeterminate, pending };

struct Status {
    State state = State::secure;
    std::string reason;
};

Status make(State state, std::string reason = {}) {
    return Status{state, std::move(reason)};
}

int rank(State state) {
    switch (state) {
    case State::secure:
        return 0;
    case State::insecure:
        return 1;
    case State::indeterminate:
        return 2;
    case State::pending:
        return 3;
    case State::bogus:
        return 4;
    }
    return 2;
}

// Keeps the worse of two statuses (bogus > pending > indeterminate > insecure > secure); the
// first one on a tie.
void combine(Status& into, Status other) {
    if (rank(other.state) > rank(into.state)) {
        into = std::move(other);
    }
}

struct ZoneKeys {
    Status status;
    ldns_rr_list* keys = nullptr; // the validated DNSKEY RRset when secure
};

enum class DsKind { secure_ds, insecure_delegation, not_a_cut, insecure_parent, failed };

struct DsAt {
    Status status; // secure for secure_ds and not_a_cut, insecure for the insecure kinds
    DsKind kind = DsKind::failed;
    ldns_rr_list* ds = nullptr; // the validated DS RRset for secure_ds
    std::string parent;         // the zone that signed the DS or its denial
};

struct Denial {
    Status status;
    bool delegation = false; // the matching NSEC/NSEC3 shows NS without SOA (or opt-out)
    std::string zone;
};

// One validate() call: parses what it needs, memoizes zone keys and DS states, and collects the
// lookups still missing. All ldns records referenced stay owned by m_packets or the anchors.
class Validation {
public:
    Validation(const ldns_rr_list* anchors, DnssecSignatureMemo& memo,
               std::span<const LookupResult> chain, std::chrono::system_clock::time_point now)
        : m_anchors(anchors), m_memo(memo), m_chain(chain), m_now(now) {}

    Status check_answer(std::span<const LookupResult> answer);

    std::vector<LookupRequest> m_needs;
    std::optional<std::chrono::system_clock::time_point> m_expiry;
    std::string m_expiry_zone;

private:
    struct Fetched {
        Status status;
        std::vector<ldns_pkt*> packets;
    };

    Status parse_wires(const std::vector<std::vector<std::uint8_t>>& wires, const std::string& what,
                       std::vector<ldns_pkt*>& out);
    Fetched fetch(const ldns_rdf* name, ldns_rr_type type);
    ListPtr answer_records(const std::vector<ldns_pkt*>& packets, const ldns_rdf* name,
                           ldns_rr_type type, ListPtr* rrsigs);
    Status verify_rrset(const ldns_rr_list* rrset, const ldns_rr_list* rrsigs,
                        const ldns_rr_list* keys, const ldns_rdf* owner, ldns_rr_type type,
                        const ldns_rdf* zone);
    Status check_response(const ldns_pkt* pkt, const ldns_pkt* next, const std::string& what);
    Status check_rrset(const ldns_rr_list* rrset, const ldns_rr_list* rrsigs, const ldns_rdf* owner,
                       ldns_rr_type type);
    Status check_unsigned(const ldns_rdf* owner, ldns_rr_type type, const std::string& missing);
    Denial check_denial(const ldns_pkt* pkt, const ldns_rdf* name, ldns_rr_type type);
    const ZoneKeys& zone_keys(const ldns_rdf* zone);
    ZoneKeys compute_zone_keys(const ldns_rdf* zone);
    const DsAt& ds_at(const ldns_rdf* name);
    DsAt compute_ds_at(const ldns_rdf* name);
    Status walk(const ldns_rdf* target);
    ListPtr anchors_at(const ldns_rdf* zone) const;
    const ldns_rdf* keep(RdfPtr rdf);
    void note_expiry(std::chrono::system_clock::time_point expiry, const ldns_rdf* zone);

    const ldns_rr_list* m_anchors;
    DnssecSignatureMemo& m_memo;
    std::span<const LookupResult> m_chain;
    std::chrono::system_clock::time_point m_now;
    int m_depth = 0;
    std::vector<PktPtr> m_packets;
    std::vector<ListPtr> m_lists;
    std::vector<RdfPtr> m_rdfs;
    std::map<std::string, ZoneKeys> m_zones;
    std::map<std::string, DsAt> m_ds;
};

const ldns_rdf* Validation::keep(RdfPtr rdf) {
    m_rdfs.push_back(std::move(rdf));
    return m_rdfs.back().get();
}

void Validation::note_expiry(std::chrono::system_clock::time_point expiry, const ldns_rdf* zone) {
    if (!m_expiry || expiry < *m_expiry) {
        m_expiry = expiry;
        m_expiry_zone = name_text(zone);
    }
}

Status Validation::parse_wires(const std::vector<std::vector<std::uint8_t>>& wires,
                               const std::string& what, std::vector<ldns_pkt*>& out) {
    for (const auto& wire : wires) {
        ldns_pkt* raw = nullptr;
        const ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
        if (status != LDNS_STATUS_OK || raw == nullptr) {
            ldns_pkt_free(raw);
            return make(State::indeterminate, "the response for " + what + " is unparsable: " +
                                                  ldns_get_errorstr_by_id(status));
        }
        m_packets.emplace_back(raw);
        if (ldns_pkt_ancount(raw) > k_max_section_records ||
            ldns_pkt_nscount(raw) > k_max_section_records) {
            return make(State::indeterminate, "the response for " + what + " holds more than " +
                                                  std::to_string(k_max_section_records) +
                                                  " records in a section");
        }
        const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(raw);
        if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
            return make(State::indeterminate,
                        "the response for " + what + " has rcode " + std::to_string(rcode));
        }
        out.push_back(raw);
    }
    return {};
}

Validation::Fetched Validation::fetch(const ldns_rdf* name, ldns_rr_type type) {
    const std::string name_string = name_text(name);
    const auto record_type = static_cast<RecordType>(type);
    const std::string what = std::string(record_type_name(record_type)) + " " + name_string;
    for (const LookupResult& result : m_chain) {
        if (result.request.name != name_string || result.request.type != record_type) {
            continue;
        }
        Fetched fetched;
        if (lookup_failed(result.outcome) || result.wires.empty()) {
            std::string reason =
                "the " + what + " lookup failed: " + lookup_outcome_name(result.outcome);
            if (!result.detail.empty()) {
                reason += " (" + result.detail + ")";
            }
            fetched.status = make(State::indeterminate, reason);
            return fetched;
        }
        if (result.wires.size() > k_max_answer_wires) {
            fetched.status =
                make(State::indeterminate, "the " + what + " lookup has too many responses");
            return fetched;
        }
        fetched.status = parse_wires(result.wires, what, fetched.packets);
        return fetched;
    }
    LookupRequest request(name_string, record_type);
    request.dnssec = true;
    request.cacheable = true;
    if (std::find(m_needs.begin(), m_needs.end(), request) == m_needs.end()) {
        m_needs.push_back(std::move(request));
    }
    return Fetched{make(State::pending), {}};
}

// The name/type records of the answer sections (the first response that has them) and, in
// *rrsigs, the RRSIGs over them from the same response.
ListPtr Validation::answer_records(const std::vector<ldns_pkt*>& packets, const ldns_rdf* name,
                                   ldns_rr_type type, ListPtr* rrsigs) {
    for (const ldns_pkt* pkt : packets) {
        ListPtr records = records_of(pkt, LDNS_SECTION_ANSWER, name, type);
        if (ldns_rr_list_rr_count(records.get()) > 0) {
            *rrsigs = rrsigs_of(pkt, LDNS_SECTION_ANSWER, name, type);
            return records;
        }
    }
    *rrsigs = new_list();
    return new_list();
}

ListPtr Validation::anchors_at(const ldns_rdf* zone) const {
    ListPtr out = new_list();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(m_anchors); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(m_anchors, i);
        if (same_dname(ldns_rr_owner(rr), zone)) {
            ldns_rr_list_push_rr(out.get(), rr);
        }
    }
    return out;
}

// Secure when one RRSIG over the RRset verifies with one of `keys` at now; the RRSIG that
// lasts longest among those counts for the expiry. Otherwise bogus with the most telling
// failure (expired, not yet valid, bad signature, no key with the RRSIG's key tag).
Status Validation::verify_rrset(const ldns_rr_list* rrset, const ldns_rr_list* rrsigs,
                                const ldns_rr_list* keys, const ldns_rdf* owner, ldns_rr_type type,
                                const ldns_rdf* zone) {
    const std::string what = rrset_text(owner, type);
    std::optional<std::chrono::system_clock::time_point> best;
    Status failure = make(State::bogus, "no RRSIG over " + what);
    int failure_rank = -1;
    const std::size_t count = std::min(ldns_rr_list_rr_count(rrsigs), k_max_rrsigs);
    for (std::size_t i = 0; i < count; ++i) {
        const ldns_rr* rrsig = ldns_rr_list_rr(rrsigs, i);
        // The signature first, then its validity period (RFC 4034 section 3.1.5), as
        // ldns_verify_rrsig_keylist_time does.
        ldns_status status = m_memo.verify(rrset, rrsig, keys);
        if (status == LDNS_STATUS_OK) {
            const auto inception = rrsig_time(ldns_rr_rrsig_inception(rrsig), m_now);
            const auto expiration = rrsig_time(ldns_rr_rrsig_expiration(rrsig), m_now);
            if (expiration < inception) {
                status = LDNS_STATUS_CRYPTO_EXPIRATION_BEFORE_INCEPTION;
            } else if (m_now < inception) {
                status = LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED;
            } else if (m_now > expiration) {
                status = LDNS_STATUS_CRYPTO_SIG_EXPIRED;
            }
        }
        if (status == LDNS_STATUS_OK) {
            const auto expiry = rrsig_time(ldns_rr_rrsig_expiration(rrsig), m_now);
            if (!best || expiry > *best) {
                best = expiry;
            }
            continue;
        }
        std::string reason;
        int this_rank = 0;
        if (status == LDNS_STATUS_CRYPTO_SIG_EXPIRED) {
            this_rank = 4;
            reason = "the RRSIG of " + what + " expired on " +
                     format_readable_utc(rrsig_time(ldns_rr_rrsig_expiration(rrsig), m_now));
        } else if (status == LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED) {
            this_rank = 3;
            reason = "the RRSIG of " + what + " is not valid before " +
                     format_readable_utc(rrsig_time(ldns_rr_rrsig_inception(rrsig), m_now));
        } else if (status == LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY ||
                   status == LDNS_STATUS_CRYPTO_NO_TRUSTED_DNSKEY ||
                   status == LDNS_STATUS_CRYPTO_NO_DNSKEY) {
            this_rank = 1;
            const ldns_rdf* tag = ldns_rr_rrsig_keytag(rrsig);
            reason = "no DNSKEY of " + name_text(zone) + " matches the RRSIG over " + what;
            if (tag != nullptr && ldns_rdf_size(tag) == 2) {
                reason += " (key tag " + std::to_string(ldns_rdf2native_int16(tag)) + ")";
            }
        } else {
            this_rank = 2;
            reason = "bad signature over " + what + " (" + ldns_get_errorstr_by_id(status) + ")";
        }
        if (this_rank > failure_rank) {
            failure_rank = this_rank;
            failure = make(State::bogus, reason);
        }
    }
    if (best) {
        note_expiry(*best, zone);
        return {};
    }
    return failure;
}

// An RRset of an answer: validated with the keys of the zone that signed it, or, unsigned,
// insecure only when a zone cut without DS lies above it.
Status Validation::check_rrset(const ldns_rr_list* rrset, const ldns_rr_list* rrsigs,
                               const ldns_rdf* owner, ldns_rr_type type) {
    if (ldns_rr_list_rr_count(rrsigs) == 0) {
        return check_unsigned(owner, type, "no RRSIG over " + rrset_text(owner, type));
    }
    // The signers named by the RRSIGs, in order; one that validates is enough.
    std::vector<const ldns_rdf*> signers;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrsigs) && signers.size() < k_max_signers;
         ++i) {
        const ldns_rdf* signer = rrsig_signer(ldns_rr_list_rr(rrsigs, i));
        if (std::none_of(signers.begin(), signers.end(),
                         [&](const ldns_rdf* known) { return same_dname(known, signer); })) {
            signers.push_back(signer);
        }
    }
    Status worst = make(State::bogus);
    bool first = true;
    for (const ldns_rdf* signer : signers) {
        Status status;
        if (!at_or_below(owner, signer)) {
            status = make(State::bogus, "the RRSIG over " + rrset_text(owner, type) +
                                            " names the signer " + name_text(signer) +
                                            ", which is not a zone above it");
        } else {
            const ZoneKeys& keys = zone_keys(signer);
            if (keys.status.state != State::secure) {
                status = keys.status;
            } else {
                ListPtr own = new_list();
                for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrsigs); ++i) {
                    ldns_rr* rrsig = ldns_rr_list_rr(rrsigs, i);
                    if (same_dname(rrsig_signer(rrsig), signer)) {
                        ldns_rr_list_push_rr(own.get(), rrsig);
                    }
                }
                status = verify_rrset(rrset, own.get(), keys.keys, owner, type, signer);
            }
        }
        if (status.state == State::secure) {
            return status;
        }
        // Among failures, report the most final one, but an insecure signer zone makes the
        // RRset insecure.
        if (first || status.state == State::insecure ||
            (worst.state != State::insecure && rank(status.state) > rank(worst.state))) {
            worst = status;
        }
        first = false;
    }
    return worst;
}

// Something that should be signed is not: fine in an insecure zone, bogus (`missing`) in a
// secure one.
Status Validation::check_unsigned(const ldns_rdf* owner, ldns_rr_type type,
                                  const std::string& missing) {
    RdfPtr parent;
    const ldns_rdf* where = owner;
    if (type == LDNS_RR_TYPE_DS && ldns_dname_label_count(owner) > 0) {
        // A DS RRset belongs to the parent side of the cut.
        parent.reset(ldns_dname_left_chop(owner));
        where = parent.get();
    }
    Status status = walk(where);
    if (status.state == State::secure) {
        return make(State::bogus, missing);
    }
    return status;
}

// The status of `target`'s zone walking down from the closest trust anchor: insecure below a
// proven unsigned delegation (or without anchor), secure when every cut down to it is signed.
Status Validation::walk(const ldns_rdf* target) {
    const ldns_rdf* anchor = nullptr;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(m_anchors); ++i) {
        const ldns_rdf* owner = ldns_rr_owner(ldns_rr_list_rr(m_anchors, i));
        if (at_or_below(target, owner) &&
            (anchor == nullptr || ldns_dname_label_count(owner) > ldns_dname_label_count(anchor))) {
            anchor = owner;
        }
    }
    if (anchor == nullptr) {
        return make(State::insecure);
    }
    const ZoneKeys& anchor_keys = zone_keys(anchor);
    if (anchor_keys.status.state != State::secure) {
        return anchor_keys.status;
    }
    const std::size_t anchor_labels = ldns_dname_label_count(anchor);
    const std::size_t target_labels = ldns_dname_label_count(target);
    if (target_labels - anchor_labels > k_max_walk_labels) {
        return make(State::indeterminate, name_text(target) + " lies more than " +
                                              std::to_string(k_max_walk_labels) +
                                              " labels below its trust anchor");
    }
    // The names between the anchor and the target, top down.
    std::vector<const ldns_rdf*> names;
    RdfPtr current(ldns_rdf_clone(target));
    for (std::size_t labels = target_labels; labels > anchor_labels; --labels) {
        RdfPtr up(ldns_dname_left_chop(current.get()));
        names.push_back(keep(std::move(current)));
        current = std::move(up);
    }
    std::reverse(names.begin(), names.end());
    // Ask for every DS at once; they are then judged top down.
    for (const ldns_rdf* name : names) {
        bool known = m_ds.count(name_text(name)) > 0;
        if (!known) {
            fetch(name, LDNS_RR_TYPE_DS);
        }
    }
    int cuts = 0;
    for (const ldns_rdf* name : names) {
        const DsAt& ds = ds_at(name);
        switch (ds.kind) {
        case DsKind::secure_ds: {
            if (++cuts > k_max_zone_cuts) {
                return make(State::indeterminate, "more than " + std::to_string(k_max_zone_cuts) +
                                                      " zone cuts above " + name_text(target));
            }
            const ZoneKeys& keys = zone_keys(name);
            if (keys.status.state != State::secure) {
                return keys.status;
            }
            break;
        }
        case DsKind::not_a_cut:
            break;
        case DsKind::insecure_delegation:
        case DsKind::insecure_parent:
            return make(State::insecure);
        case DsKind::failed:
            return ds.status;
        }
    }
    return {};
}

const ZoneKeys& Validation::zone_keys(const ldns_rdf* zone) {
    const std::string key = name_text(zone);
    auto found = m_zones.find(key);
    if (found != m_zones.end()) {
        return found->second;
    }
    m_zones[key] = ZoneKeys{make(State::indeterminate, "a loop in the chain of trust at " + key)};
    if (m_depth >= k_max_depth) {
        m_zones[key] = ZoneKeys{make(State::indeterminate, "the chain of trust is too deep")};
        return m_zones[key];
    }
    ++m_depth;
    ZoneKeys computed = compute_zone_keys(zone);
    --m_depth;
    m_zones[key] = computed;
    return m_zones[key];
}

ZoneKeys Validation::compute_zone_keys(const ldns_rdf* zone) {
    const std::string zone_name = name_text(zone);
    ListPtr anchors = anchors_at(zone);
    const ldns_rr_list* trusted_by = nullptr; // DS or DNSKEY records a key must match
    std::string matched_against;
    if (ldns_rr_list_rr_count(anchors.get()) > 0) {
        trusted_by = anchors.get();
        matched_against = "the trust anchor";
    } else {
        const DsAt& ds = ds_at(zone);
        if (ds.status.state == State::pending) {
            fetch(zone, LDNS_RR_TYPE_DNSKEY); // in parallel with the DS chain
            return ZoneKeys{ds.status};
        }
        switch (ds.kind) {
        case DsKind::secure_ds:
            trusted_by = ds.ds;
            matched_against = "the DS at " + ds.parent;
            break;
        case DsKind::insecure_delegation:
        case DsKind::insecure_parent:
            return ZoneKeys{make(State::insecure)};
        case DsKind::not_a_cut:
            return ZoneKeys{make(State::bogus, zone_name + " signs records but " + ds.parent +
                                                   " proves it has no DS and is no delegation")};
        case DsKind::failed:
            return ZoneKeys{ds.status};
        }
    }
    Fetched fetched = fetch(zone, LDNS_RR_TYPE_DNSKEY);
    if (fetched.status.state != State::secure) {
        return ZoneKeys{fetched.status};
    }
    ListPtr rrsigs;
    ListPtr keys = answer_records(fetched.packets, zone, LDNS_RR_TYPE_DNSKEY, &rrsigs);
    if (ldns_rr_list_rr_count(keys.get()) == 0) {
        return ZoneKeys{
            make(State::bogus, "no DNSKEY at " + zone_name + " to match " + matched_against)};
    }
    if (ldns_rr_list_rr_count(keys.get()) > k_max_keys) {
        return ZoneKeys{make(State::indeterminate, "more than " + std::to_string(k_max_keys) +
                                                       " DNSKEYs at " + zone_name)};
    }
    ListPtr entry_keys = new_list();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(keys.get()); ++i) {
        ldns_rr* key = ldns_rr_list_rr(keys.get(), i);
        for (std::size_t j = 0; j < ldns_rr_list_rr_count(trusted_by); ++j) {
            if (ldns_rr_compare_ds(key, ldns_rr_list_rr(trusted_by, j))) {
                ldns_rr_list_push_rr(entry_keys.get(), key);
                break;
            }
        }
    }
    if (ldns_rr_list_rr_count(entry_keys.get()) == 0) {
        return ZoneKeys{
            make(State::bogus, "no DNSKEY of " + zone_name + " matches " + matched_against)};
    }
    Status status =
        verify_rrset(keys.get(), rrsigs.get(), entry_keys.get(), zone, LDNS_RR_TYPE_DNSKEY, zone);
    if (status.state != State::secure) {
        return ZoneKeys{status};
    }
    ZoneKeys result{status, keys.get()};
    m_lists.push_back(std::move(keys));
    return result;
}

const DsAt& Validation::ds_at(const ldns_rdf* name) {
    const std::string key = name_text(name);
    auto found = m_ds.find(key);
    if (found != m_ds.end()) {
        return found->second;
    }
    m_ds[key].status = make(State::indeterminate, "a loop in the chain of trust at " + key);
    if (m_depth >= k_max_depth) {
        m_ds[key].status = make(State::indeterminate, "the chain of trust is too deep");
        return m_ds[key];
    }
    ++m_depth;
    DsAt computed = compute_ds_at(name);
    --m_depth;
    m_ds[key] = computed;
    return m_ds[key];
}

DsAt Validation::compute_ds_at(const ldns_rdf* name) {
    DsAt result;
    Fetched fetched = fetch(name, LDNS_RR_TYPE_DS);
    if (fetched.status.state != State::secure) {
        result.status = fetched.status;
        return result;
    }
    ListPtr rrsigs;
    ListPtr ds = answer_records(fetched.packets, name, LDNS_RR_TYPE_DS, &rrsigs);
    if (ldns_rr_list_rr_count(ds.get()) > 0) {
        if (ldns_rr_list_rr_count(rrsigs.get()) == 0) {
            result.status = check_unsigned(name, LDNS_RR_TYPE_DS,
                                           "no RRSIG over " + rrset_text(name, LDNS_RR_TYPE_DS));
            if (result.status.state == State::insecure) {
                result.kind = DsKind::insecure_parent;
            }
            return result;
        }
        // The DS is signed by the parent zone, a proper ancestor.
        const ldns_rdf* signer = rrsig_signer(ldns_rr_list_rr(rrsigs.get(), 0));
        if (same_dname(signer, name) || !at_or_below(name, signer)) {
            result.status =
                make(State::bogus, "the RRSIG over " + rrset_text(name, LDNS_RR_TYPE_DS) +
                                       " is not made by a zone above " + name_text(name));
            return result;
        }
        result.parent = name_text(signer);
        const ZoneKeys& parent_keys = zone_keys(signer);
        if (parent_keys.status.state == State::insecure) {
            result.status = make(State::insecure);
            result.kind = DsKind::insecure_parent;
            return result;
        }
        if (parent_keys.status.state != State::secure) {
            result.status = parent_keys.status;
            return result;
        }
        result.status =
            verify_rrset(ds.get(), rrsigs.get(), parent_keys.keys, name, LDNS_RR_TYPE_DS, signer);
        if (result.status.state == State::secure) {
            result.kind = DsKind::secure_ds;
            result.ds = ds.get();
            m_lists.push_back(std::move(ds));
        }
        return result;
    }
    Denial denial = check_denial(fetched.packets.back(), name, LDNS_RR_TYPE_DS);
    result.status = denial.status;
    result.parent = denial.zone;
    if (denial.status.state == State::insecure) {
        result.kind = DsKind::insecure_parent;
    } else if (denial.status.state == State::secure) {
        result.kind = denial.delegation ? DsKind::insecure_delegation : DsKind::not_a_cut;
    }
    return result;
}

// The NSEC or NSEC3 records of a negative response prove that name/type does not exist.
Denial Validation::check_denial(const ldns_pkt* pkt, const ldns_rdf* name, ldns_rr_type type) {
    Denial result;
    const std::string what = rrset_text(name, type);
    ListPtr nsecs = records_of(pkt, LDNS_SECTION_AUTHORITY, nullptr, LDNS_RR_TYPE_NSEC);
    const bool nsec3 = ldns_rr_list_rr_count(nsecs.get()) == 0;
    if (nsec3) {
        nsecs = records_of(pkt, LDNS_SECTION_AUTHORITY, nullptr, LDNS_RR_TYPE_NSEC3);
    }
    const ldns_rr_type denial_type = nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
    for (std::size_t i = 0; nsec3 && i < ldns_rr_list_rr_count(nsecs.get()); ++i) {
        // Each iteration is a SHA-1 per name checked: a cap against hostile cost (RFC 9276).
        const std::uint16_t iterations = ldns_nsec3_iterations(ldns_rr_list_rr(nsecs.get(), i));
        if (iterations > k_max_nsec3_iterations) {
            result.status = make(State::indeterminate,
                                 "the NSEC3 records denying " + what + " use " +
                                     std::to_string(iterations) + " iterations (more than " +
                                     std::to_string(k_max_nsec3_iterations) + " are not checked)");
            return result;
        }
    }
    ListPtr all_rrsigs = new_list();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(nsecs.get()); ++i) {
        const ldns_rdf* owner = ldns_rr_owner(ldns_rr_list_rr(nsecs.get(), i));
        ListPtr sigs = rrsigs_of(pkt, LDNS_SECTION_AUTHORITY, owner, denial_type);
        for (std::size_t j = 0; j < ldns_rr_list_rr_count(sigs.get()); ++j) {
            ldns_rr* rrsig = ldns_rr_list_rr(sigs.get(), j);
            if (!ldns_rr_list_contains_rr(all_rrsigs.get(), rrsig)) {
                ldns_rr_list_push_rr(all_rrsigs.get(), rrsig);
            }
        }
    }
    if (ldns_rr_list_rr_count(all_rrsigs.get()) == 0) {
        result.status = check_unsigned(name, type, "no signed NSEC or NSEC3 denies " + what);
        return result;
    }
    const ldns_rdf* signer = rrsig_signer(ldns_rr_list_rr(all_rrsigs.get(), 0));
    result.zone = name_text(signer);
    if (!at_or_below(name, signer)) {
        result.status =
            make(State::bogus, "bogus denial of existence for " + what + ": signed by " +
                                   result.zone + ", which is not a zone above it");
        return result;
    }
    const ZoneKeys& keys = zone_keys(signer);
    if (keys.status.state != State::secure) {
        result.status = keys.status;
        return result;
    }
    // Every NSEC/NSEC3 RRset used must verify.
    std::vector<const ldns_rdf*> owners;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(nsecs.get()); ++i) {
        const ldns_rdf* owner = ldns_rr_owner(ldns_rr_list_rr(nsecs.get(), i));
        if (std::any_of(owners.begin(), owners.end(),
                        [&](const ldns_rdf* known) { return same_dname(known, owner); })) {
            continue;
        }
        owners.push_back(owner);
        if (owners.size() > k_max_rrsigs) {
            result.status = make(State::indeterminate, "too many denial records for " + what);
            return result;
        }
        ListPtr rrset = records_of(pkt, LDNS_SECTION_AUTHORITY, owner, denial_type);
        ListPtr sigs = rrsigs_of(pkt, LDNS_SECTION_AUTHORITY, owner, denial_type);
        Status status =
            verify_rrset(rrset.get(), sigs.get(), keys.keys, owner, denial_type, signer);
        if (status.state != State::secure) {
            result.status = status;
            return result;
        }
    }
    RrPtr question(ldns_rr_new());
    ldns_rr_set_owner(question.get(), ldns_rdf_clone(name));
    ldns_rr_set_type(question.get(), type);
    ldns_rr_set_class(question.get(), LDNS_RR_CLASS_IN);
    ldns_rr* match = nullptr;
    const ldns_status status =
        nsec3 ? ldns_dnssec_verify_denial_nsec3_match(question.get(), nsecs.get(), all_rrsigs.get(),
                                                      ldns_pkt_get_rcode(pkt), type, true, &match)
              : ldns_dnssec_verify_denial(question.get(), nsecs.get(), all_rrsigs.get());
    if (status != LDNS_STATUS_OK) {
        result.status = make(State::bogus, "bogus denial of existence for " + what + " (" +
                                               ldns_get_errorstr_by_id(status) + ")");
        return result;
    }
    if (nsec3) {
        if (match != nullptr) {
            const ldns_rdf* bitmap = ldns_nsec3_bitmap(match);
            result.delegation =
                ldns_nsec3_optout(match) ||
                (bitmap != nullptr && ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_NS) &&
                 !ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_SOA));
        }
    } else {
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(nsecs.get()); ++i) {
            const ldns_rr* nsec = ldns_rr_list_rr(nsecs.get(), i);
            const ldns_rdf* bitmap = ldns_nsec_get_bitmap(nsec);
            if (same_dname(ldns_rr_owner(nsec), name) && bitmap != nullptr &&
                ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_NS) &&
                !ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_SOA)) {
                result.delegation = true;
            }
        }
    }
    return result;
}

// Where the CNAMEs inside one response lead from its question name (at most 8 hops; a CNAME
// question is not followed).
const ldns_rdf* cname_chain_end(const ldns_pkt* pkt, const ldns_rdf* qname, ldns_rr_type qtype) {
    const ldns_rdf* end = qname;
    if (qtype == LDNS_RR_TYPE_CNAME) {
        return end;
    }
    for (int hop = 0; hop < k_max_cname_hops; ++hop) {
        ListPtr cname = records_of(pkt, LDNS_SECTION_ANSWER, end, LDNS_RR_TYPE_CNAME);
        if (ldns_rr_list_rr_count(cname.get()) == 0) {
            break;
        }
        const ldns_rdf* target = ldns_rr_rdf(ldns_rr_list_rr(cname.get(), 0), 0);
        if (target == nullptr || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME) {
            break;
        }
        end = target;
    }
    return end;
}

// One response of the record's answer: every RRset of its answer section, then, when the
// CNAMEs lead to a name without data and `next` (the following response, null for the last)
// does not continue from it, the denial of that name/type.
Status Validation::check_response(const ldns_pkt* pkt, const ldns_pkt* next,
                                  const std::string& what) {
    const ldns_rr_list* question = ldns_pkt_question(pkt);
    if (ldns_rr_list_rr_count(question) == 0) {
        return make(State::indeterminate, "a response for " + what + " has no question");
    }
    const ldns_rdf* qname = ldns_rr_owner(ldns_rr_list_rr(question, 0));
    const ldns_rr_type qtype = ldns_rr_get_type(ldns_rr_list_rr(question, 0));
    // Each RRset of the answer section, in order of first appearance.
    const ldns_rr_list* records = ldns_pkt_answer(pkt);
    std::vector<std::pair<const ldns_rdf*, ldns_rr_type>> rrsets;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(records, i);
        const ldns_rr_type type = ldns_rr_get_type(rr);
        if (type == LDNS_RR_TYPE_RRSIG) {
            continue;
        }
        const bool known = std::any_of(rrsets.begin(), rrsets.end(), [&](const auto& set) {
            return set.second == type && same_dname(set.first, ldns_rr_owner(rr));
        });
        if (!known) {
            rrsets.emplace_back(ldns_rr_owner(rr), type);
        }
    }
    Status overall;
    for (const auto& [owner, type] : rrsets) {
        ListPtr rrset = records_of(pkt, LDNS_SECTION_ANSWER, owner, type);
        if (ldns_rr_list_rr_count(rrset.get()) == 0) {
            continue; // only malformed records: nothing to validate
        }
        ListPtr rrsigs = rrsigs_of(pkt, LDNS_SECTION_ANSWER, owner, type);
        combine(overall, check_rrset(rrset.get(), rrsigs.get(), owner, type));
        if (overall.state == State::bogus) {
            return overall;
        }
    }
    const ldns_rdf* end = cname_chain_end(pkt, qname, qtype);
    ListPtr data = records_of(pkt, LDNS_SECTION_ANSWER, end, qtype);
    if (ldns_rr_list_rr_count(data.get()) > 0) {
        return overall;
    }
    const bool continued =
        next != nullptr && ldns_rr_list_rr_count(ldns_pkt_question(next)) > 0 &&
        same_dname(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(next), 0)), end);
    if (!continued) {
        combine(overall, check_denial(pkt, end, qtype).status);
    }
    return overall;
}

Status Validation::check_answer(std::span<const LookupResult> answer) {
    Status overall;
    if (answer.empty()) {
        return make(State::indeterminate, "no answer to validate");
    }
    for (const LookupResult& result : answer) {
        const std::string what =
            std::string(record_type_name(result.request.type)) + " " + result.request.name;
        if (lookup_failed(result.outcome)) {
            std::string reason =
                "the " + what + " lookup failed: " + lookup_outcome_name(result.outcome);
            if (!result.detail.empty()) {
                reason += " (" + result.detail + ")";
            }
            combine(overall, make(State::indeterminate, reason));
            continue;
        }
        if (result.wires.empty()) {
            combine(overall, make(State::indeterminate,
                                  "the " + what + " answer carries no DNSSEC data (no wire form)"));
            continue;
        }
        if (result.wires.size() > k_max_answer_wires) {
            combine(overall, make(State::indeterminate, "the " + what + " answer has more than " +
                                                            std::to_string(k_max_answer_wires) +
                                                            " responses"));
            continue;
        }
        std::vector<ldns_pkt*> packets;
        Status parsed = parse_wires(result.wires, what, packets);
        if (parsed.state != State::secure) {
            combine(overall, parsed);
            continue;
        }
        for (std::size_t index = 0; index < packets.size(); ++index) {
            const ldns_pkt* next = index + 1 < packets.size() ? packets[index + 1] : nullptr;
            combine(overall, check_response(packets[index], next, what));
            if (overall.state == State::bogus) {
                return overall;
            }
        }
    }
    return overall;
}

} // namespace

LdnsDnssecValidator::LdnsDnssecValidator(TrustAnchors anchors)
    : m_anchors(std::move(anchors)), m_memo(std::make_unique<DnssecSignatureMemo>()) {}

LdnsDnssecValidator::~LdnsDnssecValidator() = default;

DnssecStep LdnsDnssecValidator::validate(std::span<const LookupResult> answer,
                                         std::span<const LookupResult> chain,
                                         std::chrono::system_clock::time_point now) const {
    Validation validation(m_anchors.records(), *m_memo, chain, now);
    const Status status = validation.check_answer(answer);
    DnssecResult result;
    switch (status.state) {
    case State::pending:
        if (!validation.m_needs.empty()) {
            return NeedLookups{std::move(validation.m_needs)};
        }
        result.status = DnssecStatus::indeterminate;
        result.reason = "validation stalled without a lookup to make";
        return result;
    case State::secure:
        result.status = DnssecStatus::secure;
        break;
    case State::insecure:
        result.status = DnssecStatus::insecure;
        break;
    case State::bogus:
        result.status = DnssecStatus::bogus;
        result.reason = status.reason;
        break;
    case State::indeterminate:
        result.status = DnssecStatus::indeterminate;
        result.reason = status.reason;
        break;
    }
    result.earliest_expiry = validation.m_expiry;
    result.earliest_expiry_zone = validation.m_expiry_zone;
    return result;
}

} // namespace dkimwatch
