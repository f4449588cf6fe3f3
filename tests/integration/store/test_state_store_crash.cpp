// kill -9 at a random moment loses no committed transition and leaves nothing half-written.
//
// A forked child writes batches in a loop. Batch n sets every identity's status to
// expected_status(n), appends one event "batch n" per identity and replaces its records with
// ones stamped n; after each commit it reports n on a pipe. The parent SIGKILLs it at a random
// moment (mostly inside a transaction), reopens the database and checks: integrity_check ok,
// no foreign-key violation, every identity at the same batch k, k is the last reported batch or
// the one after it (committed but not yet reported), and the history holds exactly batches
// 1..k. Several rounds, each child resuming from the state the last one left. Meanwhile a
// read-only store in the parent must always see whole batches.
//
// DKIMWATCH_CRASH_SEED=<n> replays a run (the seed is printed).

#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <csignal>
#include <cstdlib>
#include <gtest/gtest.h>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::k_t0;
using store_test::TempDir;

constexpr int k_identities = 40;
constexpr int k_rounds = 20;

IdentityKey key_of(int index) {
    return {"111122223333", index % 2 == 0 ? "us-east-1" : "eu-west-1",
            "d" + std::to_string(index) + ".example"};
}

// Every field depends on n, so a status from two different batches cannot pass for one.
IdentityStatus expected_status(std::int64_t n) {
    IdentityStatus status;
    status.fingerprint = "fp-" + std::to_string(n);
    status.state = n % 2 == 0 ? IdentityState::revocation_warning : IdentityState::verified;
    status.since = k_t0 + Milliseconds{n};
    status.entered_pending_at = k_t0 - Milliseconds{n};
    status.deadline = k_t0 + 120h + Milliseconds{n};
    status.consecutive_failures = static_cast<int>(n % 1000);
    status.first_failure_at = k_t0 + Milliseconds{2 * n};
    status.consecutive_successes = static_cast<int>(n % 7);
    status.indeterminate_since =
        n % 3 == 0 ? std::optional<TimePoint>(k_t0 + Milliseconds{n}) : std::nullopt;
    status.pending_overdue_raised = n % 2 == 0;
    status.blind_raised = n % 3 == 0;
    status.records_back_raised = n % 5 == 0;
    status.reminder_covered = Milliseconds{n % 11};
    status.checks_total = static_cast<std::uint64_t>(n);
    status.failures_total = static_cast<std::uint64_t>(2 * n);
    status.indeterminate_total = static_cast<std::uint64_t>(3 * n);
    status.last_check_at = k_t0 + Milliseconds{n};
    status.last_worst = n % 2 == 0 ? Severity::error : Severity::ok;
    return status;
}

std::vector<CheckToSave> batch_for(std::int64_t n) {
    std::vector<CheckToSave> batch;
    const std::string label = "batch " + std::to_string(n);
    for (int index = 0; index < k_identities; ++index) {
        CheckToSave check;
        check.key = key_of(index);
        check.status = expected_status(n);
        check.events.push_back(store_test::event(StateEventKind::reminder, k_t0 + Milliseconds{n},
                                                 IdentityState::verified, IdentityState::verified,
                                                 label, k_t0 + 120h + Milliseconds{n}));
        for (int token = 0; token < 3; ++token) {
            check.records.push_back(
                store_test::record("t" + std::to_string(token) + "._domainkey." + check.key.domain,
                                   VerdictCode::ok, Severity::ok, label));
        }
        check.checked_at = k_t0 + Milliseconds{n};
        batch.push_back(std::move(check));
    }
    return batch;
}

