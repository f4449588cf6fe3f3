#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::at_ms;
using store_test::event;
using store_test::full_status;
using store_test::k_t0;
using store_test::open_store;
using store_test::record;
using store_test::TempDir;
using Mode = StateStore::Mode;

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"111122223333", "eu-west-1", "beta.example"};
const IdentityKey k_gamma{"444455556666", "us-east-1", "alpha.example"};

std::string error_of(const auto& result) {
    EXPECT_FALSE(result.ok());
    return result.ok() ? std::string("(no error)") : result.error();
}

void expect_ok(const auto& result) {
    ASSERT_TRUE(result.ok()) << result.error();
}

// A raw connection for looking behind the store's back.
sqlite::DbHandle raw_open(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    sqlite::DbHandle db(raw);
    EXPECT_EQ(rc, SQLITE_OK) << file;
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

std::string query_text(sqlite3* db, const char* sql) {
    auto statement = sqlite::Statement::prepare(db, sql);
    EXPECT_TRUE(statement.ok()) << sql << ": " << (statement.ok() ? "" : statement.error());
    if (!statement) {
        return {};
    }
    auto row = statement.value().step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? statement.value().text(0) : std::string();
}

void expect_same_record(const StoredRecord& stored, const RecordVerdict& saved,
                        TimePoint checked_at) {
    EXPECT_EQ(stored.verdict.name, saved.name);
    EXPECT_EQ(stored.verdict.type, saved.type);
    EXPECT_EQ(stored.verdict.expected, saved.expected);
    EXPECT_EQ(stored.verdict.observed, saved.observed);
    EXPECT_EQ(stored.verdict.code, saved.code);
    EXPECT_EQ(stored.verdict.severity, saved.severity);
    EXPECT_EQ(stored.verdict.message, saved.message);
    EXPECT_EQ(stored.verdict.server, saved.server);
    EXPECT_EQ(stored.verdict.latency, saved.latency);
    EXPECT_EQ(stored.checked_at, checked_at);
}

std::map<IdentityKey, IdentityStatus> load(StateStore& store) {
    auto statuses = store.load_statuses();
    EXPECT_TRUE(statuses.ok()) << (statuses.ok() ? "" : statuses.error());
    return statuses.ok() ? std::move(statuses).value() : std::map<IdentityKey, IdentityStatus>{};
}

std::vector<HistoryEntry> all_history(StateStore& store) {
    auto entries = store.history(std::nullopt, 0);
    EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error());
    return entries.ok() ? std::move(entries).value() : std::vector<HistoryEntry>{};
}

std::vector<StoredIdentity> list(StateStore& store) {
    auto identities = store.list_identities();
    EXPECT_TRUE(identities.ok()) << (identities.ok() ? "" : identities.error());
    return identities.ok() ? std::move(identities).value() : std::vector<StoredIdentity>{};
}

TEST(StateStore, OpenCreatesTheFileInWalModeAtTheLatestSchema) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(std::filesystem::exists(dir.db()));
    EXPECT_EQ(store->path(), dir.db());
    EXPECT_EQ(StateStore::schema_version(), 3);
    auto raw = raw_open(dir.db());
    EXPECT_EQ(query_text(raw.get(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_text(raw.get(), "SELECT max(version) FROM schema_migrations"), "3");
    EXPECT_TRUE(load(*store).empty());
    EXPECT_TRUE(list(*store).empty());
    EXPECT_TRUE(all_history(*store).empty());
}

TEST(StateStore, EveryStatusFieldRoundTripsWithOptionalsSet) {
    TempDir dir;
    const IdentityStatus status = full_status();
    {
        auto store = open_store(dir.db());
        ASSERT_NE(store, nullptr);
        expect_ok(store->save_status(k_alpha, status, {}));
        const auto loaded = load(*store);
        ASSERT_EQ(loaded.size(), 1u);
        EXPECT_EQ(loaded.at(k_alpha), status);
    }
    // And through close and reopen, in both modes.
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        auto store = open_store(dir.db(), mode);
        ASSERT_NE(store, nullptr);
        const auto loaded = load(*store);
        ASSERT_EQ(loaded.size(), 1u);
        EXPECT_EQ(loaded.at(k_alpha), status);
        const auto identities = list(*store);
        ASSERT_EQ(identities.size(), 1u);
        EXPECT_EQ(identities[0].status, status);
    }
}

