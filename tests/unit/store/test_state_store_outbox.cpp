// The alert outbox of the state store: queued in the same transaction as the state change,
// delivered per sink in id order, marked sent / retried / dropped (one row or many at once),
// counted for storm control, and added to a version-1 database by migration 2.

#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::at_ms;
using store_test::full_status;
using store_test::k_t0;
using store_test::open_store;
using store_test::TempDir;
using Mode = StateStore::Mode;

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"444455556666", "eu-west-1", "beta.example"};

template <typename T>
std::string error_of(const Result<T>& result) {
    return result.ok() ? std::string("(no error)") : result.error();
}

template <typename T>
void expect_ok(const Result<T>& result) {
    EXPECT_TRUE(result.ok()) << result.error();
}

OutboxRowInsert alert(std::string sink, IdentityKey key, std::string json, TimePoint at) {
    return OutboxRowInsert{std::move(sink), std::move(key), std::move(json), at};
}

std::vector<OutboxRow> rows_of(StateStore& store, const std::string& sink) {
    auto rows = store.outbox_rows(sink);
    EXPECT_TRUE(rows.ok()) << error_of(rows);
    return rows.ok() ? std::move(rows).value() : std::vector<OutboxRow>{};
}

std::optional<OutboxRow> head_of(StateStore& store, const std::string& sink) {
    auto head = store.next_outbox(sink);
    EXPECT_TRUE(head.ok()) << error_of(head);
    return head.ok() ? std::move(head).value() : std::nullopt;
}

std::vector<std::string> messages_of(const std::vector<OutboxRow>& rows) {
    std::vector<std::string> messages;
    for (const auto& row : rows) {
        messages.push_back(row.message_json);
    }
    return messages;
}

OutboxRow queued_row(std::int64_t id, std::string sink, IdentityKey key, std::string json,
                     TimePoint created_at) {
    OutboxRow row;
    row.id = id;
    row.sink = std::move(sink);
    row.key = std::move(key);
    row.message_json = std::move(json);
    row.created_at = created_at;
    row.status = OutboxStatus::queued;
    row.attempts = 0;
    row.next_attempt_at = created_at;
    return row;
}

TEST(StateStoreOutbox, StatusNames) {
    EXPECT_STREQ(outbox_status_name(OutboxStatus::queued), "queued");
    EXPECT_STREQ(outbox_status_name(OutboxStatus::sent), "sent");
    EXPECT_STREQ(outbox_status_name(OutboxStatus::dropped), "dropped");
}

TEST(StateStoreOutbox, SaveQueuesTheAlertsWithTheTransitions) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const CheckToSave check{k_alpha, full_status(), {}, {}, k_t0};
    const std::vector<OutboxRowInsert> alerts{
        alert("slack", k_alpha, R"({"n":1})", k_t0),
        alert("pager", k_alpha, R"({"n":2})", k_t0 + 1ms),
        alert("slack", IdentityKey{}, R"({"group":true})", k_t0 + 2ms),
    };
    expect_ok(store->save(std::span(&check, 1), alerts));

    EXPECT_EQ(rows_of(*store, "slack"),
              (std::vector<OutboxRow>{
                  queued_row(1, "slack", k_alpha, R"({"n":1})", k_t0),
                  queued_row(3, "slack", IdentityKey{}, R"({"group":true})", k_t0 + 2ms),
              }));
    EXPECT_EQ(rows_of(*store, "pager"),
              (std::vector<OutboxRow>{queued_row(2, "pager", k_alpha, R"({"n":2})", k_t0 + 1ms)}));
    EXPECT_TRUE(rows_of(*store, "other").empty());
    EXPECT_EQ(head_of(*store, "slack"), queued_row(1, "slack", k_alpha, R"({"n":1})", k_t0));
    EXPECT_EQ(head_of(*store, "other"), std::nullopt);
}

