// libFuzzer harness: the DNSSEC validator on hostile responses. The input is a sequence of
// chunks, each a 2-byte big-endian length and that many bytes: the first chunk is the record's
// answer (a TXT lookup of sel._domainkey.example.test made with DO=1), each further chunk
// answers the next DNSKEY or DS lookup the validator asks for (a request without a chunk left
// times out). The trust anchor is fixed (a DNSKEY of test.). validate() must never crash, read
// outside its bytes, loop, or ask twice for the same lookup.

#include "dns/dnssec_validator.hpp"
#include "dns/trust_anchors.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const char* const k_anchor =
    "test. 3600 IN DNSKEY 257 3 13 "
    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0"
    "rAK9iUzy1L53eKGQ==\n";
constexpr int k_max_rounds = 64;

std::vector<std::vector<std::uint8_t>> chunks_of(const std::uint8_t* data, std::size_t size) {
    std::vector<std::vector<std::uint8_t>> chunks;
    std::size_t at = 0;
    while (at + 2 <= size) {
        const std::size_t length = (std::size_t{data[at]} << 8) | data[at + 1];
        at += 2;
        const std::size_t take = std::min(length, size - at);
        chunks.emplace_back(data + at, data + at + take);
        at += take;
    }
    return chunks;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dkimwatch;
    static const LdnsDnssecValidator validator(
        std::move(load_trust_anchors_from_text(k_anchor, "fuzz-anchor")).value());
    const auto chunks = chunks_of(data, size);
    if (chunks.empty()) {
        return 0;
    }
    LookupResult answer;
    answer.request = LookupRequest("sel._domainkey.example.test", RecordType::txt);
    answer.request.dnssec = true;
    answer.outcome = LookupOutcome::answer;
    answer.wires.push_back(chunks[0]);
    std::size_t next = 1;
    std::vector<LookupResult> chain;
    // 2026-12-01 00:00:00 UTC.
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796083200));
    for (int round = 0; round < k_max_rounds; ++round) {
        DnssecStep step = validator.validate({&answer, 1}, chain, now);
        if (std::holds_alternative<DnssecResult>(step)) {
            return 0;
        }
        for (const LookupRequest& request : std::get<NeedLookups>(step).requests) {
            for (const LookupResult& done : chain) {
                if (done.request == request) {
                    std::abort(); // asked twice: the probe's loop would never end
                }
            }
            LookupResult result;
            result.request = request;
            if (next < chunks.size()) {
                result.outcome = LookupOutcome::answer;
                result.wires.push_back(chunks[next++]);
            } else {
                result.outcome = LookupOutcome::timeout;
            }
            chain.push_back(std::move(result));
        }
    }
    std::abort(); // more rounds than zone cuts allow
}
