#include "app/inspect_command.hpp"

#include "app/dns_checking.hpp"
#include "app/inspect_report.hpp"
#include "app/resolver_setup.hpp"
#include "app/watched_set.hpp"
#include "config/config_loader.hpp"
#include "core/authentication_results.hpp"
#include "core/dkim_key_record.hpp"
#include "core/dmarc_alignment.hpp"
#include "core/dns_name.hpp"
#include "core/evaluator.hpp"
#include "core/inspect_diagnosis.hpp"
#include "core/mail_address.hpp"
#include "core/mail_message.hpp"
#include "core/ses_findings.hpp"
#include "core/sweep.hpp"
#include "dkim/dkim_verifier.hpp"
#include "dkim/organizational_domain.hpp"
#include "store/state_store.hpp"
#include "util/bounded_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <unistd.h>

namespace dkimwatch {
namespace {

constexpr int k_exit_unknown = 3;

// Distinct keys (d=, s= pairs) fetched for one message at most. Real messages carry one to three
// signatures; a crafted one with thousands of distinct selectors would otherwise cost thousands
// of sequential lookups (minutes each way against a resolver that times out). Keys beyond it
// are not fetched: their signatures are temperror ("not looked up") and get no record verdict.
constexpr std::size_t k_max_keys_per_message = 16;

// The name of the input in messages.
std::string input_name(const InspectOptions& options) {
    return options.input == "-" ? std::string("standard input") : options.input;
}

// parse_mail_message()'s wording for an input above the limit: "the message is N bytes; the
// limit is 67108864 (64 MiB)", or "more than N bytes" when the size is not known.
std::string too_large_reason(std::optional<std::uintmax_t> size) {
    const std::string limit = "; the limit is " + std::to_string(k_max_message_bytes) + " (64 MiB)";
    if (size) {
        return "the message is " + std::to_string(*size) + " bytes" + limit;
    }
    return "the message is more than " + std::to_string(k_max_message_bytes + 1) + " bytes" + limit;
}

// Standard input, at most k_max_message_bytes + 1 bytes (one more tells "too large" apart).
Result<std::string> read_standard_input() {
    constexpr std::size_t k_bound = k_max_message_bytes + 1;
    std::string bytes;
    char buffer[65536];
    while (true) {
        const std::size_t room = k_bound + 1 - bytes.size(); // one byte past the bound
        const ssize_t got = ::read(STDIN_FILENO, buffer, std::min(room, sizeof buffer));
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Error{std::string("cannot read: ") + std::strerror(errno)};
        }
        if (got == 0) {
            return bytes;
        }
        bytes.append(buffer, static_cast<std::size_t>(got));
        if (bytes.size() > k_bound) {
            return Error{too_large_reason(std::nullopt)};
        }
    }
}

// The message's bytes (never more than k_max_message_bytes + 1), or why they cannot be read.
Result<std::string> read_input(const InspectOptions& options) {
    if (options.input == "-") {
        return read_standard_input();
    }
    auto read = read_bounded_file(options.input, {k_max_message_bytes + 1, "a message"});
    if (read) {
        return std::move(read).value();
    }
    if (read.error().kind == FileReadFailure::too_large) {
        std::error_code error;
        const auto size = std::filesystem::file_size(options.input, error);
        return Error{too_large_reason(error ? std::nullopt : std::optional(size))};
    }
    return Error{read.error().reason};
}

// A key lookup through dkimwatch's resolvers: the TXT records at <selector>._domainkey.<domain>.
DkimKeyAnswer lookup_key(LookupService& lookups, const std::string& domain,
                         const std::string& selector) {
    DkimKeyAnswer answer;
    const std::string name = key_record_name(selector, domain);
    if (auto reason = invalid_domain_reason(name)) {
        // No resolver can be asked for it, now or later: as good as no key (permerror).
        answer.status = DkimKeyAnswer::Status::no_key;
        answer.detail = "not a DNS name: " + *reason;
        return answer;
    }
    std::optional<LookupResult> result;
    lookups.submit(LookupRequest(name, RecordType::txt),
                   [&result](LookupResult got) { result = std::move(got); });
    lookups.run();
    if (!result) {
        answer.status = DkimKeyAnswer::Status::temporary_failure;
        answer.detail = "no answer";
        return answer;
    }
    switch (result->outcome) {
    case LookupOutcome::answer: {
        if (result->txt_records.empty()) {
            answer.status = DkimKeyAnswer::Status::no_key;
            answer.detail = "no TXT record";
            return answer;
        }
        answer.status = DkimKeyAnswer::Status::found;
        answer.record = join_txt_strings(result->txt_records.front());
        for (const auto& record : result->txt_records) {
            std::string text = join_txt_strings(record);
            if (looks_like_dkim_key_record(text)) {
                answer.record = std::move(text);
                break;
            }
        }
        return answer;
    }
    case LookupOutcome::nxdomain:
        answer.status = DkimKeyAnswer::Status::no_key;
        answer.detail = "NXDOMAIN";
        return answer;
    case LookupOutcome::nodata:
        answer.status = DkimKeyAnswer::Status::no_key;
        answer.detail = "no TXT record (NODATA)";
        return answer;
    case LookupOutcome::servfail:
    case LookupOutcome::refused:
    case LookupOutcome::timeout:
    case LookupOutcome::malformed:
        break;
    }
    answer.status = DkimKeyAnswer::Status::temporary_failure;
    answer.detail = lookup_outcome_name(result->outcome);
    if (!result->detail.empty()) {
        answer.detail += ": " + result->detail;
    }
    return answer;
}

bool is_token_of(const Identity& identity, const std::string& selector) {
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        return std::find(easy->tokens.begin(), easy->tokens.end(), selector) != easy->tokens.end();
    }
    return std::get<Byodkim>(identity.method).selector == selector;
}

