// The daemon saves a whole sweep in one save() call (100,000 identities in the later benchmark).
// This measures batches of 10,000 identities (3 records and 1 event each), inserted then
// updated, and listing them back; it prints the times and fails only on wrong contents or on a
// time so large that something is badly wrong (per-row re-preparing, a sync per row).

#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <iostream>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::k_t0;
using store_test::TempDir;

constexpr int k_count = 10'000;
constexpr auto k_sanity_limit = 10s;

std::chrono::milliseconds since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
}

TEST(StateStoreLargeBatch, SavesTenThousandIdentitiesInOneBatch) {
    TempDir dir;
    auto store = store_test::open_store(dir.db());
    ASSERT_NE(store, nullptr);
    std::vector<CheckToSave> batch;
    batch.reserve(k_count);
    for (int index = 0; index < k_count; ++index) {
        const IdentityKey key{"111122223333", "us-east-1",
                              "d" + std::to_string(index) + ".example"};
        std::vector<RecordVerdict> records;
        for (int token = 0; token < 3; ++token) {
            records.push_back(
                store_test::record("t" + std::to_string(token) + "._domainkey." + key.domain,
                                   VerdictCode::ok, Severity::ok, "t.dkim.amazonses.com."));
        }
        batch.push_back({key,
                         store_test::full_status(),
                         {store_test::event(StateEventKind::verified, k_t0, IdentityState::pending,
                                            IdentityState::verified, "all 3 records ok")},
                         std::move(records),
                         k_t0});
    }
    for (const char* what : {"inserted", "updated"}) {
        const auto started = std::chrono::steady_clock::now();
        auto saved = store->save(batch);
        const auto elapsed = since(started);
        ASSERT_TRUE(saved.ok()) << saved.error();
        std::cout << "[          ] save() of " << k_count
                  << " identities (3 records, 1 event each), " << what << ": " << elapsed.count()
                  << " ms\n";
        EXPECT_LT(elapsed, k_sanity_limit);
    }
    const auto started = std::chrono::steady_clock::now();
    auto identities = store->list_identities();
    const auto elapsed = since(started);
    ASSERT_TRUE(identities.ok()) << identities.error();
    std::cout << "[          ] list_identities() of " << identities->size()
              << " identities: " << elapsed.count() << " ms\n";
    ASSERT_EQ(identities->size(), static_cast<std::size_t>(k_count));
    EXPECT_EQ(identities->front().records.size(), 3u);
    EXPECT_EQ(identities->front().status, store_test::full_status());
    auto history = store->history(std::nullopt, 0);
    ASSERT_TRUE(history.ok()) << history.error();
    EXPECT_EQ(history->size(), 2u * k_count);
}

} // namespace
} // namespace dkimwatch
