#include "../store/store_test_support.hpp"
#include "app/state_transfer.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using store_test::full_status;
using store_test::k_t0;

StoredRecord stored_record(std::string name, VerdictCode code, Severity severity,
                           std::optional<std::string> observed, TimePoint at) {
    StoredRecord record;
    record.verdict = store_test::record(std::move(name), code, severity, std::move(observed));
    record.checked_at = at;
    return record;
}

StoredIdentity identity(const std::string& domain, const std::string& fingerprint = "fp",
                        std::optional<TimePoint> last_check = k_t0) {
    StoredIdentity result;
    result.key = {"111122223333", "us-east-1", domain};
    result.status.fingerprint = fingerprint;
    result.status.state = IdentityState::verified;
    result.status.since = k_t0 - 1h;
    result.status.last_check_at = last_check;
    return result;
}

// Every field away from its default, every optional set, and a record with each optional
// absent and one with it present.
StateExport full_export() {
    StateExport exported;
    exported.exported_at = k_t0 + 17ms;
    exported.shard = Shard{3, 4};
    StoredIdentity first;
    first.key = {"111122223333", "eu-west-1", "example.com"};
    first.status = full_status();
    first.records.push_back(stored_record("a._domainkey.example.com", VerdictCode::missing,
                                          Severity::error, std::nullopt, k_t0 + 3min));
    first.records.push_back(stored_record("b._domainkey.example.com", VerdictCode::dnssec_expiring,
                                          Severity::warning, "b.dkim.amazonses.com.", k_t0 + 3min));
    exported.identities.push_back(first);
    StoredIdentity second; // all defaults: optionals absent, no records, no account
    second.key = {"", "", "plain.example"};
    exported.identities.push_back(second);
    return exported;
}

// Field by field: StoredIdentity and RecordVerdict have no operator==. The store keeps these
// record fields (no DNSSEC or authoritative details), so the export carries these.
void expect_same(const StateExport& actual, const StateExport& expected) {
    EXPECT_EQ(actual.exported_at, expected.exported_at);
    EXPECT_EQ(actual.shard, expected.shard);
    ASSERT_EQ(actual.identities.size(), expected.identities.size());
    for (std::size_t index = 0; index < expected.identities.size(); ++index) {
        const StoredIdentity& a = actual.identities[index];
        const StoredIdentity& e = expected.identities[index];
        EXPECT_EQ(a.key, e.key);
        EXPECT_EQ(a.status, e.status) << e.key.to_string();
        ASSERT_EQ(a.records.size(), e.records.size());
        for (std::size_t r = 0; r < e.records.size(); ++r) {
            const RecordVerdict& av = a.records[r].verdict;
            const RecordVerdict& ev = e.records[r].verdict;
            EXPECT_EQ(av.name, ev.name);
            EXPECT_EQ(av.type, ev.type);
            EXPECT_EQ(av.expected, ev.expected);
            EXPECT_EQ(av.observed, ev.observed);
            EXPECT_EQ(av.code, ev.code);
            EXPECT_EQ(av.severity, ev.severity);
            EXPECT_EQ(av.message, ev.message);
            EXPECT_EQ(av.server, ev.server);
            EXPECT_EQ(av.latency, ev.latency);
            EXPECT_EQ(a.records[r].checked_at, e.records[r].checked_at);
        }
    }
}

TEST(StateTransfer, RoundTripKeepsEveryField) {
    const StateExport exported = full_export();
    const std::string text = state_export_to_json(exported);
    auto parsed = parse_state_export(text);
    ASSERT_TRUE(parsed) << parsed.error();
    // `active` is not part of the document: it reads back as the default, like list_identities.
    expect_same(*parsed, exported);
    EXPECT_EQ(parsed->identities[0].status, full_status());
    // Stable: the parsed document writes the same text.
    EXPECT_EQ(state_export_to_json(*parsed), text);
}

