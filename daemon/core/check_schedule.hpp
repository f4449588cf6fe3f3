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
// Not thread-safe: owned by the daemon loop.

#include "core/identity.hpp"
#include "core/state_machine.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <vector>

namespace dkimwatch {

class CheckSchedule {
public:
    explicit CheckSchedule(std::uint64_t seed = std::random_device{}()) : m_random(seed) {}

    // Adds identities that are not scheduled yet, spread evenly over `interval` from `now`.
    // `last_checks` (may be empty) gives the last check time of identities checked before a
    // restart. Identities already scheduled keep their due time.
    void add(const std::vector<IdentityKey>& keys, TimePoint now, Milliseconds interval,
             const std::map<IdentityKey, TimePoint>& last_checks = {});

    // Forgets an identity (removed from the configuration).
    void remove(const IdentityKey& key);

    // Removes and returns up to `limit` identities due at `now`, earliest first.
    std::vector<IdentityKey> take_due(TimePoint now, std::size_t limit);

    // Schedules the next check of `key` (checked at `now`) after `interval`, with jitter.
    void reschedule(const IdentityKey& key, TimePoint now, Milliseconds interval);

    // The earliest due time, if anything is scheduled.
    std::optional<TimePoint> next_due() const;

    std::size_t size() const { return m_due.size(); }
    std::optional<TimePoint> due_time(const IdentityKey& key) const;

private:
    using Entry = std::pair<TimePoint, std::uint64_t>; // (due, generation)
    void push(const IdentityKey& key, TimePoint due);
    void drop_stale() const;

    std::mt19937_64 m_random;
    std::map<IdentityKey, Entry> m_due;
    std::map<std::uint64_t, IdentityKey> m_generations;
    struct Later {
        bool operator()(const Entry& a, const Entry& b) const { return a > b; }
    };
    mutable std::priority_queue<Entry, std::vector<Entry>, Later> m_heap;
    std::uint64_t m_next_generation = 0;
};

} // namespace dkimwatch
