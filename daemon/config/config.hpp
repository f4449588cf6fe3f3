#pragma once
// The validated configuration as plain structs. Produced only by config_loader; everything
// downstream can trust it (names canonical, tokens valid, keys loaded and RSA 1024/2048).

#include "core/identity.hpp"
#include "core/server_address.hpp"
#include "core/shard.hpp"
#include "core/state_machine.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dkimwatch {

struct DnsSettings {
    // Empty when the config has no dns.resolvers: the caller then uses /etc/resolv.conf.
    std::vector<ServerAddress> resolvers;
    std::chrono::milliseconds timeout{2000}; // per attempt
    int attempts = 3;                        // attempts per query, spread over the resolvers
    int max_inflight = 256;                  // queries outstanding at once
    int max_qps = 1000;                      // global query rate; 0 = unlimited
    // Ask every authoritative server of each record's zone directly (dns.authoritative: on|off).
    bool authoritative = true;
    // The port to ask them on (dns.authoritative_port; tests serve zones on loopback ports).
    std::uint16_t authoritative_port = 53;
    // Validate answers with DNSSEC (dns.dnssec: on|off) from the anchors in trust_anchor_file
    // (DS or DNSKEY records in zone-file form, any number; Debian's dns-root-data by default).
    bool dnssec = true;
    std::string trust_anchor_file = "/usr/share/dns/root.key";
    // A signature on the chain that expires within this warns (dns.dnssec_expiry_warning).
    std::chrono::seconds dnssec_expiry_warning{std::chrono::hours{72}};
    // How often each watched zone's servers are asked for its SOA serial; a change re-checks
    // the zone's identities at once (dns.zone_poll_interval, default 1m; 0 = off).
    std::chrono::milliseconds zone_poll_interval{std::chrono::minutes{1}};

    friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

// How the daemon (`dkimwatch run`) schedules checks and where it keeps state.
struct DaemonSettings {
    // Each identity is re-checked this often (config: check_interval, default 10m, >= 100ms).
    std::chrono::milliseconds check_interval{std::chrono::minutes{10}};
    // After a check with a problem (error or indeterminate), re-check this soon to confirm or
    // clear it quickly (config: recheck_interval, default 1m, >= 100ms, <= check_interval).
    std::chrono::milliseconds recheck_interval{std::chrono::minutes{1}};
    // State database directory (config: state_dir, default /var/lib/dkimwatch; a relative path
    // is resolved against the configuration file's directory). The file is dkimwatch.db.
    std::string state_dir = "/var/lib/dkimwatch";
    // Prometheus exposer address "IPv4:port" (config: metrics.listen, default 127.0.0.1:9797;
    // port 0 picks a free port).
    std::string metrics_listen = "127.0.0.1:9797";
    // This process is one of several identical replicas behind an Alertmanager cluster (config:
    // ha: true|false, default false): `validate` warns about sinks that would notify once per
    // replica (slack, webhook).
    bool ha = false;
    // The part of the inventory this process watches (config: shard: "K/N", default "1/1":
    // everything); core/shard.hpp defines which identities a shard owns.
    Shard shard;
};

// One alert destination (config: alerts[]). Secrets (url, secret, routing_key) are loaded at
// configuration time from url_file / url_env / url, secret_file, routing_key_file and never
// appear in logs, metrics, status output or error messages: use `display` instead.
// One URL of a sink: the full URL (a secret for slack and pagerduty) and its safe display form.
struct SinkEndpoint {
    std::string url;
    std::string display; // url_display(url): "scheme://host[:port]"
    bool operator==(const SinkEndpoint&) const = default;
};

struct AlertSinkConfig {
    enum class Type { slack, webhook, alertmanager, pagerduty };
    std::string name; // unique among sinks: [A-Za-z0-9_-]{1,64}
    Type type = Type::webhook;
    std::string url;     // full URL (a secret for slack and pagerduty); pagerduty default:
                         // https://events.pagerduty.com/v2/enqueue
    std::string display; // "scheme://host[:port]", safe to print
    // Every URL the sink sends to, in configuration order; the first is `url`/`display`. One
    // entry, except for an alertmanager sink configured with `urls: [...]` (each alert goes to
    // every URL, alert/delivery_lanes.hpp). The display forms are distinct.
    std::vector<SinkEndpoint> endpoints;
    std::string secret;      // webhook: HMAC-SHA256 key (from secret_file); empty = unsigned
    std::string routing_key; // pagerduty: Events API v2 routing key (from routing_key_file)
    // Events below this severity are not sent (info < warning < critical). A `resolved` event
    // is sent to every sink that received the critical event it resolves.
    EventSeverity min_severity = EventSeverity::info;
    // alertmanager: firing alerts are re-sent this often (config: resend_interval, default 1m).
    std::chrono::milliseconds resend_interval{std::chrono::minutes{1}};
    bool operator==(const AlertSinkConfig&) const = default;
};

// "slack", "webhook", "alertmanager", "pagerduty".
const char* alert_sink_type_name(AlertSinkConfig::Type type);

struct AlertSettings {
    std::vector<AlertSinkConfig> sinks;
    // More than this many identities changing state within one batch, or within one
    // check_interval at delivery, are grouped into one message for slack, webhook and pagerduty
    // (config: group_threshold, default 10).
    std::size_t group_threshold = 10;
    // Give up on an alert this long after it was queued (config: max_retry_age, default 24h).
    std::chrono::milliseconds max_retry_age{std::chrono::hours{24}};
    // Storm control at delivery (alert/delivery_grouping.hpp), for slack, webhook and
    // pagerduty: a sink holds a new individual message this long to collect companions (config:
    // group_wait, default 10s, 0s = no hold), and during a storm (more than group_threshold
    // identities within one check_interval) sends one grouped message at most this often
    // (config: group_interval, default 1m, >= 1s).
    std::chrono::milliseconds group_wait{std::chrono::seconds{10}};
    std::chrono::milliseconds group_interval{std::chrono::minutes{1}};
};

// How one `ses.accounts[]` entry obtains credentials (config: credentials). Without the block
// (has_credentials_block false) the AWS default chain is used: environment variables, then the
// shared files (AWS_PROFILE or "default"), then EC2 instance metadata (IMDSv2).
struct SesCredentialsConfig {
    std::string profile;  // a profile of the shared credentials/config files; "" = the chain
    std::string role_arn; // STS AssumeRole with the base credentials first; "" = none
    // The AssumeRole ExternalId, read at load time from external_id_file (a secret: never
    // printed); "" when no file is given.
    std::string external_id;
    std::string external_id_file; // the path as configured, safe to print
};

// One `ses.accounts[]` entry: an AWS account whose SES identities are listed in each region.
struct SesAccountConfig {
    std::string name;                 // [A-Za-z0-9_-]{1,64}, unique; logs and metrics
    std::vector<std::string> regions; // e.g. "us-east-1"; at least one, unique
    std::string account;              // 12 digits; "" = ask STS GetCallerIdentity
    bool has_credentials_block = false;
    SesCredentialsConfig credentials;
    // Overrides of https://email.<region>.amazonaws.com and of the STS endpoint (tests, VPC
    // endpoints): "http(s)://host[:port]" without a path; "" = AWS's.
    std::string endpoint_url;
    std::string sts_endpoint_url;
};

// The `ses:` section: SES as a source of identities and of its own DKIM verdicts.
struct SesSettings {
    // Each account/region is listed again this often (config: sync_interval, default 15m,
    // >= 1m).
    std::chrono::milliseconds sync_interval{std::chrono::minutes{15}};
    // SES API requests per second per account+region (config: max_rps, default 1; 0 < x <= 50).
    double max_rps = 1.0;
    std::vector<SesAccountConfig> accounts; // empty: no `ses:` section, SES is not asked
};

// An error, or a warning, about the configuration, where it is.
struct ConfigError {
    std::string file; // as given by the caller (display name)
    int line = 0;     // 1-based; 0 when the error concerns the whole file
    int column = 0;   // 1-based; 0 when unknown
    std::string message;

    // "dkimwatch.yaml:14:7: easy_dkim.tokens must list exactly 3 tokens, got 2"
    // (or "dkimwatch.yaml: cannot read: No such file or directory" without a position).
    std::string to_string() const;
};

// Where something is written in the configuration file: 1-based line and column, 0 when it is
// not written there (a default, or a Config built in code).
struct ConfigPosition {
    int line = 0;
    int column = 0;
    bool operator==(const ConfigPosition&) const = default;
};

// Where parts of the configuration were written, for what is said about them after loading
// (validate's HA warnings). Kept apart from the settings on purpose: a sink that only moved
// within the file compares equal to what it was (AlertSinkConfig::operator==, which reload and
// the delivery lanes rely on).
struct ConfigPositions {
    ConfigPosition ha; // the `ha:` key
    // sinks[i]: the mapping of alerts.sinks[i] (the line of its "- name: ..." item and the
    // column of its first key). Parallel to alerts.sinks when loaded; may be shorter in a Config
    // built in code.
    std::vector<ConfigPosition> sinks;
};

struct Config {
    std::string source_path; // the file it was read from, as given
    DnsSettings dns;
    std::vector<Identity> identities;
    DaemonSettings daemon;
    // confirmations (1..100, default 2), pending_timeout (72h), revocation_window (120h),
    // blind_after (1h), reminders ([48h, 24h, 6h, 1h]): top-level keys of the same names.
    StateMachinePolicy policy;
    AlertSettings alerts;
    SesSettings ses;
    // What is accepted but deserves a look (a well-formed region missing from the built-in
    // table), in file order: `validate` prints them, the daemon logs them at start and reload.
    std::vector<ConfigError> warnings;
    ConfigPositions positions;
};

} // namespace dkimwatch
