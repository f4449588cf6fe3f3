#include "core/authoritative_check.hpp"

#include "core/dns_name.hpp"
#include "core/duration.hpp"
#include "core/zone_discovery.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dkimwatch {
namespace {

// Bound on the evaluator's rounds for one server within one call. The evaluator asks at most
// three or four questions in a row; the bound only guards against a loop that makes no progress.
constexpr int k_max_evaluator_rounds = 16;

bool in_zone(std::string_view name, std::string_view apex) {
    if (name == apex) {
        return true;
    }
    return name.size() > apex.size() && name.substr(name.size() - apex.size()) == apex &&
           name[name.size() - apex.size() - 1] == '.';
}

LookupRequest directed(LookupRequest request, const ServerAddress& server) {
    request.server = server;
    request.cacheable = false;
    request.dnssec = false;
    return request;
}

LookupRequest serial_request(const std::string& apex, const ServerAddress& server) {
    return directed(LookupRequest(apex, RecordType::soa), server);
}

void add_need(std::vector<LookupRequest>& needs, LookupRequest request) {
    if (std::find(needs.begin(), needs.end(), request) == needs.end()) {
        needs.push_back(std::move(request));
    }
}

// One server's evaluation: the evaluator's questions routed to this server (names in the zone)
// or to the resolvers (names outside), with CNAMEs that leave the zone followed through the
// resolvers and spliced onto the server's answer.
struct ServerRun {
    std::optional<RecordVerdict> verdict;
    std::vector<LookupRequest> needs;
    std::vector<const LookupResult*> directed; // this server's own answers, in asking order
};

// Resolves one of the evaluator's requests into the result the evaluator reads (request as the
// evaluator asked it), or adds what is still needed to `run.needs`.
std::optional<LookupResult> route(const LookupRequest& request, const std::string& apex,
                                  const ZoneServer& server, std::span<const LookupResult> lookups,
                                  ServerRun& run) {
    if (!in_zone(request.name, apex)) {
        const LookupResult* result = find_result(lookups, request);
        if (result == nullptr) {
            add_need(run.needs, request);
            return std::nullopt;
        }
        return *result;
    }
    // One directed query per name: a server asked for TXT at a name that holds a CNAME answers
    // with the CNAME (reported in cname_chain), so the evaluator's CNAME question at the same name
    // is answered from the TXT answer, and each server gets one query per record.
    const bool cname_from_txt = request.type == RecordType::cname;
    LookupRequest asked = request;
    if (cname_from_txt) {
        asked.type = RecordType::txt;
    }
    const LookupRequest own = directed(std::move(asked), server.address);
    const LookupResult* answer = find_result(lookups, own);
    if (answer == nullptr) {
        add_need(run.needs, own);
        return std::nullopt;
    }
    if (std::find(run.directed.begin(), run.directed.end(), answer) == run.directed.end()) {
        run.directed.push_back(answer);
    }
    LookupResult routed = *answer;
    routed.request = request;
    const bool responded = answer->outcome == LookupOutcome::answer ||
                           answer->outcome == LookupOutcome::nodata ||
                           answer->outcome == LookupOutcome::nxdomain;
    if (cname_from_txt && (answer->outcome == LookupOutcome::servfail ||
                           answer->outcome == LookupOutcome::malformed)) {
        // Some providers cannot answer TXT at a CNAME (txt_servfail): ask for the CNAME itself.
        const LookupRequest cname = directed(request, server.address);
        const LookupResult* own_cname = find_result(lookups, cname);
        if (own_cname == nullptr) {
            add_need(run.needs, cname);
            return std::nullopt;
        }
        if (std::find(run.directed.begin(), run.directed.end(), own_cname) == run.directed.end()) {
            run.directed.push_back(own_cname);
        }
        routed = *own_cname;
        routed.request = request;
        return routed;
    }
    if (cname_from_txt) {
        routed.txt_records.clear();
        routed.values.clear();
        if (responded && !answer->cname_chain.empty()) {
            routed.outcome = LookupOutcome::answer;
            routed.cname_chain.resize(1);
        } else if (answer->outcome == LookupOutcome::answer) {
            routed.outcome = LookupOutcome::nodata; // TXT data at the name: it holds no CNAME
        }
        return routed;
    }
    // A directed query does not follow CNAMEs: when the chain leaves the zone, what the server
    // holds ends at the CNAME, and the rest is what SES's resolvers find by following it.
    if (responded && !answer->cname_chain.empty() && !in_zone(answer->cname_chain.back(), apex)) {
        const LookupRequest follow(answer->cname_chain.back(), request.type);
        const LookupResult* rest = find_result(lookups, follow);
        if (rest == nullptr) {
            add_need(run.needs, follow);
            return std::nullopt;
        }
        routed.outcome = rest->outcome;
        routed.cname_chain.insert(routed.cname_chain.end(), rest->cname_chain.begin(),
                                  rest->cname_chain.end());
        routed.txt_records = rest->txt_records;
        routed.values = rest->values;
        routed.detail = rest->detail;
    }
    return routed;
}

ServerRun evaluate_server(const RecordExpectation& expectation, const std::string& apex,
                          const ZoneServer& server, std::span<const LookupResult> lookups) {
    ServerRun run;
    std::vector<LookupResult> routed;
    for (int round = 0; round < k_max_evaluator_rounds; ++round) {
        EvaluationStep step = evaluate_record(expectation, routed);
        if (auto* verdict = std::get_if<RecordVerdict>(&step)) {
            run.verdict = std::move(*verdict);
            return run;
        }
        const auto& requests = std::get<NeedLookups>(step).requests;
        for (const auto& request : requests) {
            if (auto result = route(request, apex, server, lookups, run)) {
                routed.push_back(std::move(*result));
            }
        }
        if (!run.needs.empty()) {
            return run;
        }
    }
    // Unreachable with the evaluator's contract (each round adds a result it asked for).
    RecordVerdict verdict;
    verdict.code = VerdictCode::dns_error;
    verdict.severity = severity_of(verdict.code);
    verdict.message = "the evaluator did not reach a verdict";
    run.verdict = std::move(verdict);
    return run;
}

// What one server's answers say about the server itself.
struct Lameness {
    bool lame = false;
    bool unreachable = false; // no answer on any attempt of any query
    bool refused = false;
    std::string detail;
};

std::string outcome_detail(const LookupResult& result) {
    std::string text = lookup_outcome_name(result.outcome);
    if (!result.detail.empty()) {
        text += " (" + result.detail + ")";
    }
    return text;
}

Lameness judge_lameness(const std::vector<const LookupResult*>& answers) {
    Lameness out;
    bool any_response = false;
    for (const LookupResult* answer : answers) {
        switch (answer->outcome) {
        case LookupOutcome::refused:
            any_response = true;
            if (!out.lame) {
                out.lame = true;
                out.refused = true;
                out.detail = "REFUSED";
            }
            break;
        case LookupOutcome::answer:
        case LookupOutcome::nodata:
        case LookupOutcome::nxdomain:
            any_response = true;
            if (!answer->authoritative_answer && !out.lame) {
                out.lame = true;
                out.detail = "answer without the AA flag";
            }
            break;
        case LookupOutcome::servfail:
        case LookupOutcome::malformed:
            any_response = true;
            if (out.detail.empty()) {
                out.detail = outcome_detail(*answer);
            }
            break;
        case LookupOutcome::timeout:
            break;
        }
    }
    if (!any_response && !answers.empty()) {
        out.lame = true;
        out.unreachable = true;
        out.detail = outcome_detail(*answers.front());
    }
    return out;
}

struct ServerState {
    const ZoneServer* server = nullptr;
    RecordVerdict verdict;
    Lameness lameness;
    AuthoritativeAnswer answer;
    bool usable() const { return !lameness.lame && verdict.code != VerdictCode::dns_error; }
};

bool same_answer(const AuthoritativeAnswer& a, const AuthoritativeAnswer& b) {
    return a.verdict == b.verdict && a.observed == b.observed;
}

// RFC 1982 serial arithmetic: true when `a` is older than `b`.
bool serial_older(std::uint32_t a, std::uint32_t b) {
    return a != b && static_cast<std::int32_t>(a - b) < 0;
}

std::string server_label(const AuthoritativeAnswer& answer) {
    std::string text = answer.server + " (" + answer.address;
    if (answer.serial) {
        text += ", serial " + std::to_string(*answer.serial);
    }
    return text + ")";
}

std::string join_labels(const std::vector<const ServerState*>& states) {
    std::string out;
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (i > 0) {
            out += i + 1 == states.size() ? " and " : ", ";
        }
        out += server_label(states[i]->answer);
    }
    return out;
}

