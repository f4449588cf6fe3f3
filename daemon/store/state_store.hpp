#pragma once
// The durable state store: one SQLite database file holding, per identity (account, region,
// domain), its complete IdentityStatus, the last observation of each of its records, the
// history of every state-machine event with its reason, and the alert outbox (the messages
// each alert sink is owed, queued with the transitions that caused them). The daemon
// (`dkimwatch run`) writes it; `dkimwatch status` and `history` read it while the daemon runs.
//
// Durability: every write call is one transaction, all or nothing. The database is in WAL mode
// with synchronous=NORMAL: a committed transaction survives the death of the process at any
// moment (kill -9); only an operating-system crash or power loss may lose the last commits,
// and even then the file stays consistent.
//
// Concurrency: any number of stores, in any processes, may open the same file. Readers never
// block the writer nor wait for it, and see the last committed state; writers (normally only
// the daemon) wait up to k_state_store_busy_timeout for each other, then fail with "database is
// locked".
//
// Times are stored as integer milliseconds since the Unix epoch, so every TimePoint round-trips
// exactly. Errors name the file: "state database /var/lib/dkimwatch/dkimwatch.db: unable to
// open database file".
//
// Thread-safety: a StateStore caches prepared statements and must be used by one thread at a
// time; give each thread its own StateStore.

#include "core/duration.hpp"
#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/ses_view.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// The file name of the state database inside the daemon's state directory.
inline constexpr std::string_view k_state_db_file_name = "dkimwatch.db";
// How long a write (or a read-write open) waits for another writer before failing.
inline constexpr Milliseconds k_state_store_busy_timeout = std::chrono::seconds{5};

// The value of a successful write.
struct StoreOk {};

// The last observation of one record.
struct StoredRecord {
    RecordVerdict verdict;
    TimePoint checked_at{}; // when the check that produced it was made
};

struct StoredIdentity {
    IdentityKey key;
    IdentityStatus status;
    bool active = true;
    // The last check's records in the order they were saved; empty before the first check.
    std::vector<StoredRecord> records;
};

// One saved StateEvent. The names are the public ones (state_event_kind_name,
// identity_state_name), kept as text so that entries written by a newer dkimwatch still read.
struct HistoryEntry {
    std::int64_t id = 0; // increases in the order the events were saved; never reused
    IdentityKey key;
    TimePoint at{};
    std::string event;
    std::string from_state;
    std::string to_state;
    std::string reason;
    std::optional<TimePoint> deadline;
    std::optional<Milliseconds> reminder_threshold;

    bool operator==(const HistoryEntry&) const = default;
};

// The outcome of checking one identity: its new status, the events the state machine raised
// (in order), and the records observed at `checked_at`.
struct CheckToSave {
    IdentityKey key;
    IdentityStatus status;
    std::vector<StateEvent> events;
    std::vector<RecordVerdict> records;
    TimePoint checked_at{};
    // True for a change without a check (on_tick, on_config): the stored records stay as they
    // are and `records` and `checked_at` are ignored.
    bool keep_records = false;
};

// A stored record whose severity is not ok, and its identity.
struct StoredProblem {
    IdentityKey key;
    RecordVerdict verdict;
};

// One alert message to queue for one sink (see alert/outbox_plan.hpp, whose OutboxInsert the
// daemon converts to this: the store knows the message only as its JSON text).
struct OutboxRowInsert {
    std::string sink;         // AlertSinkConfig::name, not empty
    IdentityKey key;          // the identity, or all empty for a grouped message
    std::string message_json; // alert_message_to_json() of the message
    TimePoint created_at{};   // also its first next_attempt_at: deliver at once
};

enum class OutboxStatus {
    queued,  // waiting for (another) delivery attempt
    sent,    // delivered
    dropped, // given up on: rejected by the sink, or older than max_retry_age
};

// "queued", "sent", "dropped": stored as such.
const char* outbox_status_name(OutboxStatus status);

// One row of the alert outbox.
struct OutboxRow {
    std::int64_t id = 0; // increases in the order rows were queued; never reused
    std::string sink;
    IdentityKey key;
    std::string message_json;
    TimePoint created_at{};
    OutboxStatus status = OutboxStatus::queued;
    int attempts = 0;                      // failed delivery attempts so far
    TimePoint next_attempt_at{};           // queued: not before this time
    std::optional<std::string> last_error; // the last failure, or why it was dropped
    std::optional<TimePoint> done_at;      // when it was sent or dropped

    bool operator==(const OutboxRow&) const = default;
};

// What one sink was sent or has queued within a time range (StateStore::outbox_activity).
struct OutboxActivity {
    std::size_t identities = 0;   // distinct identities of its individual rows
    std::size_t grouped_rows = 0; // rows of grouped messages

    bool operator==(const OutboxActivity&) const = default;
};