TEST(StateStore, EveryStatusFieldRoundTripsWithOptionalsUnset) {
    TempDir dir;
    IdentityStatus status = initial_status("byodkim selector=s1 key_sha256=00ff", k_t0);
    status.checks_total = 1;
    ASSERT_FALSE(status.deadline || status.first_failure_at || status.indeterminate_since ||
                 status.reminder_covered || status.last_check_at || status.last_worst);
    {
        auto store = open_store(dir.db());
        ASSERT_NE(store, nullptr);
        // Overwrites a full status: every optional must come back unset.
        expect_ok(store->save_status(k_alpha, full_status(), {}));
        expect_ok(store->save_status(k_alpha, status, {}));
        EXPECT_EQ(load(*store).at(k_alpha), status);
    }
    auto store = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(load(*store).at(k_alpha), status);
}

TEST(StateStore, ExtremeValuesRoundTrip) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    IdentityStatus status = full_status();
    status.checks_total = std::numeric_limits<std::uint64_t>::max();
    status.failures_total = (std::uint64_t{1} << 63) + 1;
    status.indeterminate_total = 0;
    status.consecutive_failures = std::numeric_limits<int>::max();
    status.since = at_ms(-1); // before the epoch
    status.reminder_covered = 0ms;
    status.last_worst = Severity::ok;
    status.fingerprint = "with 'quotes', \"double\", unicode \xc3\xa9 and a\nnewline";
    for (const IdentityState state : {IdentityState::pending, IdentityState::verified,
                                      IdentityState::revocation_warning, IdentityState::revoked}) {
        status.state = state;
        expect_ok(store->save_status(k_alpha, status, {}));
        EXPECT_EQ(load(*store).at(k_alpha), status);
    }
}

TEST(StateStore, RecordsAreSavedInOrderAndReplacedByTheNextCheck) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const std::vector<RecordVerdict> first{
        record("t1._domainkey.alpha.example", VerdictCode::ok, Severity::ok,
               "t1.dkim.amazonses.com."),
        record("t2._domainkey.alpha.example", VerdictCode::missing, Severity::error, std::nullopt),
        record("t3._domainkey.alpha.example", VerdictCode::dns_error, Severity::indeterminate, ""),
    };
    CheckToSave check{k_alpha, full_status(), {}, first, k_t0 + 1s};
    expect_ok(store->save(std::span(&check, 1)));
    auto identities = list(*store);
    ASSERT_EQ(identities.size(), 1u);
    EXPECT_EQ(identities[0].key, k_alpha);
    EXPECT_TRUE(identities[0].active);
    ASSERT_EQ(identities[0].records.size(), 3u);
    for (std::size_t index = 0; index < first.size(); ++index) {
        SCOPED_TRACE(index);
        expect_same_record(identities[0].records[index], first[index], k_t0 + 1s);
    }
    // The empty observed text stays distinct from "nothing observed".
    EXPECT_EQ(identities[0].records[2].verdict.observed, std::optional<std::string>(""));

    // Every verdict code and severity name round-trips.
    std::vector<RecordVerdict> all_codes;
    for (int code = 0; code <= static_cast<int>(VerdictCode::dns_error); ++code) {
        all_codes.push_back(record("r" + std::to_string(code), static_cast<VerdictCode>(code),
                                   severity_of(static_cast<VerdictCode>(code)), "x"));
    }
    CheckToSave second{k_alpha, full_status(), {}, all_codes, k_t0 + 2s};
    expect_ok(store->save(std::span(&second, 1)));
    identities = list(*store);
    ASSERT_EQ(identities.at(0).records.size(), all_codes.size());
    for (std::size_t index = 0; index < all_codes.size(); ++index) {
        SCOPED_TRACE(index);
        expect_same_record(identities[0].records[index], all_codes[index], k_t0 + 2s);
    }

    // save_status() (ticks, config changes) leaves the records alone.
    expect_ok(store->save_status(k_alpha, full_status(), {}));
    EXPECT_EQ(list(*store).at(0).records.size(), all_codes.size());

    // A check with fewer records replaces them all.
    CheckToSave third{k_alpha, full_status(), {}, {first[1]}, k_t0 + 3s};
    expect_ok(store->save(std::span(&third, 1)));
    identities = list(*store);
    ASSERT_EQ(identities.at(0).records.size(), 1u);
    expect_same_record(identities[0].records[0], first[1], k_t0 + 3s);
}

