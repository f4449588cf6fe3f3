#pragma once
// The secrets of the alert configuration, for SecretRedactor (core/secret_redactor.hpp): what
// must never reach a log line, an outbox row or the output of a command, even when a receiver
// echoes it back ("Cannot POST /services/T0/B0/XXXX"). Pure.

#include "config/config.hpp"
#include "core/secret_redactor.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// The secrets of one sink: its URL with the URL's userinfo and query (every type) and its path
// (slack, webhook and pagerduty, whose URLs are secret; an Alertmanager path is the public API
// path), the webhook HMAC secret and the PagerDuty routing key. Empty values are left out.
std::vector<std::string> alert_sink_secrets(const AlertSinkConfig& sink);

// A redactor for the secrets of every sink of `settings`.
SecretRedactor alert_secret_redactor(const AlertSettings& settings);

} // namespace dkimwatch