// The identity whose expectations include the record "<selector>._domainkey.<domain>": a watched
// identity of `domain` that has `selector` as an Easy DKIM token or BYODKIM selector (its
// expectation: the CNAME judged, or the configured key compared), else a BYODKIM-style one with
// no key, as SES discovery builds (any valid key passes).
Identity identity_for_record(const std::vector<Identity>& watched, const std::string& domain,
                             const std::string& selector) {
    for (const auto& identity : watched) {
        if (identity.domain == domain && is_token_of(identity, selector)) {
            return identity;
        }
    }
    Identity identity;
    identity.domain = domain;
    identity.account = "inspect";
    identity.region = "-";
    Byodkim byodkim;
    byodkim.selector = selector;
    identity.method = byodkim;
    return identity;
}

// The evaluator's verdict per distinct (d=, s=), one sweep for all of them.
std::map<std::pair<std::string, std::string>, RecordVerdict>
record_verdicts(const std::vector<DkimSignatureCheck>& checks, const std::vector<Identity>& watched,
                DnsChecking& dns, std::chrono::system_clock::time_point now) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::vector<Identity> identities;
    for (const auto& check : checks) {
        if (check.domain.empty() || check.selector.empty() ||
            invalid_domain_reason(key_record_name(check.selector, check.domain))) {
            continue; // nothing to look up (the signature's reason says why)
        }
        std::pair<std::string, std::string> pair{canonical_name(check.domain),
                                                 canonical_name(check.selector)};
        if (std::find(pairs.begin(), pairs.end(), pair) != pairs.end()) {
            continue;
        }
        if (pairs.size() == k_max_keys_per_message) {
            break; // the verifier did not fetch the keys beyond these either
        }
        identities.push_back(identity_for_record(watched, pair.first, pair.second));
        pairs.push_back(std::move(pair));
    }
    std::map<std::pair<std::string, std::string>, RecordVerdict> verdicts;
    if (identities.empty()) {
        return verdicts;
    }
    const auto reports = run_sweep(identities, dns.lookups(), dns.sweep_options(now));
    for (std::size_t index = 0; index < pairs.size(); ++index) {
        const std::string name = key_record_name(pairs[index].second, pairs[index].first);
        for (const auto& record : reports[index].records) {
            if (record.name == name) {
                verdicts.emplace(pairs[index], record);
            }
        }
    }
    return verdicts;
}

// `domain` is `parent` or under it.
bool covers(const std::string& parent, const std::string& domain) {
    return domain == parent ||
           (domain.size() > parent.size() &&
            domain.compare(domain.size() - parent.size(), parent.size(), parent) == 0 &&
            domain[domain.size() - parent.size() - 1] == '.');
}

