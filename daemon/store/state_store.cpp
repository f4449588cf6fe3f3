#include "store/state_store.hpp"

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/state_consistency.hpp"
#include "store/state_store_impl.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <set>
#include <system_error>
#include <utility>

namespace dkimwatch {
namespace {

// The IdentityStatus columns of `identities`, in the order bind_status() and read_status()
// use. Every field of IdentityStatus has one.
constexpr std::array<std::string_view, 18> k_status_columns{
    "fingerprint",
    "state",
    "since_ms",
    "entered_pending_at_ms",
    "deadline_ms",
    "consecutive_failures",
    "first_failure_at_ms",
    "consecutive_successes",
    "indeterminate_since_ms",
    "pending_overdue_raised",
    "blind_raised",
    "records_back_raised",
    "reminder_covered_ms",
    "checks_total",
    "failures_total",
    "indeterminate_total",
    "last_check_at_ms",
    "last_worst",
};
constexpr int k_status_column_count = static_cast<int>(k_status_columns.size());

// The `records` columns after identity_id, in the order read_record() uses.
constexpr std::array<std::string_view, 11> k_record_columns{
    "position", "name",    "type",   "expected",   "observed",      "verdict",
    "severity", "message", "server", "latency_us", "checked_at_ms",
};

// "p.a, p.b, ..." for `columns` with `prefix` p.
std::string column_list(std::span<const std::string_view> columns, std::string_view prefix) {
    std::string list;
    for (const auto column : columns) {
        if (!list.empty()) {
            list += ", ";
        }
        list += prefix;
        list += column;
    }
    return list;
}

std::int64_t to_ms(TimePoint time) {
    return time.time_since_epoch().count();
}
TimePoint from_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

std::optional<std::int64_t> to_ms(const std::optional<TimePoint>& time) {
    if (!time) {
        return std::nullopt;
    }
    return to_ms(*time);
}

std::optional<TimePoint> optional_time(const sqlite::Statement& row, int column) {
    if (auto ms = row.optional_int64(column)) {
        return from_ms(*ms);
    }
    return std::nullopt;
}

std::optional<Milliseconds> optional_duration(const sqlite::Statement& row, int column) {
    if (auto ms = row.optional_int64(column)) {
        return Milliseconds{*ms};
    }
    return std::nullopt;
}

std::optional<std::int64_t> to_ms(const std::optional<Milliseconds>& duration) {
    if (!duration) {
        return std::nullopt;
    }
    return duration->count();
}

void bind_status(sqlite::Statement& statement, int first, const IdentityStatus& status) {
    int index = first;
    statement.bind(index++, std::string_view(status.fingerprint));
    statement.bind(index++, std::string_view(identity_state_name(status.state)));
    statement.bind(index++, to_ms(status.since));
    statement.bind(index++, to_ms(status.entered_pending_at));
    statement.bind(index++, to_ms(status.deadline));
    statement.bind(index++, std::int64_t{status.consecutive_failures});
    statement.bind(index++, to_ms(status.first_failure_at));
    statement.bind(index++, std::int64_t{status.consecutive_successes});
    statement.bind(index++, to_ms(status.indeterminate_since));
    statement.bind(index++, std::int64_t{status.pending_overdue_raised ? 1 : 0});
    statement.bind(index++, std::int64_t{status.blind_raised ? 1 : 0});
    statement.bind(index++, std::int64_t{status.records_back_raised ? 1 : 0});
    statement.bind(index++, to_ms(status.reminder_covered));
    // Modular conversion (C++20): every uint64 value round-trips through int64.
    statement.bind(index++, static_cast<std::int64_t>(status.checks_total));
    statement.bind(index++, static_cast<std::int64_t>(status.failures_total));
    statement.bind(index++, static_cast<std::int64_t>(status.indeterminate_total));
    statement.bind(index++, to_ms(status.last_check_at));
    if (status.last_worst) {
        statement.bind(index++, std::string_view(severity_name(*status.last_worst)));
    } else {
        statement.bind_null(index++);
    }
}

// Reads the k_status_columns starting at column `first`.
Result<IdentityStatus> read_status(const sqlite::Statement& row, int first) {
    IdentityStatus status;
    int column = first;
    status.fingerprint = row.text(column++);
    const std::string state = row.text(column++);
    if (auto parsed = parse_identity_state(state)) {
        status.state = *parsed;
    } else {
        return Error{"unknown state \"" + state + "\""};
    }
    status.since = from_ms(row.int64(column++));
    status.entered_pending_at = from_ms(row.int64(column++));
    status.deadline = optional_time(row, column++);
    status.consecutive_failures = static_cast<int>(row.int64(column++));
    status.first_failure_at = optional_time(row, column++);
    status.consecutive_successes = static_cast<int>(row.int64(column++));
    status.indeterminate_since = optional_time(row, column++);
    status.pending_overdue_raised = row.int64(column++) != 0;
    status.blind_raised = row.int64(column++) != 0;
    status.records_back_raised = row.int64(column++) != 0;
    status.reminder_covered = optional_duration(row, column++);
    status.checks_total = static_cast<std::uint64_t>(row.int64(column++));
    status.failures_total = static_cast<std::uint64_t>(row.int64(column++));
    status.indeterminate_total = static_cast<std::uint64_t>(row.int64(column++));
    status.last_check_at = optional_time(row, column++);
    if (auto worst = row.optional_text(column++)) {
        if (auto parsed = parse_severity(*worst)) {
            status.last_worst = *parsed;
        } else {
            return Error{"unknown severity \"" + *worst + "\""};
        }
    }
    return status;
}

IdentityKey read_key(const sqlite::Statement& row, int first) {
    return IdentityKey{row.text(first), row.text(first + 1), row.text(first + 2)};
}

// Reads a `records` row: position, name, type, expected, observed, verdict, severity, message,
// server, latency_us, checked_at_ms, starting at column `first` (position is skipped).
Result<StoredRecord> read_record(const sqlite::Statement& row, int first) {
    StoredRecord record;
    int column = first + 1;
    RecordVerdict& verdict = record.verdict;
    verdict.name = row.text(column++);
    verdict.type = row.text(column++);
    verdict.expected = row.text(column++);
    verdict.observed = row.optional_text(column++);
    const std::string code = row.text(column++);
    if (auto parsed = parse_verdict_code(code)) {
        verdict.code = *parsed;
    } else {
        return Error{"record " + verdict.name + " has unknown verdict \"" + code + "\""};
    }
    const std::string severity = row.text(column++);
    if (auto parsed = parse_severity(severity)) {
        verdict.severity = *parsed;
    } else {
        return Error{"record " + verdict.name + " has unknown severity \"" + severity + "\""};
    }
    verdict.message = row.text(column++);
    verdict.server = row.text(column++);
    verdict.latency = std::chrono::microseconds{row.int64(column++)};
    record.checked_at = from_ms(row.int64(column++));
    return record;
}

std::string upsert_status_sql() {
    std::string sql = "INSERT INTO identities (account, region, domain, active, " +
                      column_list(k_status_columns, "") + ") VALUES (?1, ?2, ?3, 1";
    for (int index = 0; index < k_status_column_count; ++index) {
        sql += ", ?" + std::to_string(4 + index);
    }
    sql += ") ON CONFLICT (account, region, domain) DO UPDATE SET ";
    for (std::size_t index = 0; index < k_status_columns.size(); ++index) {
        const std::string column(k_status_columns[index]);
        sql += (index == 0 ? "" : ", ") + column + " = excluded." + column;
    }
    sql += " RETURNING id";
    return sql;
}

std::string history_sql(bool by_domain) {
    return std::string("SELECT h.id, i.account, i.region, i.domain, h.at_ms, h.event, "
                       "h.from_state, h.to_state, h.reason, h.deadline_ms, "
                       "h.reminder_threshold_ms "
                       "FROM history AS h JOIN identities AS i ON i.id = h.identity_id ") +
           (by_domain ? "WHERE i.domain = ?2 " : "") + "ORDER BY h.id DESC LIMIT ?1";
}

// The outbox columns in the order read_outbox_row() uses.
const std::string k_outbox_columns =
    "id, sink, account, region, domain, message_json, created_at_ms, status, attempts, "
    "next_attempt_at_ms, last_error, done_at_ms";

std::optional<OutboxStatus> parse_outbox_status(std::string_view text) {
    for (const auto status : {OutboxStatus::queued, OutboxStatus::sent, OutboxStatus::dropped}) {
        if (text == outbox_status_name(status)) {
            return status;
        }
    }
    return std::nullopt;
}

Result<OutboxRow> read_outbox_row(const sqlite::Statement& row) {
    OutboxRow outbox;
    outbox.id = row.int64(0);
    outbox.sink = row.text(1);
    outbox.key = read_key(row, 2);
    outbox.message_json = row.text(5);
    outbox.created_at = from_ms(row.int64(6));
    const std::string status = row.text(7);
    if (auto parsed = parse_outbox_status(status)) {
        outbox.status = *parsed;
    } else {
        return Error{"outbox row " + std::to_string(outbox.id) + " has unknown status \"" + status +
                     "\""};
    }
    outbox.attempts = static_cast<int>(row.int64(8));
    outbox.next_attempt_at = from_ms(row.int64(9));
    outbox.last_error = row.optional_text(10);
    outbox.done_at = optional_time(row, 11);
    return outbox;
}

} // namespace

std::string state_finding_text(const StateFinding& finding) {
    return "identity " + finding.key.to_string() + " " + finding.problem;
}

const char* outbox_status_name(OutboxStatus status) {
    switch (status) {
    case OutboxStatus::queued:
        return "queued";
    case OutboxStatus::sent:
        return "sent";
    case OutboxStatus::dropped:
        return "dropped";
    }
    return "unknown";
}

Result<sqlite::Done> StateStore::Impl::prepare_all() {
    sqlite3* handle = db.get();
    const std::string status_columns = column_list(k_status_columns, "");
    const std::string identity_status_columns = column_list(k_status_columns, "i.");
    const std::pair<sqlite::Statement*, std::string> statements[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&upsert_status, upsert_status_sql()},
        {&insert_event,
         "INSERT INTO history (identity_id, at_ms, event, from_state, to_state, reason, "
         "deadline_ms, reminder_threshold_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        {&delete_records, "DELETE FROM records WHERE identity_id = ?1"},
        {&insert_record, "INSERT INTO records (identity_id, " + column_list(k_record_columns, "") +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
        {&select_statuses,
         "SELECT account, region, domain, " + status_columns + " FROM identities WHERE active = 1"},
        // One statement, hence one consistent snapshot, for identities and their records.
        {&select_identities,
         "SELECT i.id, i.account, i.region, i.domain, " + identity_status_columns + ", " +
             column_list(k_record_columns, "r.") +
             " FROM identities AS i LEFT JOIN records AS r ON r.identity_id = i.id"
             " WHERE i.active = 1 ORDER BY i.account, i.region, i.domain, r.position"},
        {&select_problems, "SELECT i.account, i.region, i.domain, " +
                               column_list(k_record_columns, "r.") +
                               " FROM identities AS i JOIN records AS r ON r.identity_id = i.id"
                               " WHERE i.active = 1 AND r.severity != 'ok'"
                               " ORDER BY i.account, i.region, i.domain, r.position"},
        {&select_activity, "SELECT id, account, region, domain, active FROM identities"},
        {&update_activity, "UPDATE identities SET active = ?2 WHERE id = ?1"},
        {&select_history, history_sql(false)},
        {&select_domain_history, history_sql(true)},
        {&insert_outbox,
         "INSERT INTO outbox (sink, account, region, domain, message_json, created_at_ms, "
         "status, attempts, next_attempt_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?6)"},
        {&select_outbox_head, "SELECT " + k_outbox_columns +
                                  " FROM outbox WHERE sink = ?1 AND status = 'queued' "
                                  "ORDER BY id LIMIT 1"},
        {&select_outbox_rows,
         "SELECT " + k_outbox_columns + " FROM outbox WHERE sink = ?1 ORDER BY id"},
        {&update_outbox_sent, "UPDATE outbox SET status = 'sent', done_at_ms = ?2 "
                              "WHERE id = ?1 AND status = 'queued'"},
        {&update_outbox_retry, "UPDATE outbox SET attempts = ?2, next_attempt_at_ms = ?3, "
                               "last_error = ?4 WHERE id = ?1 AND status = 'queued'"},
        {&update_outbox_dropped, "UPDATE outbox SET status = 'dropped', done_at_ms = ?2, "
                                 "last_error = ?3 WHERE id = ?1 AND status = 'queued'"},
        {&select_outbox_depth, "SELECT count(*), min(created_at_ms) FROM outbox "
                               "WHERE sink = ?1 AND status = 'queued'"},
        {&select_outbox_queued, "SELECT " + k_outbox_columns +
                                    " FROM outbox WHERE sink = ?1 AND status = 'queued' "
                                    "ORDER BY id LIMIT ?2"},
        // The inner SELECT walks the rowid back from the newest row and stops at the first one
        // created before ?2; the outer one then reads only the rows after it.
        {&select_outbox_activity,
         "WITH recent AS (SELECT account, region, domain FROM outbox "
         "WHERE id > coalesce((SELECT id FROM outbox WHERE created_at_ms < ?2 "
         "ORDER BY id DESC LIMIT 1), 0) "
         "AND sink = ?1 AND status IN ('queued', 'sent') AND created_at_ms BETWEEN ?2 AND ?3) "
         // A grouped row's key is empty; an SES sync event (ses_sync_failing) has an account
         // and a region but no domain, and is one event, not a group (alert_event.hpp).
         "SELECT (SELECT count(*) FROM (SELECT DISTINCT account, region, domain FROM recent "
         "WHERE domain <> '' OR account <> '' OR region <> '')), "
         "(SELECT count(*) FROM recent WHERE domain = '' AND account = '' AND region = '')"},
        {&select_queued_sinks,
         "SELECT DISTINCT sink FROM outbox WHERE status = 'queued' ORDER BY sink"},
        // Copies ?1's queued rows to ?2 in id order (AUTOINCREMENT: the copies' ids grow alike).
        {&copy_queued,
         "INSERT INTO outbox (sink, account, region, domain, message_json, created_at_ms, "
         "status, attempts, next_attempt_at_ms, last_error) "
         "SELECT ?2, account, region, domain, message_json, created_at_ms, 'queued', 0, "
         "created_at_ms, last_error FROM outbox WHERE sink = ?1 AND status = 'queued' ORDER BY id"},
        {&move_queued, "UPDATE outbox SET sink = ?2, attempts = 0, next_attempt_at_ms = "
                       "created_at_ms WHERE sink = ?1 AND status = 'queued'"},
    };
    for (const auto& [statement, sql] : statements) {
        auto prepared = sqlite::Statement::prepare(handle, sql);
        if (!prepared) {
            return error(prepared.error());
        }
        *statement = std::move(prepared).value();
    }
    return sqlite::Done{};
}

Result<sqlite::Done> StateStore::Impl::require_writable() const {
    if (mode != Mode::read_write) {
        return error("opened read-only; cannot write");
    }
    return sqlite::Done{};
}

Result<std::int64_t> StateStore::Impl::write_status(const IdentityKey& key,
                                                    const IdentityStatus& status,
                                                    std::span<const StateEvent> events) {
    std::int64_t identity_id = 0;
    {
        auto use = upsert_status.use();
        upsert_status.bind(1, std::string_view(key.account));
        upsert_status.bind(2, std::string_view(key.region));
        upsert_status.bind(3, std::string_view(key.domain));
        bind_status(upsert_status, 4, status);
        auto row = upsert_status.step();
        if (!row) {
            return Error{row.error()};
        }
        if (!*row) {
            return Error{"the upsert returned no id"};
        }
        identity_id = upsert_status.int64(0);
        if (auto done = upsert_status.run(); !done) {
            return Error{done.error()};
        }
    }
    for (const StateEvent& event : events) {
        auto use = insert_event.use();
        insert_event.bind(1, identity_id);
        insert_event.bind(2, to_ms(event.at));
        insert_event.bind(3, std::string_view(state_event_kind_name(event.kind)));
        insert_event.bind(4, std::string_view(identity_state_name(event.from)));
        insert_event.bind(5, std::string_view(identity_state_name(event.to)));
        insert_event.bind(6, std::string_view(event.reason));
        insert_event.bind(7, to_ms(event.deadline));
        insert_event.bind(8, to_ms(event.reminder_threshold));
        if (auto done = insert_event.run(); !done) {
            return Error{done.error()};
        }
    }
    return identity_id;
}

Result<sqlite::Done> StateStore::Impl::replace_records(std::int64_t identity_id,
                                                       std::span<const RecordVerdict> records,
                                                       TimePoint checked_at) {
    {
        auto use = delete_records.use();
        delete_records.bind(1, identity_id);
        if (auto done = delete_records.run(); !done) {
            return done;
        }
    }
    std::int64_t position = 0;
    for (const RecordVerdict& record : records) {
        auto use = insert_record.use();
        insert_record.bind(1, identity_id);
        insert_record.bind(2, position++);
        insert_record.bind(3, std::string_view(record.name));
        insert_record.bind(4, std::string_view(record.type));
        insert_record.bind(5, std::string_view(record.expected));
        insert_record.bind(6, record.observed);
        insert_record.bind(7, std::string_view(verdict_code_name(record.code)));
        insert_record.bind(8, std::string_view(severity_name(record.severity)));
        insert_record.bind(9, std::string_view(record.message));
        insert_record.bind(10, std::string_view(record.server));
        insert_record.bind(11, static_cast<std::int64_t>(record.latency.count()));
        insert_record.bind(12, to_ms(checked_at));
        if (auto done = insert_record.run(); !done) {
            return done;
        }
    }
    return sqlite::Done{};
}

Result<sqlite::Done> StateStore::Impl::insert_outbox_rows(std::span<const OutboxRowInsert> alerts) {
    for (const OutboxRowInsert& alert : alerts) {
        auto use = insert_outbox.use();
        insert_outbox.bind(1, std::string_view(alert.sink));
        insert_outbox.bind(2, std::string_view(alert.key.account));
        insert_outbox.bind(3, std::string_view(alert.key.region));
        insert_outbox.bind(4, std::string_view(alert.key.domain));
        insert_outbox.bind(5, std::string_view(alert.message_json));
        insert_outbox.bind(6, to_ms(alert.created_at));
        if (auto done = insert_outbox.run(); !done) {
            return Error{"queueing an alert for sink " + alert.sink + ": " + done.error()};
        }
    }
    return sqlite::Done{};
}

Result<StoreOk> StateStore::Impl::update_queued_row(sqlite::Statement& statement, std::int64_t id) {
    if (auto writable = require_writable(); !writable) {
        return Error{writable.error()};
    }
    if (auto done = statement.run(); !done) {
        return error(done.error());
    }
    if (sqlite3_changes(db.get()) != 1) {
        return error("outbox row " + std::to_string(id) + " is not queued");
    }
    return StoreOk{};
}

Result<std::vector<OutboxRow>> StateStore::Impl::read_outbox_rows(sqlite::Statement& statement) {
    std::vector<OutboxRow> rows;
    auto read = each_row(statement, [&]() -> Result<sqlite::Done> {
        auto outbox = read_outbox_row(statement);
        if (!outbox) {
            return Error{outbox.error()};
        }
        rows.push_back(std::move(outbox).value());
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return rows;
}

template <typename Bind>
Result<StoreOk> StateStore::Impl::update_queued_rows(sqlite::Statement& update,
                                                     std::span<const std::int64_t> ids, Bind bind) {
    if (auto writable = require_writable(); !writable) {
        return Error{writable.error()};
    }
    auto transaction = sqlite::WriteTransaction::begin(begin, commit, rollback);
    if (!transaction) {
        return error(transaction.error());
    }
    for (const std::int64_t id : ids) {
        auto use = update.use();
        update.bind(1, id);
        bind(update);
        if (auto updated = update_queued_row(update, id); !updated) {
            return updated; // the transaction rolls back
        }
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return error(committed.error());
    }
    return StoreOk{};
}

Error StateStore::Impl::refusal(std::string_view what) const {
    const std::string file = path.string();
    return Error{std::string(what) + ". dkimwatch does not replace an existing file. To start " +
                 "afresh (its history and deadlines are lost), move it aside: mv " + file + " " +
                 file + ".bad; then `dkimwatch run` creates a new one"};
}

namespace {
// SQLite's messages for a file that is not a database or a damaged one (as opposed to, say, a
// permission error, which is reported as it is).
bool is_damage(const std::string& message) {
    return message == sqlite3_errstr(SQLITE_NOTADB) || message == sqlite3_errstr(SQLITE_CORRUPT);
}
} // namespace

Result<sqlite::Done> StateStore::Impl::check_existing_file() {
    sqlite3* handle = db.get();
    // The first read of the file: "file is not a database" for anything that is not SQLite.
    auto version = state_schema_version(handle);
    if (!version && is_damage(version.error())) {
        return refusal(label + " is damaged or not a state database (" + version.error() + ")");
    }
    if (!version) {
        return error(version.error());
    }
    if (*version == 0) {
        return refusal(label + " holds no dkimwatch state (it is empty, or another program's " +
                       "database)");
    }
    auto damage = check_database_integrity(handle);
    if (!damage && is_damage(damage.error())) {
        return refusal(label + " is damaged (PRAGMA quick_check: " + damage.error() + ")");
    }
    if (!damage) {
        return error(damage.error());
    }
    if (*damage) {
        return refusal(label + " is damaged (PRAGMA quick_check: " + **damage + ")");
    }
    return sqlite::Done{};
}

Result<sqlite::Done> StateStore::Impl::check_rows() {
    auto found = check_identity_rows(
        db.get(), std::chrono::floor<Milliseconds>(std::chrono::system_clock::now()));
    if (!found) {
        return error(found.error());
    }
    std::string corrupt;
    for (auto& finding : *found) {
        if (finding.corrupt) {
            corrupt += (corrupt.empty() ? "" : "; ") + state_finding_text(finding);
        } else {
            findings.push_back(std::move(finding));
        }
    }
    if (!corrupt.empty()) {
        return refusal(label + " has corrupt rows: " + corrupt +
                       ". Correct them with sqlite3, or start afresh");
    }
    return sqlite::Done{};
}

StateStore::StateStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
StateStore::~StateStore() = default;

int StateStore::schema_version() {
    return static_cast<int>(state_schema_migrations().size());
}

const std::filesystem::path& StateStore::path() const {
    return m_impl->path;
}

const std::vector<StateFinding>& StateStore::findings() const {
    return m_impl->findings;
}

Result<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& file, Mode mode) {
    auto impl = std::make_unique<Impl>();
    impl->path = file;
    impl->label = "state database " + file.string();
    impl->mode = mode;
    const bool writable = mode == Mode::read_write;

    std::error_code ignored;
    const bool existed =
        std::filesystem::status(file, ignored).type() != std::filesystem::file_type::not_found;
    if (!writable && !existed) {
        return Error{"no state yet: " + impl->label + " does not exist (has the daemon run?)"};
    }

    // NOMUTEX: one thread at a time per StateStore is the documented contract.
    const int flags =
        (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
        SQLITE_OPEN_NOMUTEX;
    if (writable) {
        // 0600 whatever the umask: the outbox and history are for the daemon's user only.
        if (auto made = sqlite::make_private(file); !made) {
            return Error{made.error()};
        }
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    impl->db.reset(raw);
    if (rc != SQLITE_OK) {
        return impl->error(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    }
    sqlite3* db = impl->db.get();
    sqlite3_busy_timeout(db, static_cast<int>(k_state_store_busy_timeout.count()));
    if (existed) {
        if (auto checked = impl->check_existing_file(); !checked) {
            return Error{checked.error()};
        }
    }

    if (writable) {
        // WAL: readers (`dkimwatch status`) and the writer do not block each other, and a
        // commit is one append to the -wal file. journal_mode is persistent in the file.
        auto journal = sqlite::Statement::prepare(db, "PRAGMA journal_mode=WAL");
        if (!journal) {
            return impl->error(journal.error());
        }
        auto row = journal.value().step();
        if (!row) {
            return impl->error(row.error());
        }
        const std::string journal_mode = *row ? journal.value().text(0) : std::string();
        if (journal_mode != "wal") {
            return impl->error("cannot enable WAL mode (journal_mode is \"" + journal_mode + "\")");
        }
        journal = sqlite::Statement();
        // synchronous=NORMAL in WAL mode: a commit is written to the -wal file before COMMIT
        // returns, and fsync happens at checkpoints. A committed transaction therefore
        // survives any crash of this process (kill -9); only an OS crash or power loss can
        // roll back the last commits, and never corrupts the database.
        if (auto set = sqlite::exec(db, "PRAGMA synchronous=NORMAL"); !set) {
            return impl->error(set.error());
        }
    }
    // Per connection; off by default in SQLite.
    if (auto set = sqlite::exec(db, "PRAGMA foreign_keys=ON"); !set) {
        return impl->error(set.error());
    }

    const int known = schema_version();
    if (writable) {
        auto migrated =
            migrate_state_schema(db, state_schema_migrations(), std::chrono::system_clock::now());
        if (!migrated) {
            return impl->error(migrated.error());
        }
    } else {
        auto version = state_schema_version(db);
        if (!version) {
            return impl->error(version.error());
        }
        if (*version == 0) {
            return Error{"no state yet: " + impl->label + " is empty (has the daemon run?)"};
        }
        if (*version > known) {
            return impl->error(newer_schema_message(*version, known));
        }
        if (*version < known) {
            return impl->error("schema version " + std::to_string(*version) +
                               " is older than this dkimwatch's " + std::to_string(known) +
                               "; start the daemon (dkimwatch run) once to upgrade it");
        }
    }

    if (auto prepared = impl->prepare_all(); !prepared) {
        return Error{prepared.error()};
    }
    if (auto checked = impl->check_rows(); !checked) {
        return Error{checked.error()};
    }
    return std::unique_ptr<StateStore>(new StateStore(std::move(impl)));
}

Result<std::map<IdentityKey, IdentityStatus>> StateStore::load_statuses() {
    auto& statement = m_impl->select_statuses;
    auto use = statement.use();
    std::map<IdentityKey, IdentityStatus> statuses;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        IdentityKey key = read_key(statement, 0);
        auto status = read_status(statement, 3);
        if (!status) {
            return Error{"identity " + key.to_string() + " has " + status.error()};
        }
        statuses.emplace(std::move(key), std::move(status).value());
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return statuses;
}

Result<StoreOk> StateStore::save(std::span<const CheckToSave> batch,
                                 std::span<const OutboxRowInsert> alerts) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return m_impl->error(transaction.error());
    }
    for (const CheckToSave& item : batch) {
        auto identity_id = m_impl->write_status(item.key, item.status, item.events);
        if (!identity_id) {
            return m_impl->error("saving " + item.key.to_string() + ": " + identity_id.error());
        }
        if (item.keep_records) {
            continue;
        }
        auto replaced = m_impl->replace_records(*identity_id, item.records, item.checked_at);
        if (!replaced) {
            return m_impl->error("saving " + item.key.to_string() + ": " + replaced.error());
        }
    }
    if (auto queued = m_impl->insert_outbox_rows(alerts); !queued) {
        return m_impl->error(queued.error());
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return m_impl->error(committed.error());
    }
    return StoreOk{};
}

Result<StoreOk> StateStore::save_status(const IdentityKey& key, const IdentityStatus& status,
                                        std::span<const StateEvent> events,
                                        std::span<const OutboxRowInsert> alerts) {
    CheckToSave item{key, status, {events.begin(), events.end()}, {}, {}};
    item.keep_records = true;
    return save(std::span(&item, 1), alerts);
}

Result<StoreOk> StateStore::set_active_identities(std::span<const IdentityKey> active) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    const std::set<IdentityKey> wanted(active.begin(), active.end());
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return m_impl->error(transaction.error());
    }
    // Only rows whose flag changes are written: a reload with an unchanged inventory costs one
    // read of the table.
    std::vector<std::pair<std::int64_t, bool>> changes;
    {
        auto& statement = m_impl->select_activity;
        auto use = statement.use();
        auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
            const bool is_active = statement.int64(4) != 0;
            const bool should_be = wanted.contains(read_key(statement, 1));
            if (is_active != should_be) {
                changes.emplace_back(statement.int64(0), should_be);
            }
            return sqlite::Done{};
        });
        if (!read) {
            return Error{read.error()};
        }
    }
    for (const auto& [identity_id, flag] : changes) {
        auto& statement = m_impl->update_activity;
        auto use = statement.use();
        statement.bind(1, identity_id);
        statement.bind(2, std::int64_t{flag ? 1 : 0});
        if (auto done = statement.run(); !done) {
            return m_impl->error(done.error());
        }
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return m_impl->error(committed.error());
    }
    return StoreOk{};
}

