#include "dns/query_policy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace dkimwatch {

namespace {

using Clock = TransportClock;

constexpr std::uint32_t k_none = 0xffffffffu;
// Lookup::directed when the lookup goes through the configured servers.
constexpr std::uint16_t k_no_server = 0xffff;
// How often run() consults the interrupt check while waiting, in milliseconds.
constexpr int k_interrupt_poll_ms = 100;

// Keys of ResolverStats::answers_by_rcode, indexed by RcodeKey.
enum RcodeKey {
    k_noerror,
    k_nxdomain,
    k_servfail,
    k_refused,
    k_formerr,
    k_notimp,
    k_other,
    k_timeout,
    k_rcode_keys
};
constexpr std::array<const char*, k_rcode_keys> k_rcode_key_names{
    "noerror", "nxdomain", "servfail", "refused", "formerr", "notimp", "other", "timeout"};

RcodeKey rcode_key(int rcode) {
    switch (rcode) {
    case 0:
        return k_noerror;
    case 1:
        return k_formerr;
    case 2:
        return k_servfail;
    case 3:
        return k_nxdomain;
    case 4:
        return k_notimp;
    case 5:
        return k_refused;
    default:
        return k_other;
    }
}

char lower(std::uint8_t c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// `out` = canonical_name(name), reusing out's capacity.
void assign_canonical(std::string& out, std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    out.assign(name);
    for (char& c : out) {
        c = lower(static_cast<std::uint8_t>(c));
    }
}

// True when canonical_name(name) == canonical, without building it.
bool is_canonical_of(std::string_view canonical, std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    if (name.size() != canonical.size()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (lower(static_cast<std::uint8_t>(name[i])) != canonical[i]) {
            return false;
        }
    }
    return true;
}

std::string format_duration(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) {
        return std::to_string(d.count() / 1000) + "s";
    }
    return std::to_string(d.count()) + "ms";
}

// "A", "A and B", "A, B and C".
std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " and " : ", ";
        }
        out += names[i];
    }
    return out;
}

int ms_until(Clock::time_point now, Clock::time_point then) {
    if (then <= now) {
        return 0;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(then - now).count();
    return static_cast<int>(std::min<long long>((us + 999) / 1000, 1000 * 60 * 60));
}

} // namespace

QueryPolicy::QueryPolicy(ResolverSettings settings, Transport& transport)
    : m_settings(std::move(settings)), m_transport(transport) {
    if (m_settings.servers.empty()) {
        throw std::runtime_error("AsyncResolver: no DNS server configured");
    }
    m_settings.attempts = std::max(1, m_settings.attempts);
    m_settings.max_inflight = std::max(1, m_settings.max_inflight);
    m_settings.max_qps = std::max(0, m_settings.max_qps);
    m_settings.max_cname_hops = std::max(0, m_settings.max_cname_hops);
    if (m_settings.timeout <= std::chrono::milliseconds(0)) {
        m_settings.timeout = std::chrono::milliseconds(1);
    }
    for (std::size_t i = 0; i < k_rcode_keys; ++i) {
        m_rcode_counters[i] = &m_stats.answers_by_rcode[k_rcode_key_names[i]];
    }
    for (const ServerAddress& address : m_settings.servers) {
        m_transport.add_server(address);
    }
    m_configured_servers = static_cast<unsigned>(m_settings.servers.size());
    m_server_total = static_cast<std::uint16_t>(m_configured_servers);
    m_lookups.reserve(static_cast<std::size_t>(m_settings.max_inflight) + 16);
    if (m_settings.max_qps > 0) {
        m_burst = std::max(1.0, m_settings.max_qps / 100.0);
        m_tokens = m_burst;
    }
    m_token_time = m_transport.now();
}

// The index of a directed query's server, registered on first use; k_no_server when the
// indexes are used up.
std::uint16_t QueryPolicy::directed_server(const ServerAddress& address) {
    std::string text = address.to_string();
    if (const auto it = m_directed_index.find(text); it != m_directed_index.end()) {
        return it->second;
    }
    if (m_server_total >= k_no_server) {
        return k_no_server;
    }
    const std::uint16_t index = m_transport.add_server(address);
    m_server_total = static_cast<std::uint16_t>(index + 1);
    m_directed_index.emplace(std::move(text), index);
    return index;
}

