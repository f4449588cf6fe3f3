#include "core/check_schedule.hpp"

namespace dkimwatch {

void CheckSchedule::push(const IdentityKey& key, TimePoint due) {
    if (auto old = m_due.find(key); old != m_due.end()) {
        m_generations.erase(old->second.second);
    }
    const std::uint64_t generation = m_next_generation++;
    m_due[key] = {due, generation};
    m_generations.emplace(generation, key);
    m_heap.push({due, generation});
}

void CheckSchedule::add(const std::vector<IdentityKey>& keys, TimePoint now, Milliseconds interval,
                        const std::map<IdentityKey, TimePoint>& last_checks) {
    std::vector<const IdentityKey*> to_spread;
    for (const auto& key : keys) {
        if (m_due.contains(key)) {
            continue;
        }
        if (auto last = last_checks.find(key); last != last_checks.end()) {
            const TimePoint due = last->second + interval;
            if (due > now && due <= now + interval) {
                push(key, due);
                continue;
            }
        }
        to_spread.push_back(&key);
    }
    if (to_spread.empty()) {
        return;
    }
    // Slot i of n covers [i*interval/n, (i+1)*interval/n); each identity lands at a random point
    // of its slot.
    const auto count = static_cast<std::int64_t>(to_spread.size());
    const std::int64_t span = interval.count() > 0 ? interval.count() : 1;
    std::uniform_real_distribution<double> within_slot(0.0, 1.0);
    for (std::int64_t i = 0; i < count; ++i) {
        const double position =
            (static_cast<double>(i) + within_slot(m_random)) / static_cast<double>(count);
        push(*to_spread[static_cast<std::size_t>(i)],
             now + Milliseconds(static_cast<std::int64_t>(position * static_cast<double>(span))));
    }
}

void CheckSchedule::remove(const IdentityKey& key) {
    if (auto found = m_due.find(key); found != m_due.end()) {
        m_generations.erase(found->second.second);
        m_due.erase(found);
    }
}

void CheckSchedule::drop_stale() const {
    while (!m_heap.empty() && !m_generations.contains(m_heap.top().second)) {
        m_heap.pop();
    }
}

std::vector<IdentityKey> CheckSchedule::take_due(TimePoint now, std::size_t limit) {
    std::vector<IdentityKey> due;
    while (due.size() < limit) {
        drop_stale();
        if (m_heap.empty() || m_heap.top().first > now) {
            break;
        }
        const auto generation = m_heap.top().second;
        m_heap.pop();
        auto node = m_generations.extract(generation);
        m_due.erase(node.mapped());
        due.push_back(std::move(node.mapped()));
    }
    return due;
}

void CheckSchedule::reschedule(const IdentityKey& key, TimePoint now, Milliseconds interval) {
    const std::int64_t jitter_span = interval.count() / 20; // ±5%
    std::int64_t jitter = 0;
    if (jitter_span > 0) {
        jitter = std::uniform_int_distribution<std::int64_t>(-jitter_span, jitter_span)(m_random);
    }
    push(key, now + interval + Milliseconds(jitter));
}

std::optional<TimePoint> CheckSchedule::next_due() const {
    drop_stale();
    if (m_heap.empty()) {
        return std::nullopt;
    }
    return m_heap.top().first;
}

std::optional<TimePoint> CheckSchedule::due_time(const IdentityKey& key) const {
    if (auto found = m_due.find(key); found != m_due.end()) {
        return found->second.first;
    }
    return std::nullopt;
}

} // namespace dkimwatch
