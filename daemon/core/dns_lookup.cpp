#include "core/dns_lookup.hpp"

namespace dkimwatch {

const char* record_type_name(RecordType type) {
    switch (type) {
    case RecordType::cname:
        return "CNAME";
    case RecordType::txt:
        return "TXT";
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

} // namespace dkimwatch