// What a server answers, as a noun phrase: "no CNAME at x._domainkey.example.com",
// "CNAME x.dkim.amazonses.com (ok)", "REFUSED".
std::string answer_phrase(const RecordExpectation& expectation, const ServerState& state) {
    const AuthoritativeAnswer& answer = state.answer;
    if (state.lameness.unreachable) {
        return "nothing (" + state.lameness.detail + ")";
    }
    if (state.lameness.refused) {
        return "REFUSED (it does not serve the zone)";
    }
    if (state.lameness.lame) {
        return "without the AA flag (it does not hold the zone)";
    }
    const bool easy = expectation.kind == RecordExpectation::Kind::easy_dkim_cname;
    switch (answer.verdict) {
    case VerdictCode::missing:
        return (easy ? "no CNAME at " : "no DKIM key at ") + expectation.name;
    case VerdictCode::dns_error:
        return "nothing usable (" + state.lameness.detail + ")";
    default:
        break;
    }
    std::string observed = answer.observed.value_or("nothing");
    if (easy &&
        (answer.verdict == VerdictCode::ok || answer.verdict == VerdictCode::wrong_target)) {
        observed = "CNAME " + observed;
    } else if (!easy && answer.observed && answer.verdict != VerdictCode::doubled_domain &&
               answer.verdict != VerdictCode::txt_servfail) {
        observed = "TXT \"" + observed + "\"";
    }
    return observed + " (" + verdict_code_name(answer.verdict) + ")";
}