Result<std::vector<StoredIdentity>> StateStore::list_identities() {
    auto& statement = m_impl->select_identities;
    auto use = statement.use();
    constexpr int k_record_first = 4 + k_status_column_count;
    std::vector<StoredIdentity> identities;
    std::int64_t current_id = 0;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        const std::int64_t identity_id = statement.int64(0);
        if (identities.empty() || identity_id != current_id) {
            current_id = identity_id;
            StoredIdentity identity;
            identity.key = read_key(statement, 1);
            auto status = read_status(statement, 4);
            if (!status) {
                return Error{"identity " + identity.key.to_string() + " has " + status.error()};
            }
            identity.status = std::move(status).value();
            identity.active = true;
            identities.push_back(std::move(identity));
        }
        if (!statement.is_null(k_record_first)) { // LEFT JOIN: NULL when it has no records
            auto record = read_record(statement, k_record_first);
            if (!record) {
                return Error{"identity " + identities.back().key.to_string() + ": " +
                             record.error()};
            }
            identities.back().records.push_back(std::move(record).value());
        }
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return identities;
}

Result<std::map<IdentityKey, bool>> StateStore::identity_activity() {
    auto& statement = m_impl->select_activity;
    auto use = statement.use();
    std::map<IdentityKey, bool> activity;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        activity.emplace(read_key(statement, 1), statement.int64(4) != 0);
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return activity;
}

