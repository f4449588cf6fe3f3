#include "config/daemon_section.hpp"

#include "core/result.hpp"
#include "core/shard.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <netinet/in.h>

namespace dkimwatch::config_reading {

namespace {

constexpr Milliseconds k_min_interval{100};

// check_interval and recheck_interval: at least k_min_interval.
void read_interval(Reader& reader, const Field& field, KeySeen& seen, Milliseconds& out) {
    seen.field.emplace(field);
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value < k_min_interval) {
        reader.error_at(field, field.path + " must be at least " + format_duration(k_min_interval) +
                                   ", got " + field.value.Scalar());
        return;
    }
    out = *value;
    seen.valid = true;
}

// "IPv4:port" (port 0..65535) returned canonical, e.g. "127.0.0.1:9797"; the error is the
// reason it is not. The exposer's civetweb is built without IPv6, and a host name would have to
// be resolved at startup, so neither is accepted.
Result<std::string> parse_listen_address(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (text.starts_with('[') || (colon != std::string_view::npos && text.find(':') != colon)) {
        return Error{"IPv6 is not supported: the bundled civetweb is built without it"};
    }
    const bool all_digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
    if (colon == 0 || (colon == std::string_view::npos && all_digits)) {
        const std::string_view port = colon == 0 ? text.substr(1) : text;
        return Error{"the host is missing; 0.0.0.0:" + std::string(port) +
                     " listens on all interfaces"};
    }
    const std::string host(text.substr(0, colon)); // all of it when there is no colon
    in_addr address{};
    if (inet_pton(AF_INET, host.c_str(), &address) != 1) {
        const bool has_letter = std::any_of(host.begin(), host.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
        if (has_letter) {
            return Error{"host names are not resolved"};
        }
        return Error{quote(host) + " is not an IPv4 address"};
    }
    if (colon == std::string_view::npos || colon + 1 == text.size()) {
        return Error{"the port is missing"};
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned long port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (end != port_text.data() + port_text.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        return Error{"the port " + quote(port_text) + " is not a number"};
    }
    constexpr unsigned long k_max_port = 65535;
    if (ec == std::errc::result_out_of_range || port > k_max_port) {
        return Error{"port " + std::string(port_text) +
                     " is out of range: ports are 0 to 65535, 0 picks a free port"};
    }
    char canonical[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address, canonical, sizeof canonical);
    return std::string(canonical) + ":" + std::to_string(port);
}

} // namespace

void read_check_interval(Reader& reader, const Field& field, Document& document) {
    read_interval(reader, field, document.check_interval, document.config.daemon.check_interval);
}

void read_recheck_interval(Reader& reader, const Field& field, Document& document) {
    read_interval(reader, field, document.recheck_interval,
                  document.config.daemon.recheck_interval);
}

void read_state_dir(Reader& reader, const Field& field, Document& document) {
    auto text = reader.read_string(field, "a directory such as /var/lib/dkimwatch");
    if (!text) {
        return;
    }
    if (text->find('\0') != std::string::npos) {
        reader.error_at(field, "state_dir must not contain a NUL character");
        return;
    }
    const std::filesystem::path written(*text);
    std::filesystem::path resolved =
        (written.is_absolute() ? written : reader.base_dir() / written).lexically_normal();
    if (!resolved.has_filename() && resolved.has_relative_path()) {
        resolved = resolved.parent_path(); // "/var/lib/dkimwatch/" -> "/var/lib/dkimwatch"
    }
    document.config.daemon.state_dir = resolved.string();
}

void read_ha(Reader& reader, const Field& field, Document& document) {
    const ConfigError where = reader.key_position(field);
    document.config.positions.ha = ConfigPosition{where.line, where.column};
    if (field.value.IsScalar() && field.value.Scalar() == "true") {
        document.config.daemon.ha = true;
        return;
    }
    if (field.value.IsScalar() && field.value.Scalar() == "false") {
        document.config.daemon.ha = false;
        return;
    }
    reader.error_at(field, "ha must be true or false, got " + (field.value.IsScalar()
                                                                   ? shown(field.value.Scalar())
                                                                   : describe(field.value)));
}

void read_shard(Reader& reader, const Field& field, Document& document) {
    auto text = reader.read_string(field, "\"K/N\", e.g. \"2/4\"");
    if (!text) {
        return;
    }
    auto shard = parse_shard(*text);
    if (!shard) {
        reader.error_at(field, "shard " + shown(*text) + ": " + shard.error());
        return;
    }
    document.config.daemon.shard = *shard;
}

void read_metrics_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 1> k_keys{"listen"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "metrics must be a mapping with the key " + join(k_keys) +
                                     ", got " + describe(section.value));
        return;
    }
    reader.visit_mapping(
        section.value, "metrics", k_keys, "metrics.", [&](std::string_view, const Field& field) {
            const std::string expected = "IPv4:port, e.g. 127.0.0.1:9797";
            auto text = reader.read_string(field, expected);
            if (!text) {
                return;
            }
            auto listen = parse_listen_address(*text);
            if (!listen) {
                reader.error_at(field, field.path + " " + quote(*text) + " must be " + expected +
                                           " (" + listen.error() + ")");
                return;
            }
            document.config.daemon.metrics_listen = *listen;
        });
}

} // namespace dkimwatch::config_reading
