// dkimwatch: watches the DKIM DNS records that Amazon SES relies on.
// This file only parses the command line and dispatches to the commands in app/.

#include "app/check_command.hpp"
#include "app/daemon.hpp"
#include "app/discover_command.hpp"
#include "app/inspect_command.hpp"
#include "app/keycheck_command.hpp"
#include "app/logging.hpp"
#include "app/state_commands.hpp"
#include "app/state_transfer_command.hpp"
#include "app/test_alert_command.hpp"
#include "app/validate_command.hpp"
#include "app/version_info.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace {

// Monitoring-plugins UNKNOWN: also used for usage errors.
constexpr int k_exit_usage = 3;

constexpr const char* k_overview =
    "dkimwatch watches the DKIM DNS records that Amazon SES relies on (Easy DKIM CNAMEs and "
    "BYODKIM TXT keys) and says precisely what is wrong before SES stops signing your mail.";

constexpr const char* k_main_footer = R"(
Examples:
  dkimwatch run --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch status --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch test-alert --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch check --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch check --config dkimwatch.yaml --format json | jq '.identities[].status'
  dkimwatch discover --config dkimwatch.yaml --format identities > identities.txt
  dkimwatch validate --config dkimwatch.yaml
  dkimwatch keycheck --domain example.org --selector sel1 --private-key dkim.pem
  dkimwatch inspect --config dkimwatch.yaml received-message.eml
  dkimwatch state export --config dkimwatch.yaml --output shard-1.json

Exit codes of check and keycheck (monitoring-plugins convention):
  0 all ok, 1 warnings only, 2 at least one error, 3 unknown (indeterminate DNS, config or
  usage error). inspect: 0 a signature aligned with From: passes, 1 it passes with warnings,
  2 none passes, 3 unreadable input or indeterminate DNS. validate exits 0 when the file is
  valid and 1 otherwise.
Run "dkimwatch <command> --help" for the options of each command.)";

constexpr const char* k_check_footer = R"(
Checks every record of every identity once and prints a verdict per record: ok, missing,
doubled_domain, wrong_target, wrong_type, txt_servfail, key_malformed, key_mismatch,
key_revoked, key_size, weak_key, multiple_records, testing_mode or dns_error.

Examples:
  dkimwatch check --config dkimwatch.yaml
  dkimwatch check --config dkimwatch.yaml --format json

With a `ses:` section, the identities SES lists are checked too, and each identity also gets
SES's own view and the cross-check's findings: signing_disabled, ses_failed,
ses_temporary_failure, ses_dns_disagree, email_identity_unsigned, not_in_ses, tokens_differ,
weak_signing_key. Findings count toward the exit code; an SES source that cannot be listed
makes the result unknown (3) unless something is an error.

As a Nagios/Icinga check: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.)";

constexpr const char* k_discover_footer = R"(
Lists, for every account and region of the configuration's `ses:` section, the domain
identities SES has: Easy DKIM tokens or BYODKIM selector, SES's DKIM status, whether signing
is enabled, the signing key length, and the email-address identities under each domain (their
mail is not signed with the domain's key). Credentials come from the AWS default chain
(environment, shared files, instance metadata) or the account's `credentials:` block.

Formats: text (for people), json (for scripts), identities (an identities_file the
configuration can use as is: a first setup takes one command).

Examples:
  dkimwatch discover --config dkimwatch.yaml
  dkimwatch discover --config dkimwatch.yaml --format identities > /etc/dkimwatch/identities.txt

Exit codes: 0 every source answered, 3 one did not (or the configuration is invalid).)";

constexpr const char* k_run_footer = R"(
The daemon. Re-checks every identity every check_interval (spread evenly, with jitter), and after
a problem every recheck_interval; tracks each identity through pending -> verified ->
revocation_warning -> revoked in the state database (state_dir/dkimwatch.db, kept across
restarts: a deadline is never reset); serves Prometheus metrics on metrics.listen (/metrics).

Signals: SIGHUP reloads the configuration (kept only if valid; unchanged identities keep their
state); SIGTERM/SIGINT stop within a second. Under systemd (Type=notify) it reports READY=1,
RELOADING=1, STOPPING=1, STATUS= and pings the watchdog when WatchdogSec= is set.

Example:
  dkimwatch --log-level info run --config /etc/dkimwatch/dkimwatch.yaml)";

constexpr const char* k_status_footer = R"(
Reads the daemon's state database (also while it runs) and shows, for each configured identity,
its state, since when, the revocation deadline with the time left, the last check and the
failing records with their verdicts.

Examples:
  dkimwatch status --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch status --config /etc/dkimwatch/dkimwatch.yaml --format json)";

