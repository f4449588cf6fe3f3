#pragma once
// `dkimwatch run`: the daemon. Re-checks every identity on a schedule spread over
// check_interval, drives the per-identity state machine, persists every transition in the state
// database before acting on it, exports Prometheus metrics and talks to systemd.
//
// Signals: SIGHUP reloads (parse and validate, then swap only on success); SIGTERM and SIGINT
// stop within a few hundred milliseconds (in-flight DNS queries are abandoned; state is saved
// after every batch, so nothing is lost).

#include <string>

namespace dkimwatch {

struct DaemonOptions {
    std::string config_path;
};

// Runs until SIGTERM or SIGINT. Returns 0 after a clean stop, 1 when it cannot start (invalid
// configuration, unusable state directory, metrics address in use), with the reason on stderr.
int run_daemon(const DaemonOptions& options);

} // namespace dkimwatch
