#include "app/zone_serial_poll.hpp"

namespace dkimwatch {

std::vector<std::string> poll_zone_serials(ZoneWatch& watch, LookupService& lookups,
                                           std::uint16_t port) {
    std::vector<LookupResult> results;
    auto requests = watch.poll_requests(port);
    if (requests.empty()) {
        return {};
    }
    results.reserve(requests.size());
    for (auto& request : requests) {
        lookups.submit(std::move(request),
                       [&results](LookupResult result) { results.push_back(std::move(result)); });
    }
    lookups.run();
    return watch.observe(results);
}

} // namespace dkimwatch
