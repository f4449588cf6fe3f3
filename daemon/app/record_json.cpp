#include "app/record_json.hpp"

#include "core/duration.hpp"

#include <chrono>

namespace dkimwatch {
namespace {

using Json = nlohmann::ordered_json;

// One element of a record's "authoritative".
Json authoritative_json(const AuthoritativeAnswer& answer) {
    Json item;
    item["server"] = answer.server;
    item["address"] = answer.address;
    item["verdict"] = verdict_code_name(answer.verdict);
    item["observed"] = answer.observed ? Json(*answer.observed) : Json(nullptr);
    item["aa"] = answer.aa;
    item["serial"] = answer.serial ? Json(*answer.serial) : Json(nullptr);
    item["latency_ms"] = std::chrono::duration<double, std::milli>(answer.latency).count();
    item["lame"] = answer.lame;
    item["detail"] = answer.detail;
    return item;
}

} // namespace

Json record_json(const RecordVerdict& record) {
    Json item;
    item["name"] = record.name;
    item["type"] = record.type;
    item["expected"] = record.expected;
    item["observed"] = record.observed ? Json(*record.observed) : Json(nullptr);
    item["verdict"] = verdict_code_name(record.code);
    item["severity"] = severity_name(record.severity);
    item["message"] = record.message;
    item["server"] = record.server.empty() ? Json(nullptr) : Json(record.server);
    item["latency_ms"] = std::chrono::duration<double, std::milli>(record.latency).count();
    item["dnssec"] = record.dnssec ? Json(dnssec_status_name(*record.dnssec)) : Json(nullptr);
    item["dnssec_reason"] = record.dnssec_reason;
    item["dnssec_expiry"] =
        record.dnssec_expiry ? Json(format_utc_timestamp(*record.dnssec_expiry)) : Json(nullptr);
    item["dnssec_expiry_zone"] = (record.dnssec_expiry && !record.dnssec_expiry_zone.empty())
                                     ? Json(record.dnssec_expiry_zone)
                                     : Json(nullptr);
    item["zone"] = record.zone.empty() ? Json(nullptr) : Json(record.zone);
    Json servers = Json::array();
    for (const auto& answer : record.authoritative) {
        servers.push_back(authoritative_json(answer));
    }
    item["authoritative"] = std::move(servers);
    item["authoritative_indeterminate"] = record.authoritative_indeterminate;
    item["cached_answer_ttl_seconds"] =
        record.cached_answer_ttl ? Json(record.cached_answer_ttl->count()) : Json(nullptr);
    return item;
}

nlohmann::ordered_json ses_findings_json(const std::vector<SesFinding>& findings) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& finding : findings) {
        nlohmann::ordered_json item;
        item["code"] = ses_finding_code_name(finding.code);
        item["severity"] = severity_name(finding.severity);
        item["message"] = finding.message;
        list.push_back(std::move(item));
    }
    return list;
}

} // namespace dkimwatch
