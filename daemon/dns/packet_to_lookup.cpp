#include "dns/packet_to_lookup.hpp"

#include "dns/wire_name.hpp"

#include <algorithm>
#include <array>

namespace dkimwatch {

namespace {

// A chain inside one message longer than this is hostile (no zone needs it); refusing it also
// bounds the quadratic owner search below.
constexpr std::size_t k_max_chain_in_message = 64;
constexpr std::size_t k_header_size = 12;
constexpr std::size_t k_npos = static_cast<std::size_t>(-1);
constexpr std::uint16_t k_class_in = 1;
constexpr std::uint16_t k_type_cname = 5;
constexpr std::uint16_t k_type_txt = 16;
constexpr std::uint8_t k_type_opt = 41;

enum class Section : std::uint8_t { question, answer, authority, additional };

// Why a message does not parse. The texts are ldns's (ldns_get_errorstr_by_id) for the status
// that ldns_wire2pkt returns in the same case, so that error details read as they always did.
const char* overflow_text(Section section) {
    switch (section) {
    case Section::question:
        return "question section incomplete";
    case Section::answer:
        return "answer section incomplete";
    case Section::authority:
        return "authority section incomplete";
    case Section::additional:
        return "additional section incomplete";
    }
    return "Packet size overflow";
}

const char* name_error_text(WireNameError error, Section section) {
    switch (error) {
    case WireNameError::none:
    case WireNameError::overflow:
        return overflow_text(section);
    case WireNameError::bad_pointer:
        return "Invalid compression pointer";
    case WireNameError::label_overflow:
        return "Label length overflow";
    case WireNameError::name_overflow:
        return "Domainname length overflow";
    }
    return overflow_text(section);
}

std::uint16_t read_u16(std::span<const std::uint8_t> wire, std::size_t pos) {
    return static_cast<std::uint16_t>((wire[pos] << 8) | wire[pos + 1]);
}

// Where one record of the answer section lies in the message. Offsets fit 32 bits because a
// DNS message is at most 65535 bytes (and the walk stops at the span's end anyway).
struct RecordRef {
    std::uint32_t owner = 0; // offset of the owner name
    std::uint32_t rdata = 0; // offset of the rdata
    std::uint16_t rdlength = 0;
    std::uint16_t type = 0;
    std::uint16_t rclass = 0;
};

// The answer records, kept on the stack for the usual few and on the heap beyond that.
class RecordRefs {
public:
    void push_back(const RecordRef& ref) {
        if (m_size < m_inline.size()) {
            m_inline[m_size] = ref;
        } else {
            if (m_heap.empty()) {
                m_heap.assign(m_inline.begin(), m_inline.end());
            }
            m_heap.push_back(ref);
        }
        ++m_size;
    }
    std::size_t size() const { return m_size; }
    const RecordRef& operator[](std::size_t i) const {
        return m_size <= m_inline.size() ? m_inline[i] : m_heap[i];
    }

private:
    std::array<RecordRef, 16> m_inline{};
    std::vector<RecordRef> m_heap;
    std::size_t m_size = 0;
};

// Steps over one record (or question) at `pos`, checking everything a later read relies on:
// the owner name, the fixed fields, the rdata length, and for CNAME and TXT the rdata itself.
// Returns the reason when the record does not parse.
const char* walk_record(std::span<const std::uint8_t> wire, std::size_t& pos, Section section,
                        RecordRef& ref) {
    std::size_t end = 0;
    if (const WireNameError error = skip_wire_name(wire, pos, end); error != WireNameError::none) {
        return name_error_text(error, section);
    }
    ref.owner = static_cast<std::uint32_t>(pos);
    pos = end;
    if (pos + 4 > wire.size()) {
        return overflow_text(section);
    }
    ref.type = read_u16(wire, pos);
    ref.rclass = read_u16(wire, pos + 2);
    pos += 4;
    if (section == Section::question) {
        return nullptr;
    }
    if (pos + 6 > wire.size()) { // TTL and rdata length
        return overflow_text(section);
    }
    ref.rdlength = read_u16(wire, pos + 4);
    pos += 6;
    if (pos + ref.rdlength > wire.size()) {
        return overflow_text(section);
    }
    ref.rdata = static_cast<std::uint32_t>(pos);
    const std::size_t rdata_end = pos + ref.rdlength;
    if (ref.type == k_type_cname && ref.rdlength > 0) {
        std::size_t name_end = 0;
        if (const WireNameError error = skip_wire_name(wire, pos, name_end);
            error != WireNameError::none) {
            return name_error_text(error, section);
        }
        if (name_end != rdata_end) {
            return "invalid rdata in wire format";
        }
    } else if (ref.type == k_type_txt) {
        for (std::size_t at = pos; at < rdata_end; at += 1 + wire[at]) {
            if (at + 1 + wire[at] > rdata_end) {
                return overflow_text(section);
            }
        }
    }
    pos = rdata_end;
    return nullptr;
}

// The rdata offset of the first IN CNAME owned by the name at `owner`, or k_npos.
std::size_t cname_target_of(std::span<const std::uint8_t> wire, const RecordRefs& answers,
                            std::size_t owner) {
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const RecordRef& rr = answers[i];
        if (rr.type == k_type_cname && rr.rclass == k_class_in && rr.rdlength > 0 &&
            wire_names_equal(wire, rr.owner, owner)) {
            return rr.rdata;
        }
    }
    return k_npos;
}

std::string name_text(std::span<const std::uint8_t> wire, std::size_t offset) {
    std::string text;
    text.reserve(48);
    wire_name_text(wire, offset, text);
    return text;
}

// The character-strings of one TXT rdata (already checked by walk_record), raw.
std::vector<std::string> txt_strings(std::span<const std::uint8_t> wire, const RecordRef& rr) {
    const std::size_t end = std::size_t{rr.rdata} + rr.rdlength;
    std::size_t count = 0;
    for (std::size_t at = rr.rdata; at < end; at += 1 + wire[at]) {
        ++count;
    }
    std::vector<std::string> out;
    out.reserve(count);
    for (std::size_t at = rr.rdata; at < end; at += 1 + wire[at]) {
        out.emplace_back(reinterpret_cast<const char*>(wire.data() + at + 1), wire[at]);
    }
    return out;
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
    // The header first, so that rcode and TC are known even when the rest does not parse.
    answer.truncated = (wire[2] & 0x02) != 0;
    answer.rcode = wire[3] & 0x0f;
    const std::uint16_t wire_id = read_u16(wire, 0);
    if (wire_id != id) {
        return failed(std::move(answer), "id " + std::to_string(wire_id) + " is not the id " +
                                             std::to_string(id) + " that was sent");
    }
    if ((wire[2] & 0x80) == 0) {
        return failed(std::move(answer), "QR bit not set (not a response)");
    }

    // One pass over every section. Authority and additional records are only stepped over,
    // but a message whose counts or records run past its end is refused as a whole.
    const std::uint16_t counts[4] = {read_u16(wire, 4), read_u16(wire, 6), read_u16(wire, 8),
                                     read_u16(wire, 10)};
    std::size_t pos = k_header_size;
    RecordRef question;
    RecordRefs answers;
    for (int s = 0; s < 4; ++s) {
        const auto section = static_cast<Section>(s);
        for (unsigned i = 0; i < counts[s]; ++i) {
            RecordRef ref;
            if (const char* error = walk_record(wire, pos, section, ref)) {
                return failed(std::move(answer), std::string("unparseable message: ") + error);
            }
            if (section == Section::question && i == 0) {
                question = ref;
            } else if (section == Section::answer) {
                answers.push_back(ref);
            }
        }
    }
    if (((wire[2] >> 3) & 0x0f) != 0) {
        return failed(std::move(answer), "opcode is not QUERY");
    }
    if (counts[0] != 1) {
        return failed(std::move(answer), "question section does not hold exactly one question");
    }
    const EncodedName asked = encode_wire_name(qname);
    if (asked.size == 0) {
        return failed(std::move(answer), "query name \"" + qname + "\" is not a valid name");
    }
    if (!wire_name_equals(wire, question.owner, asked.view())) {
        return failed(std::move(answer),
                      "question is for " + name_text(wire, question.owner) + ", not " + qname);
    }
    if (question.type != static_cast<std::uint16_t>(qtype)) {
        return failed(std::move(answer),
                      "question type is not " + std::string(record_type_name(qtype)));
    }
    if (question.rclass != k_class_in) {
        return failed(std::move(answer), "question class is not IN");
    }

    if (qtype == RecordType::cname) {
        // The CNAME at the name is the answer; nothing is followed.
        const std::size_t target = cname_target_of(wire, answers, question.owner);
        if (target != k_npos) {
            answer.cname_chain.push_back(name_text(wire, target));
            answer.has_requested_type = true;
        }
        answer.parsed = true;
        return answer;
    }

    // Follow CNAMEs from the question name. `visited` holds the names seen so far; a target
    // seen before ends the walk (it is still appended so that the caller sees the loop).
    std::size_t current = question.owner;
    std::array<std::size_t, k_max_chain_in_message + 1> visited{};
    std::size_t visited_count = 0;
    visited[visited_count++] = current;
    while (answers.size() > 0) {
        const std::size_t target = cname_target_of(wire, answers, current);
        if (target == k_npos) {
            break;
        }
        if (answer.cname_chain.size() >= k_max_chain_in_message) {
            return failed(std::move(answer), "CNAME chain in one message longer than " +
                                                 std::to_string(k_max_chain_in_message));
        }
        answer.cname_chain.push_back(name_text(wire, target));
        current = target;
        const bool loop = std::any_of(
            visited.begin(), visited.begin() + static_cast<std::ptrdiff_t>(visited_count),
            [&](std::size_t seen) { return wire_names_equal(wire, seen, target); });
        if (loop) {
            break;
        }
        visited[visited_count++] = target;
    }

    for (std::size_t i = 0; i < answers.size(); ++i) {
        const RecordRef& rr = answers[i];
        if (rr.type != static_cast<std::uint16_t>(qtype) || rr.rclass != k_class_in ||
            !wire_names_equal(wire, rr.owner, current)) {
            continue;
        }
        answer.txt_records.push_back(txt_strings(wire, rr));
        answer.has_requested_type = true;
    }
    answer.parsed = true;
    return answer;
}

bool answers_query(std::span<const std::uint8_t> wire, std::span<const std::uint8_t> query) {
    if (wire.size() < k_header_size || query.size() < k_header_size) {
        return false;
    }
    if (wire[0] != query[0] || wire[1] != query[1] || (wire[2] & 0x80) == 0 ||
        read_u16(wire, 4) != 1) {
        return false;
    }
    // The query's question: an uncompressed name (labels, then the root), type and class.
    std::size_t end = k_header_size;
    while (end < query.size() && query[end] != 0) {
        end += 1 + query[end];
    }
    end += 1 + 4;
    if (end > query.size() || end > wire.size()) {
        return false;
    }
    // Label lengths are at most 63, below 'A', so folding every byte compares them exactly.
    const auto lower = [](std::uint8_t c) {
        return static_cast<std::uint8_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    };
    for (std::size_t i = k_header_size; i < end - 4; ++i) {
        if (lower(wire[i]) != lower(query[i])) {
            return false;
        }
    }
    return std::equal(query.begin() + static_cast<std::ptrdiff_t>(end - 4),
                      query.begin() + static_cast<std::ptrdiff_t>(end),
                      wire.begin() + static_cast<std::ptrdiff_t>(end - 4));
}

void build_query(const std::string& qname, RecordType qtype, std::uint16_t id,
                 std::uint16_t edns_buffer_size, std::vector<std::uint8_t>& out) {
    out.clear();
    if (qname.empty()) {
        return;
    }
    const EncodedName name = encode_wire_name(qname);
    if (name.size == 0) {
        return;
    }
    // Sizes below 512 mean 512 (RFC 6891 section 6.2.3).
    const std::uint16_t payload = std::max<std::uint16_t>(edns_buffer_size, 512);
    const auto type = static_cast<std::uint16_t>(qtype);
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
    const std::uint8_t tail[] = {
        static_cast<std::uint8_t>(type >> 8),
        static_cast<std::uint8_t>(type & 0xff),
        0x00,
        k_class_in,
        // OPT: root owner, type 41, class = UDP payload size, TTL = ext. rcode 0, version 0,
        // flags 0 (no DO), no options.
        0x00,
        0x00,
        k_type_opt,
        static_cast<std::uint8_t>(payload >> 8),
        static_cast<std::uint8_t>(payload & 0xff),
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
    };
    out.reserve(k_header_size + name.size + sizeof tail);
    out.insert(out.end(), header, header + k_header_size);
    out.insert(out.end(), name.bytes.begin(),
               name.bytes.begin() + static_cast<std::ptrdiff_t>(name.size));
    out.insert(out.end(), tail, tail + sizeof tail);
}

std::vector<std::uint8_t> build_query(const std::string& qname, RecordType qtype, std::uint16_t id,
                                      std::uint16_t edns_buffer_size) {
    std::vector<std::uint8_t> out;
    build_query(qname, qtype, id, edns_buffer_size, out);
    return out;
}

} // namespace dkimwatch
