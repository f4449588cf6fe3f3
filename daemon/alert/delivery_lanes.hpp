#pragma once
// A sink's delivery lanes: one per URL it sends to (AlertSinkConfig::endpoints). Every lane has
// its own outbox rows, worker, retries and metric series, so an alertmanager sink with
// `urls: [AM1, AM2]` sends every alert to both and a dead AM2 delays nothing at AM1 (an
// Alertmanager cluster gossips silences and notifications, not alerts: each instance must receive
// every alert and every resolve itself). Pure.
//
// Outbox key (the outbox's sink column):
// - a sink with one URL: its name, as before lanes existed (rows queued by earlier versions are
//   still delivered);
// - a sink with several URLs: "NAME@DISPLAY", e.g. "am@http://10.0.0.1:9093" (config keeps the
//   display forms of one sink distinct and sink names are [A-Za-z0-9_-], so keys are unique; they
//   hold no secret and are stable across restarts while the URL stays).
// Going from one URL to several (or back) changes the keys: rows still queued under the old key
// are then those of an unconfigured sink (they stay queued, see alert_dispatcher.hpp).

#include "config/config.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

struct DeliveryLane {
    // The sink as this lane sends: url and display are the lane's, endpoints holds only it.
    AlertSinkConfig sink;
    std::string outbox_key;
    bool operator==(const DeliveryLane&) const = default;
};

// The lanes of `sink`, in endpoint order. A sink without endpoints (built in code, not by the
// config loader) has one lane for its url/display.
std::vector<DeliveryLane> delivery_lanes(const AlertSinkConfig& sink);

// The lanes of every sink, sinks in configuration order.
std::vector<DeliveryLane> delivery_lanes(const AlertSettings& settings);

// The outbox key of a lane of a sink named `sink_name` with `endpoint_count` URLs sending to
// `display` (see above).
std::string lane_outbox_key(const std::string& sink_name, std::size_t endpoint_count,
                            const std::string& display);

} // namespace dkimwatch
