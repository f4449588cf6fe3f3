#include "dns/resolv_conf.hpp"

#include "util/bounded_file.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace dkimwatch {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// The canonical address text when `text` is a numeric address of `family`.
bool normalise(int family, const std::string& text, std::string& out) {
    unsigned char binary[sizeof(in6_addr)];
    if (inet_pton(family, text.c_str(), binary) != 1) {
        return false;
    }
    char buffer[INET6_ADDRSTRLEN];
    if (inet_ntop(family, binary, buffer, sizeof buffer) == nullptr) {
        return false;
    }
    out = buffer;
    return true;
}

} // namespace

std::vector<ServerAddress> parse_resolv_conf(std::string_view text) {
    constexpr std::string_view k_keyword = "nameserver";
    std::vector<ServerAddress> servers;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);

        if (const std::size_t comment = line.find_first_of("#;");
            comment != std::string_view::npos) {
            line = line.substr(0, comment);
        }
        line = trim(line);
        if (line.size() <= k_keyword.size() || line.substr(0, k_keyword.size()) != k_keyword ||
            !is_blank(line[k_keyword.size()])) {
            continue;
        }
        std::string_view value = trim(line.substr(k_keyword.size()));
        // The address is the first word; glibc ignores anything after it.
        std::size_t word_end = 0;
        while (word_end < value.size() && !is_blank(value[word_end])) {
            ++word_end;
        }
        std::string address(value.substr(0, word_end));
        if (const std::size_t scope = address.find('%'); scope != std::string::npos) {
            address.resize(scope);
        }
        ServerAddress server;
        if (normalise(AF_INET, address, server.ip)) {
            server.ipv6 = false;
        } else if (normalise(AF_INET6, address, server.ip)) {
            server.ipv6 = true;
        } else {
            continue;
        }
        server.port = 53;
        servers.push_back(std::move(server));
    }
    return servers;
}

Result<std::vector<ServerAddress>> system_resolvers(const std::string& path) {
    // glibc reads only the first few nameservers; a resolv.conf is a few hundred bytes.
    constexpr std::size_t k_max_resolv_conf_bytes = std::size_t{1024} * 1024;
    auto content = read_bounded_file(path, FileLimit{k_max_resolv_conf_bytes, "resolv.conf"});
    if (!content) {
        return Error{content.error().to_string()};
    }
    std::vector<ServerAddress> servers = parse_resolv_conf(*content);
    if (servers.empty()) {
        return Error{path + " names no nameserver"};
    }
    return servers;
}

} // namespace dkimwatch