TEST(StateStoreOutbox, SaveStatusQueuesTheAlertsWithTheStatus) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const auto reminder =
        store_test::event(StateEventKind::reminder, k_t0, IdentityState::revocation_warning,
                          IdentityState::revocation_warning, "48h left");
    const std::vector<OutboxRowInsert> alerts{alert("hook", k_alpha, "{}", k_t0)};
    expect_ok(store->save_status(k_alpha, full_status(), std::span(&reminder, 1), alerts));
    EXPECT_EQ(rows_of(*store, "hook"),
              (std::vector<OutboxRow>{queued_row(1, "hook", k_alpha, "{}", k_t0)}));
    // The existing callers, without alerts, queue nothing.
    expect_ok(store->save_status(k_beta, full_status(), {}));
    const CheckToSave check{k_beta, full_status(), {}, {}, k_t0};
    expect_ok(store->save(std::span(&check, 1)));
    EXPECT_EQ(rows_of(*store, "hook").size(), 1u);
}

TEST(StateStoreOutbox, AFailingBatchQueuesNothing) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    // The second identity breaks the batch (empty domain): its alerts must not stay queued.
    const std::vector<CheckToSave> batch{
        CheckToSave{k_alpha, full_status(), {}, {}, k_t0},
        CheckToSave{IdentityKey{"1", "us-east-1", ""}, full_status(), {}, {}, k_t0},
    };
    const std::vector<OutboxRowInsert> alerts{alert("slack", k_alpha, "{}", k_t0)};
    const auto saved = store->save(batch, alerts);
    EXPECT_EQ(error_of(saved), "state database " + dir.db().string() +
                                   ": saving 1/us-east-1/: CHECK constraint failed: domain <> ''");
    EXPECT_TRUE(rows_of(*store, "slack").empty());

    // And the other way round: an alert that cannot be queued keeps the transition out too.
    const std::vector<OutboxRowInsert> bad_alerts{alert("slack", k_alpha, "{}", k_t0),
                                                  alert("", k_alpha, "{}", k_t0)};
    const auto saved_status = store->save_status(k_alpha, full_status(), {}, bad_alerts);
    EXPECT_EQ(error_of(saved_status),
              "state database " + dir.db().string() +
                  ": queueing an alert for sink : CHECK constraint failed: sink <> ''");
    EXPECT_TRUE(rows_of(*store, "slack").empty());
    auto statuses = store->load_statuses();
    ASSERT_TRUE(statuses.ok()) << statuses.error();
    EXPECT_TRUE(statuses->empty());
    // outbox_insert is all or nothing as well.
    EXPECT_FALSE(store->outbox_insert(bad_alerts).ok());
    EXPECT_TRUE(rows_of(*store, "slack").empty());
}

TEST(StateStoreOutbox, TheHeadAdvancesInIdOrderAsRowsAreSentOrDropped) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    std::vector<OutboxRowInsert> alerts;
    for (int n = 1; n <= 4; ++n) {
        alerts.push_back(alert("slack", k_alpha, std::to_string(n), k_t0 + Milliseconds{n}));
        alerts.push_back(alert("hook", k_beta, "h" + std::to_string(n), k_t0));
    }
    expect_ok(store->outbox_insert(alerts));

    auto head = head_of(*store, "slack");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->message_json, "1");
    expect_ok(store->outbox_mark_sent(head->id, k_t0 + 1s));

    head = head_of(*store, "slack");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->message_json, "2");
    // A retry keeps the row at the head, with its attempts, next time and error.
    expect_ok(store->outbox_retry(head->id, 1, k_t0 + 5s, "HTTP 500 from https://hooks.example"));
    auto retried = head_of(*store, "slack");
    ASSERT_TRUE(retried);
    EXPECT_EQ(retried->id, head->id);
    EXPECT_EQ(retried->attempts, 1);
    EXPECT_EQ(retried->next_attempt_at, k_t0 + 5s);
    EXPECT_EQ(retried->last_error, "HTTP 500 from https://hooks.example");
    EXPECT_EQ(retried->status, OutboxStatus::queued);
    EXPECT_EQ(retried->done_at, std::nullopt);
    expect_ok(store->outbox_retry(head->id, 2, k_t0 + 9s, "timeout"));
    expect_ok(store->outbox_drop(head->id, k_t0 + 10s, "gave up after 2 attempts: timeout"));

    head = head_of(*store, "slack");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->message_json, "3");

    const auto rows = rows_of(*store, "slack");
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(messages_of(rows), (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_EQ(rows[0].status, OutboxStatus::sent);
    EXPECT_EQ(rows[0].done_at, k_t0 + 1s);
    EXPECT_EQ(rows[0].last_error, std::nullopt);
    EXPECT_EQ(rows[1].status, OutboxStatus::dropped);
    EXPECT_EQ(rows[1].attempts, 2);
    EXPECT_EQ(rows[1].done_at, k_t0 + 10s);
    EXPECT_EQ(rows[1].last_error, "gave up after 2 attempts: timeout");
    EXPECT_EQ(rows[2].status, OutboxStatus::queued);
    EXPECT_EQ(rows[3].status, OutboxStatus::queued);

    // The other sink's queue is untouched.
    head = head_of(*store, "hook");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->message_json, "h1");
    EXPECT_EQ(head->key, k_beta);
}

