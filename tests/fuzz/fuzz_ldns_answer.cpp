// libFuzzer harness: the DNS answer path, wire bytes -> ParsedAnswer (parse_answer, ldns), with
// and without CNAME following, the RFC 5452 filter (answers_query) against the query for the
// same question, then the TXT strings of an answer through the DKIM key record parser, as the
// evaluator does. The query id is taken from the message and the question (name, and the type
// when it is one dkimwatch asks) from its question section when ldns can read that name, so
// that mutations get past the id and question checks; otherwise a fixed question is used.

#include "core/dkim_key_record.hpp"
#include "dns/ldns_answer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ldns/ldns.h>
#include <span>
#include <string>
#include <vector>

namespace {

// The question name at offset 12 as canonical text, or false.
bool question_name(const std::vector<std::uint8_t>& wire, std::string& name, std::size_t& end) {
    ldns_rdf* rdf = nullptr;
    end = 12;
    if (ldns_wire2dname(&rdf, wire.data(), wire.size(), &end) != LDNS_STATUS_OK) {
        return false;
    }
    char* text = ldns_rdf2str(rdf);
    ldns_rdf_deep_free(rdf);
    if (text == nullptr) {
        return false;
    }
    name = text;
    std::free(text);
    if (name.size() > 1 && name.back() == '.') {
        name.pop_back();
    }
    for (char& c : name) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy of exactly `size` bytes, so that ASan flags any read past the end.
    const std::vector<std::uint8_t> wire(data, data + size);
    const std::span<const std::uint8_t> message(wire);
    constexpr std::size_t k_header = 12;

    std::uint16_t id = 0x1234;
    std::string qname = "sel._domainkey.example.com";
    auto qtype = dkimwatch::RecordType::txt;
    if (size >= k_header) {
        id = static_cast<std::uint16_t>((wire[0] << 8) | wire[1]);
        std::string name;
        std::size_t end = 0;
        if (question_name(wire, name, end)) {
            qname = name;
            if (end + 2 <= size && wire[end] == 0) {
                switch (wire[end + 1]) {
                case 1:
                case 2:
                case 5:
                case 6:
                case 28:
                case 43:
                case 48:
                    qtype = static_cast<dkimwatch::RecordType>(wire[end + 1]);
                    break;
                default:
                    break;
                }
            }
        }
    }
    for (const bool follow : {true, false}) {
        const dkimwatch::ParsedAnswer parsed =
            dkimwatch::parse_answer(message, id, qname, qtype, follow);
        if (!parsed.parsed && parsed.error.empty()) {
            std::abort(); // a rejected answer always says why
        }
        if (!follow && parsed.cname_chain.size() > 1) {
            std::abort(); // a directed query never follows more than the CNAME at the name
        }
        for (const auto& strings : parsed.txt_records) {
            const std::string text = dkimwatch::join_txt_strings(strings);
            (void)dkimwatch::looks_like_dkim_key_record(text);
            (void)dkimwatch::parse_dkim_key_record(text);
        }
    }
    // The query builder too, on the name that came out, and the filter against that query.
    dkimwatch::QueryOptions options;
    std::vector<std::uint8_t> query;
    dkimwatch::build_query(qname, qtype, options, query);
    if (query.size() >= 2) {
        query[0] = static_cast<std::uint8_t>(id >> 8);
        query[1] = static_cast<std::uint8_t>(id & 0xff);
        (void)dkimwatch::answers_query(message, query);
    }
    return 0;
}
