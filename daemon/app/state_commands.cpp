#include "app/state_commands.hpp"

#include "app/record_json.hpp"
#include "config/config_loader.hpp"
#include "core/dns_name.hpp"
#include "core/duration.hpp"
#include "core/shard.hpp"
#include "store/state_store.hpp"

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace dkimwatch {
namespace {

using Json = nlohmann::ordered_json;

std::string utc(TimePoint time) {
    return format_utc_timestamp(time);
}

// "3h20m ago" or "in 4d21h", to the minute (seconds below one minute).
std::string relative(TimePoint when, TimePoint now) {
    const Milliseconds gap = when > now ? when - now : now - when;
    const Milliseconds rounded = gap >= std::chrono::minutes{1}
                                     ? std::chrono::duration_cast<Milliseconds>(
                                           std::chrono::floor<std::chrono::minutes>(gap))
                                     : std::chrono::duration_cast<Milliseconds>(
                                           std::chrono::floor<std::chrono::seconds>(gap));
    const std::string text = format_duration(rounded);
    return when > now ? "in " + text : text + " ago";
}

Json optional_time(const std::optional<TimePoint>& time) {
    return time ? Json(utc(*time)) : Json(nullptr);
}

// Opens the database named by the configuration's state_dir, read-only. Sets `check_interval`
// and `shard` to the configuration's, when given.
Result<std::unique_ptr<StateStore>> open_for_reading(const std::string& config_path,
                                                     Milliseconds* check_interval = nullptr,
                                                     Shard* shard = nullptr) {
    auto loaded = load_config_file(config_path);
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
        std::string text;
        for (const auto& error : *errors) {
            text += (text.empty() ? "" : "\n") + error.to_string();
        }
        return Error{text};
    }
    const Config& config = std::get<Config>(loaded);
    if (check_interval != nullptr) {
        *check_interval = config.daemon.check_interval;
    }
    if (shard != nullptr) {
        *shard = config.daemon.shard;
    }
    return StateStore::open(std::filesystem::path(config.daemon.state_dir) /
                                std::string(k_state_db_file_name),
                            StateStore::Mode::read_only);
}

// The store's findings (the same checks the daemon logs at start) as warnings on stderr.
void report_findings(const StateStore& store, const char* command) {
    for (const auto& finding : store.findings()) {
        std::cerr << "dkimwatch " << command << ": warning: state database "
                  << store.path().string() << ": " << state_finding_text(finding)
                  << " (the daemon repairs it when it starts)\n";
    }
}

// A running daemon saves a check of some identity at least once per check_interval (every
// identity is checked that often, each check saved). When the newest saved check is older than
// twice that plus k_stale_margin, what the database shows may be out of date: the daemon is not
// running, or it cannot write the database (it then keeps the newer state in memory, on
// /metrics). Said on stderr, for both formats.
constexpr Milliseconds k_stale_margin = std::chrono::seconds{10};

void report_stale_state(const std::vector<StoredIdentity>& identities, Milliseconds check_interval,
                        TimePoint now) {
    std::optional<TimePoint> newest;
    for (const auto& stored : identities) {
        if (stored.status.last_check_at && (!newest || *stored.status.last_check_at > *newest)) {
            newest = stored.status.last_check_at;
        }
    }
    if (!newest || now - *newest <= 2 * check_interval + k_stale_margin) {
        return;
    }
    std::cerr << "dkimwatch status: warning: the newest saved check is from " << utc(*newest)
              << " (" << relative(*newest, now) << ", check_interval "
              << format_duration(check_interval)
              << "): the daemon is not running, or it cannot write the state database (its "
                 "log says event=state_save_failed; dkimwatch_state_unsaved_identities on "
                 "/metrics counts the identities whose newer state is held in memory only). "
                 "What follows is the state as last saved.\n";
}

// What the daemon last saved of SES's view: the inventories' identities and the findings.
struct SesStatusView {
    std::map<IdentityKey, std::pair<SesDomainIdentity, TimePoint>> identities; // with synced_at
    std::set<std::pair<std::string, std::string>> covered;
    std::map<IdentityKey, std::vector<SesFinding>> findings;
};

// Best effort: a database without SES data (or an error reading it, said on stderr) shows none.
SesStatusView load_ses_view(StateStore& store) {
    SesStatusView view;
    if (auto inventories = store.load_ses_inventories()) {
        for (const auto& inventory : *inventories) {
            view.covered.insert({inventory.account, inventory.region});
            for (const auto& domain : inventory.domains) {
                view.identities.emplace(
                    IdentityKey{inventory.account, inventory.region, domain.domain},
                    std::make_pair(domain, inventory.synced_at));
            }
        }
    } else {
        std::cerr << "dkimwatch status: warning: " << inventories.error() << "\n";
    }
    if (auto findings = store.load_ses_findings()) {
        view.findings = std::move(findings).value();
    } else {
        std::cerr << "dkimwatch status: warning: " << findings.error() << "\n";
    }
    return view;
}

// null when no SES inventory covers the identity's account and region.
Json ses_json(const SesStatusView& ses, const IdentityKey& key) {
    if (ses.covered.count({key.account, key.region}) == 0) {
        return Json(nullptr);
    }
    Json entry;
    const auto found = ses.identities.find(key);
    if (found != ses.identities.end()) {
        const auto& [identity, synced_at] = found->second;
        entry["status"] = identity.status_text.empty() ? Json(nullptr) : Json(identity.status_text);
        entry["signing_enabled"] = identity.signing_enabled;
        entry["origin"] = identity.origin.empty() ? Json(nullptr) : Json(identity.origin);
        entry["synced_at"] = utc(synced_at);
    } else {
        entry["status"] = nullptr;
        entry["signing_enabled"] = nullptr;
        entry["origin"] = nullptr;
        entry["synced_at"] = nullptr;
    }
    const auto listed = ses.findings.find(key);
    entry["findings"] =
        listed != ses.findings.end() ? ses_findings_json(listed->second) : Json::array();
    return entry;
}

std::string ses_text(const SesStatusView& ses, const IdentityKey& key, TimePoint now) {
    if (ses.covered.count({key.account, key.region}) == 0) {
        return "";
    }
    std::string out = "  SES:        ";
    if (const auto found = ses.identities.find(key); found != ses.identities.end()) {
        const auto& [identity, synced_at] = found->second;
        out += (identity.status_text.empty() ? std::string("(no DKIM status)")
                                             : identity.status_text) +
               ", signing " + (identity.signing_enabled ? "enabled" : "DISABLED") + " (listed " +
               relative(synced_at, now) + ")\n";
    } else {
        out += "not listed\n";
    }
    if (const auto listed = ses.findings.find(key); listed != ses.findings.end()) {
        for (const auto& finding : listed->second) {
            out += "  " + std::string(ses_finding_code_name(finding.code)) + " (" +
                   severity_name(finding.severity) + "): " + finding.message + "\n";
        }
    }
    return out;
}

} // namespace

