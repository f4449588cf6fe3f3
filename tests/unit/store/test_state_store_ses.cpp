// StateStore's SES part (state_store_ses.cpp): inventories and findings round-trip every field,
// a newer listing replaces its source+region only, SES events join the history, and a version-2
// database (before the SES source) is migrated by version 3 with nothing lost.

#include "store/schema.hpp"
#include "store_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using store_test::at_ms;
using store_test::full_status;
using store_test::k_t0;
using store_test::open_store;
using store_test::TempDir;
using namespace std::chrono_literals;

template <typename T>
std::string error_of(const Result<T>& result) {
    return result.ok() ? std::string("(no error)") : result.error();
}

template <typename T>
void expect_ok(const Result<T>& result) {
    EXPECT_TRUE(result.ok()) << result.error();
}

// Every field away from its default, with lists of more than one value.
SesDomainIdentity easy_identity() {
    SesDomainIdentity identity;
    identity.domain = "example.com";
    identity.signing_enabled = true;
    identity.status = SesDkimStatus::temporary_failure;
    identity.status_text = "TEMPORARY_FAILURE";
    identity.origin = "AWS_SES_EU_WEST_1";
    identity.tokens = {"tok3", "tok1", "tok2"}; // not sorted: the order is kept
    identity.signing_hosted_zone = "dkim.amazonses.com";
    identity.current_key_length = "RSA_2048_BIT";
    identity.email_identities = {"alice@example.com", "bob@example.com"};
    return identity;
}

SesDomainIdentity byodkim_identity() {
    SesDomainIdentity identity;
    identity.domain = "byo.example";
    identity.signing_enabled = false;
    identity.status = SesDkimStatus::unknown;
    identity.status_text = "SOMETHING_NEW";
    identity.origin = "EXTERNAL";
    identity.tokens = {"sel2024"};
    identity.current_key_length = "RSA_1024_BIT";
    return identity;
}

// No list values, nulls as "": the LEFT JOINs must still give it.
SesDomainIdentity bare_identity() {
    SesDomainIdentity identity;
    identity.domain = "bare.example";
    return identity;
}

SesInventory inventory(std::string source, std::string region,
                       std::vector<SesDomainIdentity> domains) {
    SesInventory result;
    result.source = std::move(source);
    result.account = "111122223333";
    result.region = std::move(region);
    result.synced_at = k_t0 + 17ms;
    result.domains = std::move(domains);
    return result;
}

std::vector<SesInventory> inventories_of(StateStore& store) {
    auto loaded = store.load_ses_inventories();
    EXPECT_TRUE(loaded.ok()) << error_of(loaded);
    return loaded.ok() ? std::move(loaded).value() : std::vector<SesInventory>{};
}

std::map<IdentityKey, std::vector<SesFinding>> findings_of(StateStore& store) {
    auto loaded = store.load_ses_findings();
    EXPECT_TRUE(loaded.ok()) << error_of(loaded);
    return loaded.ok() ? std::move(loaded).value()
                       : std::map<IdentityKey, std::vector<SesFinding>>{};
}

TEST(StateStoreSes, AnInventoryRoundTripsEveryField) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(inventories_of(*store).empty());
    const auto saved =
        inventory("prod", "eu-west-1", {bare_identity(), byodkim_identity(), easy_identity()});
    expect_ok(store->save_ses_inventory(saved));
    const auto empty = inventory("staging", "us-east-1", {});
    expect_ok(store->save_ses_inventory(empty));

    // Read back by another connection: nothing is only in memory.
    auto reader = open_store(dir.db(), StateStore::Mode::read_only);
    ASSERT_NE(reader, nullptr);
    const auto loaded = inventories_of(*reader);
    ASSERT_EQ(loaded.size(), 2u);
    EXPECT_EQ(loaded[0], saved);
    EXPECT_EQ(loaded[1], empty);
    EXPECT_EQ(loaded[0].domains.at(2).tokens, (std::vector<std::string>{"tok3", "tok1", "tok2"}));
    EXPECT_EQ(loaded[0].domains.at(1).status, SesDkimStatus::unknown);
    EXPECT_EQ(loaded[0].domains.at(1).status_text, "SOMETHING_NEW");
}

TEST(StateStoreSes, ASaveReplacesOnlyItsSourceAndRegion) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    expect_ok(store->save_ses_inventory(
        inventory("prod", "us-east-1", {easy_identity(), byodkim_identity()})));
    expect_ok(store->save_ses_inventory(inventory("prod", "eu-west-1", {easy_identity()})));
    expect_ok(store->save_ses_inventory(inventory("other", "us-east-1", {bare_identity()})));

    auto newer = inventory("prod", "us-east-1", {bare_identity()});
    newer.account = "444455556666";
    newer.synced_at = k_t0 + 15min;
    expect_ok(store->save_ses_inventory(newer));

    const auto loaded = inventories_of(*store);
    ASSERT_EQ(loaded.size(), 3u);
    EXPECT_EQ(loaded[0], inventory("other", "us-east-1", {bare_identity()}));
    EXPECT_EQ(loaded[1], inventory("prod", "eu-west-1", {easy_identity()}));
    EXPECT_EQ(loaded[2], newer);

    // No orphan rows under the replaced listing.
    auto raw = open_store(dir.db());
    auto again = inventories_of(*raw);
    EXPECT_EQ(again, loaded);
}