TEST(StateTransfer, DocumentNamesItsFormatVersionAndTimesInMilliseconds) {
    const auto json = nlohmann::json::parse(state_export_to_json(full_export()));
    EXPECT_EQ(json["format"], "dkimwatch-state-export");
    EXPECT_EQ(json["version"], 1);
    EXPECT_EQ(json["shard"], "3/4");
    const auto& status = json["identities"][0]["status"];
    EXPECT_EQ(status["state"], "revocation_warning");
    EXPECT_EQ(status["deadline_ms"], (k_t0 + 120h + 7ms).time_since_epoch().count());
    EXPECT_EQ(status["reminder_covered_ms"], 48 * 3600 * 1000);
    EXPECT_EQ(status["last_worst"], "indeterminate");
    EXPECT_TRUE(json["identities"][1]["status"]["deadline_ms"].is_null());
    EXPECT_EQ(json["identities"][0]["records"][1]["verdict"], "dnssec_expiring");
}

std::string export_with(const std::string& path, const nlohmann::json& value) {
    auto json = nlohmann::json::parse(state_export_to_json(full_export()));
    json[nlohmann::json::json_pointer(path)] = value;
    return json.dump();
}

std::string error_of(const std::string& text) {
    auto parsed = parse_state_export(text);
    return parsed ? std::string("(parsed)") : parsed.error();
}

TEST(StateTransfer, BadFilesSayWhereAndWhy) {
    const std::string malformed = error_of("{\n  \"format\": \"dkimwatch-state-export\",\n  x\n}");
    EXPECT_NE(malformed.find("syntax error"), std::string::npos) << malformed;
    EXPECT_NE(malformed.find("line 3, column 3"), std::string::npos) << malformed;
    EXPECT_EQ(error_of("[]"), "expected a JSON object (a dkimwatch state export)");
    EXPECT_EQ(error_of(export_with("/format", "other")),
              "not a dkimwatch state export (format \"other\", expected "
              "\"dkimwatch-state-export\")");
    EXPECT_EQ(error_of(export_with("/version", 2)),
              "export version 2 is not supported (this dkimwatch reads version 1)");
    EXPECT_EQ(error_of(export_with("/shard", "5/4")).rfind("shard: ", 0), 0u);
    EXPECT_EQ(error_of(export_with("/identities/0/status/state", "bogus")),
              "identities[0].status.state: unknown state \"bogus\"");
    EXPECT_EQ(error_of(export_with("/identities/0/status/since_ms", "noon")),
              "identities[0].status.since_ms: expected an integer");
    EXPECT_EQ(error_of(export_with("/identities/0/status/checks_total", -1)),
              "identities[0].status.checks_total: expected an integer >= 0");
    EXPECT_EQ(error_of(export_with("/identities/0/status/consecutive_failures", -1)),
              "identities[0].status.consecutive_failures: out of range (0 to 2147483647)");
    EXPECT_EQ(error_of(export_with("/identities/0/records/1/verdict", "nope")),
              "identities[0].records[1].verdict: unknown verdict \"nope\"");
    EXPECT_EQ(error_of(export_with("/identities/1/domain", "")), "identities[1].domain: empty");

    auto json = nlohmann::json::parse(state_export_to_json(full_export()));
    json["identities"][0]["status"].erase("blind_raised");
    EXPECT_EQ(error_of(json.dump()), "identities[0].status.blind_raised: missing");
    json = nlohmann::json::parse(state_export_to_json(full_export()));
    json.erase("identities");
    EXPECT_EQ(error_of(json.dump()), "identities: missing");
    json = nlohmann::json::parse(state_export_to_json(full_export()));
    json["identities"].push_back(json["identities"][0]);
    EXPECT_EQ(error_of(json.dump()),
              "identities[2]: identity 111122223333/eu-west-1/example.com is listed twice");
}

