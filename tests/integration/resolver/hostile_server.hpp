#pragma once
// A scripted DNS server inside the test process, for the hostile-answer tests: UDP and TCP on the
// same free port of 127.0.0.1, served by one thread. A responder turns each query into the
// messages sent back, in order (none: the query goes unanswered). Every query is recorded with
// its source port, so that tests can look at what the resolver sends.

#include "core/server_address.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dkimwatch::resolver_test {

using Wire = std::vector<std::uint8_t>;

struct ReceivedQuery {
    Wire wire;                     // the query as received (no TCP length prefix)
    std::uint16_t source_port = 0; // host order
    bool tcp = false;
};

class HostileServer {
public:
    using Responder = std::function<std::vector<Wire>(const ReceivedQuery&)>;

    // Throws std::runtime_error when no port can be bound.
    explicit HostileServer(Responder responder);
    ~HostileServer();
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    ServerAddress address() const { return ServerAddress{"127.0.0.1", m_port, false}; }
    // Every query received so far, in arrival order. Thread-safe.
    std::vector<ReceivedQuery> queries() const;

private:
    void serve();
    void serve_tcp(int connection);
    void record(const ReceivedQuery& query);

    Responder m_responder;
    int m_udp = -1;
    int m_tcp = -1;
    std::uint16_t m_port = 0;
    mutable std::mutex m_mutex;
    std::vector<ReceivedQuery> m_queries;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// Building answers from a query of build_query (header, one question, one OPT record).
// The id of the message.
std::uint16_t message_id(const Wire& message);
// A response to `query`: its id and question, QR and RD set, `rcode`, TC when `truncated`, no
// OPT record, and one TXT record per entry of `txt` owned by the question name.
Wire response_to(const Wire& query, int rcode, bool truncated = false,
                 const std::vector<std::string>& txt = {});
// A response header alone (QDCOUNT 0) with the id of `query` and `rcode`.
Wire bare_header_response(const Wire& query, int rcode);
// `response` with its question name replaced by `name` (a valid name, letters kept as given).
Wire with_question_name(const Wire& response, const std::string& name);

} // namespace dkimwatch::resolver_test
