#include "store/schema.hpp"

#include <array>
#include <string>

namespace dkimwatch {
namespace {

// Version 1: identity status, last observation per record, event history.
// Conventions: times are *_ms columns, integer milliseconds since the Unix epoch (NULL for an
// unset optional); durations carry their unit in the name; enum values are stored by their
// public names (identity_state_name, state_event_kind_name, verdict_code_name, severity_name),
// validated when read rather than by CHECK, so that a later version may add a name without
// rebuilding a table. uint64 counters are stored as their two's-complement int64.
constexpr std::string_view k_migration_1 = R"sql(
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    domain TEXT NOT NULL CHECK (domain <> ''),
    -- 0: removed from the configuration; kept for its history, not reported.
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    entered_pending_at_ms INTEGER NOT NULL,
    deadline_ms INTEGER,
    consecutive_failures INTEGER NOT NULL,
    first_failure_at_ms INTEGER,
    consecutive_successes INTEGER NOT NULL,
    indeterminate_since_ms INTEGER,
    pending_overdue_raised INTEGER NOT NULL CHECK (pending_overdue_raised IN (0, 1)),
    blind_raised INTEGER NOT NULL CHECK (blind_raised IN (0, 1)),
    records_back_raised INTEGER NOT NULL CHECK (records_back_raised IN (0, 1)),
    reminder_covered_ms INTEGER,
    checks_total INTEGER NOT NULL,
    failures_total INTEGER NOT NULL,
    indeterminate_total INTEGER NOT NULL,
    last_check_at_ms INTEGER,
    last_worst TEXT,
    UNIQUE (account, region, domain)
) STRICT;
CREATE INDEX identities_by_domain ON identities (domain);

-- The last observation of each record of an identity, in the order the check reported them.
CREATE TABLE records (
    identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    expected TEXT NOT NULL,
    observed TEXT,
    verdict TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    server TEXT NOT NULL,
    latency_us INTEGER NOT NULL,
    checked_at_ms INTEGER NOT NULL,
    PRIMARY KEY (identity_id, position)
) STRICT, WITHOUT ROWID;

-- Every state-machine event, in the order it was saved. AUTOINCREMENT: an id is never reused,
-- even after old rows are pruned, so other tables may refer to it.
CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    at_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL,
    deadline_ms INTEGER,
    reminder_threshold_ms INTEGER
) STRICT;
CREATE INDEX history_by_identity ON history (identity_id, id);
)sql";

// Version 2: the alert outbox. One row per message for one sink, inserted in the same
// transaction as the state change that caused it and delivered by that sink's worker in id
// order. Rows are never deleted: a delivered row becomes 'sent', one given up on 'dropped'
// (its event stays in `history` either way). The identity is plain text rather than a
// reference to `identities`, because a grouped message has none (all three columns empty).
constexpr std::string_view k_migration_2 = R"sql(
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL CHECK (sink <> ''),
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    domain TEXT NOT NULL,
    -- The AlertMessage as JSON (alert_message_to_json), rendered for the sink when sent.
    message_json TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    -- 'queued' (to deliver), 'sent' or 'dropped'.
    status TEXT NOT NULL,
    -- Failed delivery attempts so far, and when the next one may start.
    attempts INTEGER NOT NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    -- The last failure (no secrets), or why the row was dropped.
    last_error TEXT,
    -- When it was sent or dropped.
    done_at_ms INTEGER
) STRICT;
CREATE INDEX outbox_queued_by_sink ON outbox (sink, id) WHERE status = 'queued';
)sql";

// Version 3: the SES source (issue 10). The last good inventory of each SES source and region,
// so that a restart without API access keeps watching what SES listed, and the SES findings of
// each identity, for `status`. Inventories are keyed by (source, region): a newer listing of
// the same source and region replaces the older one with everything under it. Findings are
// keyed by the identity's text like the outbox, because an identity found only through SES may
// not have an `identities` row before its first check. Enum values are stored by their public
// names (ses_dkim_status_name, ses_finding_code_name, severity_name) as in version 1.
constexpr std::string_view k_migration_3 = R"sql(
CREATE TABLE ses_inventories (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source <> ''),
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    synced_at_ms INTEGER NOT NULL,
    UNIQUE (source, region)
) STRICT;

