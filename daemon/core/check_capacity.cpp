#include "core/check_capacity.hpp"

#include <variant>

namespace dkimwatch {

std::uint64_t queries_per_check(const Identity& identity, std::size_t authoritative_servers) {
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        // With the authoritative check, the server's CNAME leaves the zone for SES's, and the
        // rest of the chain is one more TXT query through the resolvers per record.
        const std::uint64_t follow = authoritative_servers > 0 ? 1 : 0;
        return (2 + follow + authoritative_servers) * easy->tokens.size();
    }
    return 1 + authoritative_servers;
}

double CheckCapacity::queries_per_identity() const {
    return identities == 0 ? 0.0 : static_cast<double>(queries) / static_cast<double>(identities);
}

CheckCapacity check_capacity(std::size_t identities, std::uint64_t queries, int max_qps,
                             Milliseconds check_interval) {
    CheckCapacity capacity;
    capacity.identities = identities;
    capacity.queries = queries;
    capacity.max_qps = max_qps > 0 ? max_qps : 0;
    capacity.check_interval = check_interval;
    if (capacity.max_qps > 0) {
        const auto qps = static_cast<std::uint64_t>(capacity.max_qps);
        // queries * 1000 / qps milliseconds, rounded up (no overflow below 1.8e16 queries).
        capacity.needed =
            Milliseconds(static_cast<Milliseconds::rep>((capacity.queries * 1000 + qps - 1) / qps));
    }
    return capacity;
}

} // namespace dkimwatch
