#include "store/unsaved_changes.hpp"
#include "store_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::event;
using store_test::full_status;
using store_test::k_t0;
using store_test::open_store;
using store_test::record;
using store_test::TempDir;

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"111122223333", "eu-west-1", "beta.example"};

IdentityStatus status_in(IdentityState state, TimePoint since) {
    IdentityStatus status = full_status();
    status.state = state;
    status.since = since;
    if (state != IdentityState::revocation_warning) {
        status.deadline.reset();
    }
    return status;
}

CheckToSave checked(const IdentityKey& key, IdentityStatus status, std::vector<StateEvent> events,
                    std::vector<RecordVerdict> records, TimePoint at) {
    return {key, std::move(status), std::move(events), std::move(records), at};
}

CheckToSave ticked(const IdentityKey& key, IdentityStatus status, std::vector<StateEvent> events) {
    CheckToSave item{key, std::move(status), std::move(events), {}, {}};
    item.keep_records = true;
    return item;
}

OutboxRowInsert alert(const IdentityKey& key, std::string json, TimePoint at) {
    return {"hook", key, std::move(json), at};
}

const RecordVerdict k_missing =
    record("al2._domainkey.alpha.example", VerdictCode::missing, Severity::error, std::nullopt);
const RecordVerdict k_ok = record("al2._domainkey.alpha.example", VerdictCode::ok, Severity::ok,
                                  "al2.dkim.amazonses.com.");

TEST(UnsavedChanges, StartsEmpty) {
    UnsavedChanges unsaved;
    EXPECT_TRUE(unsaved.empty());
    EXPECT_EQ(unsaved.identities(), 0U);
    unsaved.add({}, {alert(k_alpha, "{}", k_t0)});
    EXPECT_FALSE(unsaved.empty());
    EXPECT_EQ(unsaved.identities(), 0U);
    unsaved.clear();
    EXPECT_TRUE(unsaved.empty());
}

TEST(UnsavedChanges, OneItemPerIdentityWithTheNewestStatusAndEveryEventInOrder) {
    UnsavedChanges unsaved;
    const auto first = event(StateEventKind::verified, k_t0, IdentityState::pending,
                             IdentityState::verified, "first");
    const auto second =
        event(StateEventKind::revocation_warning, k_t0 + 1s, IdentityState::verified,
              IdentityState::revocation_warning, "second", k_t0 + 120h);
    const auto third = event(StateEventKind::reminder, k_t0 + 2s, IdentityState::revocation_warning,
                             IdentityState::revocation_warning, "third", k_t0 + 120h);
    unsaved.add({checked(k_alpha, status_in(IdentityState::verified, k_t0), {first}, {k_ok}, k_t0)},
                {alert(k_alpha, "1", k_t0)});
    unsaved.add({checked(k_beta, status_in(IdentityState::pending, k_t0), {}, {k_ok}, k_t0 + 1s),
                 checked(k_alpha, status_in(IdentityState::revocation_warning, k_t0 + 1s), {second},
                         {k_missing}, k_t0 + 1s)},
                {alert(k_alpha, "2", k_t0 + 1s)});
    // A tick: status and events, the records of the last check stay.
    unsaved.add({ticked(k_alpha, status_in(IdentityState::revocation_warning, k_t0 + 1s), {third})},
                {alert(k_alpha, "3", k_t0 + 2s)});

    ASSERT_EQ(unsaved.identities(), 2U);
    const auto items = unsaved.items();
    EXPECT_EQ(items[0].key, k_alpha); // in the order first added
    EXPECT_EQ(items[1].key, k_beta);
    EXPECT_EQ(items[0].status, status_in(IdentityState::revocation_warning, k_t0 + 1s));
    EXPECT_EQ(items[0].events, (std::vector<StateEvent>{first, second, third}));
    EXPECT_FALSE(items[0].keep_records);
    ASSERT_EQ(items[0].records.size(), 1U);
    EXPECT_EQ(items[0].records[0].code, VerdictCode::missing);
    EXPECT_EQ(items[0].checked_at, k_t0 + 1s);
    ASSERT_EQ(unsaved.alerts().size(), 3U);
    EXPECT_EQ(unsaved.alerts()[0].message_json, "1");
    EXPECT_EQ(unsaved.alerts()[2].message_json, "3");
}

TEST(UnsavedChanges, ATickAloneKeepsTheStoredRecords) {
    UnsavedChanges unsaved;
    unsaved.add({ticked(k_alpha, status_in(IdentityState::verified, k_t0), {})}, {});
    unsaved.add({ticked(k_alpha, status_in(IdentityState::verified, k_t0 + 1s), {})}, {});
    ASSERT_EQ(unsaved.identities(), 1U);
    EXPECT_TRUE(unsaved.items()[0].keep_records);
}

TEST(UnsavedChanges, SavedInOneBatchEverythingReachesTheStoreOnce) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_TRUE(store);
    const auto warning =
        event(StateEventKind::revocation_warning, k_t0 + 1s, IdentityState::verified,
              IdentityState::revocation_warning, "warning", k_t0 + 120h);
    const auto reminder =
        event(StateEventKind::reminder, k_t0 + 2s, IdentityState::revocation_warning,
              IdentityState::revocation_warning, "reminder", k_t0 + 120h);
    UnsavedChanges unsaved;
    unsaved.add({checked(k_alpha, status_in(IdentityState::revocation_warning, k_t0 + 1s),
                         {warning}, {k_missing}, k_t0 + 1s)},
                {alert(k_alpha, "warning", k_t0 + 1s)});
    unsaved.add(
        {ticked(k_alpha, status_in(IdentityState::revocation_warning, k_t0 + 1s), {reminder})},
        {alert(k_alpha, "reminder", k_t0 + 2s)});
    ASSERT_TRUE(store->save(unsaved.items(), unsaved.alerts()).ok());

    auto identities = store->list_identities();
    ASSERT_TRUE(identities.ok());
    ASSERT_EQ(identities->size(), 1U);
    EXPECT_EQ((*identities)[0].status, status_in(IdentityState::revocation_warning, k_t0 + 1s));
    ASSERT_EQ((*identities)[0].records.size(), 1U);
    EXPECT_EQ((*identities)[0].records[0].verdict.code, VerdictCode::missing);
    EXPECT_EQ((*identities)[0].records[0].checked_at, k_t0 + 1s);
    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 2U);
    EXPECT_EQ((*history)[0].reason, "warning");
    EXPECT_EQ((*history)[1].reason, "reminder");
    auto rows = store->outbox_rows("hook");
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 2U);
    EXPECT_EQ((*rows)[0].message_json, "warning");
    EXPECT_EQ((*rows)[1].message_json, "reminder");
}

} // namespace
} // namespace dkimwatch