TEST(StateStoreOutbox, OnlyQueuedRowsCanBeMarked) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    expect_ok(store->outbox_insert(std::vector{alert("slack", k_alpha, "{}", k_t0)}));
    expect_ok(store->outbox_mark_sent(1, k_t0));
    const std::string prefix = "state database " + dir.db().string() + ": ";
    EXPECT_EQ(error_of(store->outbox_mark_sent(1, k_t0)), prefix + "outbox row 1 is not queued");
    EXPECT_EQ(error_of(store->outbox_retry(1, 1, k_t0, "x")),
              prefix + "outbox row 1 is not queued");
    EXPECT_EQ(error_of(store->outbox_drop(1, k_t0, "x")), prefix + "outbox row 1 is not queued");
    EXPECT_EQ(error_of(store->outbox_drop(99, k_t0, "x")), prefix + "outbox row 99 is not queued");
    EXPECT_EQ(rows_of(*store, "slack").at(0).status, OutboxStatus::sent);
}

TEST(StateStoreOutbox, DepthCountsQueuedRowsAndTheOldest) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    auto depth = store->outbox_depth("slack");
    ASSERT_TRUE(depth.ok()) << depth.error();
    EXPECT_EQ(*depth, (OutboxDepth{0, std::nullopt}));

    expect_ok(store->outbox_insert(std::vector{alert("slack", k_alpha, "1", k_t0 + 1s),
                                               alert("slack", k_alpha, "2", k_t0 + 2s),
                                               alert("hook", k_alpha, "3", k_t0)}));
    depth = store->outbox_depth("slack");
    ASSERT_TRUE(depth.ok()) << depth.error();
    EXPECT_EQ(*depth, (OutboxDepth{2, k_t0 + 1s}));
    expect_ok(store->outbox_mark_sent(1, k_t0 + 3s));
    depth = store->outbox_depth("slack");
    ASSERT_TRUE(depth.ok()) << depth.error();
    EXPECT_EQ(*depth, (OutboxDepth{1, k_t0 + 2s}));
    expect_ok(store->outbox_drop(2, k_t0 + 3s, "rejected"));
    depth = store->outbox_depth("slack");
    ASSERT_TRUE(depth.ok()) << depth.error();
    EXPECT_EQ(*depth, (OutboxDepth{0, std::nullopt}));
    depth = store->outbox_depth("hook");
    ASSERT_TRUE(depth.ok()) << depth.error();
    EXPECT_EQ(*depth, (OutboxDepth{1, k_t0}));
}

TEST(StateStoreOutbox, AnotherConnectionSeesCommittedRows) {
    TempDir dir;
    auto daemon = open_store(dir.db());
    auto worker = open_store(dir.db());
    ASSERT_NE(daemon, nullptr);
    ASSERT_NE(worker, nullptr);
    EXPECT_EQ(head_of(*worker, "slack"), std::nullopt);
    expect_ok(daemon->outbox_insert(std::vector{alert("slack", k_alpha, "1", k_t0)}));
    auto head = head_of(*worker, "slack");
    ASSERT_TRUE(head);
    expect_ok(worker->outbox_mark_sent(head->id, k_t0 + 1s));
    EXPECT_EQ(rows_of(*daemon, "slack").at(0).status, OutboxStatus::sent);
}

TEST(StateStoreOutbox, AReadOnlyStoreCannotWriteTheOutbox) {
    TempDir dir;
    {
        auto store = open_store(dir.db());
        ASSERT_NE(store, nullptr);
        expect_ok(store->outbox_insert(std::vector{alert("slack", k_alpha, "1", k_t0)}));
    }
    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    const std::string expected =
        "state database " + dir.db().string() + ": opened read-only; cannot write";
    EXPECT_EQ(error_of(reader->outbox_insert(std::vector{alert("slack", k_alpha, "2", k_t0)})),
              expected);
    EXPECT_EQ(error_of(reader->outbox_mark_sent(1, k_t0)), expected);
    EXPECT_EQ(error_of(reader->outbox_retry(1, 1, k_t0, "x")), expected);
    EXPECT_EQ(error_of(reader->outbox_drop(1, k_t0, "x")), expected);
    EXPECT_EQ(rows_of(*reader, "slack").size(), 1u);
    EXPECT_EQ(rows_of(*reader, "slack").at(0).status, OutboxStatus::queued);
}