// A problem of one identity's row, found when the store was opened (StateStore::open checks
// every row; see store/state_consistency.hpp for the list). A `corrupt` row cannot be used at
// all (an unknown state): open() then fails. Any other finding leaves the row usable; the
// daemon repairs what needs it (core/status_repair.hpp).
struct StateFinding {
    IdentityKey key;
    std::string problem; // e.g. "is in revocation_warning without a deadline"
    bool corrupt = false;

    bool operator==(const StateFinding&) const = default;
};

// "identity 1111/us-east-1/example.com is in revocation_warning without a deadline"
std::string state_finding_text(const StateFinding& finding);

// The queued rows of one sink.
struct OutboxDepth {
    std::size_t count = 0;
    std::optional<TimePoint> oldest; // created_at of the oldest; nullopt when count == 0

    bool operator==(const OutboxDepth&) const = default;
};

class StateStore {
public:
    enum class Mode { read_write, read_only };

    // read_write: opens `file`, creating it if missing (its directory must exist), and migrates
    // it to this build's schema. read_only: never creates or changes anything; fails with
    // "no state yet: state database PATH does not exist (has the daemon run?)" when the file is
    // missing. Both fail on a database newer than this build: "state database PATH:
    // schema version 7 is newer than this dkimwatch (knows up to 1); upgrade dkimwatch".
    //
    // A file that exists is checked before anything is written to it, in both modes, and
    // refused with an error that ends with how to start afresh (k_start_afresh_hint):
    // - one that holds no dkimwatch schema (a 0-byte file, another program's database) is never
    //   re-created: "state database PATH holds no dkimwatch state (...)";
    // - one that is not an SQLite database, or fails PRAGMA quick_check: "... is damaged";
    // - one with a corrupt identity row (see StateFinding).
    // Other findings are kept for findings().
    static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& file, Mode mode);

    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    // The schema version this build writes (the number of migrations it knows).
    static int schema_version();

    const std::filesystem::path& path() const;

    // The (non-corrupt) problems found in the identity rows when the store was opened, ordered
    // by key; empty for a sound database.
    const std::vector<StateFinding>& findings() const;

    // The status of every active identity.
    Result<std::map<IdentityKey, IdentityStatus>> load_statuses();

    // One transaction for the whole batch: for each item, the status is upserted (a new key is
    // inserted active; an existing key keeps its active flag), the events are appended to the
    // history, and the identity's records are replaced by `records`. On any error nothing of
    // the batch is kept. Errors name the identity:
    //   "state database PATH: saving acct/us-east-1/example.com: <SQLite message>".
    // `alerts` are queued in the outbox in the same transaction: the transitions and the
    // alerts they cause are kept or lost together.
    Result<StoreOk> save(std::span<const CheckToSave> batch,
                         std::span<const OutboxRowInsert> alerts = {});

    // save() of one item with keep_records, for on_tick()/on_config() results: upserts the status
    // and appends the events, leaving the identity's records as they are; queues `alerts` in the
    // same transaction.
    Result<StoreOk> save_status(const IdentityKey& key, const IdentityStatus& status,
                                std::span<const StateEvent> events,
                                std::span<const OutboxRowInsert> alerts = {});

    // The alert outbox. Each sink's rows are delivered by one worker (alert/delivery_order.hpp),
    // which holds its own StateStore. Errors name the file like the others; marking a row that is
    // not queued (unknown id, already sent or dropped) fails with
    //   "state database PATH: outbox row 42 is not queued".

    // Queues `alerts` (one transaction) without any state change.
    Result<StoreOk> outbox_insert(std::span<const OutboxRowInsert> alerts);
    // The queued row of `sink` with the smallest id (the head of its queue, whether or not its
    // next_attempt_at has come), or nullopt when the sink has none.
    Result<std::optional<OutboxRow>> next_outbox(const std::string& sink);
    // Delivered at `at`: status sent.
    Result<StoreOk> outbox_mark_sent(std::int64_t id, TimePoint at);
    // A failed attempt to retry: `attempts` failed attempts so far, next one at
    // `next_attempt_at`; the row stays queued.
    Result<StoreOk> outbox_retry(std::int64_t id, int attempts, TimePoint next_attempt_at,
                                 const std::string& last_error);
    // Given up at `at` because of `reason`: status dropped (the row is kept).
    Result<StoreOk> outbox_drop(std::int64_t id, TimePoint at, const std::string& reason);
    // How many rows of `sink` are queued, and since when.
    Result<OutboxDepth> outbox_depth(const std::string& sink);
    // Every row of `sink` (all statuses), oldest first: for `status` displays and tests.
    Result<std::vector<OutboxRow>> outbox_rows(const std::string& sink);
    // The first `limit` queued rows of `sink` in id order (the head first), whether or not their
    // next_attempt_at has come.
    Result<std::vector<OutboxRow>> outbox_queued(const std::string& sink, std::size_t limit);
    // The rows of `sink`, queued or sent (not dropped), created within [from, to]: how many
    // distinct identities have individual rows, and how many grouped rows (no identity) there
    // are. It reads the rows queued since `from` (all sinks), not the whole outbox: it walks
    // back from the newest row to the first one created before `from`, relying on created_at
    // growing with the id as the daemon queues them (after a step back of the wall clock, rows
    // queued before the step may not be counted).
    Result<OutboxActivity> outbox_activity(const std::string& sink, TimePoint from, TimePoint to);
    // Like outbox_mark_sent() and outbox_drop() for many rows, in one transaction: when one of
    // them is not queued, none is changed.
    Result<StoreOk> outbox_mark_sent(std::span<const std::int64_t> ids, TimePoint at);
    Result<StoreOk> outbox_drop(std::span<const std::int64_t> ids, TimePoint at,
                                const std::string& reason);

    // The outbox keys (sink column) that have queued rows, sorted.
    Result<std::vector<std::string>> outbox_queued_sinks();
    // Moves every queued row of `from` to the keys `to` (at least one, `from` not among them,
    // none empty), in one transaction, all or nothing; returns how many rows `from` had queued.
    // Used when a sink's lanes change (alert/delivery_lanes.hpp, plan_lane_rekeying): each key of
    // `to` gets every row, the first one the rows themselves (their ids, hence their place among
    // the rows queued before and after them), every further one a copy of each, queued in the rows'
    // order after the rows already there. The identity, message, created_at (max_retry_age
    // still counts from when the alert was first queued) and last_error are kept; attempts
    // restart at 0 and next_attempt_at is created_at (deliver at once): attempts and the backoff
    // they drive belong to the lane that made them, and the row now belongs to a lane that has
    // not tried it (a new worker, often a URL that a reload just added or fixed). A copy's id is
    // newer than its created_at, which outbox_activity()'s walk back (meant for grouping sinks,
    // never alertmanager) may then stop at, as after a step back of the wall clock.
    Result<std::size_t> rekey_queued(const std::string& from, std::span<const std::string> to);

    // Marks exactly the stored identities among `active` active and every other one inactive.
    // Keys not stored yet are ignored (save() inserts them active). Inactive identities keep
    // their status, records and history. load_statuses() reads only active rows, so a key that
    // comes back (put back into the configuration, or owned again by this shard) starts a new
    // spell at pending, and its first save() overwrites the old status; its history stays.
    Result<StoreOk> set_active_identities(std::span<const IdentityKey> active);

    // Every active identity with its records, ordered by key (account, region, domain).
    Result<std::vector<StoredIdentity>> list_identities();

    // Every stored identity, active or not, with its active flag: what is in the database at
    // all (`dkimwatch state import` decides with it which identities it would overwrite).
    Result<std::map<IdentityKey, bool>> identity_activity();

    // The stored records of active identities whose severity is not ok, ordered by key and
    // then as saved. What a restarted daemon shows until the first check, without reading the
    // (many more) ok records into memory.
    Result<std::vector<StoredProblem>> problem_records();

    // The latest `limit` history entries (0: all), oldest first, of every identity (active or
    // not) or only of those whose domain is exactly `domain` (canonical, lowercase).
    Result<std::vector<HistoryEntry>> history(const std::optional<std::string>& domain,
                                              std::size_t limit);

    // The SES source (core/ses_view.hpp; implemented in state_store_ses.cpp). Errors name the
    // file like the others.

    // Keeps `inventory` as the last good listing of its (source, region), replacing the one
    // saved before (its account too) with every identity under it, in one transaction. Call it
    // only with a listing that completed: a failing sync keeps the previous one.
    Result<StoreOk> save_ses_inventory(const SesInventory& inventory);
    // Every saved inventory, ordered by (source, region), each with its domains sorted; every
    // field as saved. What a restart without API access watches.
    Result<std::vector<SesInventory>> load_ses_inventories();
    // Replaces the SES findings of `key` (key.domain not empty) by `findings`, kept in their
    // order; an empty vector clears them.
    Result<StoreOk> save_ses_findings(const IdentityKey& key,
                                      const std::vector<SesFinding>& findings);
    // The findings of every identity that has any, ordered by key; the findings in saved order.
    Result<std::map<IdentityKey, std::vector<SesFinding>>> load_ses_findings();
    // Appends identity-level SES events to the history next to the state machine's, and queues
    // `alerts` in the same transaction. An SES event does not move the state machine: its entry
    // has from_state == to_state == `state` (the identity's state when it was raised), event =
    // ses_event_kind_name(), reason = SesEvent::reason (which names SES's from/to statuses).
    // The identity must be stored already (an SES-only identity after its first save()):
    //   "state database PATH: SES events of acct/us-east-1/example.com: identity not stored".
    // Events of an account/region (ses_sync_failing, ses_sync_recovered; key.domain empty) have no
    // identity and are not kept in the history: only their alerts are queued.
    Result<StoreOk> append_ses_events(const IdentityKey& key, IdentityState state,
                                      std::span<const SesEvent> events,
                                      std::span<const OutboxRowInsert> alerts = {});

private:
    struct Impl;
    explicit StateStore(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
