#include "dns/ldns_answer.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <ldns/ldns.h>
#include <memory>

namespace dkimwatch {

namespace {

// A chain inside one message longer than this is hostile (no zone needs it); refusing it also
// bounds the quadratic owner search below.
constexpr std::size_t k_max_chain_in_message = 64;
constexpr std::size_t k_header_size = 12;

struct PacketDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct BufferDeleter {
    void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};
using PacketPtr = std::unique_ptr<ldns_pkt, PacketDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

std::uint16_t read_u16(std::span<const std::uint8_t> wire, std::size_t pos) {
    return static_cast<std::uint16_t>((wire[pos] << 8) | wire[pos + 1]);
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// dkimwatch's canonical text of a dname rdf: ldns's presentation form (ldns_rdf2str: the
// bytes . ; ( ) \ escaped with a backslash, bytes that are not printable ASCII as \DDD), ASCII
// letters lowercased, no trailing dot; the root is ".". Written here from the rdf's labels
// because ldns_rdf2buffer_str_dname prints every byte through printf, which cost a fifth of a
// sweep's CPU; the unit tests check it against ldns_rdf2str for every byte value.
std::string canonical_text(const ldns_rdf* dname) {
    std::string out;
    const std::uint8_t* data = ldns_rdf_data(dname);
    const std::size_t size = ldns_rdf_size(dname);
    out.reserve(size + 8);
    std::size_t pos = 0;
    while (pos < size && data[pos] != 0) {
        const std::size_t length = data[pos];
        if (pos + 1 + length > size) {
            break; // ldns made the rdf, so this does not happen; never read past it anyway
        }
        for (std::size_t i = pos + 1; i <= pos + length; ++i) {
            const std::uint8_t c = data[i];
            if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c <= 0x20 || c >= 0x7f) {
                const char digits[4] = {'\\', static_cast<char>('0' + c / 100),
                                        static_cast<char>('0' + c / 10 % 10),
                                        static_cast<char>('0' + c % 10)};
                out.append(digits, 4);
            } else {
                out += lower(static_cast<char>(c));
            }
        }
        out += '.';
        pos += 1 + length;
    }
    if (out.size() > 1) {
        out.pop_back();
    } else {
        out = ".";
    }
    return out;
}

// Two dname rdfs name the same name: the same labels, ASCII letters compared without regard
// to case (RFC 4343). Label length bytes are at most 63, below 'A', so folding every byte
// compares them exactly. Used instead of ldns_dname_compare, which orders names label by
// label (canonical DNSSEC order) and costs several times more for a plain equality.
bool same_name(const ldns_rdf* a, const ldns_rdf* b) {
    const std::size_t size = ldns_rdf_size(a);
    if (size != ldns_rdf_size(b)) {
        return false;
    }
    const std::uint8_t* x = ldns_rdf_data(a);
    const std::uint8_t* y = ldns_rdf_data(b);
    for (std::size_t i = 0; i < size; ++i) {
        if (lower(static_cast<char>(x[i])) != lower(static_cast<char>(y[i]))) {
            return false;
        }
    }
    return true;
}

bool is_in_class(const ldns_rr* rr) {
    return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN;
}

// The first IN CNAME owned by `owner` with a target, or nullptr.
const ldns_rr* cname_at(const ldns_rr_list* answers, const ldns_rdf* owner) {
    const std::size_t count = ldns_rr_list_rr_count(answers);
    for (std::size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answers, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && is_in_class(rr) &&
            ldns_rr_rd_count(rr) >= 1 && same_name(ldns_rr_owner(rr), owner)) {
            return rr;
        }
    }
    return nullptr;
}

std::vector<std::string> txt_strings(const ldns_rr* rr) {
    std::vector<std::string> out;
    const std::size_t count = ldns_rr_rd_count(rr);
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
        const std::size_t size = ldns_rdf_size(rdf);
        const std::uint8_t* data = ldns_rdf_data(rdf);
        if (size == 0) {
            continue;
        }
        // A character-string: its length byte, then the bytes (ldns checked the length).
        const std::size_t length = std::min<std::size_t>(data[0], size - 1);
        out.emplace_back(reinterpret_cast<const char*>(data + 1), length);
    }
    return out;
}