TEST(StateStore, IdentitiesAreListedInKeyOrderEachWithItsOwnRecords) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityKey keys[] = {k_gamma, k_alpha, k_beta};
    std::vector<CheckToSave> batch;
    for (const auto& key : keys) {
        IdentityStatus status = initial_status("fp " + key.to_string(), k_t0);
        batch.push_back({key,
                         status,
                         {},
                         {record("a." + key.domain, VerdictCode::ok, Severity::ok, "a"),
                          record("b." + key.domain, VerdictCode::ok, Severity::ok, "b")},
                         k_t0});
    }
    // One identity without records sits between two with records.
    batch[2].records.clear();
    expect_ok(store->save(batch));
    const auto identities = list(*store);
    ASSERT_EQ(identities.size(), 3u);
    // (account, region, domain) order: eu-west-1 < us-east-1, then the other account.
    EXPECT_EQ(identities[0].key, k_beta);
    EXPECT_EQ(identities[1].key, k_alpha);
    EXPECT_EQ(identities[2].key, k_gamma);
    EXPECT_TRUE(identities[0].records.empty());
    ASSERT_EQ(identities[1].records.size(), 2u);
    EXPECT_EQ(identities[1].records[1].verdict.name, "b.alpha.example");
    EXPECT_EQ(identities[1].status.fingerprint, "fp " + k_alpha.to_string());
    ASSERT_EQ(identities[2].records.size(), 2u);
    EXPECT_EQ(identities[2].status.fingerprint, "fp " + k_gamma.to_string());
}

TEST(StateStore, KeepRecordsSavesTheStatusButNotTheRecords) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const RecordVerdict missing =
        record("t2._domainkey.alpha.example", VerdictCode::missing, Severity::error, std::nullopt);
    CheckToSave check{k_alpha, full_status(), {}, {missing}, k_t0 + 1s};
    expect_ok(store->save(std::span(&check, 1)));
    IdentityStatus later = full_status();
    later.consecutive_failures = 9;
    CheckToSave tick{k_alpha, later, {}, {}, k_t0 + 5s};
    tick.keep_records = true;
    expect_ok(store->save(std::span(&tick, 1)));
    const auto identities = list(*store);
    ASSERT_EQ(identities.size(), 1u);
    EXPECT_EQ(identities[0].status.consecutive_failures, 9);
    ASSERT_EQ(identities[0].records.size(), 1u);
    expect_same_record(identities[0].records[0], missing, k_t0 + 1s);
}

TEST(StateStore, ProblemRecordsAreTheNotOkRecordsOfActiveIdentitiesInKeyOrder) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const auto ok = [](const std::string& name) {
        return record(name, VerdictCode::ok, Severity::ok, "x");
    };
    std::vector<CheckToSave> batch{
        {k_gamma,
         full_status(),
         {},
         {record("g1", VerdictCode::weak_key, Severity::warning, "w")},
         k_t0},
        {k_alpha,
         full_status(),
         {},
         {ok("a1"), record("a2", VerdictCode::missing, Severity::error, std::nullopt), ok("a3"),
          record("a4", VerdictCode::dns_error, Severity::indeterminate, "")},
         k_t0},
        {k_beta, full_status(), {}, {ok("b1"), ok("b2"), ok("b3")}, k_t0},
    };
    expect_ok(store->save(batch));
    auto problems = store->problem_records();
    ASSERT_TRUE(problems) << error_of(problems);
    ASSERT_EQ(problems->size(), 3u);
    EXPECT_EQ((*problems)[0].key, k_alpha);
    EXPECT_EQ((*problems)[0].verdict.name, "a2");
    EXPECT_EQ((*problems)[0].verdict.code, VerdictCode::missing);
    EXPECT_EQ((*problems)[1].verdict.name, "a4");
    EXPECT_EQ((*problems)[1].verdict.severity, Severity::indeterminate);
    EXPECT_EQ((*problems)[2].key, k_gamma);
    EXPECT_EQ((*problems)[2].verdict.code, VerdictCode::weak_key);

    // An inactive identity's records are not problems of the running inventory.
    expect_ok(store->set_active_identities(std::vector<IdentityKey>{k_beta, k_gamma}));
    problems = store->problem_records();
    ASSERT_TRUE(problems) << error_of(problems);
    ASSERT_EQ(problems->size(), 1u);
    EXPECT_EQ((*problems)[0].key, k_gamma);
}