// The inventories of the store that the configuration's `ses:` section still covers.
std::vector<SesInventory> covered_inventories(std::vector<SesInventory> stored,
                                              const SesSettings& ses) {
    std::erase_if(stored, [&ses](const SesInventory& inventory) {
        return std::none_of(ses.accounts.begin(), ses.accounts.end(),
                            [&inventory](const SesAccountConfig& account) {
                                return account.name == inventory.source &&
                                       (account.account.empty() ||
                                        account.account == inventory.account) &&
                                       std::find(account.regions.begin(), account.regions.end(),
                                                 inventory.region) != account.regions.end();
                            });
    });
    return stored;
}

// What `--config` adds: the watched identities (the configuration's, and those of the SES
// listings the state database holds), and for those covering the From: domain their state and
// SES findings. The database is opened read-only, only when it exists; a problem reading it is
// a warning on standard error, and the states are then unknown.
struct ConfigView {
    WatchedSet watched;
    std::vector<CoveringIdentity> covering;
    bool state_known = false;
};

// What is known of `identity`, which covers the From: domain: its DKIM selectors, its state and
// last reason from `stored` and `store` (null: no database), and SES's findings over the stored
// listing when one covers its account and region.
CoveringIdentity covering_identity(const Identity& identity, const WatchedSet& watched,
                                   const std::map<IdentityKey, StoredIdentity>& stored,
                                   StateStore* store, const StateMachinePolicy& policy,
                                   TimePoint now) {
    CoveringIdentity covering;
    covering.account = identity.account;
    covering.region = identity.region;
    covering.domain = identity.domain;
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        covering.easy_dkim = true;
        covering.selectors.assign(easy->tokens.begin(), easy->tokens.end());
    } else {
        covering.easy_dkim = false;
        covering.selectors = {std::get<Byodkim>(identity.method).selector};
    }
    const IdentityKey key = identity.key();
    const auto found = stored.find(key);
    const IdentityStatus* status = nullptr;
    std::vector<RecordVerdict> latest;
    if (found != stored.end()) {
        status = &found->second.status;
        covering.state = status->state;
        covering.state_since = status->since;
        covering.deadline = status->deadline;
        if (store != nullptr) {
            if (auto history = store->history(identity.domain, 0)) {
                for (const auto& entry : *history) {
                    if (entry.key == key) {
                        covering.state_reason = entry.reason; // the newest wins
                    }
                }
            }
        }
        for (const auto& record : found->second.records) {
            latest.push_back(record.verdict);
        }
    }
    if (watched.covered(key)) {
        covering.ses_known = true;
        covering.ses_findings =
            ses_findings({&identity, watched.ses_view(key), true,
                          latest.empty() ? nullptr : &latest, status, &policy, now});
    }
    return covering;
}

ConfigView view_of_config(Config& config, const std::string& from_domain) {
    ConfigView view;
    const TimePoint now = std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
    const std::filesystem::path db_path =
        std::filesystem::path(config.daemon.state_dir) / std::string(k_state_db_file_name);
    std::unique_ptr<StateStore> store;
    std::error_code exists_error;
    if (std::filesystem::exists(db_path, exists_error)) {
        auto opened = StateStore::open(db_path, StateStore::Mode::read_only);
        if (opened) {
            store = std::move(opened).value();
        } else {
            std::cerr << "dkimwatch inspect: warning: " << opened.error() << "\n";
        }
    }
    std::map<IdentityKey, StoredIdentity> stored;
    std::vector<SesInventory> inventories;
    if (store) {
        if (auto listed = store->list_identities()) {
            view.state_known = true;
            for (auto& identity : std::move(listed).value()) {
                IdentityKey key = identity.key;
                stored.emplace(std::move(key), std::move(identity));
            }
        } else {
            std::cerr << "dkimwatch inspect: warning: " << listed.error() << "\n";
        }
        if (auto loaded = store->load_ses_inventories()) {
            inventories = covered_inventories(std::move(loaded).value(), config.ses);
        } else {
            std::cerr << "dkimwatch inspect: warning: " << loaded.error() << "\n";
        }
    }
    view.watched = build_watched_set(std::move(config.identities), std::move(inventories), Shard{});
    if (from_domain.empty()) {
        return view;
    }
    for (const auto& identity : view.watched.merged.identities) {
        if (covers(identity.domain, from_domain)) {
            view.covering.push_back(
                covering_identity(identity, view.watched, stored, store.get(), config.policy, now));
        }
    }
    return view;
}