// The address of an A or AAAA record as numeric text; empty when the rdata is not one.
std::string address_text(const ldns_rr* rr) {
    if (ldns_rr_rd_count(rr) < 1) {
        return {};
    }
    const ldns_rdf* rdf = ldns_rr_rdf(rr, 0);
    char text[INET6_ADDRSTRLEN] = {};
    if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4) {
        inet_ntop(AF_INET, ldns_rdf_data(rdf), text, sizeof text);
    } else if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
        inet_ntop(AF_INET6, ldns_rdf_data(rdf), text, sizeof text);
    }
    return text;
}

// Takes what a record of the requested type holds into `answer`.
void take_record(ParsedAnswer& answer, const ldns_rr* rr, RecordType qtype) {
    switch (qtype) {
    case RecordType::txt:
        answer.txt_records.push_back(txt_strings(rr));
        break;
    case RecordType::ns:
        if (ldns_rr_rd_count(rr) >= 1) {
            answer.values.push_back(canonical_text(ldns_rr_rdf(rr, 0)));
        }
        break;
    case RecordType::a:
    case RecordType::aaaa:
        if (std::string text = address_text(rr); !text.empty()) {
            answer.values.push_back(std::move(text));
        }
        break;
    default:
        break;
    }
}

void take_soa(ParsedAnswer& answer, const ldns_rr* soa) {
    answer.soa_owner = canonical_text(ldns_rr_owner(soa));
    if (ldns_rr_rd_count(soa) >= 7) {
        answer.soa_serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
    }
}

ParsedAnswer failed(ParsedAnswer answer, std::string reason) {
    answer.parsed = false;
    answer.cname_chain.clear();
    answer.txt_records.clear();
    answer.values.clear();
    answer.has_requested_type = false;
    answer.soa_owner.clear();
    answer.soa_serial.reset();
    answer.ttl = 0;
    answer.chain_ttl = UINT32_MAX;
    answer.error = std::move(reason);
    return answer;
}

} // namespace