constexpr const char* k_history_footer = R"(
Shows the timeline of state transitions and events (verified, revocation_warning, reminder,
recovered, revoked, pending_overdue, monitoring_blind, still_revoked_records_back,
config_changed), oldest first, with their reasons. Identities removed from the configuration keep
their history.

Examples:
  dkimwatch history --config /etc/dkimwatch/dkimwatch.yaml --domain example.com
  dkimwatch history --config /etc/dkimwatch/dkimwatch.yaml --limit 20 --format json)";

constexpr const char* k_test_alert_footer = R"(
Sends a clearly marked sample alert (a made-up revocation warning, labelled TEST) through the
real rendering and HTTP path to every sink in the configuration's alerts section, or to the one
named with --sink, and prints the HTTP status per sink. Secrets (webhook URLs, routing keys) are
never printed: only the scheme and host.

Examples:
  dkimwatch test-alert --config /etc/dkimwatch/dkimwatch.yaml
  dkimwatch test-alert --config /etc/dkimwatch/dkimwatch.yaml --sink ops-slack

Exit codes: 0 every sink accepted it, 1 a sink failed, 3 configuration or usage error.)";

constexpr const char* k_validate_footer = R"(
Parses the configuration strictly (unknown keys, bad values, duplicates and unreadable key files
are errors) without touching the network. Prints "ok", or one line per error:
  dkimwatch.yaml:14:7: easy_dkim.tokens must list exactly 3 tokens, got 2

Example:
  dkimwatch validate --config /etc/dkimwatch/dkimwatch.yaml)";

constexpr const char* k_keycheck_footer = R"(
The BYODKIM preflight: checks the selector against the SES rule (1 to 63 letters and digits),
loads the key (PEM, DER or base64; PKCS#1 or PKCS#8; private or public) and checks it is RSA
1024 or 2048 bits, prints the exact TXT record to publish (zone-file strings of at most 255
bytes, and the single line web consoles want), then looks at what is published now.

Examples:
  dkimwatch keycheck --domain example.org --selector sel1 --private-key dkim-private.pem
  dkimwatch keycheck --domain example.org --selector sel1 --public-key dkim.pub --offline
  dkimwatch keycheck --domain example.org --selector sel1 --public-key dkim.pub --resolver 9.9.9.9

Exit codes: 0 fine, 1 warning (1024-bit key), 2 the selector or key is unacceptable to SES or the
published record is wrong, 3 unreadable input, usage error or indeterminate lookup.)";

constexpr const char* k_inspect_footer = R"(
Reads one received message (RFC 5322, as saved by a mail client: CRLF or LF line endings, at
most 64 MiB) from FILE, or from standard input when FILE is "-", and says who signed it: for
each DKIM-Signature d=, s=, a=, c=, i=, t=, x= (expired or not), l= (partial body), the result
verified by libopendkim (pass, fail with body hash and signature mismatch told apart,
temperror, permerror) and why, the alignment of d= with the From: domain (DMARC relaxed and
strict), and the evaluator's verdict on the key record it names. The receiver's
Authentication-Results are shown beside dkimwatch's results. Then the diagnosis, most severe
first: ses_and_domain_signed (normal: SES adds its own d=amazonses.com signature),
domain_signed, only_ses_signature (SES did not sign with your domain, and the likely causes),
no_signature, not_aligned, body_hash_mismatch, signature_mismatch, record_<verdict>, ...
Keys are looked up through --resolver, else the configuration's dns section, else
/etc/resolv.conf. With --config, the configured identities covering the From: domain are named
with their state from the state database (read-only; when the daemon has run) and SES's
findings (when the ses: section covers their account and region).

Examples:
  dkimwatch inspect message.eml
  dkimwatch inspect --config /etc/dkimwatch/dkimwatch.yaml message.eml
  dkimwatch inspect --resolver 127.0.0.1:5300 --format json - < message.eml

Exit codes (as check's): 0 a signature by a domain aligned with From: passes, 1 it passes but
something warns, 2 no aligned signature passes, 3 unreadable or malformed input, configuration
or usage error, or the key of an aligned signature could not be fetched (indeterminate DNS).)";

constexpr const char* k_state_footer = R"(
Moves identity state between shards when their number changes (shard: "K/N"): each shard's
database knows only the identities it owned, so an identity that moves to another shard would
start over at pending there (a revocation warning in progress would be lost). Stop the old shards,
export each one's database, import all the files into each new shard, then start the new shards.

Example (from 4 shards to 5):
  dkimwatch state export --config shard-1-of-4.yaml --output s1.json   (and s2..s4)
  dkimwatch state import --config shard-1-of-5.yaml s1.json s2.json s3.json s4.json
  (and the same import for shards 2/5..5/5)

Exit codes: 0 done, 1 error (configuration, database, or a bad file: named with the reason).)";