TEST(StateStoreOutbox, MigrationTwoAddsTheOutboxToAVersionOneDatabase) {
    TempDir dir;
    // A database as dkimwatch with schema version 1 left it, with an identity and its history.
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
                  SQLITE_OK);
        sqlite::DbHandle db(raw);
        auto reached = migrate_state_schema(db.get(), state_schema_migrations().first(1), k_t0);
        ASSERT_TRUE(reached.ok()) << reached.error();
        ASSERT_EQ(*reached, 1);
        ASSERT_TRUE(sqlite::exec(db.get(),
                                 "INSERT INTO identities VALUES (1, 'acct', 'us-east-1', "
                                 "'old.example', 1, 'fp', 'verified', 5, 4, NULL, 0, NULL, 3, "
                                 "NULL, 0, 0, 0, NULL, 7, 0, 0, 6, 'ok');"
                                 "INSERT INTO history VALUES (1, 1, 5, 'verified', 'pending', "
                                 "'verified', 'all records ok', NULL, NULL);")
                        .ok());
    }
    // A reader refuses it until the daemon has upgraded it.
    EXPECT_EQ(error_of(StateStore::open(dir.db(), Mode::read_only)),
              "state database " + dir.db().string() +
                  ": schema version 1 is older than this dkimwatch's 3; start the daemon "
                  "(dkimwatch run) once to upgrade it");

    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    auto statuses = store->load_statuses();
    ASSERT_TRUE(statuses.ok()) << statuses.error();
    ASSERT_EQ(statuses->size(), 1u);
    const IdentityKey old_key{"acct", "us-east-1", "old.example"};
    EXPECT_EQ(statuses->at(old_key).state, IdentityState::verified);
    EXPECT_EQ(statuses->at(old_key).checks_total, 7u);
    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok()) << history.error();
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(history->at(0).reason, "all records ok");

    const auto reminder =
        store_test::event(StateEventKind::revocation_warning, k_t0, IdentityState::verified,
                          IdentityState::revocation_warning, "missing");
    expect_ok(store->save_status(old_key, full_status(), std::span(&reminder, 1),
                                 std::vector{alert("slack", old_key, "{}", k_t0)}));
    EXPECT_EQ(rows_of(*store, "slack"),
              (std::vector<OutboxRow>{queued_row(1, "slack", old_key, "{}", k_t0)}));
    EXPECT_NE(open_store(dir.db(), Mode::read_only), nullptr);
}

// ---- for storm control at delivery (alert/delivery_grouping.hpp)

std::vector<std::int64_t> ids_of(const std::vector<OutboxRow>& rows) {
    std::vector<std::int64_t> ids;
    for (const auto& row : rows) {
        ids.push_back(row.id);
    }
    return ids;
}

std::vector<OutboxStatus> statuses_of(const std::vector<OutboxRow>& rows) {
    std::vector<OutboxStatus> statuses;
    for (const auto& row : rows) {
        statuses.push_back(row.status);
    }
    return statuses;
}

OutboxActivity activity_of(StateStore& store, const std::string& sink, TimePoint from,
                           TimePoint to) {
    auto activity = store.outbox_activity(sink, from, to);
    EXPECT_TRUE(activity.ok()) << error_of(activity);
    return activity.ok() ? *activity : OutboxActivity{9999, 9999};
}

IdentityKey key_n(int n) {
    return IdentityKey{"111122223333", "us-east-1", "d" + std::to_string(n) + ".example"};
}

