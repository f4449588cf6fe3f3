#include "core/inventory_adoption.hpp"
#include "core/state_machine.hpp"
#include "core/status_repair.hpp"

#include <algorithm>
#include <chrono>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

Identity easy(const std::string& domain, const std::string& token_prefix = "tok") {
    Identity identity;
    identity.domain = domain;
    identity.account = "111122223333";
    identity.region = "us-east-1";
    identity.method = EasyDkim{
        {token_prefix + "a", token_prefix + "b", token_prefix + "c"}, "dkim.amazonses.com", false};
    return identity;
}

// A verified status of `identity`, last checked at `checked`.
IdentityStatus verified_status(const Identity& identity, TimePoint checked) {
    IdentityStatus status = initial_status(identity_fingerprint(identity), k_t0);
    status.state = IdentityState::verified;
    status.since = checked;
    status.consecutive_successes = 3;
    status.checks_total = 3;
    status.last_check_at = checked;
    status.last_worst = Severity::ok;
    return status;
}

struct Fixture {
    std::vector<Identity> tracked_identities;
    std::vector<IdentityStatus> tracked_statuses; // in memory: no fingerprint
    std::vector<std::optional<TimePoint>> due;
    std::map<IdentityKey, IdentityStatus> stored;
    std::vector<Identity> next;
    TimePoint now = k_t0 + 1h;

    AdoptionPlan adopt() {
        std::vector<TrackedEntry> entries;
        for (std::size_t index = 0; index < tracked_identities.size(); ++index) {
            entries.push_back({tracked_identities[index].key(), &tracked_statuses[index],
                               identity_fingerprint(tracked_identities[index]), due[index]});
        }
        return adopt_inventory({entries, &stored, next, StateMachinePolicy{}, now});
    }

    void track(const Identity& identity, IdentityStatus status, std::optional<TimePoint> at) {
        stored[identity.key()] = status;
        status.fingerprint.clear();
        tracked_identities.push_back(identity);
        tracked_statuses.push_back(status);
        due.push_back(at);
    }
};

TEST(InventoryAdoption, FirstStartMakesEveryIdentityPendingAndSavesIt) {
    Fixture f;
    f.next = {easy("a.example"), easy("b.example", "bt")};
    const AdoptionPlan plan = f.adopt();
    ASSERT_EQ(plan.identities.size(), 2U);
    for (std::size_t index = 0; index < 2; ++index) {
        const auto& adopted = plan.identities[index];
        EXPECT_EQ(adopted.status, initial_status(identity_fingerprint(f.next[index]), f.now));
        EXPECT_FALSE(adopted.kept_from);
        EXPECT_FALSE(adopted.restarted);
    }
    ASSERT_EQ(plan.to_save.size(), 2U);
    EXPECT_EQ(plan.to_save[0].key, f.next[0].key());
    EXPECT_EQ(plan.to_save[1].key, f.next[1].key());
    EXPECT_FALSE(plan.to_save[0].keep_records);
    EXPECT_TRUE(plan.to_save[0].events.empty());
    EXPECT_EQ(plan.to_save[1].status, plan.identities[1].status);
    EXPECT_TRUE(plan.alerts.empty());
    EXPECT_TRUE(plan.repairs.empty());
    EXPECT_TRUE(plan.kept_due.empty());
    EXPECT_TRUE(plan.removed.empty());
    ASSERT_EQ(plan.to_spread.size(), 2U);
    EXPECT_EQ(plan.to_spread[0].id, 0U);
    EXPECT_FALSE(plan.to_spread[0].last_check);
    EXPECT_EQ(plan.to_spread[1].id, 1U);
}

TEST(InventoryAdoption, KeptIdentityContinuesWithItsDueTimeAndNothingIsSaved) {
    Fixture f;
    const Identity a = easy("a.example");
    const IdentityStatus status = verified_status(a, k_t0 + 30min);
    f.track(a, status, k_t0 + 90min);
    f.track(easy("b.example", "bt"), verified_status(easy("b.example", "bt"), k_t0), k_t0 + 2h);
    f.next = {easy("c.example", "ct"), a}; // a moves from index 0 to index 1
    const AdoptionPlan plan = f.adopt();
    ASSERT_EQ(plan.identities.size(), 2U);
    EXPECT_EQ(plan.identities[1].status, status); // the fingerprint filled in again
    EXPECT_EQ(plan.identities[1].kept_from, 0U);
    EXPECT_FALSE(plan.identities[1].restarted);
    ASSERT_EQ(plan.kept_due.size(), 1U);
    EXPECT_EQ(plan.kept_due[0], std::make_pair(ScheduleId{1}, k_t0 + 90min));
    ASSERT_EQ(plan.to_spread.size(), 1U);
    EXPECT_EQ(plan.to_spread[0].id, 0U);
    // Only the new identity is saved.
    ASSERT_EQ(plan.to_save.size(), 1U);
    EXPECT_EQ(plan.to_save[0].key.domain, "c.example");
    EXPECT_TRUE(plan.alerts.empty());
    ASSERT_EQ(plan.removed.size(), 1U);
    EXPECT_EQ(plan.removed[0].domain, "b.example");
}

