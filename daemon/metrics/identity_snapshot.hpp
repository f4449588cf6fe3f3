#pragma once
// The per-identity metric families, rendered as exposition text from a snapshot map at scrape
// time. Neither a prometheus-cpp Gauge nor a prometheus::ClientMetric per series: at 100,000
// identities those cost hundreds of bytes per series and, in a scrape, over 100 MB of short-lived
// allocations; the snapshot costs about 260 bytes per identity without problems, and a scrape
// only the text.
//
// Families, in this order (omitted while they have no series, except dkimwatch_identities):
//   dkimwatch_identities{state}                                     all four states, 0 included
//   dkimwatch_identity_state{account,region,domain,state}           1, the current state only
//   dkimwatch_identity_last_check_timestamp_seconds{account,region,domain}
//   dkimwatch_revocation_deadline_timestamp_seconds{account,region,domain}
//   dkimwatch_record_problem{account,region,domain,record,verdict}  1
// Within a family, series are ordered by (account, region, domain), then record and verdict.
//
// Thread-safety: every member function may be called from any thread. One mutex guards the
// snapshot; append_exposition() holds it while it renders, so updates wait for a scrape in
// progress (about 100 ms at 100,000 identities).

#include "core/identity.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

class IdentitySnapshot {
public:
    // Replaces the identity's entry; see DaemonMetrics::update_identity() for the contract.
    void update(const IdentityKey& key, IdentityState state, std::optional<TimePoint> deadline,
                std::optional<TimePoint> last_check, const std::vector<RecordVerdict>& records);
    // Drops the identity's entry; unknown keys are ignored.
    void remove(const IdentityKey& key);
    // Number of identities in the snapshot.
    std::size_t size() const;

    // Appends the families above to `out`, as one consistent snapshot.
    void append_exposition(std::string& out) const;

private:
    struct Problem {
        std::string record; // RecordVerdict::name
        VerdictCode code = VerdictCode::ok;
        auto operator<=>(const Problem&) const = default;
    };
    struct Entry {
        IdentityState state = IdentityState::pending;
        std::optional<TimePoint> deadline; // only while state == revocation_warning
        std::optional<TimePoint> last_check;
        std::vector<Problem> problems; // sorted, unique; empty when every record is ok
    };

    mutable std::mutex m_mutex;
    std::map<IdentityKey, Entry> m_identities;
};

} // namespace dkimwatch
