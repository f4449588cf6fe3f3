#include "alert/delivery_lanes.hpp"

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

} // namespace dkimwatch
