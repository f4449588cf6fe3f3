#include "app/discover_command.hpp"

#include "app/discover_report.hpp"
#include "config/config_loader.hpp"
#include "core/log_value.hpp"

#include <iostream>
#include <spdlog/spdlog.h>

namespace dkimwatch {

int run_discover_command(const DiscoverOptions& options) {
    const auto loaded = load_config_or_report(options.config_path, std::cerr);
    if (!loaded) {
        return 3;
    }
    const Config& config = *loaded;
    if (config.ses.accounts.empty()) {
        std::cerr << "dkimwatch discover: " << options.config_path
                  << " has no ses: section (ses.accounts lists the AWS accounts and regions to "
                     "ask)\n";
        return 3;
    }
    SesSources sources(config.ses, AwsEnvironment::from_process());
    DiscoverRun run;
    run.discovered_at = std::chrono::system_clock::now();
    run.sources = sources.sync_all(std::chrono::floor<Milliseconds>(run.discovered_at), {});
    for (const auto& outcome : run.sources) {
        if (!outcome.ok()) {
            spdlog::warn("event=ses_sync_failed source={} region={} error={}", outcome.name,
                         outcome.region, quote_log_value(outcome.error));
        }
    }
    if (options.format == "json") {
        std::cout << render_discover_json(run);
    } else if (options.format == "identities") {
        std::cout << render_discover_identities(run);
    } else {
        std::cout << render_discover_text(run);
    }
    std::cout.flush();
    return discover_exit_code(run);
}

} // namespace dkimwatch
