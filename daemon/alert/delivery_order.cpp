#include "alert/delivery_order.hpp"

#include "alert/alert_event.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>

namespace dkimwatch {
namespace {

// Appends the rows queue[begin, end) (no grouped row among them) in delivery order.
void order_segment(std::span<const OrderedRow> queue, std::size_t begin, std::size_t end,
                   std::vector<std::int64_t>& out) {
    // Each identity's rows (indices into queue, in id order) and, per row, the urgency of its
    // identity while that row is the identity's oldest: the highest rank from it on.
    std::map<IdentityKey, std::vector<std::size_t>> chains;
    for (std::size_t i = begin; i < end; ++i) {
        chains[queue[i].key].push_back(i);
    }
    std::vector<int> urgency(queue.size(), 0);
    for (const auto& [key, chain] : chains) {
        int highest = queue[chain.back()].rank;
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            highest = std::max(highest, queue[*it].rank);
            urgency[*it] = highest;
        }
    }
    // The next row of every identity, most urgent first, then oldest.
    using Candidate = std::tuple<int, std::int64_t, const std::vector<std::size_t>*, std::size_t>;
    const auto later = [](const Candidate& a, const Candidate& b) {
        if (std::get<0>(a) != std::get<0>(b)) {
            return std::get<0>(a) < std::get<0>(b);
        }
        return std::get<1>(a) > std::get<1>(b);
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> next(later);
    const auto push = [&](const std::vector<std::size_t>& chain, std::size_t position) {
        const std::size_t index = chain[position];
        next.emplace(urgency[index], queue[index].id, &chain, position);
    };
    for (const auto& [key, chain] : chains) {
        push(chain, 0);
    }
    while (!next.empty()) {
        const auto [rank, id, chain, position] = next.top();
        next.pop();
        out.push_back(id);
        if (position + 1 < chain->size()) {
            push(*chain, position + 1);
        }
    }
}

} // namespace

std::vector<std::int64_t> delivery_order(std::span<const OrderedRow> queue) {
    std::vector<std::int64_t> out;
    out.reserve(queue.size());
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= queue.size(); ++i) {
        if (i == queue.size() || is_group_key(queue[i].key)) {
            order_segment(queue, begin, i, out);
            if (i < queue.size()) {
                out.push_back(queue[i].id); // a grouped row: a barrier (rule 2)
            }
            begin = i + 1;
        }
    }
    return out;
}

} // namespace dkimwatch