TEST(StateTransfer, UnknownKeysAreIgnored) {
    auto json = nlohmann::json::parse(state_export_to_json(full_export()));
    json["comment"] = "from a newer dkimwatch";
    json["identities"][0]["status"]["future_field"] = 1;
    auto parsed = parse_state_export(json.dump());
    ASSERT_TRUE(parsed) << parsed.error();
    expect_same(*parsed, full_export());
}

// A target that lists `domains` with fingerprint "fp".
ImportTarget target_of(Shard shard, const std::vector<std::string>& domains) {
    ImportTarget target;
    target.shard = shard;
    for (const auto& domain : domains) {
        target.configured.emplace(identity(domain).key, "fp");
    }
    return target;
}

std::vector<std::string> domains_of(const ImportPlan& plan) {
    std::vector<std::string> domains;
    for (const auto& item : plan.write) {
        domains.push_back(item.key.domain);
    }
    return domains;
}

TEST(StateTransfer, ImportKeepsOnlyWhatTheShardOwns) {
    std::vector<std::string> domains;
    ExportFile file{"all.json", {}};
    for (int index = 0; index < 40; ++index) {
        domains.push_back("d" + std::to_string(index) + ".example");
        file.content.identities.push_back(identity(domains.back()));
    }
    const std::vector<ExportFile> files{file};
    std::size_t total = 0;
    for (std::uint32_t index = 1; index <= 5; ++index) {
        const Shard shard{index, 5};
        const ImportPlan plan = plan_state_import(files, target_of(shard, domains));
        for (const auto& item : plan.write) {
            EXPECT_TRUE(shard_owns(shard, item.key)) << item.key.to_string();
        }
        EXPECT_EQ(plan.imported, plan.write.size());
        EXPECT_EQ(plan.imported + plan.not_owned, 40u);
        EXPECT_TRUE(plan.conflicts.empty());
        total += plan.imported;
    }
    EXPECT_EQ(total, 40u); // every identity lands on exactly one of the five
}

TEST(StateTransfer, ImportSkipsUnconfiguredAndDifferentlyConfigured) {
    ExportFile file{"a.json", {}};
    file.content.identities = {identity("kept.example"), identity("gone.example"),
                               identity("changed.example", "old-fingerprint")};
    const std::vector<ExportFile> files{file};
    const ImportPlan plan =
        plan_state_import(files, target_of(Shard{}, {"kept.example", "changed.example"}));
    EXPECT_EQ(domains_of(plan), std::vector<std::string>{"kept.example"});
    EXPECT_EQ(plan.not_configured, 1u);
    EXPECT_EQ(plan.fingerprint_differs, 1u);
    EXPECT_EQ(plan.write[0].status, file.content.identities[0].status);
}

TEST(StateTransfer, TheNewerLastCheckWinsAcrossFiles) {
    ExportFile older{"old.json", {}};
    ExportFile newer{"new.json", {}};
    ExportFile never{"never.json", {}};
    StoredIdentity stale = identity("x.example", "fp", k_t0);
    StoredIdentity fresh = identity("x.example", "fp", k_t0 + 1h);
    fresh.status.state = IdentityState::revocation_warning;
    fresh.status.deadline = k_t0 + 100h;
    older.content.identities = {stale};
    newer.content.identities = {fresh};
    never.content.identities = {identity("x.example", "fp", std::nullopt)};

    for (const auto& order : {std::vector<ExportFile>{older, newer, never},
                              std::vector<ExportFile>{never, newer, older}}) {
        const ImportPlan plan = plan_state_import(order, target_of(Shard{}, {"x.example"}));
        ASSERT_EQ(plan.write.size(), 1u);
        EXPECT_EQ(plan.write[0].status, fresh.status);
        EXPECT_EQ(plan.duplicates, 2u);
        ASSERT_EQ(plan.conflicts.size(), 2u);
        for (const auto& line : plan.conflicts) {
            EXPECT_NE(line.find("111122223333/us-east-1/x.example: in "), std::string::npos)
                << line;
            EXPECT_NE(line.find("took new.json's"), std::string::npos) << line;
        }
    }
    // A tie keeps the file given first.
    ExportFile twin{"twin.json", {}};
    StoredIdentity same = stale;
    same.status.checks_total = 99;
    twin.content.identities = {same};
    const ImportPlan plan =
        plan_state_import(std::vector<ExportFile>{older, twin}, target_of(Shard{}, {"x.example"}));
    ASSERT_EQ(plan.write.size(), 1u);
    EXPECT_EQ(plan.write[0].status, stale.status);
    EXPECT_EQ(plan.conflicts,
              std::vector<std::string>{"111122223333/us-east-1/x.example: in old.json and "
                                       "twin.json: took old.json's (last check "
                                       "2024-05-01T12:00:00Z against 2024-05-01T12:00:00Z)"});
}

