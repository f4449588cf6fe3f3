#pragma once
// The checks of a state database made when it is opened, by the daemon and by `status` and
// `history` alike (StateStore::open runs them; one implementation for all three):
// - the SQLite file itself: PRAGMA quick_check (check_database_integrity);
// - each identity row (check_identity_rows): known state and severity names, a deadline exactly
//   in revocation_warning, and times that make sense (not before 2000-01-01, observations not
//   later than a day ahead of the clock, a deadline not more than ten years ahead and not before
//   the first failure of the run it belongs to).
// A finding is `corrupt` when the row cannot be used at all (an unknown state): the store is
// then not opened. Every other finding is a warning: the row is usable, and the daemon repairs
// what the state machine relies on (core/status_repair.hpp) and logs it.
// Internal to dkimwatch_store.

#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/state_machine.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

// "PATH is damaged" details: nullopt when PRAGMA quick_check says "ok", else its first lines
// joined with "; ". Errors: SQLite's message.
Result<std::optional<std::string>> check_database_integrity(sqlite3* db);

// The findings of every identity row (active or not), ordered by key. `now` bounds the times.
Result<std::vector<StateFinding>> check_identity_rows(sqlite3* db, TimePoint now);

} // namespace dkimwatch