-- One DOMAIN identity of an inventory, as SES reported it.
CREATE TABLE ses_identities (
    inventory_id INTEGER NOT NULL REFERENCES ses_inventories (id) ON DELETE CASCADE,
    domain TEXT NOT NULL CHECK (domain <> ''),
    signing_enabled INTEGER NOT NULL CHECK (signing_enabled IN (0, 1)),
    -- ses_dkim_status_name of the parsed status, and the text SES sent ('' when null).
    status TEXT NOT NULL,
    status_text TEXT NOT NULL,
    origin TEXT NOT NULL,
    signing_hosted_zone TEXT NOT NULL,
    current_key_length TEXT NOT NULL,
    PRIMARY KEY (inventory_id, domain)
) STRICT, WITHOUT ROWID;

-- The list fields of an ses_identities row, in their order: list 'token' (DkimAttributes.Tokens)
-- or 'email' (the EMAIL_ADDRESS identities under the domain).
CREATE TABLE ses_identity_values (
    inventory_id INTEGER NOT NULL,
    domain TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('token', 'email')),
    position INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (inventory_id, domain, list, position),
    FOREIGN KEY (inventory_id, domain) REFERENCES ses_identities (inventory_id, domain)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The current SES findings of each identity, in the order the cross-check gave them.
CREATE TABLE ses_findings (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    domain TEXT NOT NULL CHECK (domain <> ''),
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (account, region, domain, position)
) STRICT, WITHOUT ROWID;
)sql";

// One entry per version; a new migration is one more line here.
constexpr std::array<std::string_view, 3> k_migrations{
    k_migration_1,
    k_migration_2,
    k_migration_3,
};

constexpr const char* k_create_version_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL) STRICT";

// Runs one statement that yields one integer.
Result<std::int64_t> query_int(sqlite3* db, std::string_view sql) {
    auto statement = sqlite::Statement::prepare(db, sql);
    if (!statement) {
        return Error{statement.error()};
    }
    auto row = statement.value().step();
    if (!row) {
        return Error{row.error()};
    }
    if (!*row) {
        return Error{"no result from: " + std::string(sql)};
    }
    return statement.value().int64(0);
}

} // namespace

std::span<const std::string_view> state_schema_migrations() {
    return k_migrations;
}

std::string newer_schema_message(int found, int known) {
    return "schema version " + std::to_string(found) +
           " is newer than this dkimwatch (knows up to " + std::to_string(known) +
           "); upgrade dkimwatch";
}

Result<int> state_schema_version(sqlite3* db) {
    auto tables = query_int(db, "SELECT count(*) FROM sqlite_schema "
                                "WHERE type = 'table' AND name = 'schema_migrations'");
    if (!tables) {
        return Error{tables.error()};
    }
    if (*tables == 0) {
        return 0;
    }
    auto version = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!version) {
        return Error{version.error()};
    }
    return static_cast<int>(*version);
}

Result<int> migrate_state_schema(sqlite3* db, std::span<const std::string_view> migrations,
                                 std::chrono::system_clock::time_point now) {
    const int known = static_cast<int>(migrations.size());
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    for (;;) {
        // Each step: take the write lock, then decide from what is committed under it.
        if (auto begun = sqlite::exec(db, "BEGIN IMMEDIATE"); !begun) {
            return Error{begun.error()};
        }
        auto step = [&]() -> Result<int> {
            if (auto created = sqlite::exec(db, k_create_version_table); !created) {
                return Error{created.error()};
            }
            auto version = state_schema_version(db);
            if (!version) {
                return Error{version.error()};
            }
            const int current = *version;
            if (current > known) {
                return Error{newer_schema_message(current, known)};
            }
            if (current == known) {
                return current;
            }
            const int next = current + 1;
            const std::string sql(migrations[static_cast<std::size_t>(current)]);
            if (auto applied = sqlite::exec(db, sql.c_str()); !applied) {
                return Error{"schema migration " + std::to_string(next) +
                             " failed: " + applied.error()};
            }
            auto record = sqlite::Statement::prepare(
                db, "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)");
            if (!record) {
                return Error{record.error()};
            }
            record.value().bind(1, std::int64_t{next});
            record.value().bind(2, std::int64_t{now_ms});
            if (auto done = record.value().run(); !done) {
                return Error{done.error()};
            }
            return next;
        };
        auto reached = step();
        if (!reached) {
            (void)sqlite::exec(db, "ROLLBACK");
            return reached;
        }
        if (auto committed = sqlite::exec(db, "COMMIT"); !committed) {
            (void)sqlite::exec(db, "ROLLBACK");
            return Error{committed.error()};
        }
        if (*reached == known) {
            return known;
        }
    }
}

} // namespace dkimwatch
