#include "core/lookup_cache.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dkimwatch {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

// The cache key: every field of the request, so that a directed query, a DNSSEC query and a
// plain one for the same name and type never share an answer.
std::string cache_key(const LookupRequest& request) {
    std::string key = request.name;
    key += '\0';
    key += std::to_string(static_cast<std::uint16_t>(request.type));
    key += '\0';
    if (request.server) {
        key += request.server->to_string();
    }
    key += '\0';
    key += request.dnssec ? '1' : '0';
    key += request.cacheable ? '1' : '0';
    return key;
}

// A failure says nothing about the data, so it is kept only briefly (failure_ttl).
bool is_failure(LookupOutcome outcome) {
    return outcome == LookupOutcome::servfail || outcome == LookupOutcome::refused ||
           outcome == LookupOutcome::timeout || outcome == LookupOutcome::malformed;
}

} // namespace

struct CachingLookupService::Impl {
    struct Entry {
        LookupResult result;
        TimePoint expiry;
    };
    // One query to the inner service, with every callback waiting for it.
    struct Flight {
        std::string key;
        std::vector<Callback> waiters;
        bool detached = false; // clear() ran while in flight: answer the waiters, keep nothing
    };

    Impl(LookupService& inner_, LookupCacheSettings settings_, Clock clock_)
        : inner(inner_), settings(settings_), clock(std::move(clock_)) {}

    LookupService& inner;
    const LookupCacheSettings settings;
    const Clock clock;
    LookupCacheStats stats;

    std::unordered_map<std::string, Entry> entries;
    std::set<std::pair<TimePoint, std::string>> by_expiry; // index of `entries`
    std::unordered_map<std::uint64_t, Flight> flights;
    std::unordered_map<std::string, std::uint64_t> flight_by_key; // attached flights only
    std::uint64_t next_flight = 0;
    // Answers from the cache, delivered in run() (never inside submit()).
    std::deque<std::pair<Callback, LookupResult>> ready;

    void submit(LookupRequest request, Callback callback) {
        std::string key = cache_key(request);
        const auto found = entries.find(key);
        if (found != entries.end()) {
            if (found->second.expiry > clock()) {
                ++stats.hits;
                ready.emplace_back(std::move(callback), found->second.result);
                return;
            }
            erase_entry(found);
        }
        if (const auto flight = flight_by_key.find(key); flight != flight_by_key.end()) {
            ++stats.coalesced;
            flights.at(flight->second).waiters.push_back(std::move(callback));
            return;
        }
        ++stats.misses;
        const std::uint64_t id = next_flight++;
        Flight& flight = flights[id];
        flight.key = key;
        flight.waiters.push_back(std::move(callback));
        flight_by_key.emplace(std::move(key), id);
        inner.submit(std::move(request),
                     [this, id](LookupResult result) { landed(id, std::move(result)); });
    }

    // The inner service answered flight `id`: store the answer (unless detached) and hand a
    // copy to every waiter.
    void landed(std::uint64_t id, LookupResult result) {
        auto node = flights.extract(id);
        Flight& flight = node.mapped();
        if (!flight.detached) {
            flight_by_key.erase(flight.key);
            store(std::move(flight.key), result);
        }
        for (std::size_t i = 0; i < flight.waiters.size(); ++i) {
            if (i + 1 == flight.waiters.size()) {
                flight.waiters[i](std::move(result));
            } else {
                flight.waiters[i](result);
            }
        }
    }

    void store(std::string key, const LookupResult& result) {
        if (settings.max_entries == 0) {
            return;
        }
        std::chrono::seconds ttl = settings.failure_ttl;
        if (!is_failure(result.outcome)) {
            ttl = std::clamp(std::chrono::seconds{result.ttl}, settings.min_ttl, settings.max_ttl);
        }
        if (ttl <= std::chrono::seconds::zero()) {
            return;
        }
        const TimePoint expiry = clock() + ttl;
        if (const auto found = entries.find(key); found != entries.end()) {
            erase_entry(found);
        }
        while (entries.size() >= settings.max_entries) {
            // The soonest-expiring entry goes first (expired ones lead the index).
            erase_entry(entries.find(by_expiry.begin()->second));
        }
        by_expiry.emplace(expiry, key);
        entries.emplace(std::move(key), Entry{result, expiry});
    }

    void erase_entry(std::unordered_map<std::string, Entry>::iterator entry) {
        by_expiry.erase({entry->second.expiry, entry->first});
        entries.erase(entry);
    }

    void run() {
        do {
            while (!ready.empty()) {
                auto [callback, result] = std::move(ready.front());
                ready.pop_front();
                callback(std::move(result));
            }
            inner.run();
        } while (!ready.empty());
    }

    void clear() {
        entries.clear();
        by_expiry.clear();
        for (auto& flight : flights) {
            flight.second.detached = true;
        }
        flight_by_key.clear();
    }
};

CachingLookupService::CachingLookupService(LookupService& inner, LookupCacheSettings settings,
                                           Clock clock)
    : m_impl(std::make_unique<Impl>(inner, settings, std::move(clock))) {}

CachingLookupService::~CachingLookupService() = default;

void CachingLookupService::submit(LookupRequest request, Callback callback) {
    if (!request.cacheable) {
        m_impl->inner.submit(std::move(request), std::move(callback));
        return;
    }
    m_impl->submit(std::move(request), std::move(callback));
}

void CachingLookupService::run() {
    m_impl->run();
}

const LookupCacheStats& CachingLookupService::stats() const {
    return m_impl->stats;
}

void CachingLookupService::clear() {
    m_impl->clear();
}

} // namespace dkimwatch