TEST(StateStoreSes, AFailedSaveKeepsThePreviousInventory) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const auto good = inventory("prod", "us-east-1", {easy_identity()});
    expect_ok(store->save_ses_inventory(good));
    // Two identities with the same domain violate the primary key: all or nothing.
    auto bad = inventory("prod", "us-east-1", {bare_identity(), bare_identity()});
    EXPECT_EQ(error_of(store->save_ses_inventory(bad)),
              "state database " + dir.db().string() +
                  ": saving the SES inventory of prod/us-east-1: bare.example: UNIQUE constraint "
                  "failed: ses_identities.inventory_id, ses_identities.domain");
    EXPECT_EQ(inventories_of(*store), std::vector<SesInventory>{good});
}

TEST(StateStoreSes, FindingsRoundTripAndReplace) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey a{"111122223333", "us-east-1", "a.example"};
    const IdentityKey b{"111122223333", "eu-west-1", "b.example"};
    const std::vector<SesFinding> a_findings{
        {SesFindingCode::signing_disabled, Severity::error, "SES has DKIM signing off"},
        {SesFindingCode::email_identity_unsigned, Severity::warning, "mary@a.example is unsigned"},
    };
    // Every code and the severities, in a non-sorted order that must be kept.
    const std::vector<SesFinding> b_findings{
        {SesFindingCode::weak_signing_key, Severity::warning, "1024"},
        {SesFindingCode::ses_failed, Severity::error, "failed"},
        {SesFindingCode::ses_temporary_failure, Severity::warning, "temp"},
        {SesFindingCode::ses_dns_disagree, Severity::error, "split horizon?"},
        {SesFindingCode::not_in_ses, Severity::error, "not there"},
        {SesFindingCode::tokens_differ, Severity::indeterminate, "tokens"},
        {SesFindingCode::signing_disabled, Severity::ok, "ok severity kept"},
        {SesFindingCode::email_identity_unsigned, Severity::warning, "x"},
    };
    expect_ok(store->save_ses_findings(a, a_findings));
    expect_ok(store->save_ses_findings(b, b_findings));
    auto loaded = findings_of(*store);
    ASSERT_EQ(loaded.size(), 2u);
    EXPECT_EQ(loaded.at(a), a_findings);
    EXPECT_EQ(loaded.at(b), b_findings);

    const std::vector<SesFinding> replaced{
        {SesFindingCode::ses_failed, Severity::error, "now failed"}};
    expect_ok(store->save_ses_findings(a, replaced));
    expect_ok(store->save_ses_findings(b, {}));
    loaded = findings_of(*store);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded.at(a), replaced);
}

TEST(StateStoreSes, AnUnknownStoredFindingIsAnError) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey key{"acct", "us-east-1", "a.example"};
    expect_ok(
        store->save_ses_findings(key, {{SesFindingCode::ses_failed, Severity::error, "failed"}}));
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr),
                  SQLITE_OK);
        sqlite::DbHandle db(raw);
        ASSERT_TRUE(
            sqlite::exec(db.get(), "UPDATE ses_findings SET code = 'from_the_future'").ok());
    }
    EXPECT_EQ(error_of(store->load_ses_findings()),
              "state database " + dir.db().string() +
                  ": identity acct/us-east-1/a.example has unknown SES finding "
                  "\"from_the_future\"");
}

TEST(StateStoreSes, AReaderCannotWrite) {
    TempDir dir;
    { ASSERT_NE(open_store(dir.db()), nullptr); }
    auto reader = open_store(dir.db(), StateStore::Mode::read_only);
    ASSERT_NE(reader, nullptr);
    const std::string expected =
        "state database " + dir.db().string() + ": opened read-only; cannot write";
    EXPECT_EQ(error_of(reader->save_ses_inventory(inventory("prod", "us-east-1", {}))), expected);
    EXPECT_EQ(error_of(reader->save_ses_findings({"a", "r", "d.example"}, {})), expected);
    EXPECT_EQ(
        error_of(reader->append_ses_events({"a", "r", "d.example"}, IdentityState::verified, {})),
        expected);
}