Result<std::vector<StoredProblem>> StateStore::problem_records() {
    auto& statement = m_impl->select_problems;
    auto use = statement.use();
    std::vector<StoredProblem> problems;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        IdentityKey key = read_key(statement, 0);
        auto record = read_record(statement, 3);
        if (!record) {
            return Error{"identity " + key.to_string() + ": " + record.error()};
        }
        problems.push_back({std::move(key), std::move(record.value().verdict)});
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return problems;
}

Result<std::vector<HistoryEntry>> StateStore::history(const std::optional<std::string>& domain,
                                                      std::size_t limit) {
    auto& statement = domain ? m_impl->select_domain_history : m_impl->select_history;
    auto use = statement.use();
    // SQLite: a negative LIMIT means none.
    const std::int64_t sql_limit =
        limit == 0
            ? -1
            : static_cast<std::int64_t>(std::min<std::size_t>(
                  limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
    statement.bind(1, sql_limit);
    if (domain) {
        statement.bind(2, std::string_view(*domain));
    }
    std::vector<HistoryEntry> entries;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        HistoryEntry entry;
        entry.id = statement.int64(0);
        entry.key = read_key(statement, 1);
        entry.at = from_ms(statement.int64(4));
        entry.event = statement.text(5);
        entry.from_state = statement.text(6);
        entry.to_state = statement.text(7);
        entry.reason = statement.text(8);
        entry.deadline = optional_time(statement, 9);
        entry.reminder_threshold = optional_duration(statement, 10);
        entries.push_back(std::move(entry));
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    // Selected newest first so that LIMIT keeps the latest; returned oldest first.
    std::reverse(entries.begin(), entries.end());
    return entries;
}

Result<StoreOk> StateStore::outbox_insert(std::span<const OutboxRowInsert> alerts) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return m_impl->error(transaction.error());
    }
    if (auto queued = m_impl->insert_outbox_rows(alerts); !queued) {
        return m_impl->error(queued.error());
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return m_impl->error(committed.error());
    }
    return StoreOk{};
}