TEST(StateStoreOutbox, QueuedListsTheQueuedRowsOfASinkInIdOrderUpToALimit) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    std::vector<OutboxRowInsert> alerts;
    for (int n = 1; n <= 5; ++n) {
        alerts.push_back(alert("slack", key_n(n), "s" + std::to_string(n), k_t0));
        alerts.push_back(alert("hook", key_n(n), "h" + std::to_string(n), k_t0));
    }
    expect_ok(store->outbox_insert(alerts)); // slack: ids 1, 3, 5, 7, 9
    expect_ok(store->outbox_mark_sent(1, k_t0));
    expect_ok(store->outbox_drop(5, k_t0, "rejected"));

    auto queued = store->outbox_queued("slack", 10);
    ASSERT_TRUE(queued.ok()) << queued.error();
    EXPECT_EQ(ids_of(*queued), (std::vector<std::int64_t>{3, 7, 9}));
    EXPECT_EQ(messages_of(*queued), (std::vector<std::string>{"s2", "s4", "s5"}));
    EXPECT_EQ(queued->at(0), rows_of(*store, "slack").at(1)); // every column
    queued = store->outbox_queued("slack", 2);
    ASSERT_TRUE(queued.ok()) << queued.error();
    EXPECT_EQ(ids_of(*queued), (std::vector<std::int64_t>{3, 7}));
    queued = store->outbox_queued("slack", 0);
    ASSERT_TRUE(queued.ok()) << queued.error();
    EXPECT_TRUE(queued->empty());
    queued = store->outbox_queued("nosuch", 10);
    ASSERT_TRUE(queued.ok()) << queued.error();
    EXPECT_TRUE(queued->empty());
}

TEST(StateStoreOutbox, ActivityCountsDistinctIdentitiesAndGroupedRowsQueuedOrSentInTheWindow) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    expect_ok(store->outbox_insert(std::vector{
        alert("slack", key_n(0), "before the window", k_t0 - 1ms),  // id 1
        alert("slack", key_n(1), "first", k_t0),                    // 2: `from` itself
        alert("slack", key_n(1), "same identity again", k_t0 + 1s), // 3
        alert("slack", key_n(2), "sent", k_t0 + 2s),                // 4
        alert("slack", key_n(3), "dropped", k_t0 + 3s),             // 5
        alert("slack", IdentityKey{}, "a group", k_t0 + 4s),        // 6: no identity
        alert("hook", key_n(4), "another sink", k_t0 + 5s),         // 7
        alert("slack", IdentityKey{"444455556666", "us-east-1", "d1.example"}, "other account",
              k_t0 + 6s),                                               // 8
        alert("slack", IdentityKey{}, "another group", k_t0 + 7s),      // 9
        alert("slack", key_n(5), "`to` itself", k_t0 + 10s),            // 10
        alert("slack", key_n(6), "after the window", k_t0 + 10s + 1ms), // 11
        alert("slack", IdentityKey{}, "dropped group", k_t0 + 8s),      // 12
    }));
    expect_ok(store->outbox_mark_sent(4, k_t0 + 3s));
    expect_ok(store->outbox_mark_sent(6, k_t0 + 5s));
    expect_ok(store->outbox_drop(5, k_t0 + 4s, "rejected"));
    expect_ok(store->outbox_drop(12, k_t0 + 9s, "rejected"));
    // d1 (twice), d2 (sent), d1 of the other account, d5; groups 6 (sent) and 9.
    EXPECT_EQ(activity_of(*store, "slack", k_t0, k_t0 + 10s), (OutboxActivity{4, 2}));
    EXPECT_EQ(activity_of(*store, "slack", k_t0 - 1ms, k_t0 + 10s + 1ms), (OutboxActivity{6, 2}));
    EXPECT_EQ(activity_of(*store, "slack", k_t0 + 1ms, k_t0 + 2s), (OutboxActivity{2, 0}));
    EXPECT_EQ(activity_of(*store, "slack", k_t0 + 4s, k_t0 + 4s), (OutboxActivity{0, 1}));
    EXPECT_EQ(activity_of(*store, "hook", k_t0, k_t0 + 10s), (OutboxActivity{1, 0}));
    EXPECT_EQ(activity_of(*store, "slack", k_t0 + 1h, k_t0 + 2h), (OutboxActivity{0, 0}));
    EXPECT_EQ(activity_of(*store, "nosuch", k_t0, k_t0 + 10s), (OutboxActivity{0, 0}));
}

