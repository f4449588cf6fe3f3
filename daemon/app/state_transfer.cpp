#include "app/state_transfer.hpp"

#include "core/duration.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

namespace dkimwatch {
namespace {

using Json = nlohmann::ordered_json;

std::int64_t to_ms(TimePoint time) {
    return time.time_since_epoch().count();
}

Json optional_ms(const std::optional<TimePoint>& time) {
    return time ? Json(to_ms(*time)) : Json(nullptr);
}

Json status_to_json(const IdentityStatus& status) {
    Json json = Json::object();
    json["fingerprint"] = status.fingerprint;
    json["state"] = identity_state_name(status.state);
    json["since_ms"] = to_ms(status.since);
    json["entered_pending_at_ms"] = to_ms(status.entered_pending_at);
    json["deadline_ms"] = optional_ms(status.deadline);
    json["consecutive_failures"] = status.consecutive_failures;
    json["first_failure_at_ms"] = optional_ms(status.first_failure_at);
    json["consecutive_successes"] = status.consecutive_successes;
    json["indeterminate_since_ms"] = optional_ms(status.indeterminate_since);
    json["pending_overdue_raised"] = status.pending_overdue_raised;
    json["blind_raised"] = status.blind_raised;
    json["records_back_raised"] = status.records_back_raised;
    json["reminder_covered_ms"] =
        status.reminder_covered ? Json(status.reminder_covered->count()) : Json(nullptr);
    json["checks_total"] = status.checks_total;
    json["failures_total"] = status.failures_total;
    json["indeterminate_total"] = status.indeterminate_total;
    json["last_check_at_ms"] = optional_ms(status.last_check_at);
    json["last_worst"] =
        status.last_worst ? Json(severity_name(*status.last_worst)) : Json(nullptr);
    return json;
}

Json record_to_json(const StoredRecord& record) {
    const RecordVerdict& verdict = record.verdict;
    Json json = Json::object();
    json["name"] = verdict.name;
    json["type"] = verdict.type;
    json["expected"] = verdict.expected;
    json["observed"] = verdict.observed ? Json(*verdict.observed) : Json(nullptr);
    json["verdict"] = verdict_code_name(verdict.code);
    json["severity"] = severity_name(verdict.severity);
    json["message"] = verdict.message;
    json["server"] = verdict.server;
    json["latency_us"] = verdict.latency.count();
    json["checked_at_ms"] = to_ms(record.checked_at);
    return json;
}

// Reads typed members of one JSON object, naming each value by its path in errors. The first
// error is kept; later reads return defaults.
class Reader {
public:
    Reader(const Json& object, std::string path) : m_object(object), m_path(std::move(path)) {}

    bool ok() const { return !m_error; }
    const std::string& error() const { return *m_error; }
    void fail(const std::string& key, const std::string& problem) {
        if (!m_error) {
            m_error = where(key) + ": " + problem;
        }
    }
    std::string where(const std::string& key) const { return m_path + "." + key; }

    const Json* member(const std::string& key) {
        const auto found = m_object.find(key);
        if (found == m_object.end()) {
            fail(key, "missing");
            return nullptr;
        }
        return &*found;
    }

    std::string text(const std::string& key) {
        const Json* value = member(key);
        if (value == nullptr) {
            return {};
        }
        if (!value->is_string()) {
            fail(key, "expected a string");
            return {};
        }
        return value->get<std::string>();
    }

    std::optional<std::string> optional_text(const std::string& key) {
        const Json* value = member(key);
        if (value == nullptr || value->is_null()) {
            return std::nullopt;
        }
        if (!value->is_string()) {
            fail(key, "expected a string or null");
            return std::nullopt;
        }
        return value->get<std::string>();
    }

    bool flag(const std::string& key) {
        const Json* value = member(key);
        if (value == nullptr) {
            return false;
        }
        if (!value->is_boolean()) {
            fail(key, "expected true or false");
            return false;
        }
        return value->get<bool>();
    }

    std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) {
        const Json* value = member(key);
        if (value == nullptr) {
            return 0;
        }
        return integer_of(key, *value, min, max);
    }