int run_status_command(const StatusOptions& options) {
    Milliseconds check_interval{};
    Shard shard;
    auto store = open_for_reading(options.config_path, &check_interval, &shard);
    if (!store) {
        std::cerr << "dkimwatch status: " << store.error() << "\n";
        return 1;
    }
    report_findings(**store, "status");
    auto identities = (*store)->list_identities();
    if (!identities) {
        std::cerr << "dkimwatch status: " << identities.error() << "\n";
        return 1;
    }
    // Only the shard's identities: a database may still hold identities another shard owns
    // (after the shard changed), which this process no longer watches.
    std::vector<StoredIdentity> owned = std::move(identities).value();
    std::erase_if(
        owned, [&shard](const StoredIdentity& stored) { return !shard_owns(shard, stored.key); });
    const TimePoint now = std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
    report_stale_state(owned, check_interval, now);
    const SesStatusView ses = load_ses_view(**store);

    if (options.format == "json") {
        Json document;
        document["generated_at"] = utc(now);
        if (!is_whole_inventory(shard)) {
            document["shard"] = shard_text(shard);
        }
        Json list = Json::array();
        for (const auto& stored : owned) {
            const IdentityStatus& status = stored.status;
            Json entry;
            entry["account"] = stored.key.account;
            entry["region"] = stored.key.region;
            entry["domain"] = stored.key.domain;
            entry["state"] = identity_state_name(status.state);
            entry["since"] = utc(status.since);
            entry["deadline"] = optional_time(status.deadline);
            entry["seconds_left"] =
                status.deadline
                    ? Json(std::chrono::duration_cast<std::chrono::seconds>(*status.deadline - now)
                               .count())
                    : Json(nullptr);
            entry["last_check"] = optional_time(status.last_check_at);
            entry["last_result"] =
                status.last_worst ? Json(severity_name(*status.last_worst)) : Json(nullptr);
            Json records = Json::array();
            for (const auto& record : stored.records) {
                if (record.verdict.code == VerdictCode::ok) {
                    continue;
                }
                records.push_back(
                    {{"name", record.verdict.name},
                     {"type", record.verdict.type},
                     {"verdict", verdict_code_name(record.verdict.code)},
                     {"severity", severity_name(record.verdict.severity)},
                     {"expected", record.verdict.expected},
                     {"observed",
                      record.verdict.observed ? Json(*record.verdict.observed) : Json(nullptr)},
                     {"message", record.verdict.message},
                     {"checked_at", utc(record.checked_at)}});
            }
            entry["failing_records"] = std::move(records);
            entry["ses"] = ses_json(ses, stored.key);
            list.push_back(std::move(entry));
        }
        document["identities"] = std::move(list);
        std::cout << document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
        return 0;
    }

    std::cout << "dkimwatch status at " << utc(now) << ": " << owned.size() << " identities"
              << (is_whole_inventory(shard) ? std::string() : " (shard " + shard_text(shard) + ")")
              << "\n";
    for (const auto& stored : owned) {
        const IdentityStatus& status = stored.status;
        std::cout << "\n"
                  << stored.key.account << " " << stored.key.region << " " << stored.key.domain
                  << "\n  state:      " << identity_state_name(status.state) << " since "
                  << utc(status.since) << " (" << relative(status.since, now) << ")\n";
        if (status.deadline) {
            std::cout << "  deadline:   " << utc(*status.deadline) << " ("
                      << relative(*status.deadline, now)
                      << "): SES is expected to revoke DKIM then unless the records are back\n";
        }
        std::cout << "  last check: "
                  << (status.last_check_at
                          ? utc(*status.last_check_at) + " (" +
                                relative(*status.last_check_at, now) + ")" +
                                (status.last_worst
                                     ? std::string(", ") + severity_name(*status.last_worst)
                                     : std::string())
                          : std::string("none yet"))
                  << "\n";
        for (const auto& record : stored.records) {
            if (record.verdict.code == VerdictCode::ok) {
                continue;
            }
            std::cout << "  " << verdict_code_name(record.verdict.code) << " "
                      << record.verdict.type << " " << record.verdict.name << ": "
                      << record.verdict.message << "\n";
        }
        std::cout << ses_text(ses, stored.key, now);
    }
    return 0;
}

