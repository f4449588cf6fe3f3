#pragma once
// A tiny DNS world for the tests of zone discovery and the authoritative check: the resolvers'
// view (SOA, NS, addresses, records with CNAME following) and each authoritative server's own
// zone (directed queries, RD=0: CNAMEs are not followed out of the zone). It answers
// LookupRequests the way the real resolver fills LookupResults, and records every request.

#include "core/dns_lookup.hpp"

#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch::test {

// What one name holds: a CNAME, or TXT records (or nothing: the name exists, empty).
struct NameData {
    std::optional<std::string> cname;
    std::vector<std::vector<std::string>> txt;
};

struct FakeServer {
    // txt_servfail: SERVFAIL for TXT queries only (a provider that cannot redirect CNAMEs).
    enum class Mode { normal, refused, timeout, no_aa, servfail, txt_servfail };
    Mode mode = Mode::normal;
    std::string apex;
    std::uint32_t serial = 1;
    // The outcome reported when a CNAME chain leaves the zone (the response ends at the CNAME):
    // NODATA (no TXT at the end of what the server holds) or an answer without TXT records.
    LookupOutcome chain_exit = LookupOutcome::nodata;
    std::map<std::string, NameData> names; // the server's zone, below or at the apex
};

inline bool name_in(const std::string& name, const std::string& apex) {
    return name == apex || (name.size() > apex.size() &&
                            name.compare(name.size() - apex.size(), apex.size(), apex) == 0 &&
                            name[name.size() - apex.size() - 1] == '.');
}

struct FakeDnsWorld {
    // The resolvers' view.
    std::map<std::string, std::uint32_t> zones; // apex -> serial (SOA through the resolvers)
    std::map<std::string, std::vector<std::string>> ns;                  // apex -> NS names
    std::map<std::string, std::vector<std::string>> a;                   // name -> IPv4
    std::map<std::string, std::vector<std::string>> aaaa;                // name -> IPv6
    std::map<std::string, NameData> records;                             // resolver's records
    std::map<std::pair<std::string, RecordType>, LookupOutcome> failing; // forced failures
    bool soa_stripped = false; // the resolver returns no SOA in any answer
    // SOA queries answered with another zone's SOA (the name is a CNAME into that zone).
    std::map<std::string, std::string> soa_elsewhere;
    // The authoritative servers, by address text.
    std::map<std::string, FakeServer> servers;

    std::vector<LookupRequest> asked;

    LookupResult answer(const LookupRequest& request) {
        asked.push_back(request);
        return request.server ? directed(request) : resolve(request);
    }

    // The zone (apex) that holds `name` in the resolvers' view: the longest matching apex.
    std::optional<std::string> zone_of(const std::string& name) const {
        std::optional<std::string> best;
        for (const auto& [apex, serial] : zones) {
            if (name_in(name, apex) && (!best || apex.size() > best->size())) {
                best = apex;
            }
        }
        return best;
    }

    LookupResult resolve(const LookupRequest& request) const {
        LookupResult result;
        result.request = request;
        result.server = "127.0.0.53:53";
        result.attempts = 1;
        result.ttl = 300;
        if (const auto it = failing.find({request.name, request.type}); it != failing.end()) {
            result.outcome = it->second;
            result.detail = lookup_outcome_name(it->second);
            return result;
        }
        std::string name = request.name;
        const auto add_soa = [&](const std::string& at) {
            if (const auto apex = zone_of(at); apex && !soa_stripped) {
                result.soa_owner = *apex;
                result.soa_serial = zones.at(*apex);
            }
        };
        switch (request.type) {
        case RecordType::soa:
            if (const auto it = soa_elsewhere.find(name); it != soa_elsewhere.end()) {
                result.soa_owner = it->second;
                result.soa_serial = 1;
                result.cname_chain = {it->second};
                result.outcome = LookupOutcome::answer;
                return result;
            }
            if (zones.count(name) != 0) { // the SOA itself, in the answer section
                result.soa_owner = name;
                result.soa_serial = zones.at(name);
            } else {
                add_soa(name);
            }
            result.outcome = zones.count(name) != 0 ? LookupOutcome::answer
                             : exists(name)         ? LookupOutcome::nodata
                                                    : LookupOutcome::nxdomain;
            return result;
        case RecordType::ns:
        case RecordType::a:
        case RecordType::aaaa: {
            const auto& table = request.type == RecordType::ns  ? ns
                                : request.type == RecordType::a ? a
                                                                : aaaa;
            if (const auto it = table.find(name); it != table.end()) {
                result.values = it->second;
                result.outcome = LookupOutcome::answer;
                return result;
            }
            add_soa(name);
            result.outcome = exists(name) ? LookupOutcome::nodata : LookupOutcome::nxdomain;
            return result;
        }
        default:
            break;
        }
        // CNAME and TXT, with CNAME following for TXT.
        for (int hop = 0; hop < 8; ++hop) {
            const auto it = records.find(name);
            if (it == records.end()) {
                add_soa(name);
                result.outcome = LookupOutcome::nxdomain;
                return result;
            }
            if (it->second.cname) {
                result.cname_chain.push_back(*it->second.cname);
                if (request.type == RecordType::cname) {
                    result.outcome = LookupOutcome::answer;
                    return result;
                }
                name = *it->second.cname;
                continue;
            }
            if (request.type == RecordType::txt && !it->second.txt.empty()) {
                result.txt_records = it->second.txt;
                result.outcome = LookupOutcome::answer;
                return result;
            }
            add_soa(name);
            result.outcome = LookupOutcome::nodata;
            return result;
        }
        result.outcome = LookupOutcome::servfail;
        return result;
    }

