#include "store/sqlite.hpp"

#include <gtest/gtest.h>

namespace dkimwatch::sqlite {
namespace {

class Sqlite : public ::testing::Test {
protected:
    void SetUp() override {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        m_db.reset(raw);
        ASSERT_TRUE(exec(db(), "CREATE TABLE t (x INTEGER, y TEXT)").ok());
    }
    sqlite3* db() { return m_db.get(); }
    Statement prepare(const char* sql) {
        auto statement = Statement::prepare(db(), sql);
        EXPECT_TRUE(statement.ok()) << sql << ": " << (statement.ok() ? "" : statement.error());
        return statement.ok() ? std::move(statement).value() : Statement();
    }
    std::int64_t count() {
        auto statement = prepare("SELECT count(*) FROM t");
        EXPECT_TRUE(statement.step().ok());
        return statement.int64(0);
    }

    DbHandle m_db;
};

TEST_F(Sqlite, ErrorsAreSqlitesMessages) {
    auto bad = Statement::prepare(db(), "SELEC 1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "near \"SELEC\": syntax error");
    auto failed = exec(db(), "INSERT INTO missing VALUES (1)");
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error(), "no such table: missing");
}

TEST_F(Sqlite, AStatementIsReusedWithFreshBindings) {
    auto insert = prepare("INSERT INTO t VALUES (?1, ?2)");
    {
        auto use = insert.use();
        insert.bind(1, std::int64_t{7});
        insert.bind(2, std::optional<std::string>("seven"));
        ASSERT_TRUE(insert.run().ok());
    }
    {
        auto use = insert.use(); // no bindings: both NULL, not 7 and "seven"
        ASSERT_TRUE(insert.run().ok());
    }
    auto select = prepare("SELECT x, y FROM t ORDER BY rowid");
    auto use = select.use();
    ASSERT_TRUE(*select.step());
    EXPECT_EQ(select.optional_int64(0), std::optional<std::int64_t>(7));
    EXPECT_EQ(select.text(1), "seven");
    ASSERT_TRUE(*select.step());
    EXPECT_TRUE(select.is_null(0));
    EXPECT_EQ(select.optional_text(1), std::nullopt);
    EXPECT_FALSE(*select.step());
}

TEST_F(Sqlite, ABindErrorIsReportedByStep) {
    auto insert = prepare("INSERT INTO t VALUES (?1, ?2)");
    auto use = insert.use();
    insert.bind(3, std::int64_t{1}); // there is no ?3
    auto done = insert.run();
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error(), "binding a parameter: column index out of range");
    EXPECT_EQ(count(), 0);
}

TEST_F(Sqlite, ATransactionRollsBackUnlessCommitted) {
    auto begin = prepare("BEGIN IMMEDIATE");
    auto commit = prepare("COMMIT");
    auto rollback = prepare("ROLLBACK");
    {
        auto transaction = WriteTransaction::begin(begin, commit, rollback);
        ASSERT_TRUE(transaction.ok()) << transaction.error();
        ASSERT_TRUE(exec(db(), "INSERT INTO t VALUES (1, 'a')").ok());
    }
    EXPECT_EQ(count(), 0);
    {
        auto transaction = WriteTransaction::begin(begin, commit, rollback);
        ASSERT_TRUE(transaction.ok()) << transaction.error();
        ASSERT_TRUE(exec(db(), "INSERT INTO t VALUES (1, 'a')").ok());
        ASSERT_TRUE(transaction.value().commit().ok());
    }
    EXPECT_EQ(count(), 1);
}

} // namespace
} // namespace dkimwatch::sqlite