TEST(StateStoreSes, SesEventsJoinTheHistoryWithoutAStateChange) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey key{"111122223333", "us-east-1", "example.com"};
    auto status = full_status();
    status.state = IdentityState::verified;
    expect_ok(store->save_status(key, status, {}));

    SesEvent changed;
    changed.kind = SesEventKind::ses_status_changed;
    changed.severity = EventSeverity::critical;
    changed.at = k_t0 + 1s;
    changed.from = "SUCCESS";
    changed.to = "FAILED";
    changed.reason = "SES reports FAILED (was SUCCESS)";
    SesEvent disabled = changed;
    disabled.kind = SesEventKind::signing_disabled;
    disabled.at = k_t0 + 2s;
    disabled.reason = "SES has DKIM signing switched off";
    const std::vector<SesEvent> events{changed, disabled};
    const OutboxRowInsert alert{"slack", key, "{\"kind\":\"ses\"}", k_t0 + 2s};
    expect_ok(store->append_ses_events(key, IdentityState::verified, events, std::span(&alert, 1)));

    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok()) << history.error();
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ(history->at(0).key, key);
    EXPECT_EQ(history->at(0).event, "ses_status_changed");
    EXPECT_EQ(history->at(0).at, k_t0 + 1s);
    EXPECT_EQ(history->at(0).from_state, "verified");
    EXPECT_EQ(history->at(0).to_state, "verified");
    EXPECT_EQ(history->at(0).reason, "SES reports FAILED (was SUCCESS)");
    EXPECT_EQ(history->at(0).deadline, std::nullopt);
    EXPECT_EQ(history->at(1).event, "signing_disabled");
    auto rows = store->outbox_rows("slack");
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->at(0).message_json, "{\"kind\":\"ses\"}");
}

TEST(StateStoreSes, EventsOfAnUnstoredIdentityAreRefusedWithTheirAlerts) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey key{"acct", "us-east-1", "new.example"};
    SesEvent event;
    event.kind = SesEventKind::signing_disabled;
    const OutboxRowInsert alert{"slack", key, "{}", k_t0};
    EXPECT_EQ(error_of(store->append_ses_events(key, IdentityState::pending, std::span(&event, 1),
                                                std::span(&alert, 1))),
              "state database " + dir.db().string() +
                  ": SES events of acct/us-east-1/new.example: identity not stored");
    auto rows = store->outbox_rows("slack");
    ASSERT_TRUE(rows.ok());
    EXPECT_TRUE(rows->empty());
}

TEST(StateStoreSes, SyncEventsOfAnAccountRegionQueueOnlyTheirAlerts) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey key{"111122223333", "us-east-1", ""};
    SesEvent failing;
    failing.kind = SesEventKind::ses_sync_failing;
    failing.severity = EventSeverity::warning;
    const OutboxRowInsert alert{"webhook", key, "{}", k_t0};
    expect_ok(store->append_ses_events(key, IdentityState::pending, std::span(&failing, 1),
                                       std::span(&alert, 1)));
    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok());
    EXPECT_TRUE(history->empty());
    auto rows = store->outbox_rows("webhook");
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->at(0).key, key);
}

TEST(StateStoreSes, MigrationThreeAddsTheSesTablesToAVersionTwoDatabase) {
    TempDir dir;
    // A database as dkimwatch with schema version 2 left it: an identity, its history and an
    // outbox row.
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
                  SQLITE_OK);
        sqlite::DbHandle db(raw);
        auto reached = migrate_state_schema(db.get(), state_schema_migrations().first(2), k_t0);
        ASSERT_TRUE(reached.ok()) << reached.error();
        ASSERT_EQ(*reached, 2);
        ASSERT_TRUE(sqlite::exec(db.get(),
                                 "INSERT INTO identities VALUES (1, 'acct', 'us-east-1', "
                                 "'old.example', 1, 'fp', 'verified', 5, 4, NULL, 0, NULL, 3, "
                                 "NULL, 0, 0, 0, NULL, 7, 0, 0, 6, 'ok');"
                                 "INSERT INTO history VALUES (1, 1, 5, 'verified', 'pending', "
                                 "'verified', 'all records ok', NULL, NULL);"
                                 "INSERT INTO outbox VALUES (1, 'slack', 'acct', 'us-east-1', "
                                 "'old.example', '{}', 5, 'sent', 0, 5, NULL, 6);")
                        .ok());
    }
    EXPECT_EQ(error_of(StateStore::open(dir.db(), StateStore::Mode::read_only)),
              "state database " + dir.db().string() +
                  ": schema version 2 is older than this dkimwatch's 3; start the daemon "
                  "(dkimwatch run) once to upgrade it");

    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(StateStore::schema_version(), 3);
    auto statuses = store->load_statuses();
    ASSERT_TRUE(statuses.ok()) << statuses.error();
    const IdentityKey old_key{"acct", "us-east-1", "old.example"};
    EXPECT_EQ(statuses->at(old_key).checks_total, 7u);
    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 1u);
    auto rows = store->outbox_rows("slack");
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->at(0).status, OutboxStatus::sent);

    EXPECT_TRUE(inventories_of(*store).empty());
    EXPECT_TRUE(findings_of(*store).empty());
    const auto saved = inventory("prod", "us-east-1", {easy_identity()});
    expect_ok(store->save_ses_inventory(saved));
    EXPECT_EQ(inventories_of(*store), std::vector<SesInventory>{saved});
    SesEvent event;
    event.kind = SesEventKind::email_identity_unsigned;
    event.at = at_ms(10);
    event.reason = "mary@old.example sends unsigned mail";
    expect_ok(store->append_ses_events(old_key, IdentityState::verified, std::span(&event, 1)));
    history = store->history(std::string("old.example"), 0);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ(history->at(1).event, "email_identity_unsigned");
}

} // namespace
} // namespace dkimwatch