TEST(InventoryAdoption, KeptIdentityWithoutDueTimeIsSpreadFromItsLastCheck) {
    Fixture f;
    const Identity a = easy("a.example");
    f.track(a, verified_status(a, k_t0 + 30min), std::nullopt); // taken, being checked
    f.next = {a};
    const AdoptionPlan plan = f.adopt();
    EXPECT_TRUE(plan.kept_due.empty());
    ASSERT_EQ(plan.to_spread.size(), 1U);
    EXPECT_EQ(plan.to_spread[0].last_check, k_t0 + 30min);
    EXPECT_TRUE(plan.to_save.empty());
}

TEST(InventoryAdoption, FingerprintChangeOfTrackedIdentityRestartsAtPending) {
    Fixture f;
    const Identity before = easy("a.example", "old");
    IdentityStatus status = verified_status(before, k_t0 + 30min);
    status.checks_total = 17;
    f.track(before, status, k_t0 + 90min);
    const Identity after = easy("a.example", "new");
    f.next = {after};
    const AdoptionPlan plan = f.adopt();
    const Transition expected = on_config(status, identity_fingerprint(after), f.now);
    ASSERT_EQ(plan.identities.size(), 1U);
    EXPECT_EQ(plan.identities[0].status, expected.status);
    EXPECT_EQ(plan.identities[0].status.state, IdentityState::pending);
    EXPECT_EQ(plan.identities[0].status.checks_total, 17U); // lifetime counters kept
    EXPECT_TRUE(plan.identities[0].restarted);
    EXPECT_EQ(plan.identities[0].kept_from, 0U);
    ASSERT_EQ(plan.to_save.size(), 1U);
    EXPECT_EQ(plan.to_save[0].events, expected.events);
    EXPECT_FALSE(plan.to_save[0].keep_records); // the old setup's records are cleared
    ASSERT_EQ(plan.alerts.size(), 1U);
    EXPECT_EQ(plan.alerts[0].index, 0U);
    EXPECT_EQ(plan.alerts[0].key, after.key());
    EXPECT_EQ(plan.alerts[0].event.kind, StateEventKind::config_changed);
    // Checked soon, like a new identity: neither the old due time nor the old last check.
    EXPECT_TRUE(plan.kept_due.empty());
    ASSERT_EQ(plan.to_spread.size(), 1U);
    EXPECT_FALSE(plan.to_spread[0].last_check);
    EXPECT_TRUE(plan.removed.empty());
}

TEST(InventoryAdoption, StoredStatusIsResumedAfterRestartAndKeepsItsRhythm) {
    Fixture f;
    const Identity a = easy("a.example");
    const IdentityStatus status = verified_status(a, k_t0 + 50min);
    f.stored[a.key()] = status;
    f.next = {a};
    const AdoptionPlan plan = f.adopt();
    EXPECT_EQ(plan.identities[0].status, status);
    EXPECT_FALSE(plan.identities[0].kept_from);
    EXPECT_FALSE(plan.identities[0].restarted);
    EXPECT_TRUE(plan.to_save.empty()); // nothing changed, nothing to save
    EXPECT_TRUE(plan.repairs.empty());
    ASSERT_EQ(plan.to_spread.size(), 1U);
    EXPECT_EQ(plan.to_spread[0].last_check, k_t0 + 50min);
}

TEST(InventoryAdoption, DamagedStoredStatusIsRepairedAndTheRepairSaved) {
    Fixture f;
    const Identity a = easy("a.example");
    IdentityStatus status = verified_status(a, k_t0 + 50min);
    status.state = IdentityState::revocation_warning;
    status.deadline.reset(); // damaged: a warning always has a deadline
    f.stored[a.key()] = status;
    f.next = {a};
    const AdoptionPlan plan = f.adopt();
    const StatusRepair expected = repair_status(status, f.now, StateMachinePolicy{});
    ASSERT_FALSE(expected.repairs.empty());
    EXPECT_EQ(plan.identities[0].status, expected.status);
    ASSERT_TRUE(plan.identities[0].status.deadline);
    ASSERT_EQ(plan.repairs.size(), 1U);
    EXPECT_EQ(plan.repairs[0].key, a.key());
    EXPECT_EQ(plan.repairs[0].repairs, expected.repairs);
    ASSERT_EQ(plan.to_save.size(), 1U);
    EXPECT_TRUE(plan.to_save[0].keep_records); // the stored records stay
    EXPECT_TRUE(plan.to_save[0].events.empty());
    EXPECT_EQ(plan.to_save[0].status, expected.status);
}