unsigned QueryPolicy::server_count(const Lookup& lookup) const {
    return lookup.directed != k_no_server ? 1u : m_configured_servers;
}

// The server at position `k` of the lookup's rotation in this hop.
std::uint16_t QueryPolicy::server_at(const Lookup& lookup, unsigned k) const {
    return lookup.directed != k_no_server
               ? lookup.directed
               : static_cast<std::uint16_t>((lookup.start + k) % m_configured_servers);
}

void QueryPolicy::record_latency(std::chrono::microseconds latency) {
    if (m_record_latencies) {
        m_stats.latencies.push_back(latency);
    }
}

std::uint32_t QueryPolicy::start_lookup(Pending pending) {
    std::uint32_t index;
    if (!m_free_lookups.empty()) {
        index = m_free_lookups.back();
        m_free_lookups.pop_back();
    } else {
        index = static_cast<std::uint32_t>(m_lookups.size());
        m_lookups.emplace_back();
    }
    Lookup& lookup = m_lookups[index];
    lookup.request = std::move(pending.request);
    lookup.callback = std::move(pending.callback);
    lookup.chain.clear();
    lookup.hops = 0;
    lookup.total_attempts = 0;
    lookup.used_tcp = false;
    lookup.has_answer = false;
    lookup.in_flight = false;
    lookup.generation = 0;
    lookup.authoritative = false;
    lookup.soa_owner.clear();
    lookup.soa_serial.reset();
    lookup.ttl = 0;
    lookup.chain_ttl = UINT32_MAX;
    lookup.values.clear();
    lookup.wires.clear();
    lookup.directed = k_no_server;
    assign_canonical(lookup.qname, lookup.request.name);
    if (lookup.request.server) {
        lookup.directed = directed_server(*lookup.request.server);
        if (lookup.directed == k_no_server) {
            finish(index, LookupOutcome::timeout, "too many distinct servers for directed queries");
            return k_none;
        }
    }
    if (!start_hop(index)) {
        return k_none;
    }
    return index;
}

// Prepares the query for `lookup.qname`; false (and the lookup finished) when it cannot be
// encoded. The query buffer of the slot is reused.
bool QueryPolicy::start_hop(std::uint32_t index) {
    Lookup& lookup = m_lookups[index];
    const std::string& name = lookup.qname;
    QueryOptions options;
    options.recursion_desired = lookup.directed == k_no_server;
    options.dnssec = lookup.request.dnssec;
    options.edns_buffer_size = m_settings.edns_buffer_size;
    build_query(name, lookup.request.type, options, lookup.query);
    lookup.server_state.assign(m_server_total, k_not_asked);
    lookup.failures.clear();
    lookup.hop_attempts = 0;
    lookup.start = m_next_start++ % m_configured_servers;
    lookup.next_pos = 0;
    if (lookup.query.empty()) {
        finish(index, LookupOutcome::malformed, "\"" + name + "\" cannot be encoded as a DNS name");
        return false;
    }
    return true;
}

void QueryPolicy::send_pending() {
    while (m_in_flight < m_settings.max_inflight && has_queued()) {
        const Clock::time_point now = m_transport.now();
        if (now < m_transport.send_blocked_until()) {
            break;
        }
        if (m_settings.max_qps > 0) {
            const double elapsed = std::chrono::duration<double>(now - m_token_time).count();
            m_tokens = std::min(m_burst, m_tokens + elapsed * m_settings.max_qps);
            m_token_time = now;
            if (m_tokens < 1.0) {
                break;
            }
        }
        std::uint32_t index;
        if (!m_retry_queue.empty()) {
            index = m_retry_queue.front();
            m_retry_queue.pop_front();
        } else {
            Pending pending = std::move(m_new_queue.front());
            m_new_queue.pop_front();
            index = start_lookup(std::move(pending));
            if (index == k_none) {
                continue;
            }
        }
        if (m_settings.max_qps > 0) {
            m_tokens -= 1.0;
        }
        send_attempt(index, now);
        if (m_transport.flush_due()) {
            m_transport.flush(*this);
        }
    }
    m_transport.flush(*this);
}

