// libFuzzer harness: the DNS answer path, wire bytes -> ParsedAnswer (parse_response), then the
// TXT strings of an answer through the DKIM key record parser, as the evaluator does.
// The query id is taken from the message and the question (name, TXT or CNAME) from its
// question section when it has a readable one, so that mutations get past the id and question
// checks; otherwise a fixed question is used. parse_response must never read outside the bytes.

#include "core/dkim_key_record.hpp"
#include "dns/packet_to_lookup.hpp"
#include "dns/wire_name.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

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
        if (dkimwatch::wire_name_text(message, k_header, name) &&
            dkimwatch::skip_wire_name(message, k_header, end) == dkimwatch::WireNameError::none) {
            qname = name;
            if (end + 2 <= size && wire[end] == 0 && wire[end + 1] == 5) {
                qtype = dkimwatch::RecordType::cname;
            }
        }
    }
    const dkimwatch::ParsedAnswer parsed = dkimwatch::parse_response(message, id, qname, qtype);
    if (!parsed.parsed && parsed.error.empty()) {
        std::abort(); // a rejected answer always says why
    }
    for (const auto& strings : parsed.txt_records) {
        const std::string text = dkimwatch::join_txt_strings(strings);
        (void)dkimwatch::looks_like_dkim_key_record(text);
        (void)dkimwatch::parse_dkim_key_record(text);
    }
    // The query builder too, on the name that came out.
    std::vector<std::uint8_t> query;
    dkimwatch::build_query(qname, qtype, id, 1232, query);
    return 0;
}
