// StateStore::open's checks of an existing file (store/state_consistency.hpp): files that hold
// no dkimwatch state are refused, never re-created; quick_check; the identity row checks and
// StateStore::findings().
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::full_status;
using store_test::k_t0;
using store_test::open_store;
using store_test::TempDir;
using Mode = StateStore::Mode;

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"111122223333", "eu-west-1", "beta.example"};

std::string error_of(const Result<std::unique_ptr<StateStore>>& result) {
    EXPECT_FALSE(result.ok());
    return result.ok() ? std::string("(no error)") : result.error();
}

std::string hint(const std::filesystem::path& db) {
    return ". dkimwatch does not replace an existing file. To start afresh (its history and "
           "deadlines are lost), move it aside: mv " +
           db.string() + " " + db.string() + ".bad; then `dkimwatch run` creates a new one";
}

void exec_raw(const std::filesystem::path& file, const char* sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite::DbHandle db(raw);
    auto done = sqlite::exec(db.get(), sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << (done.ok() ? "" : done.error());
}

// A database with alpha in revocation_warning (deadline set) and beta verified, closed.
void make_database(const TempDir& dir) {
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    IdentityStatus warning = full_status();
    warning.since = k_t0;
    warning.first_failure_at = k_t0 - 1min;
    warning.deadline = k_t0 + 119h;
    warning.indeterminate_since = k_t0;
    warning.last_check_at = k_t0;
    ASSERT_TRUE(store->save_status(k_alpha, warning, {}).ok());
    IdentityStatus verified = warning;
    verified.state = IdentityState::verified;
    verified.deadline.reset();
    ASSERT_TRUE(store->save_status(k_beta, verified, {}).ok());
    EXPECT_TRUE(store->findings().empty());
}

TEST(StateConsistency, AnEmptyFileIsRefusedAndLeftAsItIs) {
    TempDir dir;
    std::ofstream(dir.db()).close();
    const std::string expected =
        "state database " + dir.db().string() +
        " holds no dkimwatch state (it is empty, or another program's database)" + hint(dir.db());
    EXPECT_EQ(error_of(StateStore::open(dir.db(), Mode::read_write)), expected);
    EXPECT_EQ(error_of(StateStore::open(dir.db(), Mode::read_only)), expected);
    EXPECT_EQ(std::filesystem::file_size(dir.db()), 0U);
    EXPECT_FALSE(std::filesystem::exists(dir.db().string() + "-wal"));
}

TEST(StateConsistency, AnotherProgramsDatabaseIsRefused) {
    TempDir dir;
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
                  SQLITE_OK);
        sqlite::DbHandle db(raw);
        ASSERT_TRUE(sqlite::exec(db.get(), "CREATE TABLE notes (text TEXT)").ok());
    }
    EXPECT_NE(error_of(StateStore::open(dir.db(), Mode::read_write)).find("holds no dkimwatch"),
              std::string::npos);
    // Nothing was added to it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite::DbHandle db(raw);
    auto count = sqlite::Statement::prepare(db.get(), "SELECT count(*) FROM sqlite_schema");
    ASSERT_TRUE(count.ok());
    ASSERT_TRUE(count.value().step().ok());
    EXPECT_EQ(count.value().int64(0), 1);
}

TEST(StateConsistency, ANonSqliteFileIsRefusedWithTheHint) {
    TempDir dir;
    std::ofstream(dir.db()) << "this is not an SQLite database, just some text that is long "
                               "enough to fill the 100-byte header of a database file.....";
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        EXPECT_EQ(error_of(StateStore::open(dir.db(), mode)),
                  "state database " + dir.db().string() +
                      " is damaged or not a state database (file is not a database)" +
                      hint(dir.db()));
    }
}