// Hands the lookup's next UDP attempt to the transport: server chosen, the attempt registered
// as in flight with its deadline.
void QueryPolicy::send_attempt(std::uint32_t index, Clock::time_point now) {
    Lookup& lookup = m_lookups[index];
    const std::uint16_t server_index = server_at(lookup, lookup.next_pos);
    ++lookup.next_pos;
    ++lookup.hop_attempts;
    ++lookup.total_attempts;
    lookup.server = server_index;
    if (lookup.server_state[server_index] == k_not_asked) {
        lookup.server_state[server_index] = k_asked;
    }
    lookup.in_flight = true;
    lookup.via_tcp = false;
    lookup.sent_at = now;
    lookup.generation = m_next_generation++;
    m_deadlines.push_back({now + m_settings.timeout, index, lookup.generation});
    ++m_in_flight;
    m_transport.send_udp(index, server_index, lookup.query);
}

// The attempt in flight has ended (the transport released it or is told to).
void QueryPolicy::attempt_over(Lookup& lookup) {
    if (lookup.in_flight) {
        --m_in_flight;
    }
    lookup.in_flight = false;
    lookup.generation = 0;
}

void QueryPolicy::on_blocked(std::uint32_t token) {
    // Never sent: taken back, and sent again first.
    Lookup& lookup = m_lookups[token];
    attempt_over(lookup);
    --lookup.next_pos;
    --lookup.hop_attempts;
    --lookup.total_attempts;
    if (m_settings.max_qps > 0) {
        m_tokens += 1.0;
    }
    m_retry_queue.push_front(token);
}

void QueryPolicy::on_failed(std::uint32_t token, TransportFailure failure, std::string note) {
    Lookup& lookup = m_lookups[token];
    attempt_over(lookup);
    on_soft_failure(token,
                    failure == TransportFailure::send_error ? FailureKind::send_error
                                                            : FailureKind::tcp_error,
                    std::move(note));
}

void QueryPolicy::on_oversized(std::uint32_t token, int rcode) {
    // Bigger than the receive buffer: treated as truncated.
    Lookup& lookup = m_lookups[token];
    count_rcode(rcode_key(rcode));
    record_latency(
        std::chrono::duration_cast<std::chrono::microseconds>(m_transport.now() - lookup.sent_at));
    attempt_over(lookup);
    start_tcp(token);
}

// Retries the current question over TCP to the server that sent a truncated answer.
void QueryPolicy::start_tcp(std::uint32_t index) {
    Lookup& lookup = m_lookups[index];
    ++m_stats.tcp_fallbacks;
    ++lookup.total_attempts;
    lookup.used_tcp = true;
    if (m_settings.max_qps > 0) {
        m_tokens -= 1.0; // may go below zero: the next UDP sends wait for it
    }
    lookup.in_flight = true;
    lookup.via_tcp = true;
    lookup.sent_at = m_transport.now();
    lookup.generation = m_next_generation++;
    m_deadlines.push_back({lookup.sent_at + m_settings.timeout, index, lookup.generation});
    ++m_in_flight;
    m_transport.send_tcp(index, lookup.server, lookup.query, *this);
}

void QueryPolicy::on_answer(std::uint32_t index, std::span<const std::uint8_t> wire, bool via_tcp) {
    Lookup& lookup = m_lookups[index];
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(m_transport.now() - lookup.sent_at);
    const auto id = static_cast<std::uint16_t>((lookup.query[0] << 8) | lookup.query[1]);
    attempt_over(lookup);
    record_latency(latency);
    ParsedAnswer parsed =
        parse_answer(wire, id, lookup.qname, lookup.request.type, lookup.directed == k_no_server);
    count_rcode(rcode_key(parsed.rcode));
    lookup.has_answer = true;
    lookup.answer_server = lookup.server;
    lookup.answer_latency = latency;

    // The id and question are ours (answers_query); what follows them may still not parse.
    if (parsed.truncated) {
        // Over UDP: ask again over TCP. Over TCP, TC has no business being set: the answer says
        // it is incomplete, so neither its records nor its rcode can be trusted.
        if (via_tcp) {
            on_definitive_failure(index, FailureKind::truncated_tcp, parsed.rcode, {});
        } else {
            start_tcp(index);
        }
        return;
    }
    if (!parsed.parsed) {
        on_definitive_failure(index, FailureKind::unparseable, parsed.rcode,
                              std::move(parsed.error));
        return;
    }
    if (parsed.rcode == 0 || parsed.rcode == 3) {
        // An answer that is used: what it says beyond the chain is reported, and with
        // request.dnssec the message itself, for the validator.
        lookup.authoritative = parsed.authoritative;
        lookup.soa_owner = std::move(parsed.soa_owner);
        lookup.soa_serial = parsed.soa_serial;
        lookup.ttl = parsed.ttl;
        if (lookup.request.dnssec) {
            lookup.wires.emplace_back(wire.begin(), wire.end());
        }
    }
    switch (parsed.rcode) {
    case 0:
        on_noerror(index, parsed);
        return;
    case 3: {
        for (std::string& name : parsed.cname_chain) {
            lookup.chain.push_back(std::move(name));
        }
        const std::string& final_name = lookup.chain.empty() ? lookup.qname : lookup.chain.back();
        finish(index, LookupOutcome::nxdomain, final_name + " does not exist (NXDOMAIN)");
        return;
    }
    case 2:
        on_definitive_failure(index, FailureKind::servfail, 2, {});
        return;
    case 5:
        on_definitive_failure(index, FailureKind::refused, 5, {});
        return;
    default:
        on_definitive_failure(index, FailureKind::bad_rcode, parsed.rcode, {});
        return;
    }
}

