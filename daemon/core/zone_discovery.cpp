#include "core/zone_discovery.hpp"

#include "core/dns_name.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <optional>

namespace dkimwatch {
namespace {

// How many labels the apex search climbs above the record's parent when the answers hold no
// SOA at all (a resolver that strips the authority section). Record names have a handful of
// labels; the bound keeps a confused resolver from costing more than a few lookups.
constexpr int k_max_apex_climb = 8;

LookupRequest cacheable_request(std::string name, RecordType type) {
    LookupRequest request(std::move(name), type);
    request.cacheable = true;
    return request;
}

// The name with its first label removed; nullopt for a single label (or the root).
std::optional<std::string> parent_name(std::string_view name) {
    const auto dot = name.find('.');
    if (dot == std::string_view::npos || dot + 1 >= name.size()) {
        return std::nullopt;
    }
    return std::string(name.substr(dot + 1));
}

bool is_failure(LookupOutcome outcome) {
    return outcome == LookupOutcome::servfail || outcome == LookupOutcome::refused ||
           outcome == LookupOutcome::timeout || outcome == LookupOutcome::malformed;
}

std::string failure_words(const LookupResult& result) {
    std::string words = lookup_outcome_name(result.outcome);
    if (!result.detail.empty()) {
        words += " (" + result.detail + ")";
    }
    return words;
}

ZoneServers failed(std::string apex, std::string problem) {
    ZoneServers servers;
    servers.apex = std::move(apex);
    servers.problem = std::move(problem);
    return servers;
}

// Numeric order of addresses (IPv4 before IPv6), so that 192.0.2.9 comes before 192.0.2.10.
// Text that is not a numeric address (never expected) sorts after, by text.
struct AddressKey {
    int family_rank = 2;
    std::array<unsigned char, 16> bytes{};
    std::string text;
    friend auto operator<=>(const AddressKey&, const AddressKey&) = default;
};

AddressKey address_key(const ServerAddress& address) {
    AddressKey key;
    key.text = address.ip;
    if (inet_pton(address.ipv6 ? AF_INET6 : AF_INET, address.ip.c_str(), key.bytes.data()) == 1) {
        key.family_rank = address.ipv6 ? 1 : 0;
    }
    return key;
}

// The apex step: nullopt apex with no request means "no SOA anywhere up the tree".
struct ApexSearch {
    std::optional<LookupRequest> need;
    std::string apex;
    std::string problem;
};

ApexSearch find_apex(std::string_view record_name, std::span<const LookupResult> lookups) {
    // The parent name, not the record itself: a DKIM record is often a CNAME, and a SOA query
    // for it would follow the CNAME into another zone (SES's).
    std::optional<std::string> name = parent_name(record_name);
    if (!name) {
        name = std::string(record_name);
    }
    for (int climb = 0; climb <= k_max_apex_climb; ++climb) {
        const LookupRequest request = cacheable_request(*name, RecordType::soa);
        const LookupResult* result = find_result(lookups, request);
        if (result == nullptr) {
            return {request, {}, {}};
        }
        if (is_failure(result->outcome)) {
            return {std::nullopt,
                    {},
                    "no SOA for " + *name + ": the resolvers answered " + failure_words(*result)};
        }
        // answer, nodata, nxdomain: the SOA in the answer or authority section names the apex.
        // It must hold the record; a SOA of another zone (the resolver followed a CNAME at the
        // parent) is no answer, and the search climbs on.
        if (!result->soa_owner.empty()) {
            const std::string owner = canonical_name(result->soa_owner);
            if (record_name == owner ||
                (record_name.size() > owner.size() &&
                 record_name.substr(record_name.size() - owner.size()) == owner &&
                 record_name[record_name.size() - owner.size() - 1] == '.')) {
                return {std::nullopt, owner, {}};
            }
        }
        const auto up = parent_name(*name);
        if (!up) {
            break;
        }
        name = *up;
    }
    return {std::nullopt,
            {},
            "no SOA found for " + std::string(record_name) +
                " or the names above it: the resolvers' answers hold no SOA record of a zone "
                "that contains it"};
}

} // namespace

ZoneDiscoveryStep discover_zone_servers(std::string_view record_name, std::uint16_t port,
                                        std::span<const LookupResult> lookups) {
    const std::string record = canonical_name(record_name);
    ApexSearch search = find_apex(record, lookups);
    if (search.need) {
        return NeedLookups{{std::move(*search.need)}};
    }
    if (search.apex.empty()) {
        return failed({}, std::move(search.problem));
    }
    const std::string& apex = search.apex;

    const LookupRequest ns_request = cacheable_request(apex, RecordType::ns);
    const LookupResult* ns = find_result(lookups, ns_request);
    if (ns == nullptr) {
        return NeedLookups{{ns_request}};
    }
    if (ns->outcome != LookupOutcome::answer || ns->values.empty()) {
        return failed(apex, "no NS records for the zone " + apex + ": the resolvers answered " +
                                (ns->outcome == LookupOutcome::answer
                                     ? std::string("an answer without NS names")
                                     : failure_words(*ns)));
    }
    std::vector<std::string> names;
    for (const auto& value : ns->values) {
        names.push_back(canonical_name(value));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());

    NeedLookups need;
    for (const auto& name : names) {
        for (const RecordType type : {RecordType::a, RecordType::aaaa}) {
            LookupRequest request = cacheable_request(name, type);
            if (find_result(lookups, request) == nullptr) {
                need.requests.push_back(std::move(request));
            }
        }
    }
    if (!need.requests.empty()) {
        return need;
    }

    ZoneServers out;
    out.apex = apex;
    std::vector<std::string> failures;
    for (const auto& name : names) {
        std::vector<ZoneServer> found;
        for (const RecordType type : {RecordType::a, RecordType::aaaa}) {
            const LookupResult* result = find_result(lookups, cacheable_request(name, type));
            if (result->outcome == LookupOutcome::answer) {
                for (const auto& value : result->values) {
                    ServerAddress address;
                    address.ip = value;
                    address.port = port;
                    address.ipv6 = type == RecordType::aaaa;
                    found.push_back({name, std::move(address)});
                }
            } else if (is_failure(result->outcome)) {
                failures.push_back(std::string(record_type_name(type)) + " " + name + ": " +
                                   failure_words(*result));
            }
        }
        if (found.empty()) {
            out.unresolved.push_back(name);
            continue;
        }
        std::sort(found.begin(), found.end(), [](const ZoneServer& a, const ZoneServer& b) {
            return address_key(a.address) < address_key(b.address);
        });
        found.erase(std::unique(found.begin(), found.end()), found.end());
        out.servers.insert(out.servers.end(), found.begin(), found.end());
    }
    if (out.servers.empty()) {
        std::string problem = "none of the NS names of the zone " + apex + " has an address (";
        for (std::size_t i = 0; i < out.unresolved.size(); ++i) {
            problem += (i == 0 ? "" : ", ") + out.unresolved[i];
        }
        problem += ")";
        for (const auto& failure : failures) {
            problem += "; " + failure;
        }
        out.problem = std::move(problem);
    }
    return out;
}

} // namespace dkimwatch
