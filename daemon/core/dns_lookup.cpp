#include "core/dns_lookup.hpp"

namespace dkimwatch {

const char* record_type_name(RecordType type) {
    switch (type) {
    case RecordType::a:
        return "A";
    case RecordType::ns:
        return "NS";
    case RecordType::cname:
        return "CNAME";
    case RecordType::soa:
        return "SOA";
    case RecordType::txt:
        return "TXT";
    case RecordType::aaaa:
        return "AAAA";
    case RecordType::ds:
        return "DS";
    case RecordType::dnskey:
        return "DNSKEY";
    }
    return "?";
}

const char* lookup_outcome_name(LookupOutcome outcome) {
    switch (outcome) {
    case LookupOutcome::answer:
        return "answer";
    case LookupOutcome::nodata:
        return "nodata";
    case LookupOutcome::nxdomain:
        return "nxdomain";
    case LookupOutcome::servfail:
        return "servfail";
    case LookupOutcome::refused:
        return "refused";
    case LookupOutcome::timeout:
        return "timeout";
    case LookupOutcome::malformed:
        return "malformed";
    }
    return "?";
}

const LookupResult* find_result(std::span<const LookupResult> lookups,
                                const LookupRequest& request) {
    for (const auto& lookup : lookups) {
        if (lookup.request == request) {
            return &lookup;
        }
    }
    return nullptr;
}

} // namespace dkimwatch
