#include "config/dns_section.hpp"

#include "core/server_address.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

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

// dns.authoritative and dns.dnssec: the words on and off (YAML 1.1 reads them as booleans, but
// yaml-cpp keeps the text; true/false are refused like any other word so that one spelling is
// used across configurations).
std::optional<bool> read_on_off(Reader& reader, const Field& field) {
    if (field.value.IsScalar()) {
        if (field.value.Scalar() == "on") {
            return true;
        }
        if (field.value.Scalar() == "off") {
            return false;
        }
    }
    reader.error_at(
        field, field.path + " must be on or off, got " +
                   (field.value.IsScalar() ? shown(field.value.Scalar()) : describe(field.value)));
    return std::nullopt;
}

// dns.trust_anchor_file: a path, relative to the configuration file's directory. Only its form
// is checked here; the file is read when the validator is set up.
void read_trust_anchor_file(Reader& reader, const Field& field, DnsSettings& dns) {
    auto text = reader.read_string(field, "a file path such as /usr/share/dns/root.key");
    if (!text) {
        return;
    }
    if (text->find('\0') != std::string::npos) {
        reader.error_at(field, field.path + " must not contain a NUL character");
        return;
    }
    const std::filesystem::path written(*text);
    const std::filesystem::path resolved =
        (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
    if (!resolved.has_filename()) {
        reader.error_at(field, field.path + " " + quote(*text) +
                                   " names a directory; give the file that holds the anchors");
        return;
    }
    dns.trust_anchor_file = resolved.string();
}

// dns.dnssec_expiry_warning: whole seconds, at least an hour (signers re-sign days ahead; a
// shorter warning would come too late to act on).
void read_expiry_warning(Reader& reader, const Field& field, DnsSettings& dns) {
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value < std::chrono::hours{1}) {
        reader.error_at(field, field.path + " must be at least 1h, got " + field.value.Scalar());
        return;
    }
    if (*value % std::chrono::seconds{1} != Milliseconds::zero()) {
        reader.error_at(field, field.path + " must be whole seconds, got " + field.value.Scalar());
        return;
    }
    dns.dnssec_expiry_warning = std::chrono::duration_cast<std::chrono::seconds>(*value);
}

// dns.zone_poll_interval: 0s turns the serial watch off; otherwise at least 1s (each poll is
// one query per server per zone).
void read_zone_poll_interval(Reader& reader, const Field& field, DnsSettings& dns) {
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value != Milliseconds::zero() && *value < std::chrono::seconds{1}) {
        reader.error_at(field, field.path + " must be 0s (off) or at least 1s, got " +
                                   field.value.Scalar());
        return;
    }
    dns.zone_poll_interval = *value;
}

} // namespace

void read_dns_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 11> k_keys{"resolvers",
                                                             "timeout",
                                                             "attempts",
                                                             "max_inflight",
                                                             "max_qps",
                                                             "authoritative",
                                                             "authoritative_port",
                                                             "dnssec",
                                                             "trust_anchor_file",
                                                             "dnssec_expiry_warning",
                                                             "zone_poll_interval"};
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
            } else if (name == "authoritative") {
                if (auto value = read_on_off(reader, field)) {
                    dns.authoritative = *value;
                }
            } else if (name == "authoritative_port") {
                if (auto value = reader.read_int(field, 1, 65535, "a port from 1 to 65535")) {
                    dns.authoritative_port = static_cast<std::uint16_t>(*value);
                }
            } else if (name == "dnssec") {
                if (auto value = read_on_off(reader, field)) {
                    dns.dnssec = *value;
                }
            } else if (name == "trust_anchor_file") {
                read_trust_anchor_file(reader, field, dns);
            } else if (name == "dnssec_expiry_warning") {
                read_expiry_warning(reader, field, dns);
            } else if (name == "zone_poll_interval") {
                read_zone_poll_interval(reader, field, dns);
            }
        });
}

} // namespace dkimwatch::config_reading
