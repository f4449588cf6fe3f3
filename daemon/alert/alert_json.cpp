#include "alert/alert_json.hpp"

namespace dkimwatch {

std::string dump_json(const Json& json) {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json records_json(const std::vector<AlertRecord>& records) {
    Json out = Json::array();
    for (const AlertRecord& record : records) {
        out.push_back({{"name", record.name},
                       {"type", record.type},
                       {"verdict", record.verdict},
                       {"expected", record.expected},
                       {"observed", record.observed ? Json(*record.observed) : Json(nullptr)},
                       {"message", record.message}});
    }
    return out;
}

} // namespace dkimwatch