Result<std::optional<OutboxRow>> StateStore::next_outbox(const std::string& sink) {
    auto& statement = m_impl->select_outbox_head;
    auto use = statement.use();
    statement.bind(1, std::string_view(sink));
    auto rows = m_impl->read_outbox_rows(statement);
    if (!rows) {
        return Error{rows.error()};
    }
    if (rows->empty()) {
        return std::optional<OutboxRow>{};
    }
    return std::optional<OutboxRow>{std::move(rows).value().front()};
}

Result<StoreOk> StateStore::outbox_mark_sent(std::int64_t id, TimePoint at) {
    return outbox_mark_sent(std::span(&id, 1), at);
}

Result<StoreOk> StateStore::outbox_retry(std::int64_t id, int attempts, TimePoint next_attempt_at,
                                         const std::string& last_error) {
    auto& statement = m_impl->update_outbox_retry;
    auto use = statement.use();
    statement.bind(1, id);
    statement.bind(2, std::int64_t{attempts});
    statement.bind(3, to_ms(next_attempt_at));
    statement.bind(4, std::string_view(last_error));
    return m_impl->update_queued_row(statement, id);
}

Result<StoreOk> StateStore::outbox_drop(std::int64_t id, TimePoint at, const std::string& reason) {
    return outbox_drop(std::span(&id, 1), at, reason);
}

