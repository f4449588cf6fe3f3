#pragma once
// JSON pieces shared by the outbox format and the payloads (webhook, PagerDuty). Internal to the
// alert library and its tests: it exposes nlohmann::json, so keep it out of other headers.

#include "alert/alert_event.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dkimwatch {

// Fields in the order they are inserted, so documents read the way they are documented.
using Json = nlohmann::ordered_json;

// Compact text. Invalid UTF-8 (which JSON cannot carry) is replaced by U+FFFD instead of
// throwing.
std::string dump_json(const Json& json);

// [{"name","type","verdict","expected","observed" (string or null),"message"}, ...]
Json records_json(const std::vector<AlertRecord>& records);

} // namespace dkimwatch