void QueryPolicy::on_noerror(std::uint32_t index, ParsedAnswer& parsed) {
    Lookup& lookup = m_lookups[index];
    const std::string type = record_type_name(lookup.request.type);
    if (lookup.request.type == RecordType::cname) {
        if (parsed.has_requested_type) {
            lookup.chain = std::move(parsed.cname_chain);
            finish(index, LookupOutcome::answer, {});
        } else {
            finish(index, LookupOutcome::nodata, "no CNAME record at " + lookup.qname);
        }
        return;
    }
    // Every name of the chain must be new: the first name asked, then each target.
    const std::string_view first = lookup.request.name;
    for (std::string& name : parsed.cname_chain) {
        const bool seen =
            is_canonical_of(name, first) ||
            std::find(lookup.chain.begin(), lookup.chain.end(), name) != lookup.chain.end();
        lookup.chain.push_back(std::move(name));
        if (seen) {
            finish(index, LookupOutcome::malformed, "CNAME loop");
            return;
        }
    }
    if (parsed.has_requested_type) {
        lookup.values = std::move(parsed.values);
        lookup.ttl = std::min(lookup.ttl, lookup.chain_ttl);
        finish(index, LookupOutcome::answer, {}, std::move(parsed.txt_records));
        return;
    }
    if (parsed.cname_chain.empty()) {
        finish(index, LookupOutcome::nodata, "no " + type + " record at " + lookup.qname);
        return;
    }
    if (lookup.directed != k_no_server) {
        // A directed query reports what this server says at the name: the CNAME, no more.
        finish(index, LookupOutcome::nodata,
               "CNAME at " + lookup.qname + " and no " + type + " record for its target");
        return;
    }
    // The chain ends in a name this answer says nothing more about: ask for it.
    if (lookup.hops >= m_settings.max_cname_hops) {
        finish(index, LookupOutcome::malformed,
               "CNAME chain longer than " + std::to_string(m_settings.max_cname_hops));
        return;
    }
    ++lookup.hops;
    lookup.chain_ttl = std::min(lookup.chain_ttl, parsed.chain_ttl);
    lookup.qname = lookup.chain.back();
    if (start_hop(index)) {
        m_retry_queue.push_back(index);
    }
}

// An answer that says no (SERVFAIL, REFUSED, FORMERR, garbage): ask a server not asked yet in
// this hop, if attempts remain.
void QueryPolicy::on_definitive_failure(std::uint32_t index, FailureKind kind, int rcode,
                                        std::string note) {
    Lookup& lookup = m_lookups[index];
    lookup.failures.push_back({lookup.server, kind, rcode, std::move(note)});
    lookup.server_state[lookup.server] = k_said_no;
    const unsigned n = server_count(lookup);
    if (lookup.hop_attempts < m_settings.attempts) {
        for (unsigned k = lookup.next_pos; k < lookup.next_pos + n; ++k) {
            if (lookup.server_state[server_at(lookup, k)] == k_not_asked) {
                lookup.next_pos = k;
                m_retry_queue.push_back(index);
                return;
            }
        }
    }
    finish_after_failures(index);
}