// The child: writes batches until killed. Never returns; exit code 2 on any failure.
[[noreturn]] void write_forever(const std::filesystem::path& file, int report_fd) {
    auto store = StateStore::open(file, StateStore::Mode::read_write);
    if (!store) {
        std::fprintf(stderr, "child: %s\n", store.error().c_str());
        _exit(2);
    }
    auto statuses = store.value()->load_statuses();
    if (!statuses) {
        std::fprintf(stderr, "child: %s\n", statuses.error().c_str());
        _exit(2);
    }
    std::int64_t n =
        statuses->empty() ? 0 : static_cast<std::int64_t>(statuses->begin()->second.checks_total);
    const auto give_up = std::chrono::steady_clock::now() + 60s; // if the parent never kills
    while (std::chrono::steady_clock::now() < give_up) {
        ++n;
        const auto batch = batch_for(n);
        if (auto saved = store.value()->save(batch); !saved) {
            std::fprintf(stderr, "child: %s\n", saved.error().c_str());
            _exit(2);
        }
        if (write(report_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) {
            _exit(2);
        }
    }
    _exit(3);
}

std::string query_text(sqlite3* db, const char* sql) {
    auto statement = sqlite::Statement::prepare(db, sql);
    EXPECT_TRUE(statement.ok()) << sql;
    if (!statement) {
        return {};
    }
    auto row = statement.value().step();
    EXPECT_TRUE(row.ok()) << sql;
    return row.ok() && *row ? statement.value().text(0) : std::string("(no row)");
}

// All identities at one batch; returns it (-1 after a failed expectation).
std::int64_t check_whole_batch(StateStore& store) {
    auto identities = store.list_identities();
    EXPECT_TRUE(identities.ok()) << (identities.ok() ? "" : identities.error());
    if (!identities || identities->empty()) {
        return identities.ok() ? 0 : -1;
    }
    EXPECT_EQ(identities->size(), static_cast<std::size_t>(k_identities));
    const auto n = static_cast<std::int64_t>(identities->front().status.checks_total);
    const std::string label = "batch " + std::to_string(n);
    for (const auto& identity : *identities) {
        EXPECT_EQ(identity.status, expected_status(n)) << identity.key.to_string();
        EXPECT_EQ(identity.records.size(), 3u) << identity.key.to_string();
        for (const auto& record : identity.records) {
            EXPECT_EQ(record.verdict.observed, label) << identity.key.to_string();
            EXPECT_EQ(record.checked_at, k_t0 + Milliseconds{n});
        }
    }
    return ::testing::Test::HasFailure() ? -1 : n;
}

TEST(StateStoreCrash, KillNineLosesNoCommittedBatchAndLeavesNothingHalfWritten) {
    TempDir dir;
    unsigned seed = std::random_device{}();
    if (const char* fixed = std::getenv("DKIMWATCH_CRASH_SEED")) {
        seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
    }
    std::cout << "[          ] DKIMWATCH_CRASH_SEED=" << seed << "\n";
    std::mt19937 random(seed);

    std::int64_t committed = 0; // the last batch known to be committed
    for (int round = 0; round < k_rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            close(fds[0]);
            write_forever(dir.db(), fds[1]);
        }
        close(fds[1]);

        // Let it commit a few batches, read concurrently, then kill at a random moment.
        const int before_kill = std::uniform_int_distribution<int>(3, 30)(random);
        std::int64_t reported = committed;
        for (int batches = 0; batches < before_kill; ++batches) {
            std::int64_t n = 0;
            ASSERT_EQ(read(fds[0], &n, sizeof n), static_cast<ssize_t>(sizeof n));
            EXPECT_EQ(n, reported + 1);
            reported = n;
            if (batches == 1) {
                auto reader = StateStore::open(dir.db(), StateStore::Mode::read_only);
                ASSERT_TRUE(reader.ok()) << reader.error();
                const auto seen = check_whole_batch(**reader);
                EXPECT_GE(seen, reported - 1);
            }
        }
        std::this_thread::sleep_for(
            std::chrono::microseconds{std::uniform_int_distribution<int>(0, 5000)(random)});
        ASSERT_EQ(kill(child, SIGKILL), 0);
        for (std::int64_t n = 0; read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n);) {
            reported = n;
        }
        close(fds[0]);
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "the child ended by itself (status " << status << ")";

        {
            sqlite3* raw = nullptr;
            ASSERT_EQ(sqlite3_open_v2(dir.db().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr),
                      SQLITE_OK);
            sqlite::DbHandle db(raw);
            EXPECT_EQ(query_text(raw, "PRAGMA integrity_check"), "ok");
            EXPECT_EQ(query_text(raw, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
        }
        auto store = StateStore::open(dir.db(), StateStore::Mode::read_only);
        ASSERT_TRUE(store.ok()) << store.error();
        const std::int64_t n = check_whole_batch(**store);
        ASSERT_FALSE(HasFailure());
        // Committed and reported, or committed just before the report could be written.
        EXPECT_GE(n, reported);
        EXPECT_LE(n, reported + 1);

        auto history = store.value()->history(std::nullopt, 0);
        ASSERT_TRUE(history.ok()) << history.error();
        ASSERT_EQ(history->size(), static_cast<std::size_t>(n * k_identities));
        for (std::size_t index = 0; index < history->size(); ++index) {
            const auto batch = static_cast<std::int64_t>(index / k_identities) + 1;
            const auto& entry = (*history)[index];
            ASSERT_EQ(entry.reason, "batch " + std::to_string(batch)) << index;
            ASSERT_EQ(entry.key, key_of(static_cast<int>(index % k_identities))) << index;
            ASSERT_EQ(entry.deadline, k_t0 + 120h + Milliseconds{batch}) << index;
        }
        std::cout << "[          ] round " << round << ": killed after batch " << reported
                  << " was reported; found batch " << n << "\n";
        committed = n;
    }
}

} // namespace
} // namespace dkimwatch