constexpr const char* k_state_export_footer = R"(
Writes every identity of the state database (state_dir/dkimwatch.db) as one JSON document: its
complete status (state, since, deadline, runs, flags, counters, last check) and its last check's
records. Opens the database read-only, so it also works while the daemon runs; for a handoff,
stop the daemon first so that the export is its final state.

Examples:
  dkimwatch state export --config /etc/dkimwatch/dkimwatch.yaml --output /tmp/shard-2.json
  dkimwatch state export --config /etc/dkimwatch/dkimwatch.yaml > shard-2.json)";

constexpr const char* k_state_import_footer = R"(
Reads export files (any number: the exports of all the old shards) and writes into this state
database the identities that this process's configuration owns: its shard (shard: "K/N") owns the
identity and the configuration lists it (config or identities_file) with the same DKIM material.
Identities discovered through SES are not carried (they start at pending on the new shard).
- An identity the database already has (active) is kept, unless --replace is given.
- An identity several files carry: the copy with the newer last check wins.
Prints one line per conflict and the counts of what was imported and skipped, and why. Every
file is read before anything is written; one bad file stops the import. Refused while a daemon
uses the state_dir (it holds state_dir/dkimwatch.lock): stop it first.

Example:
  dkimwatch state import --config /etc/dkimwatch/dkimwatch.yaml s1.json s2.json s3.json s4.json)";

} // namespace