TEST(InventoryAdoption, StoredStatusOfOldSetupIsRepairedThenRestarted) {
    Fixture f;
    const Identity before = easy("a.example", "old");
    IdentityStatus status = verified_status(before, k_t0 + 50min);
    status.state = IdentityState::revocation_warning; // damaged, as above
    f.stored[before.key()] = status;
    const Identity after = easy("a.example", "new");
    f.next = {after};
    const AdoptionPlan plan = f.adopt();
    // Two rows in order: the repair (records kept), then the restart (records cleared).
    ASSERT_EQ(plan.to_save.size(), 2U);
    EXPECT_TRUE(plan.to_save[0].keep_records);
    EXPECT_FALSE(plan.to_save[1].keep_records);
    ASSERT_EQ(plan.to_save[1].events.size(), 1U);
    EXPECT_EQ(plan.to_save[1].events[0].kind, StateEventKind::config_changed);
    EXPECT_EQ(plan.to_save[1].events[0].from, IdentityState::revocation_warning);
    EXPECT_TRUE(plan.identities[0].restarted);
    EXPECT_EQ(plan.identities[0].status.fingerprint, identity_fingerprint(after));
    EXPECT_EQ(plan.alerts.size(), 1U);
    ASSERT_EQ(plan.to_spread.size(), 1U);
    EXPECT_FALSE(plan.to_spread[0].last_check);
}

TEST(InventoryAdoption, TrackedStatusWinsOverStoredOne) {
    Fixture f;
    const Identity a = easy("a.example");
    f.track(a, verified_status(a, k_t0 + 50min), k_t0 + 2h);
    IdentityStatus stale = initial_status("easy_dkim tokens=x,y,z zone=dkim.amazonses.com", k_t0);
    f.stored[a.key()] = stale;
    f.next = {a};
    const AdoptionPlan plan = f.adopt();
    EXPECT_EQ(plan.identities[0].status.state, IdentityState::verified);
    EXPECT_FALSE(plan.identities[0].restarted);
    EXPECT_TRUE(plan.to_save.empty());
}

TEST(InventoryAdoption, EmptyInventoryRemovesEverythingInTrackedOrder) {
    Fixture f;
    f.track(easy("b.example"), verified_status(easy("b.example"), k_t0), k_t0 + 1h);
    f.track(easy("a.example"), verified_status(easy("a.example"), k_t0), k_t0 + 1h);
    const AdoptionPlan plan = f.adopt();
    EXPECT_TRUE(plan.identities.empty());
    ASSERT_EQ(plan.removed.size(), 2U);
    EXPECT_EQ(plan.removed[0].domain, "b.example");
    EXPECT_EQ(plan.removed[1].domain, "a.example");
}

TEST(InventoryAdoption, AdoptingTheSameInventoryTwiceChangesNothing) {
    Fixture f;
    f.next = {easy("a.example"), easy("b.example", "bt")};
    const AdoptionPlan first = f.adopt();
    // Apply the first plan: track what it returned, with due times.
    Fixture again;
    again.now = f.now + 5min;
    for (std::size_t index = 0; index < f.next.size(); ++index) {
        again.track(f.next[index], first.identities[index].status, f.now + 10min);
    }
    again.next = f.next;
    const AdoptionPlan second = again.adopt();
    EXPECT_TRUE(second.to_save.empty());
    EXPECT_TRUE(second.alerts.empty());
    EXPECT_TRUE(second.removed.empty());
    EXPECT_TRUE(second.to_spread.empty());
    ASSERT_EQ(second.kept_due.size(), 2U);
    for (std::size_t index = 0; index < 2; ++index) {
        EXPECT_EQ(second.identities[index].status, first.identities[index].status);
    }
}