TEST(StateStoreOutbox, ActivityStopsAtTheNewestRowCreatedBeforeTheWindow) {
    // The documented cost bound: rows older than the last row created before `from` are not
    // read, so a row queued before a step back of the clock is not counted.
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    expect_ok(store->outbox_insert(std::vector{
        alert("slack", key_n(1), "in the window", k_t0 + 1s),
        alert("slack", key_n(2), "the clock stepped back", k_t0 - 1h),
        alert("slack", key_n(3), "in the window again", k_t0 + 2s),
    }));
    EXPECT_EQ(activity_of(*store, "slack", k_t0, k_t0 + 1min), (OutboxActivity{1, 0}));
}

TEST(StateStoreOutbox, ManyRowsAreMarkedSentOrDroppedInOneTransaction) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    std::vector<OutboxRowInsert> alerts;
    for (int n = 1; n <= 6; ++n) {
        alerts.push_back(alert("slack", key_n(n), std::to_string(n), k_t0));
    }
    expect_ok(store->outbox_insert(alerts));
    expect_ok(store->outbox_mark_sent(std::vector<std::int64_t>{1, 2, 3}, k_t0 + 1s));
    expect_ok(store->outbox_drop(std::vector<std::int64_t>{4, 5}, k_t0 + 2s, "rejected: HTTP 400"));
    auto rows = rows_of(*store, "slack");
    EXPECT_EQ(statuses_of(rows),
              (std::vector<OutboxStatus>{OutboxStatus::sent, OutboxStatus::sent, OutboxStatus::sent,
                                         OutboxStatus::dropped, OutboxStatus::dropped,
                                         OutboxStatus::queued}));
    EXPECT_EQ(rows[2].done_at, k_t0 + 1s);
    EXPECT_EQ(rows[4].done_at, k_t0 + 2s);
    EXPECT_EQ(rows[4].last_error, "rejected: HTTP 400");

    // One row not queued: nothing changes, and the error names it.
    const std::string prefix = "state database " + dir.db().string() + ": ";
    EXPECT_EQ(error_of(store->outbox_mark_sent(std::vector<std::int64_t>{6, 3}, k_t0 + 3s)),
              prefix + "outbox row 3 is not queued");
    EXPECT_EQ(error_of(store->outbox_drop(std::vector<std::int64_t>{6, 99}, k_t0 + 3s, "x")),
              prefix + "outbox row 99 is not queued");
    rows = rows_of(*store, "slack");
    EXPECT_EQ(rows[5].status, OutboxStatus::queued);
    EXPECT_EQ(rows[5].done_at, std::nullopt);
    // The connection is usable after the rollback; an empty list changes nothing.
    expect_ok(store->outbox_mark_sent(std::vector<std::int64_t>{}, k_t0));
    expect_ok(store->outbox_mark_sent(std::vector<std::int64_t>{6}, k_t0 + 4s));
    EXPECT_EQ(rows_of(*store, "slack").at(5).status, OutboxStatus::sent);

    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(error_of(reader->outbox_mark_sent(std::vector<std::int64_t>{1}, k_t0)),
              prefix + "opened read-only; cannot write");
    EXPECT_EQ(error_of(reader->outbox_drop(std::vector<std::int64_t>{1}, k_t0, "x")),
              prefix + "opened read-only; cannot write");
}

TEST(StateStoreOutbox, QueuedSinksListsEveryKeyWithQueuedRowsOnce) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    auto none = store->outbox_queued_sinks();
    ASSERT_TRUE(none.ok()) << none.error();
    EXPECT_TRUE(none->empty());
    expect_ok(store->outbox_insert(std::vector{
        alert("slack", k_alpha, "1", k_t0), alert("am@http://127.0.0.1:9093", k_alpha, "2", k_t0),
        alert("slack", k_beta, "3", k_t0), alert("done", k_beta, "4", k_t0)}));
    expect_ok(store->outbox_mark_sent(4, k_t0 + 1s));
    auto sinks = store->outbox_queued_sinks();
    ASSERT_TRUE(sinks.ok()) << sinks.error();
    EXPECT_EQ(*sinks, (std::vector<std::string>{"am@http://127.0.0.1:9093", "slack"}));
}

