#include "config/dns_section.hpp"

#include "core/server_address.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace dkimwatch::config_reading {

namespace {

void read_resolvers(Reader& reader, const Field& field, std::vector<ServerAddress>& out) {
    if (!field.value.IsSequence()) {
        reader.error_at(field, field.path +
                                   " must be a sequence of addresses such as [\"9.9.9.9\", "
                                   "\"127.0.0.1:5301\", \"[::1]:53\"], got " +
                                   describe(field.value));
        return;
    }
    if (field.value.size() == 0) {
        reader.error_at_key(field, field.path +
                                       " is empty; list at least one address, or remove the key "
                                       "to use the servers in /etc/resolv.conf");
        return;
    }
    std::vector<std::size_t> indexes; // of the entries of `out` in the sequence
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field item{field.path + "[" + std::to_string(index) + "]", YAML::Node(), *it};
        if (!item.value.IsScalar()) {
            std::string message = item.path +
                                  " must be an address such as \"9.9.9.9\" or "
                                  "\"127.0.0.1:5301\", got " +
                                  describe(item.value);
            if (item.value.IsSequence()) {
                message += " (quote IPv6 addresses with a port: \"[::1]:53\")";
            }
            reader.error_at(item, message);
            continue;
        }
        auto address = parse_server_address(item.value.Scalar());
        if (!address) {
            reader.error_at(item, item.path + ": " + address.error());
            continue;
        }
        const auto same = std::find(out.begin(), out.end(), *address);
        if (same != out.end()) {
            reader.error_at(
                item, item.path + ": " + address->to_string() + " is listed twice (first as " +
                          field.path + "[" +
                          std::to_string(indexes[static_cast<std::size_t>(same - out.begin())]) +
                          "])");
            continue;
        }
        out.push_back(*address);
        indexes.push_back(index);
    }
}

} // namespace

void read_dns_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 5> k_keys{"resolvers", "timeout", "attempts",
                                                            "max_inflight", "max_qps"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "dns must be a mapping with the keys " + join(k_keys) + ", got " +
                                     describe(section.value));
        return;
    }
    DnsSettings& dns = document.config.dns;
    reader.visit_mapping(
        section.value, "dns", k_keys, "dns.", [&](std::string_view name, const Field& field) {
            if (name == "resolvers") {
                read_resolvers(reader, field, dns.resolvers);
            } else if (name == "timeout") {
                constexpr Milliseconds k_max_timeout = std::chrono::seconds(60);
                if (auto timeout = reader.read_duration(field)) {
                    if (*timeout <= Milliseconds::zero() || *timeout > k_max_timeout) {
                        reader.error_at(field, field.path +
                                                   " must be more than 0s and at most 60s, got " +
                                                   field.value.Scalar());
                    } else {
                        dns.timeout = *timeout;
                    }
                }
            } else if (name == "attempts") {
                if (auto value = reader.read_int(field, 1, 10, "an integer from 1 to 10")) {
                    dns.attempts = *value;
                }
            } else if (name == "max_inflight") {
                if (auto value = reader.read_int(field, 1, 65535, "an integer from 1 to 65535")) {
                    dns.max_inflight = *value;
                }
            } else if (name == "max_qps") {
                if (auto value = reader.read_int(field, 0, std::numeric_limits<int>::max(),
                                                 "an integer >= 0 (0 means unlimited)")) {
                    dns.max_qps = *value;
                }
            }
        });
}

} // namespace dkimwatch::config_reading
