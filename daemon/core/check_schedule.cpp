#include "core/check_schedule.hpp"

namespace dkimwatch {

void CheckSchedule::push(ScheduleId id, TimePoint due) {
    if (id >= m_slots.size()) {
        m_slots.resize(static_cast<std::size_t>(id) + 1);
    }
    Slot& slot = m_slots[id];
    if (slot.generation == 0) {
        ++m_size;
    }
    slot = {due, m_next_generation++};
    m_heap.push({due, slot.generation, id});
}

bool CheckSchedule::is_current(const HeapEntry& entry) const {
    return entry.id < m_slots.size() && m_slots[entry.id].generation == entry.generation;
}

void CheckSchedule::add(std::span<const ScheduleEntry> entries, TimePoint now,
                        Milliseconds interval) {
    std::vector<ScheduleId> to_spread;
    for (const auto& entry : entries) {
        if (due_time(entry.id)) {
            continue;
        }
        if (entry.last_check) {
            const TimePoint due = *entry.last_check + interval;
            if (due > now && due <= now + interval) {
                push(entry.id, due);
                continue;
            }
        }
        to_spread.push_back(entry.id);
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
        push(to_spread[static_cast<std::size_t>(i)],
             now + Milliseconds(static_cast<std::int64_t>(position * static_cast<double>(span))));
    }
}

void CheckSchedule::set_due(ScheduleId id, TimePoint due) {
    push(id, due);
}

void CheckSchedule::remove(ScheduleId id) {
    if (id < m_slots.size() && m_slots[id].generation != 0) {
        m_slots[id].generation = 0;
        --m_size;
    }
}

void CheckSchedule::drop_stale() const {
    while (!m_heap.empty() && !is_current(m_heap.top())) {
        m_heap.pop();
    }
}

std::vector<ScheduleId> CheckSchedule::take_due(TimePoint now, std::size_t limit) {
    std::vector<ScheduleId> due;
    while (due.size() < limit) {
        drop_stale();
        if (m_heap.empty() || m_heap.top().due > now) {
            break;
        }
        const ScheduleId id = m_heap.top().id;
        m_heap.pop();
        m_slots[id].generation = 0;
        --m_size;
        due.push_back(id);
    }
    return due;
}

void CheckSchedule::reschedule(ScheduleId id, TimePoint now, Milliseconds interval) {
    const std::int64_t jitter_span = interval.count() / 20; // ±5%
    std::int64_t jitter = 0;
    if (jitter_span > 0) {
        jitter = std::uniform_int_distribution<std::int64_t>(-jitter_span, jitter_span)(m_random);
    }
    push(id, now + interval + Milliseconds(jitter));
}

std::optional<TimePoint> CheckSchedule::next_due() const {
    drop_stale();
    if (m_heap.empty()) {
        return std::nullopt;
    }
    return m_heap.top().due;
}

Milliseconds CheckSchedule::lag(TimePoint now) const {
    const std::optional<TimePoint> earliest = next_due();
    if (!earliest || *earliest >= now) {
        return Milliseconds{0};
    }
    return now - *earliest;
}

std::optional<TimePoint> CheckSchedule::due_time(ScheduleId id) const {
    if (id < m_slots.size() && m_slots[id].generation != 0) {
        return m_slots[id].due;
    }
    return std::nullopt;
}

} // namespace dkimwatch
