#pragma once
// A LookupService decorator that answers cacheable requests (LookupRequest::cacheable) from a
// cache for their TTL and lets identical cacheable requests in flight at once share one query.
// Requests that are not cacheable pass straight through. Pure: the clock is injected.

#include "core/lookup_service.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace dkimwatch {

struct LookupCacheSettings {
    std::size_t max_entries = 100000; // beyond this the entries closest to expiry go first
    // Answers (positive or negative) are kept for their TTL, clamped to these bounds, in
    // seconds. Failures (timeout, servfail, refused, malformed) are kept for failure_ttl.
    std::chrono::seconds min_ttl{5};
    std::chrono::seconds max_ttl{3600};
    std::chrono::seconds failure_ttl{5};
};

struct LookupCacheStats {
    std::uint64_t hits = 0;      // answered from the cache
    std::uint64_t coalesced = 0; // joined a query already in flight
    std::uint64_t misses = 0;    // sent to the inner service
};

class CachingLookupService final : public LookupService {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    // `inner` must outlive this object. Callbacks of cached answers run inside run(), never
    // inside submit() (the LookupService contract).
    CachingLookupService(LookupService& inner, LookupCacheSettings settings, Clock clock);
    ~CachingLookupService() override;

    void submit(LookupRequest request, Callback callback) override;
    void run() override;

    const LookupCacheStats& stats() const;
    // Drops every entry (a reload with other DNS settings).
    void clear();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
