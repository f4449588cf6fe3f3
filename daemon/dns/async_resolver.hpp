#pragma once
// The real LookupService: an event loop over non-blocking UDP sockets (TCP on truncation) that
// keeps many queries in flight. Queries are built and answers parsed with ldns
// (dns/ldns_answer.hpp).
//
// Against forged answers (RFC 5452): each UDP query leaves from a socket drawn at random from a
// pool that is renewed as it is used (random ports), with an id from the kernel's CSPRNG, and an
// answer counts only when it comes from the server asked, to that socket, with that id and
// exactly the question asked (answers_query). Anything else is ignored like a lost packet. TC on
// a TCP answer makes the attempt fail (indeterminate), never a verdict.

#include "core/lookup_service.hpp"
#include "core/server_address.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dkimwatch {

struct ResolverSettings {
    std::vector<ServerAddress> servers;      // at least one
    std::chrono::milliseconds timeout{2000}; // per attempt
    int attempts = 3;                        // per query (per CNAME hop), across servers
    int max_inflight = 256;                  // outstanding queries at once
    int max_qps = 1000;                      // sends per second over all servers; 0 = unlimited
    std::uint16_t edns_buffer_size = 1232;   // advertised EDNS0 UDP payload size
    int max_cname_hops = 8;                  // CNAMEs followed by hand after the first answer
};

// Counters for metrics and benchmarks. Keys of `answers_by_rcode` are "noerror", "nxdomain",
// "servfail", "refused", "formerr", "notimp", "other" and "timeout" (an attempt that got no
// answer in time).
struct ResolverStats {
    std::uint64_t queries_sent = 0; // every UDP or TCP query written, retries included
    std::uint64_t tcp_fallbacks = 0;
    std::map<std::string, std::uint64_t> answers_by_rcode;
    std::vector<std::chrono::microseconds> latencies; // only when record_latencies is true
};

class AsyncResolver final : public LookupService {
public:
    // Throws std::runtime_error only when no socket can be opened at all.
    explicit AsyncResolver(ResolverSettings settings);
    ~AsyncResolver() override;
    AsyncResolver(const AsyncResolver&) = delete;
    AsyncResolver& operator=(const AsyncResolver&) = delete;

    void submit(LookupRequest request, Callback callback) override;
    void run() override;

    // Installs a check that run() calls at least every 100 ms; when it returns true, run()
    // returns at once, abandoning what is queued or in flight without calling their callbacks.
    // After that the resolver may only be destroyed. Used for a prompt exit on SIGTERM.
    void set_interrupt_check(std::function<bool()> should_stop);
    // True when run() returned because of the interrupt check.
    bool interrupted() const;

    const ResolverStats& stats() const;
    // When set, every answered attempt's latency is appended to stats().latencies.
    void set_record_latencies(bool on);
    // Moves the latencies recorded so far out of stats().latencies (which is left empty).
    std::vector<std::chrono::microseconds> take_latencies();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dkimwatch