int main(int argc, char** argv) {
    CLI::App app{k_overview, "dkimwatch"};
    app.footer(k_main_footer);
    app.require_subcommand(0, 1);

    bool show_version = false;
    std::string log_level = "warn";
    app.add_flag("--version,-V", show_version, "Print the version and the library versions");
    app.add_option("--log-level", log_level,
                   "Log level on stderr: trace, debug, info, warn, error, critical, off")
        ->capture_default_str();

    dkimwatch::CheckOptions check_options;
    auto* check = app.add_subcommand("check", "Check every configured identity once and report");
    check->footer(k_check_footer);
    check->add_option("--config,-c", check_options.config_path, "Configuration file (YAML)")
        ->required();
    check->add_option("--format,-f", check_options.format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();

    dkimwatch::DiscoverOptions discover_options;
    auto* discover =
        app.add_subcommand("discover", "List the identities SES has in each account and region");
    discover->footer(k_discover_footer);
    discover->add_option("--config,-c", discover_options.config_path, "Configuration file (YAML)")
        ->required();
    discover
        ->add_option("--format,-f", discover_options.format,
                     "Output format: text, json or identities")
        ->check(CLI::IsMember({"text", "json", "identities"}))
        ->capture_default_str();

    dkimwatch::DaemonOptions run_options;
    auto* run = app.add_subcommand("run", "Run the daemon: watch every identity continuously");
    run->footer(k_run_footer);
    run->add_option("--config,-c", run_options.config_path, "Configuration file (YAML)")
        ->required();

    dkimwatch::StatusOptions status_options;
    auto* status =
        app.add_subcommand("status", "Show each identity's state from the daemon's database");
    status->footer(k_status_footer);
    status->add_option("--config,-c", status_options.config_path, "Configuration file (YAML)")
        ->required();
    status->add_option("--format,-f", status_options.format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();

    dkimwatch::HistoryOptions history_options;
    std::string history_domain;
    auto* history = app.add_subcommand("history", "Show the timeline of state transitions");
    history->footer(k_history_footer);
    history->add_option("--config,-c", history_options.config_path, "Configuration file (YAML)")
        ->required();
    auto* domain_option =
        history->add_option("--domain,-d", history_domain, "Only this domain's events");
    history
        ->add_option("--limit,-n", history_options.limit,
                     "Show at most the newest N events (1 to 1000000)")
        ->check(CLI::Range(std::size_t{1}, dkimwatch::k_max_history_limit))
        ->capture_default_str();
    history->add_option("--format,-f", history_options.format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();

    dkimwatch::TestAlertOptions test_alert_options;
    std::string test_alert_sink;
    auto* test_alert =
        app.add_subcommand("test-alert", "Send a sample alert to the configured sinks");
    test_alert->footer(k_test_alert_footer);
    test_alert
        ->add_option("--config,-c", test_alert_options.config_path, "Configuration file (YAML)")
        ->required();
    auto* sink_option =
        test_alert->add_option("--sink", test_alert_sink, "Only the sink with this name");

    std::string validate_config;
    auto* validate = app.add_subcommand("validate", "Validate a configuration file and exit");
    validate->footer(k_validate_footer);
    validate->add_option("--config,-c", validate_config, "Configuration file (YAML)")->required();

    dkimwatch::KeycheckOptions keycheck_options;
    auto* keycheck = app.add_subcommand(
        "keycheck", "BYODKIM preflight: check a selector and key, print the record to publish");
    keycheck->footer(k_keycheck_footer);
    keycheck->add_option("--domain,-d", keycheck_options.domain, "The sending domain")->required();
    keycheck->add_option("--selector,-s", keycheck_options.selector, "The DKIM selector")
        ->required();
    auto* private_key = keycheck->add_option("--private-key", keycheck_options.private_key_file,
                                             "Private key file (PEM/DER/base64, PKCS#1 or #8)");
    auto* public_key = keycheck->add_option("--public-key", keycheck_options.public_key_file,
                                            "Public key file (PEM/DER/base64)");
    private_key->excludes(public_key);
    public_key->excludes(private_key);
    keycheck->add_option("--config,-c", keycheck_options.config_path,
                         "Take the DNS resolvers and timeouts from this configuration");
    keycheck->add_option("--resolver", keycheck_options.resolvers,
                         "Resolver to ask (IP or IP:port); repeatable; overrides --config");
    keycheck->add_flag("--offline", keycheck_options.offline,
                       "Do not look up what is published now");
    keycheck->add_option("--format,-f", keycheck_options.format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();

    dkimwatch::InspectOptions inspect_options;
    auto* inspect = app.add_subcommand(
        "inspect", "Read a received message: who signed it, whether it verifies, and why not");
    inspect->footer(k_inspect_footer);
    inspect->add_option("--config,-c", inspect_options.config_path,
                        "Configuration file (YAML): identities, state, SES, dns settings");
    // One value per --resolver, so that "--resolver IP FILE" leaves FILE to the positional.
    inspect
        ->add_option("--resolver", inspect_options.resolvers,
                     "Resolver to ask (IP or IP:port); repeatable; overrides --config")
        ->allow_extra_args(false);
    inspect->add_option("--format,-f", inspect_options.format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    inspect
        ->add_option("file", inspect_options.input,
                     "The message (RFC 5322, at most 64 MiB); \"-\": standard input")
        ->required();

    auto* state = app.add_subcommand(
        "state", "Export or import identity state (to change the number of shards)");
    state->footer(k_state_footer);
    state->require_subcommand(1);
    dkimwatch::StateExportOptions state_export_options;
    auto* state_export =
        state->add_subcommand("export", "Write every identity's state from the database as JSON");
    state_export->footer(k_state_export_footer);
    state_export
        ->add_option("--config,-c", state_export_options.config_path, "Configuration file (YAML)")
        ->required();
    state_export
        ->add_option("--output,-o", state_export_options.output,
                     "Write to this file (\"-\": standard output)")
        ->capture_default_str();
    dkimwatch::StateImportOptions state_import_options;
    auto* state_import = state->add_subcommand(
        "import", "Import the identities this shard owns from export files into its database");
    state_import->footer(k_state_import_footer);
    state_import
        ->add_option("--config,-c", state_import_options.config_path, "Configuration file (YAML)")
        ->required();
    state_import->add_flag("--replace", state_import_options.replace,
                           "Overwrite identities the database already has");
    state_import
        ->add_option("files", state_import_options.files, "Export files (from state export)")
        ->required();

    try {
        app.parse(argc, argv);
        if (keycheck->parsed() && private_key->count() + public_key->count() != 1) {
            throw CLI::RequiredError("exactly one of --private-key or --public-key");
        }
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? 0 : k_exit_usage;
    }

    if (show_version) {
        std::cout << dkimwatch::version_text();
        return 0;
    }
    if (auto logging = dkimwatch::setup_logging(log_level); !logging) {
        std::cerr << "dkimwatch: " << logging.error() << "\n";
        return k_exit_usage;
    }
    if (run->parsed()) {
        return dkimwatch::run_daemon(run_options);
    }
    if (status->parsed()) {
        return dkimwatch::run_status_command(status_options);
    }
    if (history->parsed()) {
        if (domain_option->count() > 0) {
            history_options.domain = history_domain;
        }
        return dkimwatch::run_history_command(history_options);
    }
    if (check->parsed()) {
        return dkimwatch::run_check_command(check_options);
    }
    if (discover->parsed()) {
        return dkimwatch::run_discover_command(discover_options);
    }
    if (test_alert->parsed()) {
        if (sink_option->count() > 0) {
            test_alert_options.sink = test_alert_sink;
        }
        return dkimwatch::run_test_alert_command(test_alert_options);
    }
    if (validate->parsed()) {
        return dkimwatch::run_validate_command(validate_config);
    }
    if (state_export->parsed()) {
        return dkimwatch::run_state_export_command(state_export_options);
    }
    if (state_import->parsed()) {
        return dkimwatch::run_state_import_command(state_import_options);
    }
    if (keycheck->parsed()) {
        return dkimwatch::run_keycheck_command(keycheck_options);
    }
    if (inspect->parsed()) {
        return dkimwatch::run_inspect_command(inspect_options);
    }
    std::cerr << app.help();
    return k_exit_usage;
}
