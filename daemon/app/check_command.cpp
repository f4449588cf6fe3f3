#include "app/check_command.hpp"

#include "app/check_report.hpp"
#include "app/dns_checking.hpp"
#include "app/ses_sources.hpp"
#include "app/watched_set.hpp"
#include "config/config_loader.hpp"
#include "core/ses_findings.hpp"
#include "core/sweep.hpp"

#include <chrono>
#include <iostream>
#include <spdlog/spdlog.h>

namespace dkimwatch {
namespace {

// Lists every SES source once: the good inventories, and the failures as "name region: reason"
// (also on stderr, so that a text reader sees why the result is unknown).
std::vector<SesInventory> list_ses(const SesSettings& settings, TimePoint now,
                                   std::vector<std::string>& failures) {
    std::vector<SesInventory> inventories;
    if (settings.accounts.empty()) {
        return inventories;
    }
    SesSources sources(settings, AwsEnvironment::from_process());
    for (auto& outcome : sources.sync_all(now, {})) {
        if (outcome.inventory) {
            inventories.push_back(std::move(*outcome.inventory));
            continue;
        }
        failures.push_back(outcome.name + " " + outcome.region + ": " + outcome.error);
        std::cerr << "dkimwatch check: SES source " << failures.back() << "\n";
    }
    return inventories;
}

} // namespace

int run_check_command(const CheckOptions& options) {
    auto loaded = load_config_or_report(options.config_path, std::cerr);
    if (!loaded) {
        return 3;
    }
    Config& config = *loaded;

    auto dns = DnsChecking::make(config.dns);
    if (!dns) {
        std::cerr << "dkimwatch: " << dns.error() << "\n";
        return 3;
    }
    const std::unique_ptr<DnsChecking> checking = std::move(dns).value();

    CheckRun run;
    run.checked_at = std::chrono::system_clock::now();
    const TimePoint now = std::chrono::floor<Milliseconds>(run.checked_at);
    const bool with_ses = !config.ses.accounts.empty();
    // Only the identities this shard owns are checked (and listed).
    const WatchedSet watched =
        build_watched_set(std::move(config.identities), list_ses(config.ses, now, run.ses_failures),
                          config.daemon.shard);
    run.shard = config.daemon.shard;
    run.shard_skipped = watched.shard_skipped;
    const auto& identities = watched.merged.identities;

    const auto started = std::chrono::steady_clock::now();
    run.reports =
        run_sweep(identities, checking->lookups(), checking->sweep_options(run.checked_at));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    spdlog::info("event=sweep_done identities={} queries={} duration_ms={}", identities.size(),
                 checking->resolver().stats().queries_sent,
                 std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());

    if (with_ses) {
        run.ses.reserve(run.reports.size());
        for (const auto& report : run.reports) {
            const Identity& identity = *report.identity;
            const IdentityKey key = identity.key();
            const SesDomainIdentity* view = watched.ses_view(key);
            const bool covered = watched.covered(key);
            if (view == nullptr && !covered) {
                run.ses.emplace_back(); // no source covers it: "ses": null
                continue;
            }
            SesCheckInfo info;
            info.listed = view != nullptr;
            if (view != nullptr) {
                info.status = view->status_text;
                info.signing_enabled = view->signing_enabled;
                info.origin = view->origin;
            }
            for (const auto& inventory : watched.inventories) {
                if (inventory.account == key.account && inventory.region == key.region) {
                    info.synced_at = inventory.synced_at;
                }
            }
            // A one-shot check knows no pending spell: PENDING is not judged against
            // pending_timeout here (the daemon does that).
            info.findings = ses_findings(
                {&identity, view, covered, &report.records, nullptr, &config.policy, now});
            run.ses.push_back(std::move(info));
        }
    }

    if (options.format == "json") {
        write_check_json(run, std::cout);
    } else {
        std::cout << render_check_text(run);
    }
    std::cout.flush();
    return check_run_exit_code(run);
}

} // namespace dkimwatch