    std::optional<std::int64_t> optional_integer(const std::string& key, std::int64_t min,
                                                 std::int64_t max) {
        const Json* value = member(key);
        if (value == nullptr || value->is_null()) {
            return std::nullopt;
        }
        return integer_of(key, *value, min, max);
    }

    std::uint64_t counter(const std::string& key) {
        const Json* value = member(key);
        if (value == nullptr) {
            return 0;
        }
        if (!value->is_number_unsigned() &&
            !(value->is_number_integer() && value->get<std::int64_t>() >= 0)) {
            fail(key, "expected an integer >= 0");
            return 0;
        }
        return value->get<std::uint64_t>();
    }

private:
    std::int64_t integer_of(const std::string& key, const Json& value, std::int64_t min,
                            std::int64_t max) {
        if (!value.is_number_integer()) {
            fail(key, "expected an integer");
            return 0;
        }
        if (value.is_number_unsigned() &&
            value.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            fail(key, "out of range");
            return 0;
        }
        const auto number = value.get<std::int64_t>();
        if (number < min || number > max) {
            fail(key, "out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
            return 0;
        }
        return number;
    }

    const Json& m_object;
    std::string m_path;
    std::optional<std::string> m_error;
};

constexpr std::int64_t k_min_int64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t k_max_int64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t k_max_int = std::numeric_limits<int>::max();

TimePoint from_ms(std::int64_t ms) {
    return TimePoint{Milliseconds{ms}};
}

std::optional<TimePoint> optional_time(const std::optional<std::int64_t>& ms) {
    return ms ? std::optional<TimePoint>(from_ms(*ms)) : std::nullopt;
}

Result<IdentityStatus> read_status(const Json& json, const std::string& path) {
    if (!json.is_object()) {
        return Error{path + ": expected an object"};
    }
    Reader reader(json, path);
    IdentityStatus status;
    status.fingerprint = reader.text("fingerprint");
    const std::string state = reader.text("state");
    if (reader.ok()) {
        if (auto parsed = parse_identity_state(state)) {
            status.state = *parsed;
        } else {
            reader.fail("state", "unknown state \"" + state + "\"");
        }
    }
    status.since = from_ms(reader.integer("since_ms", k_min_int64, k_max_int64));
    status.entered_pending_at =
        from_ms(reader.integer("entered_pending_at_ms", k_min_int64, k_max_int64));
    status.deadline =
        optional_time(reader.optional_integer("deadline_ms", k_min_int64, k_max_int64));
    status.consecutive_failures =
        static_cast<int>(reader.integer("consecutive_failures", 0, k_max_int));
    status.first_failure_at =
        optional_time(reader.optional_integer("first_failure_at_ms", k_min_int64, k_max_int64));
    status.consecutive_successes =
        static_cast<int>(reader.integer("consecutive_successes", 0, k_max_int));
    status.indeterminate_since =
        optional_time(reader.optional_integer("indeterminate_since_ms", k_min_int64, k_max_int64));
    status.pending_overdue_raised = reader.flag("pending_overdue_raised");
    status.blind_raised = reader.flag("blind_raised");
    status.records_back_raised = reader.flag("records_back_raised");
    if (auto covered = reader.optional_integer("reminder_covered_ms", 0, k_max_int64)) {
        status.reminder_covered = Milliseconds{*covered};
    }
    status.checks_total = reader.counter("checks_total");
    status.failures_total = reader.counter("failures_total");
    status.indeterminate_total = reader.counter("indeterminate_total");
    status.last_check_at =
        optional_time(reader.optional_integer("last_check_at_ms", k_min_int64, k_max_int64));
    if (auto worst = reader.optional_text("last_worst")) {
        if (auto parsed = parse_severity(*worst)) {
            status.last_worst = *parsed;
        } else {
            reader.fail("last_worst", "unknown severity \"" + *worst + "\"");
        }
    }
    if (!reader.ok()) {
        return Error{reader.error()};
    }
    return status;
}

Result<StoredRecord> read_record(const Json& json, const std::string& path) {
    if (!json.is_object()) {
        return Error{path + ": expected an object"};
    }
    Reader reader(json, path);
    StoredRecord record;
    RecordVerdict& verdict = record.verdict;
    verdict.name = reader.text("name");
    verdict.type = reader.text("type");
    verdict.expected = reader.text("expected");
    verdict.observed = reader.optional_text("observed");
    const std::string code = reader.text("verdict");
    if (reader.ok()) {
        if (auto parsed = parse_verdict_code(code)) {
            verdict.code = *parsed;
        } else {
            reader.fail("verdict", "unknown verdict \"" + code + "\"");
        }
    }
    const std::string severity = reader.text("severity");
    if (reader.ok()) {
        if (auto parsed = parse_severity(severity)) {
            verdict.severity = *parsed;
        } else {
            reader.fail("severity", "unknown severity \"" + severity + "\"");
        }
    }
    verdict.message = reader.text("message");
    verdict.server = reader.text("server");
    verdict.latency = std::chrono::microseconds{reader.integer("latency_us", 0, k_max_int64)};
    record.checked_at = from_ms(reader.integer("checked_at_ms", k_min_int64, k_max_int64));
    if (!reader.ok()) {
        return Error{reader.error()};
    }
    return record;
}

Result<StoredIdentity> read_identity(const Json& json, const std::string& path) {
    if (!json.is_object()) {
        return Error{path + ": expected an object"};
    }
    Reader reader(json, path);
    StoredIdentity identity;
    identity.key.account = reader.text("account");
    identity.key.region = reader.text("region");
    identity.key.domain = reader.text("domain");
    if (reader.ok() && identity.key.domain.empty()) {
        reader.fail("domain", "empty");
    }
    const Json* status = reader.member("status");
    const Json* records = reader.member("records");
    if (!reader.ok()) {
        return Error{reader.error()};
    }
    auto parsed_status = read_status(*status, reader.where("status"));
    if (!parsed_status) {
        return Error{parsed_status.error()};
    }
    identity.status = std::move(parsed_status).value();
    if (!records->is_array()) {
        return Error{reader.where("records") + ": expected an array"};
    }
    for (std::size_t index = 0; index < records->size(); ++index) {
        auto record = read_record((*records)[index],
                                  reader.where("records") + "[" + std::to_string(index) + "]");
        if (!record) {
            return Error{record.error()};
        }
        identity.records.push_back(std::move(record).value());
    }
    return identity;
}

std::string last_check_text(const std::optional<TimePoint>& time) {
    return time ? format_utc_timestamp(*time) : "none";
}

} // namespace

std::string state_export_to_json(const StateExport& exported) {
    Json document = Json::object();
    document["format"] = k_state_export_format;
    document["version"] = k_state_export_version;
    document["exported_at_ms"] = to_ms(exported.exported_at);
    document["shard"] = shard_text(exported.shard);
    Json identities = Json::array();
    for (const auto& identity : exported.identities) {
        Json item = Json::object();
        item["account"] = identity.key.account;
        item["region"] = identity.key.region;
        item["domain"] = identity.key.domain;
        item["status"] = status_to_json(identity.status);
        Json records = Json::array();
        for (const auto& record : identity.records) {
            records.push_back(record_to_json(record));
        }
        item["records"] = std::move(records);
        identities.push_back(std::move(item));
    }
    document["identities"] = std::move(identities);
    return document.dump(2) + "\n";
}

Result<StateExport> parse_state_export(std::string_view text) {
    Json document;
    try {
        document = Json::parse(text);
    } catch (const Json::parse_error& error) {
        return Error{error.what()};
    }
    if (!document.is_object()) {
        return Error{"expected a JSON object (a dkimwatch state export)"};
    }
    Reader reader(document, "");
    const std::string format = reader.text("format");
    if (reader.ok() && format != k_state_export_format) {
        return Error{"not a dkimwatch state export (format \"" + format + "\", expected \"" +
                     std::string(k_state_export_format) + "\")"};
    }
    const std::int64_t version = reader.integer("version", 0, k_max_int64);
    if (reader.ok() && version != k_state_export_version) {
        return Error{"export version " + std::to_string(version) + " is not supported (this " +
                     "dkimwatch reads version " + std::to_string(k_state_export_version) + ")"};
    }
    StateExport exported;
    exported.exported_at = from_ms(reader.integer("exported_at_ms", k_min_int64, k_max_int64));
    const std::string shard = reader.text("shard");
    const Json* identities = reader.member("identities");
    if (!reader.ok()) {
        return Error{reader.error().substr(1)}; // no leading "." at the top level
    }
    if (auto parsed = parse_shard(shard)) {
        exported.shard = *parsed;
    } else {
        return Error{"shard: " + parsed.error()};
    }
    if (!identities->is_array()) {
        return Error{"identities: expected an array"};
    }
    std::set<IdentityKey> seen;
    for (std::size_t index = 0; index < identities->size(); ++index) {
        const std::string path = "identities[" + std::to_string(index) + "]";
        auto identity = read_identity((*identities)[index], path);
        if (!identity) {
            return Error{identity.error()};
        }
        if (!seen.insert(identity->key).second) {
            return Error{path + ": identity " + identity->key.to_string() + " is listed twice"};
        }
        exported.identities.push_back(std::move(identity).value());
    }
    return exported;
}

ImportPlan plan_state_import(std::span<const ExportFile> files, const ImportTarget& target) {
    ImportPlan plan;
    // The winning copy of each identity this process would take, and the file it is from.
    struct Candidate {
        const StoredIdentity* identity = nullptr;
        const std::string* file = nullptr;
    };
    std::map<IdentityKey, Candidate> chosen;
    std::map<IdentityKey, std::vector<std::string>> duplicate_lines;
    for (const auto& file : files) {
        for (const auto& identity : file.content.identities) {
            if (!shard_owns(target.shard, identity.key)) {
                ++plan.not_owned;
                continue;
            }
            const auto configured = target.configured.find(identity.key);
            if (configured == target.configured.end()) {
                ++plan.not_configured;
                continue;
            }
            if (configured->second != identity.status.fingerprint) {
                ++plan.fingerprint_differs;
                continue;
            }
            const auto [slot, inserted] =
                chosen.emplace(identity.key, Candidate{&identity, &file.name});
            if (inserted) {
                continue;
            }
            ++plan.duplicates;
            const StoredIdentity& held = *slot->second.identity;
            // nullopt (never checked) is older than any time; a tie keeps the earlier file.
            const bool newer = identity.status.last_check_at > held.status.last_check_at;
            const std::string& winner = newer ? file.name : *slot->second.file;
            const auto& winner_check =
                newer ? identity.status.last_check_at : held.status.last_check_at;
            const auto& loser_check =
                newer ? held.status.last_check_at : identity.status.last_check_at;
            duplicate_lines[identity.key].push_back(
                identity.key.to_string() + ": in " + *slot->second.file + " and " + file.name +
                ": took " + winner + "'s (last check " + last_check_text(winner_check) +
                " against " + last_check_text(loser_check) + ")");
            if (newer) {
                slot->second = Candidate{&identity, &file.name};
            }
        }
    }
    for (const auto& [key, candidate] : chosen) {
        for (auto& line : duplicate_lines[key]) {
            plan.conflicts.push_back(std::move(line));
        }
        const auto stored = target.stored.find(key);
        if (stored != target.stored.end()) {
            if (stored->second && !target.replace) {
                ++plan.kept_existing;
                plan.conflicts.push_back(key.to_string() +
                                         ": already in the state database: kept it (--replace "
                                         "takes " +
                                         *candidate.file + "'s)");
                continue;
            }
            plan.conflicts.push_back(key.to_string() + ": already in the state database" +
                                     (stored->second ? "" : " (inactive, so out of date)") +
                                     ": replaced by " + *candidate.file + "'s");
        }
        plan.write.push_back(*candidate.identity);
    }
    plan.imported = plan.write.size();
    return plan;
}

} // namespace dkimwatch