TEST(StateStore, HistoryKeepsEveryEventInOrderWithItsFields) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const auto deadline = k_t0 + 120h;
    StateEvent reminder =
        event(StateEventKind::reminder, k_t0 + 72h, IdentityState::revocation_warning,
              IdentityState::revocation_warning, "48h left", deadline);
    reminder.reminder_threshold = 48h;
    const std::vector<StateEvent> alpha_events{
        event(StateEventKind::verified, k_t0, IdentityState::pending, IdentityState::verified,
              "all 3 records ok"),
        event(StateEventKind::revocation_warning, k_t0 + 1h, IdentityState::verified,
              IdentityState::revocation_warning, "missing on 2 checks", deadline),
    };
    expect_ok(store->save_status(k_alpha, full_status(), alpha_events));
    CheckToSave beta{k_beta,
                     full_status(),
                     {event(StateEventKind::config_changed, k_t0 + 2h, IdentityState::verified,
                            IdentityState::pending, "tokens changed")},
                     {},
                     k_t0 + 2h};
    expect_ok(store->save(std::span(&beta, 1)));
    expect_ok(store->save_status(k_alpha, full_status(), std::span(&reminder, 1)));
    expect_ok(store->save_status(k_gamma, full_status(), {}));

    const auto entries = all_history(*store);
    ASSERT_EQ(entries.size(), 4u);
    for (std::size_t index = 1; index < entries.size(); ++index) {
        EXPECT_LT(entries[index - 1].id, entries[index].id);
    }
    EXPECT_EQ(entries[0].key, k_alpha);
    EXPECT_EQ(entries[0].event, "verified");
    EXPECT_EQ(entries[0].from_state, "pending");
    EXPECT_EQ(entries[0].to_state, "verified");
    EXPECT_EQ(entries[0].reason, "all 3 records ok");
    EXPECT_EQ(entries[0].at, k_t0);
    EXPECT_EQ(entries[0].deadline, std::nullopt);
    EXPECT_EQ(entries[0].reminder_threshold, std::nullopt);
    EXPECT_EQ(entries[1].event, "revocation_warning");
    EXPECT_EQ(entries[1].to_state, "revocation_warning");
    EXPECT_EQ(entries[1].deadline, deadline);
    EXPECT_EQ(entries[2].key, k_beta);
    EXPECT_EQ(entries[2].event, "config_changed");
    EXPECT_EQ(entries[2].from_state, "verified");
    EXPECT_EQ(entries[2].to_state, "pending");
    EXPECT_EQ(entries[3].key, k_alpha);
    EXPECT_EQ(entries[3].event, "reminder");
    EXPECT_EQ(entries[3].at, k_t0 + 72h);
    EXPECT_EQ(entries[3].deadline, deadline);
    EXPECT_EQ(entries[3].reminder_threshold, std::optional<Milliseconds>(48h));

    // limit keeps the latest entries, still oldest first.
    auto latest = store->history(std::nullopt, 2);
    ASSERT_TRUE(latest.ok()) << latest.error();
    ASSERT_EQ(latest->size(), 2u);
    EXPECT_EQ((*latest)[0], entries[2]);
    EXPECT_EQ((*latest)[1], entries[3]);

    // By domain: every account and region with that domain.
    auto alpha = store->history(std::string("alpha.example"), 0);
    ASSERT_TRUE(alpha.ok()) << alpha.error();
    ASSERT_EQ(alpha->size(), 3u);
    EXPECT_EQ((*alpha)[0], entries[0]);
    EXPECT_EQ((*alpha)[1], entries[1]);
    EXPECT_EQ((*alpha)[2], entries[3]);
    auto alpha_latest = store->history(std::string("alpha.example"), 1);
    ASSERT_TRUE(alpha_latest.ok()) << alpha_latest.error();
    ASSERT_EQ(alpha_latest->size(), 1u);
    EXPECT_EQ((*alpha_latest)[0], entries[3]);
    auto none = store->history(std::string("ALPHA.example"), 0);
    ASSERT_TRUE(none.ok()) << none.error();
    EXPECT_TRUE(none->empty());

    // Readers see the same history.
    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(all_history(*reader), entries);
}