// No answer (timeout, TCP or send failure): the next server in turn that has not said no.
void QueryPolicy::on_soft_failure(std::uint32_t index, FailureKind kind, std::string note) {
    Lookup& lookup = m_lookups[index];
    lookup.failures.push_back({lookup.server, kind, 0, std::move(note)});
    if (kind == FailureKind::send_error) {
        lookup.server_state[lookup.server] = k_said_no; // trying it again would fail the same way
    }
    const unsigned n = server_count(lookup);
    if (lookup.hop_attempts < m_settings.attempts) {
        for (unsigned k = lookup.next_pos; k < lookup.next_pos + n; ++k) {
            if (lookup.server_state[server_at(lookup, k)] != k_said_no) {
                lookup.next_pos = k;
                m_retry_queue.push_back(index);
                return;
            }
        }
    }
    finish_after_failures(index);
}

void QueryPolicy::expire(Clock::time_point now) {
    while (!m_deadlines.empty() && m_deadlines.front().at <= now) {
        const Deadline deadline = m_deadlines.front();
        m_deadlines.pop_front();
        Lookup& lookup = m_lookups[deadline.lookup];
        if (lookup.generation != deadline.generation) {
            continue; // answered already
        }
        m_transport.end(deadline.lookup);
        attempt_over(lookup);
        count_rcode(k_timeout);
        on_soft_failure(deadline.lookup, FailureKind::timeout, {});
    }
}

// Milliseconds to sleep in epoll_wait: until the next deadline or send slot; -1 for none.
int QueryPolicy::wait_ms(Clock::time_point now) {
    while (!m_deadlines.empty() &&
           m_lookups[m_deadlines.front().lookup].generation != m_deadlines.front().generation) {
        m_deadlines.pop_front();
    }
    int wait = -1;
    if (!m_deadlines.empty()) {
        wait = ms_until(now, m_deadlines.front().at);
    }
    if (has_queued() && m_in_flight < m_settings.max_inflight) {
        int send_wait = 0;
        if (const Clock::time_point blocked = m_transport.send_blocked_until(); now < blocked) {
            send_wait = std::max(1, ms_until(now, blocked));
        } else if (m_settings.max_qps > 0 && m_tokens < 1.0) {
            const double seconds = (1.0 - m_tokens) / m_settings.max_qps;
            send_wait = std::max(1, static_cast<int>(std::ceil(seconds * 1000.0)));
        }
        wait = wait < 0 ? send_wait : std::min(wait, send_wait);
    }
    return wait;
}

void QueryPolicy::finish_after_failures(std::uint32_t index) {
    const Lookup& lookup = m_lookups[index];
    LookupOutcome outcome = LookupOutcome::timeout;
    // The last answer that said no decides; without any, nothing usable came back in time.
    for (auto it = lookup.failures.rbegin(); it != lookup.failures.rend(); ++it) {
        if (it->kind == FailureKind::servfail) {
            outcome = LookupOutcome::servfail;
        } else if (it->kind == FailureKind::refused) {
            outcome = LookupOutcome::refused;
        } else if (it->kind == FailureKind::bad_rcode || it->kind == FailureKind::unparseable ||
                   it->kind == FailureKind::truncated_tcp) {
            outcome = LookupOutcome::malformed;
        } else {
            continue;
        }
        break;
    }
    finish(index, outcome, describe_failures(lookup));
}