TEST(StateTransfer, AnIdentityTheDatabaseHasIsKeptUnlessReplace) {
    ExportFile file{"a.json", {}};
    file.content.identities = {identity("active.example"), identity("inactive.example"),
                               identity("new.example")};
    const std::vector<ExportFile> files{file};
    ImportTarget target = target_of(Shard{}, {"active.example", "inactive.example", "new.example"});
    target.stored = {{identity("active.example").key, true},
                     {identity("inactive.example").key, false}};

    ImportPlan plan = plan_state_import(files, target);
    EXPECT_EQ(domains_of(plan), (std::vector<std::string>{"inactive.example", "new.example"}));
    EXPECT_EQ(plan.kept_existing, 1u);
    EXPECT_EQ(plan.conflicts,
              (std::vector<std::string>{
                  "111122223333/us-east-1/active.example: already in the state database: kept "
                  "it (--replace takes a.json's)",
                  "111122223333/us-east-1/inactive.example: already in the state database "
                  "(inactive, so out of date): replaced by a.json's"}));

    target.replace = true;
    plan = plan_state_import(files, target);
    EXPECT_EQ(domains_of(plan),
              (std::vector<std::string>{"active.example", "inactive.example", "new.example"}));
    EXPECT_EQ(plan.kept_existing, 0u);
    EXPECT_EQ(plan.conflicts[0], "111122223333/us-east-1/active.example: already in the state "
                                 "database: replaced by a.json's");
}

// What import writes reads back from a real database exactly (every status field and record).
TEST(StateTransfer, ImportedStatusesReadBackFromTheStore) {
    store_test::TempDir dir;
    auto store = store_test::open_store(dir.db());
    ASSERT_NE(store, nullptr);
    const StateExport exported = full_export();
    std::vector<CheckToSave> batch;
    for (const auto& item : exported.identities) {
        CheckToSave save;
        save.key = item.key;
        save.status = item.status;
        for (const auto& record : item.records) {
            save.records.push_back(record.verdict);
            save.checked_at = record.checked_at;
        }
        batch.push_back(save);
    }
    ASSERT_TRUE(store->save(batch));
    auto listed = store->list_identities();
    ASSERT_TRUE(listed) << listed.error();
    StateExport again = exported;
    again.identities = *listed;
    std::sort(again.identities.begin(), again.identities.end(),
              [](const StoredIdentity& a, const StoredIdentity& b) { return a.key > b.key; });
    expect_same(again, exported);
    auto activity = store->identity_activity();
    ASSERT_TRUE(activity) << activity.error();
    EXPECT_EQ(activity->size(), 2u);
    ASSERT_TRUE(store->set_active_identities(std::vector<IdentityKey>{exported.identities[1].key}));
    activity = store->identity_activity();
    ASSERT_TRUE(activity) << activity.error();
    EXPECT_EQ(*activity, (std::map<IdentityKey, bool>{{exported.identities[0].key, false},
                                                      {exported.identities[1].key, true}}));
}

} // namespace
} // namespace dkimwatch