const char* pronoun(const std::vector<const ServerState*>& states) {
    return states.size() == 1 ? "it" : "them";
}

// Groups states by identical answers (as the message words them), in server order of first
// appearance.
std::vector<std::vector<const ServerState*>>
group_answers(const RecordExpectation& expectation, const std::vector<const ServerState*>& states) {
    std::vector<std::vector<const ServerState*>> groups;
    for (const ServerState* state : states) {
        const std::string phrase = answer_phrase(expectation, *state);
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
            return answer_phrase(expectation, *group.front()) == phrase;
        });
        if (it == groups.end()) {
            groups.push_back({state});
        } else {
            it->push_back(state);
        }
    }
    return groups;
}

std::string describe_groups(const RecordExpectation& expectation,
                            const std::vector<const ServerState*>& states) {
    std::string out;
    for (const auto& group : group_answers(expectation, states)) {
        if (!out.empty()) {
            out += "; ";
        }
        out += join_labels(group) + (group.size() == 1 ? " answers " : " answer ") +
               answer_phrase(expectation, *group.front());
    }
    return out;
}

std::string lame_note(const RecordExpectation& expectation,
                      const std::vector<const ServerState*>& unusable) {
    return describe_groups(expectation, unusable) + ". A resolver that asks " +
           (unusable.size() == 1 ? "this server" : "these servers") +
           " gets no authoritative answer and must try another, which slows lookups and fails "
           "them when the other servers are unreachable. Serve the zone on " +
           (unusable.size() == 1 ? "it" : "them") +
           " (configure the zone and let it transfer from the primary) or remove " +
           (unusable.size() == 1 ? "it" : "them") +
           " from the NS set at the registrar and from the zone's NS records.";
}

RecordVerdict replace(RecordVerdict verdict, VerdictCode code, std::string message) {
    verdict.code = code;
    verdict.severity = severity_of(code);
    verdict.message = std::move(message);
    return verdict;
}

RecordVerdict split_verdict(const RecordExpectation& expectation, RecordVerdict verdict,
                            const std::string& apex, const std::vector<const ServerState*>& usable,
                            const std::vector<const ServerState*>& unusable,
                            const std::vector<const ServerState*>& all) {
    std::string message = "The authoritative servers of " + apex + " disagree on " +
                          expectation.name +
                          ", so SES and receivers get one answer or the other depending on the "
                          "server their resolver asks: " +
                          describe_groups(expectation, all) + ".";
    const auto groups = group_answers(expectation, usable);
    const auto good = std::find_if(groups.begin(), groups.end(), [](const auto& group) {
        return group.front()->answer.verdict == VerdictCode::ok;
    });
    if (good != groups.end()) {
        std::optional<std::uint32_t> current;
        for (const ServerState* state : *good) {
            if (state->answer.serial &&
                (!current || serial_older(*current, *state->answer.serial))) {
                current = state->answer.serial;
            }
        }
        std::vector<const ServerState*> older;
        std::vector<const ServerState*> other;
        for (const auto& group : groups) {
            if (&group == &*good) {
                continue;
            }
            for (const ServerState* state : group) {
                const auto& serial = state->answer.serial;
                (serial && current && serial_older(*serial, *current) ? older : other)
                    .push_back(state);
            }
        }
        if (!older.empty()) {
            message += " " + join_labels(older) + (older.size() == 1 ? " serves" : " serve") +
                       " an older zone than the servers that have the record right (serial " +
                       std::to_string(*current) + "): make " + pronoun(older) +
                       " transfer the current zone (check NOTIFY/AXFR from the primary) or "
                       "remove " +
                       pronoun(older) + " from the NS set at the registrar.";
        }
        if (!other.empty()) {
            message += " " + join_labels(other) + (other.size() == 1 ? " serves" : " serve") +
                       " other data for the record without an older serial (another primary "
                       "or DNS provider?): make " +
                       pronoun(other) +
                       " serve the current zone (transfer it from the primary, check "
                       "NOTIFY/AXFR) or remove " +
                       pronoun(other) + " from the NS set at the registrar.";
        }
    } else {
        message += " None of them serves what SES expects (" + verdict.expected +
                   "): fix the record on the primary and make every server transfer the "
                   "current zone (check NOTIFY/AXFR).";
    }
    if (!unusable.empty()) {
        message += " " + join_labels(unusable) + (unusable.size() == 1 ? " gives" : " give") +
                   " no authoritative answer: serve the zone on " + pronoun(unusable) +
                   " or remove " + pronoun(unusable) + " from the NS set at the registrar.";
    }
    return replace(std::move(verdict), VerdictCode::ns_split, std::move(message));
}

} // namespace

