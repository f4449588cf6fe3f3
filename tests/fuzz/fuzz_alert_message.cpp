// libFuzzer harness: an outbox row's message column through alert_message_from_json. The column
// is read back from the state database, which dkimwatch does not trust blindly (a damaged or
// hand-edited file). A message that parses must re-serialize stably, and must render for every
// sink type and summarize without crashing, whatever its times and texts.

#include "alert/alert_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

dkimwatch::AlertSinkConfig sink(dkimwatch::AlertSinkConfig::Type type) {
    dkimwatch::AlertSinkConfig config;
    config.name = "fuzz";
    config.type = type;
    config.url = "http://127.0.0.1:9/hook";
    config.display = "http://127.0.0.1:9";
    config.secret = type == dkimwatch::AlertSinkConfig::Type::webhook ? "hmac-key-0123" : "";
    config.routing_key = "routing-key-0123";
    return config;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string json(reinterpret_cast<const char*>(data), size);
    const auto message = dkimwatch::alert_message_from_json(json);
    if (!message.ok()) {
        if (message.error().empty()) {
            std::abort();
        }
        return 0;
    }
    // Stable: what was parsed serializes to a text that parses back to the same text.
    const std::string once = dkimwatch::alert_message_to_json(*message);
    const auto again = dkimwatch::alert_message_from_json(once);
    if (!again.ok() || dkimwatch::alert_message_to_json(*again) != once) {
        std::abort();
    }
    const dkimwatch::TimePoint now{std::chrono::milliseconds{1'764'720'000'000}};
    (void)dkimwatch::alert_summary(*message, now);
    for (const auto type :
         {dkimwatch::AlertSinkConfig::Type::slack, dkimwatch::AlertSinkConfig::Type::webhook,
          dkimwatch::AlertSinkConfig::Type::alertmanager,
          dkimwatch::AlertSinkConfig::Type::pagerduty}) {
        (void)dkimwatch::render_alert_request(sink(type), *message, now);
    }
    return 0;
}