bool history_shows(const Shard& shard, const IdentityKey& key) {
    return key.domain.empty() || shard_owns(shard, key);
}

namespace {

// The newest `limit` history entries (oldest first) that `shard` shows, of every identity or of
// `domain`. The store selects by domain only, so with a shard more entries are read, doubling
// until `limit` are shown or the history is exhausted.
Result<std::vector<HistoryEntry>> shard_history(StateStore& store,
                                                const std::optional<std::string>& domain,
                                                std::size_t limit, const Shard& shard) {
    std::size_t asked = limit;
    while (true) {
        auto entries = store.history(domain, asked);
        if (!entries || is_whole_inventory(shard)) {
            return entries;
        }
        const bool all_read = asked == 0 || entries->size() < asked;
        std::vector<HistoryEntry> shown = std::move(entries).value();
        std::erase_if(shown, [&shard](const HistoryEntry& entry) {
            return !history_shows(shard, entry.key);
        });
        if (shown.size() >= limit || all_read) {
            if (shown.size() > limit) {
                shown.erase(shown.begin(), shown.end() - static_cast<std::ptrdiff_t>(limit));
            }
            return shown;
        }
        // Past k_max_history_limit * 32 entries asked, read them all (0) rather than double.
        asked = asked > k_max_history_limit * 32 ? 0 : asked * 2;
    }
}

} // namespace

int run_history_command(const HistoryOptions& options) {
    if (options.limit < 1 || options.limit > k_max_history_limit) {
        constexpr int k_exit_usage = 3;
        std::cerr << "dkimwatch history: --limit must be 1 to " << k_max_history_limit << ", got "
                  << options.limit << "\n";
        return k_exit_usage;
    }
    Shard shard;
    auto store = open_for_reading(options.config_path, nullptr, &shard);
    if (!store) {
        std::cerr << "dkimwatch history: " << store.error() << "\n";
        return 1;
    }
    report_findings(**store, "history");
    std::optional<std::string> domain;
    if (options.domain) {
        domain = canonical_name(*options.domain);
    }
    auto entries = shard_history(**store, domain, options.limit, shard);
    if (!entries) {
        std::cerr << "dkimwatch history: " << entries.error() << "\n";
        return 1;
    }
    if (options.format == "json") {
        Json list = Json::array();
        for (const auto& entry : *entries) {
            list.push_back({{"at", utc(entry.at)},
                            {"account", entry.key.account},
                            {"region", entry.key.region},
                            {"domain", entry.key.domain},
                            {"event", entry.event},
                            {"from", entry.from_state},
                            {"to", entry.to_state},
                            {"reason", entry.reason},
                            {"deadline", optional_time(entry.deadline)}});
        }
        std::cout << Json{{"events", list}}.dump(2, ' ', false, Json::error_handler_t::replace)
                  << "\n";
        return 0;
    }
    if (entries->empty()) {
        std::cout << "no events recorded" << (domain ? " for " + *domain : std::string()) << "\n";
        return 0;
    }
    for (const auto& entry : *entries) {
        std::cout << utc(entry.at) << "  " << entry.key.account << " " << entry.key.region << " "
                  << entry.key.domain << "  " << entry.event << " (" << entry.from_state << " -> "
                  << entry.to_state << ")"
                  << (entry.deadline ? ", deadline " + utc(*entry.deadline) : std::string())
                  << "\n    " << entry.reason << "\n";
    }
    return 0;
}

} // namespace dkimwatch
