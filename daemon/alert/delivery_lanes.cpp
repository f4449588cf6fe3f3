#include "alert/delivery_lanes.hpp"

#include <algorithm>
#include <set>

namespace dkimwatch {

std::string lane_outbox_key(const std::string& sink_name, std::size_t endpoint_count,
                            const std::string& display) {
    if (endpoint_count <= 1) {
        return sink_name;
    }
    return sink_name + "@" + display;
}

std::vector<DeliveryLane> delivery_lanes(const AlertSinkConfig& sink) {
    std::vector<SinkEndpoint> endpoints = sink.endpoints;
    if (endpoints.empty()) {
        endpoints.push_back(SinkEndpoint{sink.url, sink.display});
    }
    std::vector<DeliveryLane> lanes;
    lanes.reserve(endpoints.size());
    for (const SinkEndpoint& endpoint : endpoints) {
        DeliveryLane lane{sink, lane_outbox_key(sink.name, endpoints.size(), endpoint.display)};
        lane.sink.url = endpoint.url;
        lane.sink.display = endpoint.display;
        lane.sink.endpoints = {endpoint};
        lanes.push_back(std::move(lane));
    }
    return lanes;
}

std::vector<DeliveryLane> delivery_lanes(const AlertSettings& settings) {
    std::vector<DeliveryLane> lanes;
    for (const AlertSinkConfig& sink : settings.sinks) {
        for (DeliveryLane& lane : delivery_lanes(sink)) {
            lanes.push_back(std::move(lane));
        }
    }
    return lanes;
}

LaneRekeyPlan plan_lane_rekeying(const std::vector<std::string>& queued_keys,
                                 const std::vector<AlertSinkConfig>& sinks) {
    std::set<std::string, std::less<>> lane_keys;
    for (const AlertSinkConfig& sink : sinks) {
        for (const DeliveryLane& lane : delivery_lanes(sink)) {
            lane_keys.insert(lane.outbox_key);
        }
    }
    LaneRekeyPlan plan;
    for (const std::string& key : queued_keys) {
        if (lane_keys.contains(key)) {
            continue;
        }
        const std::size_t at = key.find('@');
        const std::string name = key.substr(0, at);
        const auto sink = std::find_if(sinks.begin(), sinks.end(),
                                       [&](const AlertSinkConfig& s) { return s.name == name; });
        if (sink == sinks.end() || sink->type != AlertSinkConfig::Type::alertmanager) {
            continue;
        }
        const std::vector<DeliveryLane> lanes = delivery_lanes(*sink);
        if (at == std::string::npos) {
            // Not a lane key, so the sink has several URLs now.
            LaneRekeying move{name, key, {}};
            for (const DeliveryLane& lane : lanes) {
                move.to_keys.push_back(lane.outbox_key);
            }
            plan.moves.push_back(std::move(move));
        } else if (lanes.size() == 1 && lanes.front().sink.display == key.substr(at + 1)) {
            plan.moves.push_back(LaneRekeying{name, key, {lanes.front().outbox_key}});
        } else {
            plan.stranded.push_back(StrandedLaneKey{name, key});
        }
    }
    return plan;
}

} // namespace dkimwatch