TEST(StateConsistency, ADamagedFileFailsQuickCheck) {
    TempDir dir;
    make_database(dir);
    // Closing the last connection checkpointed the WAL into the file. Overwrite the identities
    // table's page (the third page: schema, schema_migrations, identities) after its header.
    const auto size = std::filesystem::file_size(dir.db());
    ASSERT_GT(size, 4U * 4096U);
    {
        std::fstream file(dir.db(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(2 * 4096 + 8);
        const std::string garbage(200, '\xff');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        const std::string error = error_of(StateStore::open(dir.db(), mode));
        EXPECT_EQ(error.rfind("state database " + dir.db().string() + " is damaged", 0), 0U)
            << error;
        EXPECT_NE(error.find(hint(dir.db())), std::string::npos) << error;
    }
}

TEST(StateConsistency, AWarningWithoutDeadlineIsAFindingInBothModes) {
    TempDir dir;
    make_database(dir);
    exec_raw(dir.db(), "UPDATE identities SET deadline_ms = NULL WHERE domain = 'alpha.example'");
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        auto store = open_store(dir.db(), mode);
        ASSERT_NE(store, nullptr);
        ASSERT_EQ(store->findings().size(), 1U);
        EXPECT_EQ(state_finding_text(store->findings()[0]),
                  "identity 111122223333/us-east-1/alpha.example is in revocation_warning "
                  "without a deadline");
        EXPECT_FALSE(store->findings()[0].corrupt);
        // The row still loads, deadline empty: the daemon repairs it.
        auto statuses = store->load_statuses();
        ASSERT_TRUE(statuses.ok());
        EXPECT_FALSE(statuses->at(k_alpha).deadline);
    }
}

TEST(StateConsistency, ImplausibleTimesAndMisplacedDeadlinesAreFindings) {
    TempDir dir;
    make_database(dir);
    exec_raw(dir.db(),
             "UPDATE identities SET since_ms = 1000, last_check_at_ms = 99999999999999 "
             "WHERE domain = 'alpha.example';"
             "UPDATE identities SET deadline_ms = 1714564800000 WHERE domain = 'beta.example'");
    auto store = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(store, nullptr);
    std::vector<std::string> texts;
    for (const auto& finding : store->findings()) {
        texts.push_back(state_finding_text(finding));
    }
    EXPECT_EQ(texts, (std::vector<std::string>{
                         "identity 111122223333/eu-west-1/beta.example has a deadline "
                         "(2024-05-01T12:00:00Z) although it is in verified",
                         "identity 111122223333/us-east-1/alpha.example since "
                         "1970-01-01T00:00:01Z is before 2000",
                         "identity 111122223333/us-east-1/alpha.example last_check_at "
                         "5138-11-16T09:46:39Z is in the future",
                     }));
}

TEST(StateConsistency, ADeadlineBeforeItsFirstFailureIsAFinding) {
    TempDir dir;
    make_database(dir);
    exec_raw(dir.db(), "UPDATE identities SET deadline_ms = first_failure_at_ms - 1 "
                       "WHERE domain = 'alpha.example'");
    auto store = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->findings().size(), 1U);
    EXPECT_NE(store->findings()[0].problem.find("is not after its first failing check"),
              std::string::npos);
}

TEST(StateConsistency, AnUnknownStateRefusesTheFile) {
    TempDir dir;
    make_database(dir);
    exec_raw(dir.db(), "UPDATE identities SET state = 'sleeping' WHERE domain = 'beta.example'");
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        const std::string error = error_of(StateStore::open(dir.db(), mode));
        EXPECT_EQ(error, "state database " + dir.db().string() +
                             " has corrupt rows: identity 111122223333/eu-west-1/beta.example "
                             "has the unknown state \"sleeping\". Correct them with sqlite3, or "
                             "start afresh" +
                             hint(dir.db()));
    }
}

TEST(StateConsistency, AMissingFileIsCreatedAsBefore) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->findings().empty());
    store.reset();
    // And opens again without complaint.
    EXPECT_NE(open_store(dir.db()), nullptr);
}

} // namespace
} // namespace dkimwatch
