#pragma once
// The private part of StateStore (its connection, cached statements and write helpers), shared
// by the files that implement it: state_store.cpp (identities, history, outbox) and
// state_store_ses.cpp (the SES source's inventories and findings). Internal to dkimwatch_store.

#include "store/sqlite.hpp"
#include "store/state_store.hpp"

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

struct StateStore::Impl {
    std::filesystem::path path;
    std::string label; // "state database PATH", the prefix of every error
    Mode mode = Mode::read_only;
    std::vector<StateFinding> findings; // of open(), not corrupt
    // Declared before the statements, so destroyed after them.
    sqlite::DbHandle db;

    sqlite::Statement begin;
    sqlite::Statement commit;
    sqlite::Statement rollback;
    sqlite::Statement upsert_status;
    sqlite::Statement insert_event;
    sqlite::Statement delete_records;
    sqlite::Statement insert_record;
    sqlite::Statement select_statuses;
    sqlite::Statement select_identities;
    sqlite::Statement select_problems;
    sqlite::Statement select_activity;
    sqlite::Statement update_activity;
    sqlite::Statement select_history;
    sqlite::Statement select_domain_history;
    sqlite::Statement insert_outbox;
    sqlite::Statement select_outbox_head;
    sqlite::Statement select_outbox_rows;
    sqlite::Statement update_outbox_sent;
    sqlite::Statement update_outbox_retry;
    sqlite::Statement update_outbox_dropped;
    sqlite::Statement select_outbox_depth;
    sqlite::Statement select_outbox_queued;
    sqlite::Statement select_outbox_activity;
    sqlite::Statement select_queued_sinks;
    sqlite::Statement copy_queued;
    sqlite::Statement move_queued;

    Error error(std::string_view what) const { return Error{label + ": " + std::string(what)}; }
    // `what` (a sentence about the file) followed by how to start afresh.
    Error refusal(std::string_view what) const;

    // The checks of a file that existed before open(), made before anything is written to it.
    Result<sqlite::Done> check_existing_file();
    // The identity rows: corrupt ones refuse the file, the rest are kept in `findings`.
    Result<sqlite::Done> check_rows();

    Result<sqlite::Done> prepare_all();
    Result<sqlite::Done> require_writable() const;
    // Upserts the status and appends the events; returns the identity's row id.
    Result<std::int64_t> write_status(const IdentityKey& key, const IdentityStatus& status,
                                      std::span<const StateEvent> events);
    Result<sqlite::Done> replace_records(std::int64_t identity_id,
                                         std::span<const RecordVerdict> records,
                                         TimePoint checked_at);
    // Queues the rows, inside the caller's transaction.
    Result<sqlite::Done> insert_outbox_rows(std::span<const OutboxRowInsert> alerts);
    // Runs an UPDATE of one queued outbox row (the statement's ?1 is the id) and fails unless
    // exactly that row changed.
    Result<StoreOk> update_queued_row(sqlite::Statement& statement, std::int64_t id);
    // Reads every row `statement` yields (k_outbox_columns order).
    Result<std::vector<OutboxRow>> read_outbox_rows(sqlite::Statement& statement);
    // Runs `update` (its ?1 is the id, `bind` binds the rest) for each of `ids` in one
    // transaction, all or nothing.
    template <typename Bind>
    Result<StoreOk> update_queued_rows(sqlite::Statement& update, std::span<const std::int64_t> ids,
                                       Bind bind);
    // Steps `statement` through all its rows, calling `visit()` (returning Result<sqlite::Done>)
    // on each while the row is current. The first error, of a step or of `visit`, ends it and is
    // returned with the file's label.
    template <typename Visit>
    Result<sqlite::Done> each_row(sqlite::Statement& statement, Visit visit);
};

template <typename Visit>
Result<sqlite::Done> StateStore::Impl::each_row(sqlite::Statement& statement, Visit visit) {
    for (;;) {
        auto row = statement.step();
        if (!row) {
            return error(row.error());
        }
        if (!*row) {
            return sqlite::Done{};
        }
        if (auto visited = visit(); !visited) {
            return error(visited.error());
        }
    }
}

} // namespace dkimwatch