TEST(StateStore, BatchIsAllOrNothing) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const IdentityStatus before = initial_status("before", k_t0);
    const auto verified = event(StateEventKind::verified, k_t0, IdentityState::pending,
                                IdentityState::verified, "ok");
    CheckToSave earlier{
        k_alpha, before, {verified}, {record("old", VerdictCode::ok, Severity::ok, "x")}, k_t0};
    expect_ok(store->save(std::span(&earlier, 1)));

    // The third item violates the schema (an empty domain), after two valid ones were written
    // inside the transaction.
    const IdentityStatus after = full_status();
    std::vector<CheckToSave> batch{
        {k_alpha, after, {verified}, {record("new", VerdictCode::ok, Severity::ok, "y")}, k_t0},
        {k_beta, after, {verified}, {record("new", VerdictCode::ok, Severity::ok, "y")}, k_t0},
        {IdentityKey{"111122223333", "us-east-1", ""}, after, {verified}, {}, k_t0},
        {k_gamma, after, {verified}, {}, k_t0},
    };
    EXPECT_EQ(error_of(store->save(batch)),
              "state database " + dir.db().string() +
                  ": saving 111122223333/us-east-1/: CHECK constraint failed: domain <> ''");

    const auto statuses = load(*store);
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses.at(k_alpha), before);
    const auto identities = list(*store);
    ASSERT_EQ(identities.size(), 1u);
    ASSERT_EQ(identities[0].records.size(), 1u);
    EXPECT_EQ(identities[0].records[0].verdict.name, "old");
    EXPECT_EQ(all_history(*store).size(), 1u);

    // The store stays usable, and the same batch without the bad item lands whole.
    batch.erase(batch.begin() + 2);
    expect_ok(store->save(batch));
    EXPECT_EQ(load(*store).size(), 3u);
    EXPECT_EQ(load(*store).at(k_alpha), after);
    EXPECT_EQ(all_history(*store).size(), 4u);
    EXPECT_EQ(list(*store).at(1).records.at(0).verdict.name, "new");
}

TEST(StateStore, RemovedIdentitiesKeepTheirHistoryAndComeBackWithTheirStatus) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    IdentityStatus alpha_status = full_status();
    alpha_status.fingerprint = "alpha";
    const auto alpha_event = event(StateEventKind::verified, k_t0, IdentityState::pending,
                                   IdentityState::verified, "alpha ok");
    std::vector<CheckToSave> batch{
        {k_alpha,
         alpha_status,
         {alpha_event},
         {record("r", VerdictCode::ok, Severity::ok, "x")},
         k_t0},
        {k_beta, initial_status("beta", k_t0), {}, {}, k_t0},
        {k_gamma, initial_status("gamma", k_t0), {}, {}, k_t0},
    };
    expect_ok(store->save(batch));

    // alpha leaves the configuration; delta is configured but not saved yet.
    const IdentityKey delta{"1", "us-east-1", "delta.example"};
    const std::vector<IdentityKey> configured{k_beta, k_gamma, delta};
    expect_ok(store->set_active_identities(configured));
    auto statuses = load(*store);
    EXPECT_EQ(statuses.size(), 2u);
    EXPECT_FALSE(statuses.contains(k_alpha));
    EXPECT_FALSE(statuses.contains(delta));
    auto identities = list(*store);
    ASSERT_EQ(identities.size(), 2u);
    EXPECT_EQ(identities[0].key, k_beta);
    EXPECT_EQ(identities[1].key, k_gamma);
    const auto history = all_history(*store);
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].key, k_alpha);
    EXPECT_EQ(history[0].reason, "alpha ok");

    // Saving an inactive identity does not bring it back; set_active_identities does.
    expect_ok(store->save_status(k_alpha, alpha_status, {}));
    EXPECT_FALSE(load(*store).contains(k_alpha));
    const std::vector<IdentityKey> back{k_alpha, k_beta};
    expect_ok(store->set_active_identities(back));
    statuses = load(*store);
    ASSERT_EQ(statuses.size(), 2u);
    EXPECT_EQ(statuses.at(k_alpha), alpha_status);
    identities = list(*store);
    ASSERT_EQ(identities.size(), 2u);
    EXPECT_EQ(identities[1].key, k_alpha);
    EXPECT_EQ(identities[1].records.size(), 1u);

    // A new key is inserted active even when the last set_active_identities did not name it.
    expect_ok(store->save_status(delta, initial_status("delta", k_t0), {}));
    EXPECT_TRUE(load(*store).contains(delta));

    // Nothing configured: nothing listed, everything kept.
    expect_ok(store->set_active_identities({}));
    EXPECT_TRUE(load(*store).empty());
    EXPECT_TRUE(list(*store).empty());
    EXPECT_EQ(all_history(*store).size(), 1u);
}

