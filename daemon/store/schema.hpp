#pragma once
// The state database's schema as an ordered list of migrations, and the code that applies them.
// Internal to dkimwatch_store.
//
// The version of a database is the highest version recorded in its table
//   schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)
// (0 when the table does not exist: an empty or foreign file). Migration N (1-based) is the N-th
// SQL text of the list; it runs in one transaction together with recording version N, so a
// database is always exactly at some version, even after a crash mid-migration.

#include "core/result.hpp"
#include "store/sqlite.hpp"

#include <chrono>
#include <span>
#include <string_view>

namespace dkimwatch {

// The migrations of this build, oldest first. Append only; never edit one that has shipped.
std::span<const std::string_view> state_schema_migrations();

// The schema version of `db`: 0 when it has no schema_migrations table.
Result<int> state_schema_version(sqlite3* db);

// Brings `db` up to version migrations.size(), applying each missing step in its own
// BEGIN IMMEDIATE transaction (so two processes migrating at once apply each step once), and
// returns the version reached. Errors (SQLite's message, or):
//   "schema version 7 is newer than this dkimwatch (knows up to 1); upgrade dkimwatch"
//   "schema migration 2 failed: <SQLite message>" (that step rolled back, earlier ones kept)
// `now` is recorded as applied_at_ms (milliseconds since the Unix epoch).
Result<int> migrate_state_schema(sqlite3* db, std::span<const std::string_view> migrations,
                                 std::chrono::system_clock::time_point now);

// The error text for a database newer than this build.
std::string newer_schema_message(int found, int known);

} // namespace dkimwatch
