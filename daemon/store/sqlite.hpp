#pragma once
// A thin C++ layer over the SQLite C API for the store: an owning connection handle, a cached
// prepared statement that resets itself after each use, and a transaction guard. Internal to
// dkimwatch_store (it includes sqlite3.h); error texts are SQLite's own messages, without the
// file path (the caller adds it).
// Thread-safety: none; a connection and its statements belong to one thread at a time.

#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <string_view>

namespace dkimwatch::sqlite {

// The value of a successful operation that returns nothing.
struct Done {};

struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

// Keeps a database file private to its owner whatever the umask: creates `file` empty with mode
// 0600 when it does not exist (SQLite would create it 0644 minus the umask), and removes the
// group and other permission bits of `file` and of its -wal, -shm and -journal files when they
// exist (a file made by an older version, or under a lax umask). SQLite creates the -wal, -shm
// and -journal files with the mode of the database file, so they are 0600 too. A directory that
// does not exist is left for SQLite to report. Error: "cannot make PATH private: <strerror>".
Result<Done> make_private(const std::filesystem::path& file);

// Runs `sql` (one or more statements, no result rows wanted).
Result<Done> exec(sqlite3* db, const char* sql);

// A prepared statement, kept for the life of the connection and reused. Typical use:
//   auto use = statement.use();        // resets and clears bindings when `use` goes away
//   statement.bind(1, value); ...
//   while (auto row = statement.step()) { if (!*row) break; ... column reads ... }
class Statement {
public:
    Statement() = default;
    // Prepares `sql` (exactly one statement) with SQLITE_PREPARE_PERSISTENT.
    static Result<Statement> prepare(sqlite3* db, std::string_view sql);

    // Resets the statement and clears its bindings on destruction, so that a cached statement
    // never keeps a read transaction open or carries old parameters into its next use.
    class Use {
    public:
        explicit Use(Statement& statement) : m_statement(&statement) {}
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;
        ~Use() { m_statement->reset(); }

    private:
        Statement* m_statement;
    };
    [[nodiscard]] Use use() { return Use(*this); }

    // Parameter indices start at 1. A failed bind is reported by the next step().
    void bind(int index, std::int64_t value);
    void bind(int index, std::string_view text);
    void bind(int index, const std::optional<std::int64_t>& value);
    void bind(int index, const std::optional<std::string>& text);
    void bind_null(int index);

    // true: a row is available; false: the statement has finished. Error: SQLite's message.
    Result<bool> step();
    // Steps a statement that returns no rows (or whose rows are not wanted) to completion.
    Result<Done> run();

    // Column indices start at 0; valid only after step() returned true.
    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;

    void reset();

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
    };
    void note_bind(int rc);

    std::unique_ptr<sqlite3_stmt, Finalizer> m_statement;
    int m_bind_rc = SQLITE_OK;
};

// BEGIN IMMEDIATE (the write lock is taken at once, so the busy timeout applies to it rather
// than failing later on a read-to-write upgrade) and ROLLBACK unless commit() succeeded.
class WriteTransaction {
public:
    // The statements are the connection's cached BEGIN IMMEDIATE, COMMIT and ROLLBACK.
    static Result<WriteTransaction> begin(Statement& begin, Statement& commit, Statement& rollback);
    WriteTransaction(WriteTransaction&& other) noexcept;
    WriteTransaction& operator=(WriteTransaction&&) = delete;
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();

    Result<Done> commit();

private:
    WriteTransaction(Statement& commit, Statement& rollback)
        : m_commit(&commit), m_rollback(&rollback) {}

    Statement* m_commit;
    Statement* m_rollback;
    bool m_open = true;
};

} // namespace dkimwatch::sqlite
