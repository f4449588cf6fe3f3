#pragma once
// Storm control at delivery time, after Alertmanager's group_wait / group_interval: which of a
// sink's queued outbox messages goes out next, and whether alone or as one grouped message.
// Pure: the sink's worker (sink_worker.hpp) reads the queue and the storm activity from the store,
// passes the time and does what the decision says.
//
// Why at delivery time: the daemon checks its identities spread over check_interval, so a
// zone-wide failure is confirmed in many small batches, and plan_outbox (outbox_plan.hpp) only
// groups within one batch (its grouped rows, with no identity, keep the outbox small when one
// batch changes thousands of identities). Here the rows of many batches are grouped:
//   1. Alertmanager sinks (Alertmanager groups by itself), every sink when storm_window is
//      zero, and a PagerDuty sink whose head resolves an identity's incident: the head of the
//      queue is sent alone (a grouped row as it is), at once.
//   2. now < head.created_at + group_wait: wait until then, to collect companions.
//   3. A storm: the head is a grouped row, or the storm window around the head
//      (storm_window_around) holds a grouped row or individual rows of more than
//      group_threshold distinct identities, for this sink, sent or queued. During a storm
//      nothing is sent before last_group_sent + group_interval; then the queued rows from the
//      head on (individual and grouped, at most max_group_rows; for PagerDuty only up to the
//      first resolving row) go out as one group, or alone when only one row is left.
//   4. Otherwise the head is sent alone.
// A grouped row is itself a storm (more than group_threshold identities in one batch), so it
// is held and merged like the individual rows around it rather than sent apart from them.
// Rows are consumed in the order the caller gives (delivery_order.hpp: most severe first, each
// identity's rows in id order), so the order per identity and sink is kept.
//
// Thread-safety: pure functions, reentrant.

#include "config/config.hpp"
#include "core/duration.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace dkimwatch {

// The most queued messages one grouped delivery carries (it stands for all of them; the
// message lists k_alert_group_cap). The rest follow in the next group.
inline constexpr std::size_t k_max_group_rows = 1000;

struct DeliveryGrouping {
    std::size_t group_threshold = 10; // a storm is more distinct identities than this
    Milliseconds group_wait{0};       // hold a new individual message this long (0: no hold)
    Milliseconds group_interval{0};   // at most one grouped message this often during a storm
    // One sweep: the daemon's check_interval. Zero: no grouping at delivery.
    Milliseconds storm_window{0};
    std::size_t max_group_rows = k_max_group_rows; // >= 1

    bool operator==(const DeliveryGrouping&) const = default;
};

// `settings`' group_threshold, group_wait and group_interval with `storm_window`; group_wait is
// at most half of max_retry_age, so that no row is held until it expires.
DeliveryGrouping delivery_grouping(const AlertSettings& settings, Milliseconds storm_window);

// Whether sinks of `type` group at delivery: slack, webhook and pagerduty; not alertmanager.
bool groups_at_delivery(AlertSinkConfig::Type type);

// What the decision needs of one queued outbox row.
struct QueuedMessage {
    std::int64_t id = 0;
    bool grouped = false; // a grouped message queued by plan_outbox (no identity)
    TimePoint created_at{};
    // PagerDuty only: an individual event that resolves its identity's incident (it must be
    // sent with the identity's own dedup_key, so it is never merged into a group).
    bool resolves = false;

    bool operator==(const QueuedMessage&) const = default;
};

// What the sink was sent or has queued within the storm window around the head (the store's
// OutboxActivity).
struct StormActivity {
    std::size_t identities = 0; // distinct identities of individual rows
    bool grouped = false;       // a grouped row

    bool operator==(const StormActivity&) const = default;
};

// Send row `id` alone. `storm`: sent during a storm, so it counts as a grouped send for
// group_interval (the caller passes its time as last_group_sent from then on).
struct SendOne {
    std::int64_t id = 0;
    bool storm = false;
    bool operator==(const SendOne&) const = default;
};
// Nothing is due before `at` (unless new rows come: then decide again).
struct WaitUntil {
    TimePoint at{};
    bool operator==(const WaitUntil&) const = default;
};
// Send rows `ids` (in queue order, at least two, the head first) as one grouped message.
struct SendGroup {
    std::vector<std::int64_t> ids;
    bool operator==(const SendGroup&) const = default;
};
using DeliveryDecision = std::variant<SendOne, WaitUntil, SendGroup>;

// The times within which a storm's identities are counted for a queue whose head was created
// at `head_created_at`: one storm window before it to one after it, both ends included. Before
// the head are the storm's messages already sent, after it those still queued; a sweep's
// confirmations spread over a little more than one check_interval, hence both sides.
struct StormWindow {
    TimePoint from{};
    TimePoint to{};
    bool operator==(const StormWindow&) const = default;
};
StormWindow storm_window_around(TimePoint head_created_at, Milliseconds storm_window);

// The decision for a sink of `type`. `queue`: its queued rows in delivery order
// (delivery_order.hpp), the head first, at
// least the first max_group_rows of them (fewer only when fewer are queued); must not be empty
// (an empty queue waits forever). `activity`: within storm_window_around(head); only read when
// rules 1 and 2 do not apply and the head is an individual row. `last_group_sent`: when this
// sink last sent a group, a grouped row or a storm's single row, if ever. Retries (the head's
// next_attempt_at) and rate limits are the caller's: it applies them to whatever is to be sent.
DeliveryDecision decide_delivery(AlertSinkConfig::Type type, std::span<const QueuedMessage> queue,
                                 const StormActivity& activity,
                                 std::optional<TimePoint> last_group_sent, TimePoint now,
                                 const DeliveryGrouping& grouping);

} // namespace dkimwatch