ParsedAnswer parse_answer(std::span<const std::uint8_t> wire, std::uint16_t id,
                          const std::string& qname, RecordType qtype, bool follow_cnames) {
    ParsedAnswer answer;
    if (wire.size() < k_header_size) {
        return failed(std::move(answer), "message shorter than a DNS header (" +
                                             std::to_string(wire.size()) + " bytes)");
    }
    // The header bytes first, so that rcode and TC are known even when the rest does not parse.
    answer.truncated = LDNS_TC_WIRE(wire.data());
    answer.authoritative = LDNS_AA_WIRE(wire.data());
    answer.rcode = LDNS_RCODE_WIRE(wire.data());
    const std::uint16_t wire_id = read_u16(wire, 0);
    if (wire_id != id) {
        return failed(std::move(answer), "id " + std::to_string(wire_id) + " is not the id " +
                                             std::to_string(id) + " that was sent");
    }
    if (!LDNS_QR_WIRE(wire.data())) {
        return failed(std::move(answer), "QR bit not set (not a response)");
    }
    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
    const PacketPtr pkt(raw);
    if (status != LDNS_STATUS_OK || !pkt) {
        return failed(std::move(answer),
                      std::string("unparseable message: ") + ldns_get_errorstr_by_id(status));
    }
    if (ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_QUERY) {
        return failed(std::move(answer), "opcode is not QUERY");
    }
    const ldns_rr_list* questions = ldns_pkt_question(pkt.get());
    if (ldns_pkt_qdcount(pkt.get()) != 1 || ldns_rr_list_rr_count(questions) != 1) {
        return failed(std::move(answer), "question section does not hold exactly one question");
    }
    const ldns_rr* question = ldns_rr_list_rr(questions, 0);
    const RdfPtr asked(qname.empty() ? nullptr : ldns_dname_new_frm_str(qname.c_str()));
    if (!asked) {
        return failed(std::move(answer), "query name \"" + qname + "\" is not a valid name");
    }
    if (!same_name(ldns_rr_owner(question), asked.get())) {
        return failed(std::move(answer), "question is for " +
                                             canonical_text(ldns_rr_owner(question)) + ", not " +
                                             qname);
    }
    if (ldns_rr_get_type(question) != static_cast<ldns_rr_type>(qtype)) {
        return failed(std::move(answer),
                      "question type is not " + std::string(record_type_name(qtype)));
    }
    if (!is_in_class(question)) {
        return failed(std::move(answer), "question class is not IN");
    }

    const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
    const ldns_rr_list* authority = ldns_pkt_authority(pkt.get());
    std::uint32_t min_ttl = UINT32_MAX;
    const ldns_rdf* current = ldns_rr_owner(question);

    if (qtype == RecordType::cname) {
        // The CNAME at the name is the answer; nothing is followed.
        if (const ldns_rr* rr = cname_at(answers, current)) {
            answer.cname_chain.push_back(canonical_text(ldns_rr_rdf(rr, 0)));
            answer.has_requested_type = true;
            min_ttl = ldns_rr_ttl(rr);
            answer.chain_ttl = min_ttl;
        }
    } else {
        // Follow CNAMEs from the question name. A target seen before ends the walk (it is still
        // appended so that the caller sees the loop).
        std::vector<const ldns_rdf*> visited{current};
        while (const ldns_rr* rr = cname_at(answers, current)) {
            if (answer.cname_chain.size() >= k_max_chain_in_message) {
                return failed(std::move(answer), "CNAME chain in one message longer than " +
                                                     std::to_string(k_max_chain_in_message));
            }
            const ldns_rdf* target = ldns_rr_rdf(rr, 0);
            answer.cname_chain.push_back(canonical_text(target));
            min_ttl = std::min(min_ttl, ldns_rr_ttl(rr));
            answer.chain_ttl = min_ttl;
            current = target;
            const bool loop = std::any_of(visited.begin(), visited.end(),
                                          [&](const ldns_rdf* s) { return same_name(s, target); });
            if (loop || !follow_cnames) {
                break;
            }
            visited.push_back(target);
        }
    }

    if (qtype != RecordType::cname) {
        const std::size_t count = ldns_rr_list_rr_count(answers);
        for (std::size_t i = 0; i < count; ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(answers, i);
            if (ldns_rr_get_type(rr) != static_cast<ldns_rr_type>(qtype) || !is_in_class(rr) ||
                !same_name(ldns_rr_owner(rr), current)) {
                continue;
            }
            take_record(answer, rr, qtype);
            answer.has_requested_type = true;
            min_ttl = std::min(min_ttl, ldns_rr_ttl(rr));
            if (qtype == RecordType::soa && answer.soa_owner.empty()) {
                take_soa(answer, rr);
            }
        }
    }
    // A referral answers an NS question from the authority section.
    if (qtype == RecordType::ns && ldns_rr_list_rr_count(answers) == 0) {
        const std::size_t count = ldns_rr_list_rr_count(authority);
        for (std::size_t i = 0; i < count; ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(authority, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && is_in_class(rr) &&
                same_name(ldns_rr_owner(rr), current)) {
                take_record(answer, rr, qtype);
                answer.has_requested_type = true;
                min_ttl = std::min(min_ttl, ldns_rr_ttl(rr));
            }
        }
    }
    const ldns_rr* authority_soa = nullptr;
    if (answer.soa_owner.empty()) {
        const std::size_t count = ldns_rr_list_rr_count(authority);
        for (std::size_t i = 0; i < count; ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(authority, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && is_in_class(rr)) {
                authority_soa = rr;
                take_soa(answer, rr);
                break;
            }
        }
    }
    if (answer.has_requested_type) {
        answer.ttl = min_ttl == UINT32_MAX ? 0 : min_ttl;
    } else if (authority_soa != nullptr && ldns_rr_rd_count(authority_soa) >= 7) {
        // RFC 2308 section 5: a negative answer lives min(SOA TTL, SOA MINIMUM).
        answer.ttl = std::min(ldns_rr_ttl(authority_soa),
                              ldns_rdf2native_int32(ldns_rr_rdf(authority_soa, 6)));
    }
    answer.parsed = true;
    return answer;
}

