#include "dns/packet_to_lookup.hpp"

#include <algorithm>
#include <cstdlib>
#include <ldns/ldns.h>
#include <memory>

namespace dkimwatch {

namespace {

// A chain inside one message longer than this is hostile (no zone needs it); refusing it also
// bounds the quadratic owner search below.
constexpr std::size_t k_max_chain_in_message = 64;
constexpr std::size_t k_header_size = 12;

struct PktDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

// The canonical text of a wire-format name: ldns's presentation form (its escapes kept),
// ASCII lowercased, one trailing dot removed. The root stays ".".
std::string canonical_text(const ldns_rdf* dname) {
    char* text = ldns_rdf2str(dname);
    if (text == nullptr) {
        return {};
    }
    std::string out(text);
    std::free(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    if (out.size() > 1 && out.back() == '.') {
        out.pop_back();
    }
    return out;
}

bool is_name(const ldns_rdf* rdf) {
    return rdf != nullptr && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME;
}

bool same_dname(const ldns_rdf* a, const ldns_rdf* b) {
    return ldns_dname_compare(a, b) == 0;
}

// The CNAME target owned by `owner` in `answers`, or nullptr.
const ldns_rdf* cname_target_of(const ldns_rr_list* answers, const ldns_rdf* owner) {
    const std::size_t count = ldns_rr_list_rr_count(answers);
    for (std::size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answers, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
            ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) < 1) {
            continue;
        }
        const ldns_rdf* target = ldns_rr_rdf(rr, 0);
        if (is_name(ldns_rr_owner(rr)) && is_name(target) && same_dname(ldns_rr_owner(rr), owner)) {
            return target;
        }
    }
    return nullptr;
}

// The character-strings of one TXT record, raw. False when an rdata field is not a
// well-formed character-string.
bool txt_strings(const ldns_rr* rr, std::vector<std::string>& out) {
    const std::size_t fields = ldns_rr_rd_count(rr);
    out.reserve(fields);
    for (std::size_t i = 0; i < fields; ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
        if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR) {
            return false;
        }
        const std::size_t size = ldns_rdf_size(rdf);
        const std::uint8_t* data = ldns_rdf_data(rdf);
        if (size < 1 || data[0] != size - 1) {
            return false;
        }
        out.emplace_back(reinterpret_cast<const char*>(data + 1), size - 1);
    }
    return true;
}

ParsedAnswer failed(ParsedAnswer answer, std::string reason) {
    answer.parsed = false;
    answer.cname_chain.clear();
    answer.txt_records.clear();
    answer.has_requested_type = false;
    answer.error = std::move(reason);
    return answer;
}

} // namespace

