#include "store/schema.hpp"
#include "store_test_support.hpp"

#include <array>
#include <chrono>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using store_test::TempDir;

const std::chrono::system_clock::time_point k_now{std::chrono::milliseconds{1'714'564'800'123}};

class Schema : public ::testing::Test {
protected:
    void SetUp() override {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(m_dir.db().c_str(), &raw,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
                  SQLITE_OK);
        m_db.reset(raw);
    }

    sqlite3* db() { return m_db.get(); }

    int version() {
        auto version = state_schema_version(db());
        EXPECT_TRUE(version.ok()) << (version.ok() ? "" : version.error());
        return version.ok() ? *version : -1;
    }

    bool has_table(const char* name) {
        auto statement = sqlite::Statement::prepare(
            db(), "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
        EXPECT_TRUE(statement.ok());
        statement.value().bind(1, std::string_view(name));
        auto row = statement.value().step();
        EXPECT_TRUE(row.ok() && *row);
        return statement.value().int64(0) == 1;
    }

    TempDir m_dir;
    sqlite::DbHandle m_db;
};

TEST_F(Schema, AnEmptyDatabaseIsAtVersionZero) {
    EXPECT_EQ(version(), 0);
}

TEST_F(Schema, TheRealMigrationsCreateTheTables) {
    auto reached = migrate_state_schema(db(), state_schema_migrations(), k_now);
    ASSERT_TRUE(reached.ok()) << reached.error();
    EXPECT_EQ(*reached, 3);
    EXPECT_EQ(version(), 3);
    for (const char* table :
         {"identities", "records", "history", "outbox", "schema_migrations", "ses_inventories",
          "ses_identities", "ses_identity_values", "ses_findings"}) {
        EXPECT_TRUE(has_table(table)) << table;
    }
    auto applied = sqlite::Statement::prepare(
        db(), "SELECT version, applied_at_ms FROM schema_migrations ORDER BY version");
    ASSERT_TRUE(applied.ok());
    auto row = applied.value().step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(applied.value().int64(0), 1);
    EXPECT_EQ(applied.value().int64(1), 1'714'564'800'123);
    // Idempotent.
    reached = migrate_state_schema(db(), state_schema_migrations(), k_now);
    ASSERT_TRUE(reached.ok()) << reached.error();
    EXPECT_EQ(*reached, 3);
}

TEST_F(Schema, AnOlderDatabaseGetsOnlyTheMissingSteps) {
    const std::array<std::string_view, 1> v1{"CREATE TABLE a (x INTEGER)"};
    const std::array<std::string_view, 3> v3{
        "CREATE TABLE a (x INTEGER)",
        "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1)",
        "CREATE TABLE c (x INTEGER)",
    };
    auto reached = migrate_state_schema(db(), v1, k_now);
    ASSERT_TRUE(reached.ok()) << reached.error();
    EXPECT_EQ(*reached, 1);
    // Step 1 again would fail with "table a already exists".
    reached = migrate_state_schema(db(), v3, k_now);
    ASSERT_TRUE(reached.ok()) << reached.error();
    EXPECT_EQ(*reached, 3);
    EXPECT_EQ(version(), 3);
    EXPECT_TRUE(has_table("b"));
    EXPECT_TRUE(has_table("c"));
}

TEST_F(Schema, AFailingStepIsRolledBackAndKeepsTheEarlierOnes) {
    const std::array<std::string_view, 3> steps{
        "CREATE TABLE a (x INTEGER)",
        "CREATE TABLE b (x INTEGER); THIS IS NOT SQL",
        "CREATE TABLE c (x INTEGER)",
    };
    auto reached = migrate_state_schema(db(), steps, k_now);
    ASSERT_FALSE(reached.ok());
    EXPECT_EQ(reached.error(), "schema migration 2 failed: near \"THIS\": syntax error");
    EXPECT_EQ(version(), 1);
    EXPECT_TRUE(has_table("a"));
    EXPECT_FALSE(has_table("b"));
    EXPECT_FALSE(has_table("c"));
    // The connection is usable (no transaction left open).
    EXPECT_TRUE(sqlite::exec(db(), "BEGIN IMMEDIATE; COMMIT").ok());
}

TEST_F(Schema, ANewerDatabaseIsRefusedUntouched) {
    const std::array<std::string_view, 2> v2{"CREATE TABLE a (x INTEGER)",
                                             "CREATE TABLE b (x INTEGER)"};
    ASSERT_TRUE(migrate_state_schema(db(), v2, k_now).ok());
    const std::array<std::string_view, 1> v1{"CREATE TABLE a (x INTEGER)"};
    auto reached = migrate_state_schema(db(), v1, k_now);
    ASSERT_FALSE(reached.ok());
    EXPECT_EQ(reached.error(),
              "schema version 2 is newer than this dkimwatch (knows up to 1); upgrade dkimwatch");
    EXPECT_EQ(version(), 2);
}

} // namespace
} // namespace dkimwatch