TEST(StateStore, ReadOnlyNeverCreatesTheFile) {
    TempDir dir;
    EXPECT_EQ(error_of(StateStore::open(dir.db(), Mode::read_only)),
              "no state yet: state database " + dir.db().string() +
                  " does not exist (has the daemon run?)");
    EXPECT_FALSE(std::filesystem::exists(dir.db()));

    std::ofstream(dir.db()).close(); // an empty file: refused (test_state_consistency.cpp)
    EXPECT_NE(error_of(StateStore::open(dir.db(), Mode::read_only)).find("holds no dkimwatch"),
              std::string::npos);
    EXPECT_EQ(std::filesystem::file_size(dir.db()), 0u);
}

TEST(StateStore, ReadOnlyStoreRefusesToWrite) {
    TempDir dir;
    ASSERT_NE(open_store(dir.db()), nullptr);
    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    const std::string expected =
        "state database " + dir.db().string() + ": opened read-only; cannot write";
    EXPECT_EQ(error_of(reader->save_status(k_alpha, full_status(), {})), expected);
    EXPECT_EQ(error_of(reader->save({})), expected);
    EXPECT_EQ(error_of(reader->set_active_identities({})), expected);
}

TEST(StateStore, ReadersWorkWhileAWriterHoldsTheDatabase) {
    TempDir dir;
    auto writer = open_store(dir.db());
    ASSERT_NE(writer, nullptr);
    const IdentityStatus committed = full_status();
    expect_ok(writer->save_status(k_alpha, committed, {}));

    // Another connection holds the write lock with uncommitted changes.
    auto raw = raw_open(dir.db());
    ASSERT_TRUE(sqlite::exec(raw.get(), "BEGIN IMMEDIATE; UPDATE identities SET "
                                        "checks_total = 999; DELETE FROM records")
                    .ok());

    const auto started = std::chrono::steady_clock::now();
    auto reader = open_store(dir.db(), Mode::read_only);
    ASSERT_NE(reader, nullptr);
    auto statuses = load(*reader);
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses.at(k_alpha), committed); // not the uncommitted 999
    EXPECT_EQ(list(*reader).size(), 1u);
    EXPECT_TRUE(all_history(*reader).empty());
    // Without waiting for the busy timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);

    ASSERT_TRUE(sqlite::exec(raw.get(), "COMMIT").ok());
    EXPECT_EQ(load(*reader).at(k_alpha).checks_total, 999u);
}

TEST(StateStore, ErrorsNameTheFileAndCarrySqlitesMessage) {
    TempDir dir;
    const auto missing_dir = dir.path() / "missing" / "dkimwatch.db";
    EXPECT_EQ(error_of(StateStore::open(missing_dir, Mode::read_write)),
              "state database " + missing_dir.string() + ": unable to open database file");
    EXPECT_FALSE(std::filesystem::exists(missing_dir.parent_path()));

    std::ofstream(dir.db()) << "this is not an SQLite database, just some text that is long "
                               "enough to fill the 100-byte header of a database file.....";
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        EXPECT_EQ(error_of(StateStore::open(dir.db(), mode))
                      .rfind("state database " + dir.db().string() +
                                 " is damaged or not a state database (file is not a database)",
                             0),
                  0u);
    }
}

TEST(StateStore, RefusesADatabaseFromANewerDkimwatch) {
    TempDir dir;
    ASSERT_NE(open_store(dir.db()), nullptr);
    {
        auto raw = raw_open(dir.db());
        ASSERT_TRUE(sqlite::exec(raw.get(), "INSERT INTO schema_migrations VALUES (7, 0)").ok());
    }
    for (const Mode mode : {Mode::read_write, Mode::read_only}) {
        EXPECT_EQ(error_of(StateStore::open(dir.db(), mode)),
                  "state database " + dir.db().string() +
                      ": schema version 7 is newer than this dkimwatch (knows up to 3); "
                      "upgrade dkimwatch");
    }
}

