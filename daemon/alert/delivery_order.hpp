#pragma once
// In which order a sink's queued outbox rows go out: the most severe first, without ever
// reordering one identity's rows. Pure; the sink's worker (sink_worker.hpp) passes its queued
// rows and delivers (or groups, delivery_grouping.hpp) them in the order returned.
//
// Rules, for rows given in id order (the order they were queued):
//   1. One identity's rows keep their id order: a row is never sent before an older queued row
//      of the same identity (order per identity and sink).
//   2. A grouped row (plan_outbox's AlertGroup, no identity) may list any identity: it is sent
//      after every older row and before every newer one (a barrier).
//   3. Between those constraints, the row whose identity has the most urgent pending alert goes
//      first: an identity's urgency is the highest attention_rank (critical > warning >
//      resolved > info) among its queued rows from its oldest on, so a critical alert pulls the
//      older rows of its own identity ahead with it; ties go to the oldest (smallest id).
// With equal severities this is plain id order (FIFO). A critical alert therefore never waits
// behind less severe alerts of other identities queued before it, only behind its own
// identity's older rows, rows at least as severe, and a grouped row queued before it.
//
// Thread-safety: pure functions, reentrant.

#include "core/identity.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dkimwatch {

// The sink worker orders the oldest this many queued rows of its sink (a larger backlog is
// ordered as its head drains): reading and ordering them costs about a millisecond per send.
inline constexpr std::size_t k_delivery_order_window = 1000;

// What the order needs of one queued row.
struct OrderedRow {
    std::int64_t id = 0;
    IdentityKey key; // all empty for a grouped row
    int rank = 0;    // attention_rank of its severity; a grouped row: the highest of its events

    bool operator==(const OrderedRow&) const = default;
};

// The ids of `queue` (rows in increasing id order) in delivery order.
std::vector<std::int64_t> delivery_order(std::span<const OrderedRow> queue);

} // namespace dkimwatch
