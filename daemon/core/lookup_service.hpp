#pragma once
// The seam between the pure core and the network: something that answers LookupRequests.
// The ldns-based AsyncResolver implements it for real; tests implement it with canned answers.

#include "core/dns_lookup.hpp"

#include <functional>

namespace dkimwatch {

class LookupService {
public:
    using Callback = std::function<void(LookupResult)>;
    virtual ~LookupService() = default;

    // Queues one lookup. The callback runs later, on the thread inside run(), exactly once, and
    // may call submit() again. Not thread-safe: submit and run from one thread.
    virtual void submit(LookupRequest request, Callback callback) = 0;

    // Processes queued lookups until none is left, including those submitted by callbacks.
    virtual void run() = 0;
};

} // namespace dkimwatch
