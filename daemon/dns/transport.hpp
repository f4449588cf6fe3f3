#pragma once
// The seam between the query policy (dns/query_policy.hpp: attempts, servers, CNAME hops,
// outcomes) and the network (dns/udp_tcp_transport.hpp: sockets, ids, ports). A transport moves
// query messages to servers and hands back the answers that match them; it knows nothing of
// CNAMEs or rcodes. Tests drive the policy through a scripted fake transport with its own clock.
//
// An attempt is named by a token chosen by the policy (one attempt per token at a time). Each
// attempt ends exactly once: by an answer (on_answer, on_oversized), a failure (on_failed), a
// kernel with no room (on_blocked: never sent), or the policy's end() (a timeout).

#include "core/server_address.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dkimwatch {

using TransportClock = std::chrono::steady_clock;

enum class TransportFailure : std::uint8_t {
    send_error, // the query could not be sent (no socket for the family, not a numeric address)
    tcp_error,  // the TCP connection failed or closed before a full answer
};

// What a transport reports; called from within Transport::flush and Transport::wait. The
// attempt is over (its id or connection released) when a callback runs, so that the callback
// may start the next attempt for the same token.
class TransportEvents {
public:
    virtual ~TransportEvents() = default;
    // A message that answers the attempt's query: from the server asked (address and port), to
    // the socket or connection the query used, with its id and exactly its question (name
    // without regard to letter case, type and class; see answers_query in dns/ldns_answer.hpp).
    virtual void on_answer(std::uint32_t token, std::span<const std::uint8_t> wire,
                           bool via_tcp) = 0;
    // A UDP answer to the query that was larger than the receive buffer (cut): as if truncated.
    // `rcode` is its header's.
    virtual void on_oversized(std::uint32_t token, int rcode) = 0;
    virtual void on_failed(std::uint32_t token, TransportFailure failure, std::string note) = 0;
    // The kernel had no room for the datagram: it was not sent. Sending resumes after
    // Transport::send_blocked_until().
    virtual void on_blocked(std::uint32_t token) = 0;
};

class Transport {
public:
    virtual ~Transport() = default;

    // Registers a server; returns its index for send_*. Indexes are given in order from 0.
    virtual std::uint16_t add_server(const ServerAddress& address) = 0;
    // "ip:port" of a registered server.
    virtual const std::string& server_text(std::uint16_t server) const = 0;

    // Queues a UDP query to `server`. Its first two bytes are overwritten with a fresh random
    // id; `query` must stay alive and unchanged until the attempt ends. Sent by flush().
    virtual void send_udp(std::uint32_t token, std::uint16_t server,
                          std::vector<std::uint8_t>& query) = 0;
    // Sends `query` over a new TCP connection (a fresh id patched in, as for UDP); a failure to
    // set it up is reported through `events` at once.
    virtual void send_tcp(std::uint32_t token, std::uint16_t server,
                          std::vector<std::uint8_t>& query, TransportEvents& events) = 0;
    // Hands the queued UDP queries to the kernel.
    virtual void flush(TransportEvents& events) = 0;
    // True when enough UDP queries are queued that flush() should run before more are queued.
    virtual bool flush_due() const = 0;
    // Ends the attempt in flight for `token` (it timed out): a later answer is ignored.
    virtual void end(std::uint32_t token) = 0;
    // Waits up to `timeout_ms` (-1: without limit) for answers and reports them.
    virtual void wait(int timeout_ms, TransportEvents& events) = 0;

    virtual TransportClock::time_point now() const = 0;
    // Until when the kernel had no room for datagrams (in the past when it has).
    virtual TransportClock::time_point send_blocked_until() const = 0;
    // Queries written to the network so far, UDP and TCP, retries included.
    virtual std::uint64_t queries_sent() const = 0;
};

} // namespace dkimwatch
