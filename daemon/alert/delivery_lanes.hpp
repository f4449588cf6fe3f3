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
// Going from one URL to several (or back) changes the keys. The dispatcher then moves the rows
// still queued under an old key of an alertmanager sink to its current lanes
// (plan_lane_rekeying, StateStore::rekey_queued); only rows for a URL that was removed from the
// sink stay under their key (those of an unconfigured sink: they stay queued, see
// alert_dispatcher.hpp).

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

// Queued outbox rows to move from a key that is no longer a lane of `sink` to its current lanes:
// every lane in `to_keys` gets its own copy of every row (StateStore::rekey_queued).
struct LaneRekeying {
    std::string sink;                 // the sink's name
    std::string from_key;             // the old outbox key
    std::vector<std::string> to_keys; // lane keys, in endpoint order; never empty
    bool operator==(const LaneRekeying&) const = default;
};

// A key of a configured alertmanager sink whose URL is no longer one of the sink's: its rows
// stay queued under it (delivered if that URL comes back).
struct StrandedLaneKey {
    std::string sink;
    std::string key;
    bool operator==(const StrandedLaneKey&) const = default;
};

struct LaneRekeyPlan {
    std::vector<LaneRekeying> moves;       // in the order of the queued keys given
    std::vector<StrandedLaneKey> stranded; // likewise
    bool operator==(const LaneRekeyPlan&) const = default;
};

// What to do with the outbox keys that have queued rows (`queued_keys`, each once) given the
// configured `sinks`. A key that is a lane key of any sink, or whose name part (the key up to
// its first '@': sink names have none) names no configured sink or a sink that is not an
// alertmanager, is left alone (not in the plan). For the alertmanager sink NAME:
// - "NAME" (queued while it had one URL) and it now has several: moved to every lane (an alert
//   goes to every Alertmanager, and the key does not say which URL it was queued for);
// - "NAME@DISPLAY" (queued while it had several) and it now has one URL whose display is
//   DISPLAY: moved to "NAME";
// - "NAME@DISPLAY" and DISPLAY is none of its URLs now: stranded.
LaneRekeyPlan plan_lane_rekeying(const std::vector<std::string>& queued_keys,
                                 const std::vector<AlertSinkConfig>& sinks);

} // namespace dkimwatch