    bool exists(const std::string& name) const {
        if (records.count(name) != 0 || zones.count(name) != 0) {
            return true;
        }
        for (const auto& [record, data] : records) {
            if (name_in(record, name)) {
                return true; // an empty non-terminal
            }
        }
        return false;
    }

    LookupResult directed(const LookupRequest& request) const {
        LookupResult result;
        result.request = request;
        result.server = request.server->to_string();
        result.latency = std::chrono::microseconds(1000 + request.server->ip.size());
        const auto found = servers.find(request.server->ip);
        if (found == servers.end() || found->second.mode == FakeServer::Mode::timeout) {
            result.outcome = LookupOutcome::timeout;
            result.attempts = 3;
            result.detail = "timeout after 3 attempts";
            return result;
        }
        const FakeServer& server = found->second;
        result.attempts = 1;
        if (server.mode == FakeServer::Mode::refused) {
            result.outcome = LookupOutcome::refused;
            result.detail = "REFUSED";
            return result;
        }
        if (server.mode == FakeServer::Mode::servfail ||
            (server.mode == FakeServer::Mode::txt_servfail && request.type == RecordType::txt)) {
            result.outcome = LookupOutcome::servfail;
            result.detail = "SERVFAIL";
            return result;
        }
        result.authoritative_answer = server.mode != FakeServer::Mode::no_aa;
        const auto negative = [&](LookupOutcome outcome) {
            result.outcome = outcome;
            result.soa_owner = server.apex;
            result.soa_serial = server.serial;
            return result;
        };
        if (request.type == RecordType::soa) {
            if (request.name != server.apex) {
                return negative(LookupOutcome::nodata);
            }
            result.outcome = LookupOutcome::answer;
            result.soa_owner = server.apex;
            result.soa_serial = server.serial;
            return result;
        }
        std::string name = request.name;
        for (int hop = 0; hop < 8; ++hop) {
            if (!name_in(name, server.apex)) {
                // The chain left the zone: the response ends at the CNAME.
                result.outcome = server.chain_exit;
                return result;
            }
            const auto it = server.names.find(name);
            if (it == server.names.end()) {
                return negative(LookupOutcome::nxdomain);
            }
            if (it->second.cname) {
                result.cname_chain.push_back(*it->second.cname);
                if (request.type == RecordType::cname) {
                    result.outcome = LookupOutcome::answer;
                    return result;
                }
                name = *it->second.cname;
                continue;
            }
            if (request.type == RecordType::txt && !it->second.txt.empty()) {
                result.txt_records = it->second.txt;
                result.outcome = LookupOutcome::answer;
                return result;
            }
            return negative(LookupOutcome::nodata);
        }
        result.outcome = LookupOutcome::servfail;
        return result;
    }

    // Plays a step function against the world until it decides. Fails the test when a request
    // is repeated (the step functions promise never to ask one twice) or it does not decide.
    template <typename Decided, typename Step>
    std::optional<Decided> play(Step step, int max_rounds = 20) {
        std::vector<LookupResult> lookups;
        for (int round = 0; round < max_rounds; ++round) {
            auto next = step(std::span<const LookupResult>(lookups));
            if (auto* decided = std::get_if<Decided>(&next)) {
                return std::move(*decided);
            }
            const auto& requests = std::get<NeedLookups>(next).requests;
            EXPECT_FALSE(requests.empty()) << "NeedLookups without requests";
            if (requests.empty()) {
                return std::nullopt;
            }
            for (const auto& request : requests) {
                for (const auto& done : lookups) {
                    if (done.request == request) {
                        ADD_FAILURE() << "repeated request " << request.name << " "
                                      << record_type_name(request.type)
                                      << (request.server ? " @" + request.server->to_string()
                                                         : std::string());
                        return std::nullopt;
                    }
                }
                lookups.push_back(answer(request));
            }
        }
        ADD_FAILURE() << "no decision within " << max_rounds << " rounds";
        return std::nullopt;
    }
};

} // namespace dkimwatch::test