TEST(StateStoreOutbox, RekeyMovesTheQueuedRowsKeepingTheirOrderAndCreation) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    // am: 1 sent, 2 and 4 queued (2 after failed attempts); 3 is another sink's row.
    expect_ok(store->outbox_insert(std::vector{
        alert("am", k_alpha, "m1", k_t0), alert("am", k_beta, "m2", k_t0 + 1s),
        alert("slack", k_alpha, "s", k_t0 + 2s), alert("am", k_alpha, "m3", k_t0 + 3s)}));
    expect_ok(store->outbox_mark_sent(1, k_t0 + 5s));
    expect_ok(store->outbox_retry(2, 3, k_t0 + 10min, "connection refused to http://a:9093"));

    const std::vector<std::string> lanes{"am@http://a:9093", "am@http://b:9093"};
    auto moved = store->rekey_queued("am", lanes);
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 2u);

    // The first lane has the rows themselves: ids, created_at and last_error kept, attempts
    // reset, due at once.
    OutboxRow two = queued_row(2, lanes[0], k_beta, "m2", k_t0 + 1s);
    two.last_error = "connection refused to http://a:9093";
    const OutboxRow four = queued_row(4, lanes[0], k_alpha, "m3", k_t0 + 3s);
    EXPECT_EQ(rows_of(*store, lanes[0]), (std::vector<OutboxRow>{two, four}));
    // The second has copies, in the same order, with the same created_at.
    OutboxRow two_copy = two;
    two_copy.id = 5;
    two_copy.sink = lanes[1];
    OutboxRow four_copy = four;
    four_copy.id = 6;
    four_copy.sink = lanes[1];
    EXPECT_EQ(rows_of(*store, lanes[1]), (std::vector<OutboxRow>{two_copy, four_copy}));
    // The sent row stays where it was; other sinks are untouched.
    const auto old = rows_of(*store, "am");
    ASSERT_EQ(old.size(), 1u);
    EXPECT_EQ(old[0].id, 1);
    EXPECT_EQ(old[0].status, OutboxStatus::sent);
    EXPECT_EQ(rows_of(*store, "slack").size(), 1u);
    EXPECT_EQ(store->outbox_depth(lanes[1]).value(), (OutboxDepth{2, k_t0 + 1s}));
    EXPECT_EQ(store->outbox_depth("am").value(), (OutboxDepth{0, std::nullopt}));

    // And back to one key: moved rows keep their ids, hence their place before a row queued
    // after them (m0, whatever its created_at).
    expect_ok(store->outbox_insert(std::vector{alert("am", k_alpha, "m0", k_t0 - 1s)}));
    moved = store->rekey_queued(lanes[1], std::vector<std::string>{"am"});
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 2u);
    EXPECT_EQ(messages_of(rows_of(*store, "am")),
              (std::vector<std::string>{"m1", "m2", "m3", "m0"}));
    auto head = head_of(*store, "am");
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->id, 5);

    // Nothing queued under the key: nothing moves.
    moved = store->rekey_queued("nothing", std::vector<std::string>{"am"});
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 0u);
}

TEST(StateStoreOutbox, RekeyIsOneTransaction) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    expect_ok(store->outbox_insert(
        std::vector{alert("am", k_alpha, "m1", k_t0), alert("am", k_beta, "m2", k_t0)}));
    const std::string prefix = "state database " + dir.db().string() + ": ";
    // The copy to "b" succeeds, the one to "" fails: nothing is kept.
    EXPECT_EQ(error_of(store->rekey_queued("am", std::vector<std::string>{"a", "b", ""})),
              prefix + "moving the queued alerts of am: CHECK constraint failed: sink <> ''");
    EXPECT_TRUE(rows_of(*store, "a").empty());
    EXPECT_TRUE(rows_of(*store, "b").empty());
    EXPECT_EQ(messages_of(rows_of(*store, "am")), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_EQ(error_of(store->rekey_queued("am", std::vector<std::string>{})),
              prefix + "moving the queued alerts of am: the new keys must be given, without the "
                       "old one");
    EXPECT_EQ(error_of(store->rekey_queued("am", std::vector<std::string>{"a", "am"})),
              prefix + "moving the queued alerts of am: the new keys must be given, without the "
                       "old one");
    // The connection is usable after the rollback.
    auto moved = store->rekey_queued("am", std::vector<std::string>{"a"});
    ASSERT_TRUE(moved.ok()) << moved.error();
    EXPECT_EQ(*moved, 2u);

    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(error_of(reader->rekey_queued("a", std::vector<std::string>{"am"})),
              prefix + "opened read-only; cannot write");
}

} // namespace
} // namespace dkimwatch