TEST(InventoryAdoption, RemovedThenReAddedIdentityResumesItsStoredStatus) {
    // Removed by one reload, named again by a later one: it is no longer tracked, but the
    // state database kept its row, so it resumes where it was (no new pending spell).
    Fixture f;
    const Identity a = easy("a.example");
    IdentityStatus status = verified_status(a, k_t0 + 20min);
    status.state = IdentityState::revocation_warning;
    status.deadline = k_t0 + 120h;
    status.consecutive_failures = 2;
    status.first_failure_at = k_t0;
    status.consecutive_successes = 0;
    f.stored[a.key()] = status;
    f.next = {a};
    const AdoptionPlan plan = f.adopt();
    EXPECT_EQ(plan.identities[0].status, status);
    EXPECT_FALSE(plan.identities[0].restarted);
    EXPECT_TRUE(plan.to_save.empty());
    EXPECT_TRUE(plan.alerts.empty());
}

// Invariants over many random adoptions: every identity of the new inventory is scheduled
// exactly once, every tracked one is either kept or removed, rows are saved in inventory order
// and every status carries its identity's fingerprint.
TEST(InventoryAdoption, InvariantsHoldForRandomInventories) {
    std::mt19937 random(20240101);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
    for (int round = 0; round < 300; ++round) {
        Fixture f;
        f.now = k_t0 + std::chrono::minutes{pick(10000)};
        const int domains = 1 + pick(12);
        auto identity_of = [&](int domain) {
            // Two setups per domain, so that fingerprints change between the sources.
            return easy("d" + std::to_string(domain) + ".example", pick(2) == 0 ? "x" : "y");
        };
        for (int domain = 0; domain < domains; ++domain) {
            switch (pick(3)) {
            case 0: { // tracked (and stored)
                const Identity identity = identity_of(domain);
                f.track(identity, verified_status(identity, k_t0),
                        pick(2) == 0 ? std::optional<TimePoint>{}
                                     : std::optional<TimePoint>{f.now + 1min});
                break;
            }
            case 1: // stored only
                f.stored[identity_of(domain).key()] = verified_status(identity_of(domain), k_t0);
                break;
            default:
                break;
            }
        }
        std::vector<int> named;
        for (int domain = 0; domain < domains; ++domain) {
            if (pick(3) != 0) {
                named.push_back(domain);
            }
        }
        std::shuffle(named.begin(), named.end(), random);
        for (const int domain : named) {
            f.next.push_back(identity_of(domain));
        }
        const AdoptionPlan plan = f.adopt();

        ASSERT_EQ(plan.identities.size(), f.next.size());
        std::vector<int> scheduled(f.next.size(), 0);
        for (const auto& [id, due] : plan.kept_due) {
            ASSERT_LT(id, f.next.size());
            ++scheduled[id];
            EXPECT_TRUE(plan.identities[id].kept_from);
            EXPECT_FALSE(plan.identities[id].restarted);
        }
        for (const auto& entry : plan.to_spread) {
            ASSERT_LT(entry.id, f.next.size());
            ++scheduled[entry.id];
        }
        EXPECT_EQ(scheduled, std::vector<int>(f.next.size(), 1));
        std::size_t kept = 0;
        for (std::size_t index = 0; index < f.next.size(); ++index) {
            const auto& adopted = plan.identities[index];
            EXPECT_EQ(adopted.status.fingerprint, identity_fingerprint(f.next[index]));
            if (adopted.kept_from) {
                ++kept;
                EXPECT_EQ(f.tracked_identities[*adopted.kept_from].key(), f.next[index].key());
            }
            if (adopted.restarted) {
                EXPECT_EQ(adopted.status.state, IdentityState::pending);
                EXPECT_EQ(adopted.status.entered_pending_at, f.now);
            }
        }
        EXPECT_EQ(kept + plan.removed.size(), f.tracked_identities.size());
        std::map<IdentityKey, std::size_t> position;
        for (std::size_t index = 0; index < f.next.size(); ++index) {
            position[f.next[index].key()] = index;
        }
        for (std::size_t row = 1; row < plan.to_save.size(); ++row) {
            EXPECT_LE(position.at(plan.to_save[row - 1].key), position.at(plan.to_save[row].key));
        }
        std::size_t restarted = 0;
        for (const auto& adopted : plan.identities) {
            restarted += adopted.restarted ? 1 : 0;
        }
        EXPECT_EQ(plan.alerts.size(), restarted); // one config_changed each
        // Adopting the result again changes nothing.
        Fixture again;
        again.now = f.now;
        for (std::size_t index = 0; index < f.next.size(); ++index) {
            again.track(f.next[index], plan.identities[index].status, f.now + 1h);
        }
        again.next = f.next;
        const AdoptionPlan second = again.adopt();
        EXPECT_TRUE(second.to_save.empty());
        EXPECT_TRUE(second.alerts.empty());
        EXPECT_TRUE(second.removed.empty());
    }
}

} // namespace
} // namespace dkimwatch
