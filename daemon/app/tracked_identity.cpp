#include "app/tracked_identity.hpp"

namespace dkimwatch {

IdentityStatus with_fingerprint(IdentityStatus status, const Identity& identity) {
    status.fingerprint = identity_fingerprint(identity);
    return status;
}

std::vector<RecordVerdict> problems_of(std::vector<RecordVerdict>&& records) {
    std::vector<RecordVerdict> problems;
    for (auto& record : records) {
        if (record.severity != Severity::ok) {
            problems.push_back(std::move(record));
        }
    }
    return problems;
}

} // namespace dkimwatch