int fail(const std::string& message) {
    std::cerr << "dkimwatch inspect: " << message << "\n";
    return k_exit_unknown;
}

} // namespace

int run_inspect_command(const InspectOptions& options) {
    if (options.format != "text" && options.format != "json") {
        return fail("--format must be text or json, got \"" + options.format + "\"");
    }
    std::optional<Config> config;
    if (!options.config_path.empty()) {
        config = load_config_or_report(options.config_path, std::cerr);
        if (!config) {
            return k_exit_unknown;
        }
    }
    auto dns_settings =
        with_resolver_overrides(config ? config->dns : DnsSettings{}, options.resolvers);
    if (!dns_settings) {
        return fail(dns_settings.error());
    }

    auto bytes = read_input(options);
    if (!bytes) {
        return fail(input_name(options) + ": " + bytes.error());
    }
    auto parsed = parse_mail_message(*bytes);
    if (!parsed) {
        return fail(input_name(options) + ": " + parsed.error());
    }
    const MailMessage& message = *parsed;

    InspectFacts facts;
    if (auto domain = from_domain(message)) {
        facts.from_domain = *domain;
    } else {
        facts.from_error = domain.error();
    }
    std::vector<std::string> notes;
    for (const MailHeaderField* field : header_fields(message, "Authentication-Results")) {
        auto results = parse_authentication_results(field->value());
        if (!results) {
            notes.push_back("the Authentication-Results field on line " +
                            std::to_string(field->line) + " was skipped: " + results.error());
            continue;
        }
        for (auto& result : *results) {
            facts.authentication_results.push_back(std::move(result));
        }
    }

    std::optional<ConfigView> view;
    if (config) {
        view = view_of_config(*config, facts.from_domain);
        facts.config_given = true;
        facts.state_known = view->state_known;
        facts.identities = view->covering;
    }

    const auto now = std::chrono::system_clock::now();
    if (!header_fields(message, "DKIM-Signature").empty()) {
        auto made = DnsChecking::make(*dns_settings);
        if (!made) {
            return fail(made.error());
        }
        const std::unique_ptr<DnsChecking> dns = std::move(made).value();
        DkimVerifyOptions verify_options;
        verify_options.now = now;
        std::size_t keys_asked = 0; // the verifier asks once per distinct (d=, s=)
        auto checks = verify_dkim_signatures(
            message,
            [&dns, &keys_asked](const std::string& domain, const std::string& selector) {
                const bool fetched = !invalid_domain_reason(key_record_name(selector, domain));
                if (fetched && ++keys_asked > k_max_keys_per_message) {
                    DkimKeyAnswer answer;
                    answer.status = DkimKeyAnswer::Status::temporary_failure;
                    answer.detail = "not looked up: the message names more than " +
                                    std::to_string(k_max_keys_per_message) + " distinct keys";
                    return answer;
                }
                return lookup_key(dns->lookups(), domain, selector);
            },
            verify_options);
        if (!checks) {
            return fail(checks.error());
        }
        static const std::vector<Identity> k_none;
        const auto verdicts =
            record_verdicts(*checks, view ? view->watched.merged.identities : k_none, *dns, now);
        for (auto& check : *checks) {
            InspectedSignature signature;
            signature.alignment =
                dkim_alignment(check.domain, facts.from_domain, organizational_domain);
            const auto found =
                verdicts.find({canonical_name(check.domain), canonical_name(check.selector)});
            if (found != verdicts.end()) {
                signature.record = found->second;
            }
            signature.check = std::move(check);
            facts.signatures.push_back(std::move(signature));
        }
    }

    const std::vector<InspectDiagnosis> diagnosis = diagnose_message(facts);
    const int exit_code = inspect_exit_code(facts, diagnosis);
    if (options.format == "json") {
        std::cout << render_inspect_json(facts, diagnosis, exit_code);
    } else {
        std::cout << render_inspect_text(facts, diagnosis, exit_code);
        for (const auto& note : notes) {
            std::cout << "note: " << note << "\n";
        }
    }
    std::cout.flush();
    return exit_code;
}

} // namespace dkimwatch