ParsedAnswer parse_response(std::span<const std::uint8_t> wire, std::uint16_t id,
                            const std::string& qname, RecordType qtype) {
    ParsedAnswer answer;
    if (wire.size() < k_header_size) {
        return failed(std::move(answer), "message shorter than a DNS header (" +
                                             std::to_string(wire.size()) + " bytes)");
    }
    // The header is read by hand first so that rcode and TC are known even when the rest
    // does not parse.
    answer.truncated = (wire[2] & 0x02) != 0;
    answer.rcode = wire[3] & 0x0f;
    const std::uint16_t wire_id = static_cast<std::uint16_t>((wire[0] << 8) | wire[1]);
    if (wire_id != id) {
        return failed(std::move(answer), "id " + std::to_string(wire_id) + " is not the id " +
                                             std::to_string(id) + " that was sent");
    }
    if ((wire[2] & 0x80) == 0) {
        return failed(std::move(answer), "QR bit not set (not a response)");
    }

    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
    PktPtr pkt(raw);
    if (status != LDNS_STATUS_OK || pkt == nullptr) {
        return failed(std::move(answer),
                      std::string("unparseable message: ") + ldns_get_errorstr_by_id(status));
    }
    if (ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_QUERY) {
        return failed(std::move(answer), "opcode is not QUERY");
    }

    const ldns_rr_list* question = ldns_pkt_question(pkt.get());
    if (question == nullptr || ldns_rr_list_rr_count(question) != 1) {
        return failed(std::move(answer), "question section does not hold exactly one question");
    }
    const ldns_rr* q = ldns_rr_list_rr(question, 0);
    const ldns_rdf* qowner = ldns_rr_owner(q);
    RdfPtr asked(ldns_dname_new_frm_str(qname.c_str()));
    if (asked == nullptr) {
        return failed(std::move(answer), "query name \"" + qname + "\" is not a valid name");
    }
    if (!is_name(qowner) || !same_dname(qowner, asked.get())) {
        return failed(std::move(answer),
                      "question is for " + canonical_text(qowner) + ", not " + qname);
    }
    if (ldns_rr_get_type(q) != static_cast<ldns_rr_type>(qtype)) {
        return failed(std::move(answer),
                      "question type is not " + std::string(record_type_name(qtype)));
    }
    if (ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
        return failed(std::move(answer), "question class is not IN");
    }

    const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
    const std::size_t count = answers == nullptr ? 0 : ldns_rr_list_rr_count(answers);

    if (qtype == RecordType::cname) {
        // The CNAME at the name is the answer; nothing is followed.
        if (count > 0) {
            if (const ldns_rdf* target = cname_target_of(answers, qowner)) {
                answer.cname_chain.push_back(canonical_text(target));
                answer.has_requested_type = true;
            }
        }
        answer.parsed = true;
        return answer;
    }

    // Follow CNAMEs from the question name. `visited` holds the names seen so far; a target
    // seen before ends the walk (it is still appended so that the caller sees the loop).
    const ldns_rdf* current = qowner;
    std::vector<const ldns_rdf*> visited{qowner};
    while (count > 0) {
        const ldns_rdf* target = cname_target_of(answers, current);
        if (target == nullptr) {
            break;
        }
        if (answer.cname_chain.size() >= k_max_chain_in_message) {
            return failed(std::move(answer), "CNAME chain in one message longer than " +
                                                 std::to_string(k_max_chain_in_message));
        }
        answer.cname_chain.push_back(canonical_text(target));
        current = target;
        bool loop = false;
        for (const ldns_rdf* seen : visited) {
            if (same_dname(seen, target)) {
                loop = true;
                break;
            }
        }
        if (loop) {
            break;
        }
        visited.push_back(target);
    }

    for (std::size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answers, i);
        if (ldns_rr_get_type(rr) != static_cast<ldns_rr_type>(qtype) ||
            ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !is_name(ldns_rr_owner(rr)) ||
            !same_dname(ldns_rr_owner(rr), current)) {
            continue;
        }
        std::vector<std::string> strings;
        if (!txt_strings(rr, strings)) {
            return failed(std::move(answer), "TXT record with malformed character-strings");
        }
        answer.txt_records.push_back(std::move(strings));
        answer.has_requested_type = true;
    }
    answer.parsed = true;
    return answer;
}

std::vector<std::uint8_t> build_query(const std::string& qname, RecordType qtype, std::uint16_t id,
                                      std::uint16_t edns_buffer_size) {
    if (qname.empty()) {
        return {};
    }
    // ldns turns the presentation form (escapes included) into wire labels; the fixed parts
    // around it are written here, which avoids ldns_pkt2wire's 64 KiB buffer per query.
    RdfPtr name(ldns_dname_new_frm_str(qname.c_str()));
    if (name == nullptr || ldns_rdf_size(name.get()) > LDNS_MAX_DOMAINLEN) {
        return {};
    }
    const std::uint8_t* labels = ldns_rdf_data(name.get());
    const std::size_t labels_size = ldns_rdf_size(name.get());
    // Sizes below 512 mean 512 (RFC 6891 section 6.2.3).
    const std::uint16_t payload = std::max<std::uint16_t>(edns_buffer_size, 512);
    const auto type = static_cast<std::uint16_t>(qtype);

    std::vector<std::uint8_t> out;
    out.reserve(k_header_size + labels_size + 4 + 11);
    const std::uint8_t header[k_header_size] = {
        static_cast<std::uint8_t>(id >> 8),
        static_cast<std::uint8_t>(id & 0xff),
        0x01,
        0x00, // RD
        0x00,
        0x01, // QDCOUNT
        0x00,
        0x00, // ANCOUNT
        0x00,
        0x00, // NSCOUNT
        0x00,
        0x01, // ARCOUNT: the OPT record
    };
    out.insert(out.end(), header, header + k_header_size);
    out.insert(out.end(), labels, labels + labels_size);
    const std::uint8_t tail[] = {
        static_cast<std::uint8_t>(type >> 8),
        static_cast<std::uint8_t>(type & 0xff),
        0x00,
        LDNS_RR_CLASS_IN,
        // OPT: root owner, type 41, class = UDP payload size, TTL = ext. rcode 0, version 0,
        // flags 0 (no DO), no options.
        0x00,
        0x00,
        LDNS_RR_TYPE_OPT,
        static_cast<std::uint8_t>(payload >> 8),
        static_cast<std::uint8_t>(payload & 0xff),
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
    };
    out.insert(out.end(), tail, tail + sizeof tail);
    return out;
}

} // namespace dkimwatch
