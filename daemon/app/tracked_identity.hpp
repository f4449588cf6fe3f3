#pragma once
// One identity of the daemon's running inventory, and the helpers that keep it small.

#include "core/identity.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <cstddef>
#include <vector>

namespace dkimwatch {

// Memory matters (platforms watch 100,000 identities or more): this is the only copy of the
// configured identity, and only the records that are not ok are kept (metrics and alerts show
// only those; every record is in the state database).
struct TrackedIdentity {
    Identity identity;
    // status.fingerprint is left empty in memory (about 200 bytes an identity): it is always
    // identity_fingerprint(identity), which the daemon's adoption makes sure of, and is filled in
    // only for saving (with_fingerprint()).
    IdentityStatus status;
    std::vector<RecordVerdict> problems; // of the latest check, in check order; usually empty
    // Restored from the database at start in revocation_warning: its firing alert is not
    // re-sent to Alertmanager until its first check in this process, which is due at once. The
    // records may have come back while this process was down and another replica may have
    // resolved the alert; re-sending the stored warning would fire it again.
    bool firing_held = false;
};

inline constexpr std::size_t k_state_count = 4; // IdentityState's values

// The index of `state` in an array of k_state_count counts.
inline std::size_t state_index(IdentityState state) {
    return static_cast<std::size_t>(state);
}

// `status` as it is saved: with the fingerprint of `identity`.
IdentityStatus with_fingerprint(IdentityStatus status, const Identity& identity);

// The records of `records` whose severity is not ok, in order.
std::vector<RecordVerdict> problems_of(std::vector<RecordVerdict>&& records);

} // namespace dkimwatch
