#include "alert/sink_secrets.hpp"

namespace dkimwatch {

std::vector<std::string> alert_sink_secrets(const AlertSinkConfig& sink) {
    const bool whole_url = sink.type != AlertSinkConfig::Type::alertmanager;
    std::vector<std::string> secrets = url_secret_parts(sink.url, whole_url);
    for (const SinkEndpoint& endpoint : sink.endpoints) { // urls: [...] beyond the first
        if (endpoint.url != sink.url) {
            auto parts = url_secret_parts(endpoint.url, whole_url);
            secrets.insert(secrets.end(), parts.begin(), parts.end());
        }
    }
    for (const std::string* value : {&sink.secret, &sink.routing_key}) {
        if (!value->empty()) {
            secrets.push_back(*value);
        }
    }
    return secrets;
}

SecretRedactor alert_secret_redactor(const AlertSettings& settings) {
    std::vector<std::string> secrets;
    for (const AlertSinkConfig& sink : settings.sinks) {
        auto own = alert_sink_secrets(sink);
        secrets.insert(secrets.end(), own.begin(), own.end());
    }
    return SecretRedactor(std::move(secrets));
}

} // namespace dkimwatch
