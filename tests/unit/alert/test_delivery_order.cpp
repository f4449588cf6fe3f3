#include "alert/alert_event.hpp"
#include "alert/delivery_order.hpp"

#include <gtest/gtest.h>
#include <map>
#include <set>

namespace dkimwatch {
namespace {

constexpr int k_info = 0;
constexpr int k_resolved = 1;
constexpr int k_warning = 2;
constexpr int k_critical = 3;

IdentityKey identity(const std::string& domain) {
    return IdentityKey{"111122223333", "us-east-1", domain};
}

OrderedRow row(std::int64_t id, const std::string& domain, int rank) {
    return OrderedRow{id, domain.empty() ? IdentityKey{} : identity(domain), rank};
}

std::vector<std::int64_t> order(const std::vector<OrderedRow>& rows) {
    return delivery_order(rows);
}

TEST(DeliveryOrder, EqualSeveritiesGoInIdOrder) {
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "b", k_info), row(3, "a", k_info)}),
              (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_TRUE(order({}).empty());
}

// The defect of issue 12: behind a slow sink, a critical revocation_warning waited behind the
// info alerts of other identities queued before it (plain id order would give 1, 2, 3, 4).
TEST(DeliveryOrder, ACriticalAlertOvertakesLessSevereAlertsOfOtherIdentities) {
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "b", k_info), row(3, "c", k_warning),
                     row(4, "d", k_critical)}),
              (std::vector<std::int64_t>{4, 3, 1, 2}));
}

TEST(DeliveryOrder, AnIdentitysRowsKeepTheirOrderAndTheCriticalPullsItsOlderRowsAhead) {
    // d's info (2) must go before d's critical (4): both go before b's older info (1... 3).
    EXPECT_EQ(order({row(1, "b", k_info), row(2, "d", k_info), row(3, "c", k_info),
                     row(4, "d", k_critical), row(5, "d", k_info)}),
              (std::vector<std::int64_t>{2, 4, 1, 3, 5}));
}

TEST(DeliveryOrder, TiesOfUrgencyGoToTheOldest) {
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "b", k_critical), row(3, "c", k_critical),
                     row(4, "a", k_resolved)}),
              (std::vector<std::int64_t>{2, 3, 1, 4}));
}

TEST(DeliveryOrder, ResolvedGoesBeforeInfoAndAfterWarning) {
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "b", k_resolved), row(3, "c", k_warning)}),
              (std::vector<std::int64_t>{3, 2, 1}));
}

TEST(DeliveryOrder, AGroupedRowIsABarrier) {
    // Nothing overtakes the grouped row 3 (it may list any identity), and it overtakes nothing.
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "b", k_warning), row(3, "", k_info),
                     row(4, "c", k_info), row(5, "d", k_critical)}),
              (std::vector<std::int64_t>{2, 1, 3, 5, 4}));
    EXPECT_EQ(order({row(1, "a", k_info), row(2, "", k_critical), row(3, "b", k_info)}),
              (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(DeliveryOrder, PerIdentityOrderHoldsForAnyMix) {
    // Every id appears once, and each identity's ids come out increasing.
    std::vector<OrderedRow> rows;
    const std::vector<std::string> domains{"a", "b", "c", "", "d"};
    for (std::int64_t id = 1; id <= 200; ++id) {
        const auto& domain = domains[static_cast<std::size_t>(id * 7 % 5)];
        rows.push_back(row(id, domain, static_cast<int>(id * 13 % 4)));
    }
    const auto ids = delivery_order(rows);
    ASSERT_EQ(ids.size(), rows.size());
    std::map<IdentityKey, std::int64_t> last;
    std::set<std::int64_t> sent;
    for (const std::int64_t id : ids) {
        const OrderedRow& r = rows[static_cast<std::size_t>(id - 1)];
        EXPECT_GT(id, last[r.key]) << id;
        last[r.key] = id;
        for (std::int64_t older = 1; older < id; ++older) {
            const bool grouped = rows[static_cast<std::size_t>(older - 1)].key.domain.empty();
            if (r.key.domain.empty() || grouped) {
                // A grouped row goes after every older row, and every row after older grouped ones.
                EXPECT_TRUE(sent.contains(older)) << id << " before " << older;
            }
        }
        sent.insert(id);
    }
}

} // namespace
} // namespace dkimwatch

namespace dkimwatch {
namespace {

// An SES sync event (ses_sync_failing) names an account and region but no domain: it is one
// event of its own, ordered like an identity's, not a grouped row (a barrier).
TEST(DeliveryOrder, AnSesSyncEventIsNotAGroup) {
    const IdentityKey sync{"111122223333", "us-east-1", ""};
    EXPECT_FALSE(is_group_key(sync));
    EXPECT_TRUE(is_group_key(IdentityKey{}));
    const std::vector<OrderedRow> rows{{1, IdentityKey{"111122223333", "us-east-1", "a"}, 0},
                                       {2, sync, 3}};
    // As a barrier it would stay second; as an event the critical one goes first.
    EXPECT_EQ(delivery_order(rows), (std::vector<std::int64_t>{2, 1}));
}

} // namespace
} // namespace dkimwatch
