#pragma once
// The adoption of a new inventory (start-up, reload, every SES sync) as a pure function: from
// the identities tracked now, the statuses stored in the state database and the new inventory,
// the next tracked set, the status rows to save (with their events), the alerts to raise and
// the schedule of the next checks. No clock, no I/O: the caller passes the time, saves the
// rows, raises the alerts, logs the repairs and builds the schedule. Pure; thread-safe.
//
// Per identity of the new inventory, by its key:
// - tracked now (kept): its status continues, with its due time, unless its fingerprint changed;
// - not tracked but stored (seen before a restart, or earlier in this run): the stored status
//   is resumed, repaired where damaged (repair_status; the repair is saved);
// - neither (new): initial_status(fingerprint, now), saved;
// - in every case a fingerprint that differs from the status's restarts the identity at pending
//   (on_config): its config_changed event is saved and raised, and it is scheduled like a new
//   identity (its last check belonged to the old setup).
// Tracked identities the new inventory does not name are removed.

#include "core/check_schedule.hpp"
#include "core/identity.hpp"
#include "core/state_machine.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {

// One identity tracked now.
struct TrackedEntry {
    IdentityKey key;
    // Its status; the fingerprint field is ignored (`fingerprint` is used). Must outlive the
    // call to adopt_inventory; never kept.
    const IdentityStatus* status = nullptr;
    std::string fingerprint;      // identity_fingerprint() of the tracked identity
    std::optional<TimePoint> due; // its due time in the current schedule; nullopt: none
};

struct AdoptionInput {
    std::span<const TrackedEntry> tracked; // the tracked set now, in its order (empty at start)
    // StateStore::load_statuses(): every stored status by key (with fingerprints).
    const std::map<IdentityKey, IdentityStatus>* stored = nullptr;
    std::span<const Identity> identities; // the new inventory, in its order; keys unique
    StateMachinePolicy policy;            // for repair_status
    TimePoint now{};
};

// One identity of the new inventory, at the same index as in AdoptionInput::identities.
struct AdoptedIdentity {
    IdentityStatus status; // the status to track, with the identity's fingerprint
    // Index in AdoptionInput::tracked when the identity is tracked now; nullopt otherwise.
    std::optional<std::size_t> kept_from;
    // The fingerprint changed: back at pending, the old setup's problems no longer apply.
    bool restarted = false;
};

// A status row to save, without records: an adoption never checks anything.
struct StatusToSave {
    IdentityKey key;
    IdentityStatus status;
    std::vector<StateEvent> events;
    // True for a row that keeps the stored records (a repair); false for a new identity or a
    // fingerprint change, whose stored records (of the old setup) are cleared.
    bool keep_records = false;
};

// An event to raise as an alert, for the identity at `index` of the new inventory (its status
// after the event is AdoptionPlan::identities[index].status).
struct AdoptionAlert {
    std::size_t index = 0;
    IdentityKey key;
    StateEvent event;
};

// The repairs of one stored status (repair_status), for the caller to log.
struct AdoptionRepair {
    IdentityKey key;
    std::vector<std::string> repairs;
};

struct AdoptionPlan {
    std::vector<AdoptedIdentity> identities; // parallel to AdoptionInput::identities
    std::vector<StatusToSave> to_save;       // in inventory order; all before anything acts
    std::vector<AdoptionAlert> alerts;       // in inventory order
    std::vector<AdoptionRepair> repairs;     // in inventory order
    // The schedule under the new numbering (ScheduleId = index in the new inventory): kept
    // identities that are not restarted keep their due time exactly ...
    std::vector<std::pair<ScheduleId, TimePoint>> kept_due;
    // ... every other one is added with CheckSchedule::add (spread over the check interval, or
    // one interval after its last check when it was checked before a restart).
    std::vector<ScheduleEntry> to_spread;
    // Keys tracked now that the new inventory does not name, in AdoptionInput::tracked order.
    std::vector<IdentityKey> removed;
};

// Precondition: input.stored is not null.
AdoptionPlan adopt_inventory(const AdoptionInput& input);

} // namespace dkimwatch