std::string QueryPolicy::describe_failures(const Lookup& lookup) const {
    // Groups in order of first appearance: same kind (and rcode) -> servers, count, first note.
    struct Group {
        FailureKind kind;
        int rcode;
        std::vector<std::string> servers;
        int count = 0;
        std::string note;
    };
    std::vector<Group> groups;
    for (const Failure& failure : lookup.failures) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
            return g.kind == failure.kind && g.rcode == failure.rcode;
        });
        if (it == groups.end()) {
            groups.push_back({failure.kind, failure.rcode, {}, 0, failure.note});
            it = groups.end() - 1;
        }
        ++it->count;
        const std::string& text = m_transport.server_text(failure.server);
        if (std::find(it->servers.begin(), it->servers.end(), text) == it->servers.end()) {
            it->servers.push_back(text);
        }
    }
    std::string out;
    for (const Group& group : groups) {
        if (!out.empty()) {
            out += "; ";
        }
        const std::string from = join_names(group.servers);
        switch (group.kind) {
        case FailureKind::timeout:
            out += "no answer from " + from + " after " + std::to_string(group.count) +
                   (group.count == 1 ? " attempt (" : " attempts (") +
                   format_duration(m_settings.timeout) + " each)";
            break;
        case FailureKind::tcp_error:
            out += "TCP to " + from + " failed: " + group.note;
            break;
        case FailureKind::send_error:
            out += "cannot send to " + from + ": " + group.note;
            break;
        case FailureKind::servfail:
            out += "SERVFAIL from " + from;
            break;
        case FailureKind::refused:
            out += "REFUSED from " + from;
            break;
        case FailureKind::bad_rcode:
            out += (group.rcode == 1   ? std::string("FORMERR")
                    : group.rcode == 4 ? std::string("NOTIMP")
                                       : "rcode " + std::to_string(group.rcode)) +
                   " from " + from;
            break;
        case FailureKind::unparseable:
            out += "unusable answer from " + from + " (" + group.note + ")";
            break;
        case FailureKind::truncated_tcp:
            out += "answer truncated (TC) over TCP from " + from;
            break;
        }
    }
    return out;
}

void QueryPolicy::finish(std::uint32_t index, LookupOutcome outcome, std::string detail,
                         std::vector<std::vector<std::string>> txt) {
    Lookup& lookup = m_lookups[index];
    LookupResult result;
    result.request = std::move(lookup.request);
    result.outcome = outcome;
    result.cname_chain = std::move(lookup.chain);
    result.txt_records = std::move(txt);
    if (outcome != LookupOutcome::timeout && lookup.has_answer) {
        result.server = m_transport.server_text(lookup.answer_server);
        result.latency = lookup.answer_latency;
    }
    result.attempts = lookup.total_attempts;
    result.used_tcp = lookup.used_tcp;
    result.detail = std::move(detail);
    if (outcome == LookupOutcome::answer || outcome == LookupOutcome::nodata ||
        outcome == LookupOutcome::nxdomain) {
        result.authoritative_answer = lookup.authoritative;
        result.soa_owner = std::move(lookup.soa_owner);
        result.soa_serial = lookup.soa_serial;
        result.ttl = lookup.ttl;
        result.values = std::move(lookup.values);
    }
    result.wires = std::move(lookup.wires);
    LookupService::Callback callback = std::move(lookup.callback);

    lookup.request = {};
    lookup.callback = nullptr;
    lookup.chain.clear();
    lookup.failures.clear();
    lookup.values.clear();
    lookup.wires.clear();
    lookup.in_flight = false;
    lookup.generation = 0;
    m_free_lookups.push_back(index);

    if (callback) {
        callback(std::move(result));
    }
}

void QueryPolicy::submit(LookupRequest request, LookupService::Callback callback) {
    m_new_queue.push_back({std::move(request), std::move(callback)});
}

void QueryPolicy::run() {
    if (m_running) {
        throw std::logic_error("AsyncResolver::run called from inside run");
    }
    struct Running {
        bool& flag;
        explicit Running(bool& f) : flag(f) { flag = true; }
        ~Running() { flag = false; }
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;
    } running(m_running);

    for (;;) {
        if (m_should_stop && m_should_stop()) {
            m_interrupted = true;
            return;
        }
        expire(m_transport.now());
        send_pending();
        if (m_in_flight == 0 && !has_queued()) {
            return;
        }
        int timeout = wait_ms(m_transport.now());
        if (m_should_stop && (timeout < 0 || timeout > k_interrupt_poll_ms)) {
            timeout = k_interrupt_poll_ms;
        }
        m_transport.wait(timeout, *this);
    }
}

void QueryPolicy::set_interrupt_check(std::function<bool()> should_stop) {
    m_should_stop = std::move(should_stop);
}

const ResolverStats& QueryPolicy::stats() {
    m_stats.queries_sent = m_transport.queries_sent();
    return m_stats;
}

std::vector<std::chrono::microseconds> QueryPolicy::take_latencies() {
    return std::exchange(m_stats.latencies, {});
}

} // namespace dkimwatch
