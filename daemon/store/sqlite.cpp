#include "store/sqlite.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dkimwatch::sqlite {

namespace {

constexpr mode_t k_private_mode = S_IRUSR | S_IWUSR; // 0600
constexpr mode_t k_shared_bits = S_IRWXG | S_IRWXO;  // 0077

Error private_error(const std::filesystem::path& file, int error) {
    return Error{"cannot make " + file.string() + " private: " + std::strerror(error)};
}

// Removes the group and other bits of `file` if it exists.
Result<Done> tighten(const std::filesystem::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        if (errno == ENOENT) {
            return Done{};
        }
        return private_error(file, errno);
    }
    if ((info.st_mode & k_shared_bits) == 0) {
        return Done{};
    }
    if (::chmod(file.c_str(), info.st_mode & 07777 & ~k_shared_bits) != 0) {
        return private_error(file, errno);
    }
    return Done{};
}

} // namespace

Result<Done> make_private(const std::filesystem::path& file) {
    // O_EXCL: an existing file is never truncated or replaced; it is tightened below.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, k_private_mode);
    if (fd >= 0) {
        // The umask may only have removed bits: 0600 is exact after this.
        const int rc = ::fchmod(fd, k_private_mode);
        const int error = errno;
        ::close(fd);
        if (rc != 0) {
            return private_error(file, error);
        }
    } else if (errno != EEXIST) {
        return Done{}; // e.g. no such directory: SQLite's own open reports it
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::path companion = file;
        companion += suffix;
        if (auto done = tighten(companion); !done) {
            return done;
        }
    }
    return Done{};
}

Result<Done> exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return Error{std::move(text)};
    }
    return Done{};
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
    if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
        return Error{"statement too long"};
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    Statement statement;
    statement.m_statement.reset(raw);
    if (rc != SQLITE_OK) {
        return Error{sqlite3_errmsg(db)};
    }
    if (raw == nullptr) {
        return Error{"empty statement"};
    }
    return statement;
}

void Statement::note_bind(int rc) {
    if (m_bind_rc == SQLITE_OK) {
        m_bind_rc = rc;
    }
}

void Statement::bind(int index, std::int64_t value) {
    note_bind(sqlite3_bind_int64(m_statement.get(), index, value));
}

void Statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: SQLite copies the text, so `text` need not outlive the step.
    note_bind(sqlite3_bind_text64(m_statement.get(), index, text.data(), text.size(),
                                  SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
    if (value) {
        bind(index, *value);
    } else {
        bind_null(index);
    }
}

void Statement::bind(int index, const std::optional<std::string>& text) {
    if (text) {
        bind(index, std::string_view(*text));
    } else {
        bind_null(index);
    }
}

void Statement::bind_null(int index) {
    note_bind(sqlite3_bind_null(m_statement.get(), index));
}

Result<bool> Statement::step() {
    if (m_bind_rc != SQLITE_OK) {
        return Error{std::string("binding a parameter: ") + sqlite3_errstr(m_bind_rc)};
    }
    const int rc = sqlite3_step(m_statement.get());
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return Error{sqlite3_errmsg(sqlite3_db_handle(m_statement.get()))};
}

Result<Done> Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return Error{row.error()};
        }
        if (!*row) {
            return Done{};
        }
    }
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(m_statement.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(m_statement.get(), column);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return int64(column);
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(m_statement.get(), column);
    const int size = sqlite3_column_bytes(m_statement.get(), column);
    if (data == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::optional_text(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return text(column);
}

void Statement::reset() {
    sqlite3_reset(m_statement.get());
    sqlite3_clear_bindings(m_statement.get());
    m_bind_rc = SQLITE_OK;
}

Result<WriteTransaction> WriteTransaction::begin(Statement& begin, Statement& commit,
                                                 Statement& rollback) {
    auto use = begin.use();
    if (auto done = begin.run(); !done) {
        return Error{done.error()};
    }
    return WriteTransaction(commit, rollback);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept
    : m_commit(other.m_commit), m_rollback(other.m_rollback), m_open(other.m_open) {
    other.m_open = false;
}

WriteTransaction::~WriteTransaction() {
    if (m_open) {
        auto use = m_rollback->use();
        // A failed ROLLBACK (e.g. after SQLite already rolled back by itself) leaves nothing
        // to undo; there is no one to report it to.
        (void)m_rollback->run();
    }
}

Result<Done> WriteTransaction::commit() {
    auto use = m_commit->use();
    auto done = m_commit->run();
    if (done) {
        m_open = false;
    }
    return done;
}

} // namespace dkimwatch::sqlite