AuthoritativeStep check_authoritative(const RecordExpectation& expectation,
                                      const RecordVerdict& resolver_verdict,
                                      std::uint32_t resolver_ttl, std::uint16_t port,
                                      std::span<const LookupResult> lookups) {
    ZoneDiscoveryStep discovery = discover_zone_servers(expectation.name, port, lookups);
    if (auto* need = std::get_if<NeedLookups>(&discovery)) {
        return std::move(*need);
    }
    const ZoneServers& zone = std::get<ZoneServers>(discovery);
    RecordVerdict verdict = resolver_verdict;
    verdict.zone = zone.apex;
    verdict.authoritative.clear();
    verdict.authoritative_indeterminate = false;
    if (zone.servers.empty()) {
        verdict.authoritative_indeterminate = true;
        verdict.message +=
            " (The authoritative servers could not be checked: " + zone.problem + ".)";
        return verdict;
    }

    // Every server's own verdict.
    std::vector<ServerState> states;
    std::vector<LookupRequest> needs;
    for (const auto& server : zone.servers) {
        ServerRun run = evaluate_server(expectation, zone.apex, server, lookups);
        for (auto& request : run.needs) {
            add_need(needs, std::move(request));
        }
        if (!run.verdict) {
            continue;
        }
        ServerState state;
        state.server = &server;
        state.verdict = std::move(*run.verdict);
        state.lameness = judge_lameness(run.directed);
        AuthoritativeAnswer& answer = state.answer;
        answer.server = server.name;
        answer.address = server.address.ip;
        answer.verdict = state.verdict.code;
        answer.observed = state.verdict.observed;
        answer.lame = state.lameness.lame;
        answer.detail = state.lameness.detail;
        if (!run.directed.empty()) {
            answer.aa = run.directed.front()->authoritative_answer;
            answer.latency = run.directed.front()->latency;
        }
        for (const LookupResult* result : run.directed) {
            if (result->soa_serial && result->soa_owner == zone.apex) {
                answer.serial = result->soa_serial;
                break;
            }
        }
        states.push_back(std::move(state));
    }
    if (!needs.empty()) {
        return NeedLookups{std::move(needs)};
    }

    // An address family (IPv4, IPv6) of which no address of the zone answered at all is most
    // likely not routed from here (a host without IPv6): its silent addresses are reported
    // (lame, "timeout") but not blamed on the zone in the verdict.
    bool family_answered[2] = {false, false};
    for (const auto& state : states) {
        family_answered[state.server->address.ipv6 ? 1 : 0] |= !state.lameness.unreachable;
    }
    std::vector<const ServerState*> all;
    std::vector<const ServerState*> usable;
    std::vector<const ServerState*> unusable;
    std::vector<const ServerState*> unrouted;
    for (const auto& state : states) {
        all.push_back(&state);
        if (state.usable()) {
            usable.push_back(&state);
        } else if (state.lameness.unreachable &&
                   !family_answered[state.server->address.ipv6 ? 1 : 0]) {
            unrouted.push_back(&state);
        } else {
            unusable.push_back(&state);
        }
    }
    const std::string unrouted_note =
        unrouted.empty() ? std::string()
                         : " (" + join_labels(unrouted) + " did not answer, nor did any other " +
                               (unrouted.front()->server->address.ipv6 ? "IPv6" : "IPv4") +
                               " address of the zone's servers: probably no route from here, "
                               "so not counted as lame.)";
    bool split = false;
    for (const ServerState* state : usable) {
        split = split || !same_answer(state->answer, usable.front()->answer);
    }

    // Serials: every server that answers at all is asked for its SOA. When they agree the
    // question is cacheable (one per zone and server per SOA TTL, however many records the zone
    // holds; the serial shown may then be as old as that TTL). On a split or a lame server it
    // is asked afresh, so that the message can say which one lags.
    const bool fresh_serials = split || !unusable.empty();
    for (auto& state : states) {
        if (state.lameness.unreachable) {
            continue;
        }
        LookupRequest request = serial_request(zone.apex, state.server->address);
        request.cacheable = !fresh_serials;
        const LookupResult* soa = find_result(lookups, request);
        if (soa == nullptr) {
            add_need(needs, request);
        } else if (soa->outcome == LookupOutcome::answer && soa->soa_serial) {
            state.answer.serial = soa->soa_serial;
        }
    }
    if (!needs.empty()) {
        return NeedLookups{std::move(needs)};
    }
    for (const auto& state : states) {
        verdict.authoritative.push_back(state.answer);
    }

    if (split) {
        verdict = split_verdict(expectation, std::move(verdict), zone.apex, usable, unusable, all);
        verdict.message += unrouted_note;
        return verdict;
    }

    if (usable.empty()) {
        // Nothing authoritative to compare with: the resolvers' verdict stands.
        verdict.authoritative_indeterminate = true;
        const bool any_reached = std::any_of(unusable.begin(), unusable.end(), [](const auto* s) {
            return !s->lameness.unreachable;
        });
        if (!any_reached) {
            verdict.message += " (No authoritative server of " + zone.apex +
                               " answered; the resolvers' verdict stands.)";
            return verdict;
        }
        if (verdict.code == VerdictCode::ok) {
            return replace(
                std::move(verdict), VerdictCode::lame_server,
                "The resolvers find the record fine, but no authoritative server of " + zone.apex +
                    " gives a usable answer: " + lame_note(expectation, unusable) + unrouted_note);
        }
        verdict.message += " Also, no authoritative server of " + zone.apex +
                           " gives a usable answer: " + lame_note(expectation, unusable) +
                           unrouted_note;
        return verdict;
    }

    const ServerState& agreed = *usable.front();
    const bool differs =
        agreed.verdict.code != verdict.code || agreed.verdict.observed != verdict.observed;
    const Severity agreed_severity = severity_of(agreed.verdict.code);
    const bool agreed_problem =
        agreed_severity == Severity::error || agreed_severity == Severity::warning;
    // The servers' verdict replaces the resolvers' when it names a problem the resolvers do not
    // show yet, never to soften a worse one (SES sees the resolvers' answer until caches expire).
    const bool servers_decide = differs && agreed_problem &&
                                (verdict.code == VerdictCode::ok ||
                                 severity_rank(agreed_severity) >= severity_rank(verdict.severity));
    if (servers_decide) {
        // The early warning: the servers already serve the change the caches still hide.
        std::string message = "Every authoritative server of " + zone.apex + " that answers (" +
                              join_labels(usable) + ") says: " + agreed.verdict.message +
                              " The resolvers still answer from their caches (" +
                              verdict_code_name(verdict.code) +
                              ") and may serve the old answer until its TTL runs out; SES and "
                              "receivers see this then.";
        verdict = replace(std::move(verdict), agreed.verdict.code, std::move(message));
        verdict.observed = agreed.verdict.observed;
        verdict.server = agreed.verdict.server;
        verdict.latency = agreed.verdict.latency;
        verdict.cached_answer_ttl = std::chrono::seconds(resolver_ttl);
    } else if (differs) {
        verdict.message += " Every authoritative server of " + zone.apex + " that answers (" +
                           join_labels(usable) + ") already answers " +
                           answer_phrase(expectation, agreed) +
                           "; the resolvers may keep their answer until its TTL runs out.";
        verdict.cached_answer_ttl = std::chrono::seconds(resolver_ttl);
    }

    if (!unusable.empty()) {
        if (verdict.code == VerdictCode::ok) {
            return replace(std::move(verdict), VerdictCode::lame_server,
                           "The record is right on " + join_labels(usable) + ", but " +
                               lame_note(expectation, unusable) + unrouted_note);
        }
        verdict.message += " Also, " + lame_note(expectation, unusable);
    }
    verdict.message += unrouted_note;
    return verdict;
}

} // namespace dkimwatch