TEST(StateStore, AnEmptyFileIsRefusedNotMigrated) {
    // A 0-byte dkimwatch.db is a failed restore or a truncation, not a new database (issue 12):
    // see test_state_consistency.cpp for the message.
    TempDir dir;
    std::ofstream(dir.db()).close();
    EXPECT_NE(error_of(StateStore::open(dir.db(), Mode::read_write)).find("holds no dkimwatch"),
              std::string::npos);
    EXPECT_EQ(std::filesystem::file_size(dir.db()), 0u);
}

TEST(StateStore, IsConsistentAccordingToSqlite) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    CheckToSave check{k_alpha,
                      full_status(),
                      {event(StateEventKind::verified, k_t0, IdentityState::pending,
                             IdentityState::verified, "ok")},
                      {record("r", VerdictCode::ok, Severity::ok, "x")},
                      k_t0};
    expect_ok(store->save(std::span(&check, 1)));
    auto raw = raw_open(dir.db());
    EXPECT_EQ(query_text(raw.get(), "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_text(raw.get(), "SELECT count(*) FROM pragma_foreign_key_check"), "0");
    EXPECT_EQ(query_text(raw.get(), "PRAGMA foreign_keys"), "0"); // per connection: ours only
}

// Many identities in one batch: every cached statement is reused row after row. (The timing
// of 10,000 is measured by tests/integration/store/test_state_store_large_batch.cpp.)
TEST(StateStore, SavesAThousandIdentitiesInOneBatch) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    constexpr int k_count = 1'000;
    std::vector<CheckToSave> batch;
    for (int index = 0; index < k_count; ++index) {
        const IdentityKey key{"111122223333", "us-east-1",
                              "d" + std::to_string(index) + ".example"};
        IdentityStatus status = full_status();
        status.checks_total = static_cast<std::uint64_t>(index);
        batch.push_back(
            {key,
             status,
             {event(StateEventKind::verified, k_t0, IdentityState::pending, IdentityState::verified,
                    "ok " + key.domain)},
             {record("a." + key.domain, VerdictCode::ok, Severity::ok, "a"),
              record("b." + key.domain, VerdictCode::missing, Severity::error, std::nullopt)},
             k_t0});
    }
    expect_ok(store->save(batch));
    expect_ok(store->save(batch)); // updates
    const auto statuses = load(*store);
    ASSERT_EQ(statuses.size(), static_cast<std::size_t>(k_count));
    for (const auto& check : batch) {
        EXPECT_EQ(statuses.at(check.key), check.status) << check.key.to_string();
    }
    const auto identities = list(*store);
    ASSERT_EQ(identities.size(), static_cast<std::size_t>(k_count));
    for (const auto& identity : identities) {
        ASSERT_EQ(identity.records.size(), 2u);
        EXPECT_EQ(identity.records[1].verdict.name, "b." + identity.key.domain);
    }
    const auto history = all_history(*store);
    ASSERT_EQ(history.size(), 2u * k_count);
    EXPECT_EQ(history[k_count + 5].reason, "ok d5.example");
}

TEST(StateStore, IdentityActivityListsEveryStoredKeyWithItsFlag) {
    TempDir dir;
    auto store = open_store(dir.db());
    ASSERT_NE(store, nullptr);
    auto activity = store->identity_activity();
    ASSERT_TRUE(activity) << activity.error();
    EXPECT_TRUE(activity->empty());
    for (const auto& key : {k_alpha, k_beta, k_gamma}) {
        expect_ok(store->save_status(key, full_status(), {}));
    }
    expect_ok(store->set_active_identities(std::vector<IdentityKey>{k_beta}));
    activity = store->identity_activity();
    ASSERT_TRUE(activity) << activity.error();
    // Unlike load_statuses() and list_identities(), the inactive ones too.
    EXPECT_EQ(*activity,
              (std::map<IdentityKey, bool>{{k_alpha, false}, {k_beta, true}, {k_gamma, false}}));
    // Read-only stores can ask too.
    auto reader = open_store(dir.db(), StateStore::Mode::read_only);
    ASSERT_NE(reader, nullptr);
    auto read = reader->identity_activity();
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(*read, *activity);
}

} // namespace
} // namespace dkimwatch
