// The design dkimwatch did not take, measured: a pool of threads, each with its own ldns
// resolver sending one query at a time (ldns_resolver_query() blocks until the answer), over
// the same query list that bench/sweep.sh replays with dnsperf. See bench/README.md.
//
//   g++ -O2 -std=c++20 bench/ldns_pool_probe.cpp -o /tmp/ldns_pool_probe -lldns -pthread
//   /tmp/ldns_pool_probe PORT QUERIES_FILE THREADS [LIMIT]
//
// QUERIES_FILE has "qname qtype" lines (bench/sweep.sh writes queries.txt). Prints one line:
// threads, queries answered, failures, seconds and queries per second.

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ldns/ldns.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct Query {
    std::string name;
    ldns_rr_type type;
};

std::vector<Query> read_queries(const char* path, std::size_t limit) {
    std::vector<Query> queries;
    std::ifstream in(path);
    std::string name;
    std::string type;
    while (queries.size() < limit && in >> name >> type) {
        queries.push_back({name, ldns_get_rr_type_by_name(type.c_str())});
    }
    return queries;
}

ldns_resolver* make_resolver(int port) {
    ldns_resolver* resolver = ldns_resolver_new();
    in_addr address{};
    inet_pton(AF_INET, "127.0.0.1", &address);
    ldns_rdf* server = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof(address), &address);
    ldns_resolver_push_nameserver(resolver, server);
    ldns_rdf_deep_free(server);
    ldns_resolver_set_port(resolver, static_cast<uint16_t>(port));
    ldns_resolver_set_retry(resolver, 1);
    ldns_resolver_set_timeout(resolver, timeval{2, 0});
    ldns_resolver_set_edns_udp_size(resolver, 1232);
    ldns_resolver_set_fail(resolver, true);
    return resolver;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s PORT QUERIES_FILE THREADS [LIMIT]\n", argv[0]);
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int threads = std::atoi(argv[3]);
    const std::size_t limit = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : SIZE_MAX;
    const auto queries = read_queries(argv[2], limit);
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> answered{0};
    std::atomic<std::size_t> failed{0};
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            ldns_resolver* resolver = make_resolver(port);
            for (std::size_t index = next++; index < queries.size(); index = next++) {
                ldns_rdf* name = ldns_dname_new_frm_str(queries[index].name.c_str());
                ldns_pkt* answer = ldns_resolver_query(resolver, name, queries[index].type,
                                                       LDNS_RR_CLASS_IN, LDNS_RD);
                ++(answer != nullptr ? answered : failed);
                ldns_pkt_free(answer);
                ldns_rdf_deep_free(name);
            }
            ldns_resolver_deep_free(resolver);
        });
    }
    for (auto& thread : pool) {
        thread.join();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("threads=%d answered=%zu failed=%zu seconds=%.2f qps=%.0f\n", threads,
                answered.load(), failed.load(), seconds,
                static_cast<double>(answered.load()) / seconds);
    return 0;
}
