#pragma once
// How lookups become queries, and answers outcomes, over any Transport: attempts spread over the
// configured servers in rotation (a server that said no is not asked again in the same hop),
// a global send rate, TCP when an answer is truncated, CNAME chains followed hop by hop, and the
// outcome and its detail decided from what came back. Directed lookups (request.server) go to
// their one server only, with RD=0 and no CNAME following. No sockets here: the clock is the
// transport's, so that tests drive the policy with a scripted fake transport.

#include "core/lookup_service.hpp"
#include "dns/async_resolver.hpp"
#include "dns/ldns_answer.hpp"
#include "dns/transport.hpp"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

class QueryPolicy final : private TransportEvents {
public:
    // `transport` must outlive the policy; the configured servers are registered with it here.
    // Throws std::runtime_error when settings.servers is empty.
    QueryPolicy(ResolverSettings settings, Transport& transport);
    QueryPolicy(const QueryPolicy&) = delete;
    QueryPolicy& operator=(const QueryPolicy&) = delete;

    void submit(LookupRequest request, LookupService::Callback callback);
    // Sends and waits until every submitted lookup has called back, or the interrupt check says
    // stop (then it returns at once, abandoning the rest).
    void run();
    void set_interrupt_check(std::function<bool()> should_stop);
    bool interrupted() const { return m_interrupted; }

    // queries_sent is brought up to date from the transport.
    const ResolverStats& stats();
    void set_record_latencies(bool on) { m_record_latencies = on; }
    std::vector<std::chrono::microseconds> take_latencies();

private:
    using Clock = TransportClock;

    // What went wrong with one attempt; kept per hop for the final outcome and detail.
    enum class FailureKind : std::uint8_t {
        timeout,
        tcp_error,
        send_error,
        servfail,
        refused,
        bad_rcode,     // FORMERR, NOTIMP or another rcode
        unparseable,   // id and question matched, the rest did not parse
        truncated_tcp, // TC set on a TCP answer: incomplete by its own word
    };
    struct Failure {
        std::uint16_t server;
        FailureKind kind;
        int rcode;
        std::string note;
    };
    enum ServerState : std::uint8_t { k_not_asked, k_asked, k_said_no };

    struct Lookup {
        LookupRequest request;
        LookupService::Callback callback;
        std::string qname;                      // the name asked in this hop, canonical
        std::vector<std::uint8_t> query;        // wire form; the transport patches the id in
        std::vector<std::string> chain;         // CNAME targets followed so far, all hops
        std::vector<std::uint8_t> server_state; // by server index
        std::vector<Failure> failures;          // this hop
        std::uint16_t directed = 0xffff;        // request.server's index; 0xffff: none
        int hops = 0;
        int hop_attempts = 0;
        int total_attempts = 0;
        unsigned start = 0;
        unsigned next_pos = 0;
        bool used_tcp = false;
        // The last answer used, reported with the result.
        bool has_answer = false;
        std::uint16_t answer_server = 0;
        std::chrono::microseconds answer_latency{0};
        bool authoritative = false;
        std::string soa_owner;
        std::optional<std::uint32_t> soa_serial;
        std::uint32_t ttl = 0;
        std::uint32_t chain_ttl = UINT32_MAX; // smallest TTL of the CNAMEs of earlier hops
        std::vector<std::string> values;
        std::vector<std::vector<std::uint8_t>> wires; // request.dnssec only
        // The attempt in flight, if any.
        bool in_flight = false;
        bool via_tcp = false;
        std::uint16_t server = 0;
        Clock::time_point sent_at;
        std::uint64_t generation = 0; // 0: no attempt in flight
    };
    struct Deadline {
        Clock::time_point at;
        std::uint32_t lookup;
        std::uint64_t generation;
    };
    struct Pending {
        LookupRequest request;
        LookupService::Callback callback;
    };

    // TransportEvents
    void on_answer(std::uint32_t token, std::span<const std::uint8_t> wire, bool via_tcp) override;
    void on_oversized(std::uint32_t token, int rcode) override;
    void on_failed(std::uint32_t token, TransportFailure failure, std::string note) override;
    void on_blocked(std::uint32_t token) override;

    std::uint32_t start_lookup(Pending pending);
    bool start_hop(std::uint32_t index);
    void send_pending();
    void send_attempt(std::uint32_t index, Clock::time_point now);
    void start_tcp(std::uint32_t index);
    void attempt_over(Lookup& lookup);
    void on_noerror(std::uint32_t index, ParsedAnswer& parsed);
    void on_definitive_failure(std::uint32_t index, FailureKind kind, int rcode, std::string note);
    void on_soft_failure(std::uint32_t index, FailureKind kind, std::string note);
    void expire(Clock::time_point now);
    int wait_ms(Clock::time_point now);
    void finish(std::uint32_t index, LookupOutcome outcome, std::string detail,
                std::vector<std::vector<std::string>> txt = {});
    void finish_after_failures(std::uint32_t index);
    std::string describe_failures(const Lookup& lookup) const;
    std::uint16_t directed_server(const ServerAddress& address);
    unsigned server_count(const Lookup& lookup) const;
    std::uint16_t server_at(const Lookup& lookup, unsigned k) const;
    bool has_queued() const { return !m_retry_queue.empty() || !m_new_queue.empty(); }
    void count_rcode(int key) { ++*m_rcode_counters[static_cast<std::size_t>(key)]; }
    void record_latency(std::chrono::microseconds latency);

    ResolverSettings m_settings;
    Transport& m_transport;
    // Servers by transport index: the configured ones first, then each server a directed query
    // named (added on first use, never removed: as many as the authoritative servers asked).
    unsigned m_configured_servers = 0;
    std::uint16_t m_server_total = 0;
    std::map<std::string, std::uint16_t> m_directed_index; // "ip:port" -> server index

    std::vector<Lookup> m_lookups;
    std::vector<std::uint32_t> m_free_lookups;
    std::deque<Pending> m_new_queue;
    std::deque<std::uint32_t> m_retry_queue; // started lookups waiting to send; served first
    std::deque<Deadline> m_deadlines;        // in order, since every attempt has one timeout
    int m_in_flight = 0;
    double m_tokens = 0;
    double m_burst = 1;
    Clock::time_point m_token_time;
    std::uint64_t m_next_generation = 1;
    unsigned m_next_start = 0;

    std::function<bool()> m_should_stop;
    bool m_interrupted = false;
    bool m_running = false;
    ResolverStats m_stats;
    std::array<std::uint64_t*, 8> m_rcode_counters{};
    bool m_record_latencies = false;
};

} // namespace dkimwatch
