#pragma once
// `dkimwatch test-alert`: sends a clearly marked sample alert through the real rendering and
// HTTP path to every configured sink (or one), so a user can check the wiring.

#include <optional>
#include <string>

namespace dkimwatch {

struct TestAlertOptions {
    std::string config_path;
    std::optional<std::string> sink; // only this sink (by name)
};

// Prints one line per URL of each sink (an alertmanager sink with `urls: [...]` gets one line per
// Alertmanager: "NAME (TYPE, DISPLAY): ...") with its HTTP status and, when it failed, the
// transport error or the first 200 bytes of the response body (log_excerpt), without the secrets of
// any configured sink (alert_secret_redactor): a receiver may echo the request path or body.
// Returns 0 when every URL of every sink accepted the message, 1 when one failed, 3 on
// configuration or usage errors.
int run_test_alert_command(const TestAlertOptions& options);

} // namespace dkimwatch
