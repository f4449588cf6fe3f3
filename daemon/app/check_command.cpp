#include "app/check_command.hpp"

#include "app/check_report.hpp"
#include "app/resolver_setup.hpp"
#include "config/config_loader.hpp"
#include "core/sweep.hpp"
#include "dns/async_resolver.hpp"

#include <chrono>
#include <iostream>
#include <spdlog/spdlog.h>

namespace dkimwatch {

int run_check_command(const CheckOptions& options) {
    const auto loaded = load_config_or_report(options.config_path, std::cerr);
    if (!loaded) {
        return 3;
    }
    const Config& config = *loaded;

    auto settings = resolver_settings_for(config.dns);
    if (!settings) {
        std::cerr << "dkimwatch: " << settings.error() << "\n";
        return 3;
    }
    AsyncResolver resolver(std::move(settings).value());

    CheckRun run;
    run.checked_at = std::chrono::system_clock::now();
    const auto started = std::chrono::steady_clock::now();
    run.reports = run_sweep(config.identities, resolver);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    spdlog::info("event=sweep_done identities={} queries={} duration_ms={}",
                 config.identities.size(), resolver.stats().queries_sent,
                 std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());

    if (options.format == "json") {
        write_check_json(run, std::cout);
    } else {
        std::cout << render_check_text(run);
    }
    std::cout.flush();
    return check_exit_code(run.reports);
}

} // namespace dkimwatch