Result<OutboxDepth> StateStore::outbox_depth(const std::string& sink) {
    auto& statement = m_impl->select_outbox_depth;
    auto use = statement.use();
    statement.bind(1, std::string_view(sink));
    auto row = statement.step();
    if (!row) {
        return m_impl->error(row.error());
    }
    OutboxDepth depth;
    if (*row) {
        depth.count = static_cast<std::size_t>(statement.int64(0));
        depth.oldest = optional_time(statement, 1);
    }
    return depth;
}

Result<std::vector<OutboxRow>> StateStore::outbox_rows(const std::string& sink) {
    auto& statement = m_impl->select_outbox_rows;
    auto use = statement.use();
    statement.bind(1, std::string_view(sink));
    return m_impl->read_outbox_rows(statement);
}

Result<std::vector<OutboxRow>> StateStore::outbox_queued(const std::string& sink,
                                                         std::size_t limit) {
    auto& statement = m_impl->select_outbox_queued;
    auto use = statement.use();
    statement.bind(1, std::string_view(sink));
    statement.bind(2,
                   static_cast<std::int64_t>(std::min<std::size_t>(
                       limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
    return m_impl->read_outbox_rows(statement);
}

Result<OutboxActivity> StateStore::outbox_activity(const std::string& sink, TimePoint from,
                                                   TimePoint to) {
    auto& statement = m_impl->select_outbox_activity;
    auto use = statement.use();
    statement.bind(1, std::string_view(sink));
    statement.bind(2, to_ms(from));
    statement.bind(3, to_ms(to));
    auto row = statement.step();
    if (!row) {
        return m_impl->error(row.error());
    }
    OutboxActivity activity;
    if (*row) {
        activity.identities = static_cast<std::size_t>(statement.int64(0));
        activity.grouped_rows = static_cast<std::size_t>(statement.int64(1));
    }
    return activity;
}

Result<std::vector<std::string>> StateStore::outbox_queued_sinks() {
    auto& statement = m_impl->select_queued_sinks;
    auto use = statement.use();
    std::vector<std::string> sinks;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        sinks.push_back(statement.text(0));
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return sinks;
}

Result<std::size_t> StateStore::rekey_queued(const std::string& from,
                                             std::span<const std::string> to) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    if (to.empty() || std::find(to.begin(), to.end(), from) != to.end()) {
        return m_impl->error("moving the queued alerts of " + from +
                             ": the new keys must be given, without the old one");
    }
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return m_impl->error(transaction.error());
    }
    const auto run = [&](sqlite::Statement& statement,
                         const std::string& key) -> Result<sqlite::Done> {
        auto use = statement.use();
        statement.bind(1, std::string_view(from));
        statement.bind(2, std::string_view(key));
        return statement.run();
    };
    // The copies first, from the rows while they are still under `from`.
    for (std::size_t index = 1; index < to.size(); ++index) {
        if (auto copied = run(m_impl->copy_queued, to[index]); !copied) {
            return m_impl->error("moving the queued alerts of " + from + ": " + copied.error());
        }
    }
    if (auto moved = run(m_impl->move_queued, to.front()); !moved) {
        return m_impl->error("moving the queued alerts of " + from + ": " + moved.error());
    }
    const auto rows = static_cast<std::size_t>(sqlite3_changes(m_impl->db.get()));
    if (auto committed = transaction.value().commit(); !committed) {
        return m_impl->error(committed.error());
    }
    return rows;
}

Result<StoreOk> StateStore::outbox_mark_sent(std::span<const std::int64_t> ids, TimePoint at) {
    return m_impl->update_queued_rows(
        m_impl->update_outbox_sent, ids,
        [&](sqlite::Statement& update) { update.bind(2, to_ms(at)); });
}

Result<StoreOk> StateStore::outbox_drop(std::span<const std::int64_t> ids, TimePoint at,
                                        const std::string& reason) {
    return m_impl->update_queued_rows(m_impl->update_outbox_dropped, ids,
                                      [&](sqlite::Statement& update) {
                                          update.bind(2, to_ms(at));
                                          update.bind(3, std::string_view(reason));
                                      });
}

} // namespace dkimwatch
