#include "app/validate_command.hpp"

#include "config/config_loader.hpp"
#include "core/shard.hpp"
#include "dns/trust_anchors.hpp"

#include <algorithm>
#include <iostream>
#include <utility>

namespace dkimwatch {

namespace {

ConfigError warning_at(const Config& config, ConfigPosition where, std::string message) {
    return ConfigError{config.source_path, where.line, where.column, std::move(message)};
}

} // namespace

std::vector<ConfigError> ha_warnings(const Config& config) {
    std::vector<ConfigError> out;
    if (!config.daemon.ha) {
        return out;
    }
    bool alertmanager = false;
    for (std::size_t i = 0; i < config.alerts.sinks.size(); ++i) {
        const AlertSinkConfig& sink = config.alerts.sinks[i];
        if (sink.type == AlertSinkConfig::Type::alertmanager) {
            alertmanager = true;
        }
        if (sink.type == AlertSinkConfig::Type::slack ||
            sink.type == AlertSinkConfig::Type::webhook) {
            const ConfigPosition where =
                i < config.positions.sinks.size() ? config.positions.sinks[i] : ConfigPosition{};
            out.push_back(warning_at(
                config, where,
                "alerts[" + std::to_string(i) + "] (" + sink.name + ", " +
                    alert_sink_type_name(sink.type) +
                    "): with ha: true every replica sends this sink its own notification, so "
                    "each arrives once per replica; route identity alerts through an "
                    "alertmanager sink (Alertmanager's cluster deduplicates them)"));
        }
    }
    if (!alertmanager) {
        out.push_back(warning_at(
            config, config.positions.ha,
            "ha: true but no alertmanager sink: nothing deduplicates the replicas' alerts; add "
            "an alertmanager sink listing every Alertmanager of the cluster"));
    }
    return out;
}

std::string sink_summary(const AlertSinkConfig& sink) {
    std::string out = "sink " + sink.name + " (" + alert_sink_type_name(sink.type) +
                      ", min_severity " + event_severity_name(sink.min_severity) + "): ";
    if (sink.endpoints.empty()) {
        return out + sink.display;
    }
    for (std::size_t i = 0; i < sink.endpoints.size(); ++i) {
        out += (i == 0 ? "" : ", ") + sink.endpoints[i].display;
    }
    return out;
}

int run_validate_command(const std::string& config_path) {
    const auto config = load_config_or_report(config_path, std::cerr);
    if (!config) {
        return 1;
    }
    std::vector<ConfigError> warnings = config->warnings;
    for (ConfigError& warning : ha_warnings(*config)) {
        warnings.push_back(std::move(warning));
    }
    for (const auto& warning : warnings) {
        ConfigError shown = warning;
        shown.message = "warning: " + shown.message;
        std::cerr << shown.to_string() << "\n";
    }
    // The trust anchors are read where they are used (the resolver side), so that a bad file is
    // reported as such, with its own line number.
    if (config->dns.dnssec) {
        if (auto anchors = load_trust_anchors(config->dns.trust_anchor_file); !anchors) {
            std::cerr << config_path << ": dns.trust_anchor_file " << anchors.error() << "\n";
            return 1;
        }
    }
    // With shard: "K/N" (not 1/1), the share of the configured identities this process owns
    // (those SES lists are divided the same way when listed, which validate does not do).
    if (!is_whole_inventory(config->daemon.shard)) {
        const std::size_t configured = config->identities.size();
        const auto owned = std::count_if(
            config->identities.begin(), config->identities.end(), [&](const Identity& identity) {
                return shard_owns(config->daemon.shard, identity.key());
            });
        std::cout << "shard " << shard_text(config->daemon.shard) << ": owns " << owned << " of "
                  << configured << " configured identities\n";
    }
    for (const AlertSinkConfig& sink : config->alerts.sinks) {
        std::cout << sink_summary(sink) << "\n";
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace dkimwatch