bool answers_query(std::span<const std::uint8_t> wire, std::span<const std::uint8_t> query) {
    if (wire.size() < k_header_size || query.size() < k_header_size) {
        return false;
    }
    if (read_u16(wire, 0) != read_u16(query, 0) || !LDNS_QR_WIRE(wire.data()) ||
        LDNS_QDCOUNT(wire.data()) != 1) {
        return false;
    }
    std::size_t wire_pos = k_header_size;
    std::size_t query_pos = k_header_size;
    ldns_rdf* raw = nullptr;
    if (ldns_wire2dname(&raw, wire.data(), wire.size(), &wire_pos) != LDNS_STATUS_OK) {
        return false;
    }
    const RdfPtr answered(raw);
    raw = nullptr;
    if (ldns_wire2dname(&raw, query.data(), query.size(), &query_pos) != LDNS_STATUS_OK) {
        return false;
    }
    const RdfPtr asked(raw);
    if (wire_pos + 4 > wire.size() || query_pos + 4 > query.size() ||
        !same_name(answered.get(), asked.get())) {
        return false;
    }
    return std::equal(query.begin() + static_cast<std::ptrdiff_t>(query_pos),
                      query.begin() + static_cast<std::ptrdiff_t>(query_pos + 4),
                      wire.begin() + static_cast<std::ptrdiff_t>(wire_pos));
}

void build_query(const std::string& qname, RecordType qtype, const QueryOptions& options,
                 std::vector<std::uint8_t>& out) {
    out.clear();
    if (qname.empty()) {
        return;
    }
    ldns_rdf* name = ldns_dname_new_frm_str(qname.c_str());
    if (name == nullptr) {
        return;
    }
    std::uint16_t flags = 0;
    if (options.recursion_desired) {
        flags |= LDNS_RD;
    }
    if (options.dnssec) {
        flags |= LDNS_CD;
    }
    // ldns_pkt_query_new owns `name` from here on.
    const PacketPtr pkt(
        ldns_pkt_query_new(name, static_cast<ldns_rr_type>(qtype), LDNS_RR_CLASS_IN, flags));
    if (!pkt) {
        return;
    }
    ldns_pkt_set_id(pkt.get(), 0);
    // Sizes below 512 mean 512 (RFC 6891 section 6.2.3).
    ldns_pkt_set_edns_udp_size(pkt.get(), std::max<std::uint16_t>(options.edns_buffer_size, 512));
    ldns_pkt_set_edns_do(pkt.get(), options.dnssec);
    // Without name compression (a query holds one name): ldns_pkt2wire builds a compression
    // tree of every suffix, which cost more than the rest of the query building. The buffer is
    // reused per thread.
    thread_local std::unique_ptr<ldns_buffer, BufferDeleter> buffer(ldns_buffer_new(512));
    ldns_buffer_clear(buffer.get());
    if (ldns_pkt2buffer_wire_compress(buffer.get(), pkt.get(), nullptr) != LDNS_STATUS_OK) {
        return;
    }
    const auto* begin = static_cast<const std::uint8_t*>(ldns_buffer_begin(buffer.get()));
    out.assign(begin, begin + ldns_buffer_position(buffer.get()));
}

std::vector<std::uint8_t> build_query(const std::string& qname, RecordType qtype,
                                      const QueryOptions& options) {
    std::vector<std::uint8_t> out;
    build_query(qname, qtype, options, out);
    return out;
}

} // namespace dkimwatch
