#include "app/zone_serial_poll.hpp"

#include "core/evaluator.hpp"
#include "core/zone_discovery.hpp"

#include <variant>

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

namespace {

// One identity's discovery: its record name and the lookups answered so far.
struct Discovery {
    const Identity* identity = nullptr;
    std::string record_name;
    std::vector<LookupResult> lookups;
    std::size_t pending = 0;
};

class DiscoveryRun {
public:
    DiscoveryRun(ZoneWatch& watch, LookupService& lookups, std::uint16_t port)
        : m_watch(watch), m_lookups(lookups), m_port(port) {}

    void add(const Identity& identity) {
        const auto expectations = expectations_for(identity);
        if (expectations.empty()) {
            return;
        }
        m_tasks.push_back({&identity, expectations.front().name, {}, 0});
    }

    void run() {
        for (std::size_t index = 0; index < m_tasks.size(); ++index) {
            advance(index);
        }
        m_lookups.run();
    }

private:
    void advance(std::size_t index) {
        Discovery& task = m_tasks[index];
        auto step = discover_zone_servers(task.record_name, m_port, task.lookups);
        if (auto* zone = std::get_if<ZoneServers>(&step)) {
            m_watch.add(task.identity->key(), *zone);
            task.lookups.clear();
            return;
        }
        auto& need = std::get<NeedLookups>(step);
        task.pending = need.requests.size();
        for (auto& request : need.requests) {
            m_lookups.submit(std::move(request), [this, index](LookupResult result) {
                Discovery& waiting = m_tasks[index];
                waiting.lookups.push_back(std::move(result));
                if (--waiting.pending == 0) {
                    advance(index);
                }
            });
        }
    }

    ZoneWatch& m_watch;
    LookupService& m_lookups;
    std::uint16_t m_port;
    std::vector<Discovery> m_tasks; // not resized once run() starts
};

} // namespace

void discover_watched_zones(ZoneWatch& watch, const std::vector<const Identity*>& identities,
                            LookupService& lookups, std::uint16_t port) {
    DiscoveryRun run(watch, lookups, port);
    for (const Identity* identity : identities) {
        if (!watch.knows(identity->key())) {
            run.add(*identity);
        }
    }
    run.run();
}

} // namespace dkimwatch
