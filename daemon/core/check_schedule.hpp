#pragma once
// When each identity is checked next. Pure: the caller passes the time and the randomness.
//
// - New identities (first start, or added by a reload) are spread evenly over one check
//   interval, each at a random point of its own slot, so there is never a burst of every
//   identity at once.
// - An identity checked before a restart keeps its rhythm: it is due one interval after its last
//   check (or, if that is already past, somewhere in the coming interval, spread like a new one).
// - After a check, the next one is due after check_interval, or after recheck_interval when the
//   check found a problem (error or indeterminate), with up to ±5% jitter so the spread does
//   not collapse over time.
//
// Identities are named by a ScheduleId: a small dense number chosen by the caller (the daemon
// uses the index of the identity in its inventory), so that the schedule holds no copy of any
// name: about 50 bytes per identity. Not thread-safe: owned by the daemon loop.

#include "core/state_machine.hpp"

#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <span>
#include <vector>

namespace dkimwatch {

using ScheduleId = std::uint32_t;

// An identity to add, and when it was last checked (before a restart), if ever.
struct ScheduleEntry {
    ScheduleId id = 0;
    std::optional<TimePoint> last_check;
};

class CheckSchedule {
public:
    explicit CheckSchedule(std::uint64_t seed = std::random_device{}()) : m_random(seed) {}

    // Adds identities that are not scheduled yet, spread evenly over `interval` from `now`,
    // except those whose last check + interval falls within (now, now + interval]: they are due
    // then. Identities already scheduled keep their due time.
    void add(std::span<const ScheduleEntry> entries, TimePoint now, Milliseconds interval);
    // Makes `id` due exactly at `due` (carrying a due time over to a new numbering).
    void set_due(ScheduleId id, TimePoint due);
    // Forgets an identity (removed from the configuration). Unknown ids are ignored.
    void remove(ScheduleId id);
    // Removes and returns up to `limit` identities due at `now`, earliest first.
    std::vector<ScheduleId> take_due(TimePoint now, std::size_t limit);
    // Schedules the next check of `id` (checked at `now`) after `interval`, with jitter.
    void reschedule(ScheduleId id, TimePoint now, Milliseconds interval);
    // The earliest due time, if anything is scheduled.
    std::optional<TimePoint> next_due() const;
    // How far behind schedule the most overdue identity is at `now`: `now` minus the earliest
    // due time when that is in the past, else 0 (also when nothing is scheduled). Identities
    // taken by take_due are not scheduled until rescheduled.
    Milliseconds lag(TimePoint now) const;
    // Number of identities scheduled.
    std::size_t size() const { return m_size; }
    std::optional<TimePoint> due_time(ScheduleId id) const;

private:
    // A heap entry; stale (skipped) when `generation` is no longer the id's current one.
    struct HeapEntry {
        TimePoint due;
        std::uint64_t generation;
        ScheduleId id;
        bool operator>(const HeapEntry& other) const {
            return due != other.due ? due > other.due : generation > other.generation;
        }
    };
    struct Slot {
        TimePoint due{};
        std::uint64_t generation = 0; // 0: not scheduled
    };
    void push(ScheduleId id, TimePoint due);
    bool is_current(const HeapEntry& entry) const;
    void drop_stale() const;

    std::mt19937_64 m_random;
    std::vector<Slot> m_slots; // indexed by ScheduleId
    std::size_t m_size = 0;
    mutable std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> m_heap;
    std::uint64_t m_next_generation = 1;
};

} // namespace dkimwatch
