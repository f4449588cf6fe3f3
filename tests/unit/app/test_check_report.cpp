#include "app/check_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace dkimwatch;

namespace {

Identity identity() {
    Identity id;
    id.domain = "example.com";
    id.account = "111122223333";
    id.region = "us-east-1";
    id.method = EasyDkim{{"tok1", "tok2", "tok3"}, "dkim.amazonses.com", false};
    return id;
}

RecordVerdict record(const std::string& token, VerdictCode code,
                     std::optional<std::string> observed) {
    RecordVerdict verdict;
    verdict.name = token + "._domainkey.example.com";
    verdict.type = "CNAME";
    verdict.expected = token + ".dkim.amazonses.com";
    verdict.observed = std::move(observed);
    verdict.code = code;
    verdict.severity = severity_of(code);
    verdict.message = "message for " + token;
    return verdict;
}

CheckRun sample(const Identity& id) {
    CheckRun run;
    run.checked_at = std::chrono::system_clock::time_point(std::chrono::seconds(1795694400));
    IdentityReport report;
    report.identity = &id;
    report.records = {record("tok1", VerdictCode::ok, "tok1.dkim.amazonses.com"),
                      record("tok2", VerdictCode::missing, std::nullopt)};
    report.worst = Severity::error;
    run.reports.push_back(report);
    return run;
}

} // namespace

TEST(CheckReport, JsonFollowsTheContract) {
    const Identity id = identity();
    const auto json = nlohmann::json::parse(render_check_json(sample(id)));
    EXPECT_EQ(json["checked_at"], "2026-11-26T12:00:00Z");
    const auto& entry = json["identities"][0];
    EXPECT_EQ(entry["domain"], "example.com");
    EXPECT_EQ(entry["account"], "111122223333");
    EXPECT_EQ(entry["region"], "us-east-1");
    EXPECT_EQ(entry["method"], "easy_dkim");
    EXPECT_EQ(entry["status"], "error");
    EXPECT_EQ(entry["records"][0]["verdict"], "ok");
    EXPECT_EQ(entry["records"][0]["observed"], "tok1.dkim.amazonses.com");
    EXPECT_TRUE(entry["records"][1]["observed"].is_null());
    EXPECT_EQ(entry["records"][1]["severity"], "error");
    EXPECT_EQ(entry["records"][1]["type"], "CNAME");
    EXPECT_EQ(entry["records"][1]["expected"], "tok2.dkim.amazonses.com");
}

TEST(CheckReport, StreamedJsonIsByteForByteOneDocumentIndentedByTwo) {
    // The streamed writer must print exactly what dumping one document would: same layout,
    // same escapes (quotes, control characters, invalid UTF-8 replaced), same number format;
    // JsonFollowsTheContract checks the fields.
    Identity second = identity();
    second.domain = "b.example";
    second.method = Byodkim{"sel1", {}, 2048, "public_key"};
    const Identity first = identity();
    CheckRun run = sample(first);
    IdentityReport odd;
    odd.identity = &second;
    odd.records = {record("sel1", VerdictCode::key_malformed,
                          std::string("p=\"x\"\n\ttab \xff end \xc3\xa9"))};
    odd.records[0].server = "127.0.0.1:53";
    odd.records[0].latency = std::chrono::microseconds{1250};
    odd.worst = Severity::error;
    run.reports.push_back(odd);
    IdentityReport empty;
    empty.identity = &first;
    run.reports.push_back(empty);

    // Parsing the streamed text and dumping it again as one document gives the same bytes
    // only if the layout, the escapes and the number formats are the ones of one document.
    using Json = nlohmann::ordered_json;
    const auto whole = [](const CheckRun& of) {
        return Json::parse(render_check_json(of)).dump(2, ' ', false) + "\n";
    };
    EXPECT_EQ(render_check_json(run), whole(run));
    CheckRun none;
    none.checked_at = run.checked_at;
    EXPECT_EQ(render_check_json(none), whole(none));
    EXPECT_NE(render_check_json(run).find("\"records\": []"), std::string::npos);
}

TEST(CheckReport, TextListsProblemsFirst) {
    const Identity id = identity();
    const std::string text = render_check_text(sample(id));
    const auto missing = text.find("missing");
    const auto ok = text.find("OK ");
    ASSERT_NE(missing, std::string::npos);
    ASSERT_NE(ok, std::string::npos);
    EXPECT_LT(missing, ok);
    EXPECT_NE(text.find("observed: (nothing)"), std::string::npos);
    EXPECT_NE(text.find("1 error, 0 unknown, 0 warning, 1 ok"), std::string::npos);
}

TEST(CheckReport, ExitCodesFollowMonitoringPlugins) {
    IdentityReport ok, warning, unknown, error;
    warning.worst = Severity::warning;
    unknown.worst = Severity::indeterminate;
    error.worst = Severity::error;
    EXPECT_EQ(check_exit_code({}), 0);
    EXPECT_EQ(check_exit_code({ok, ok}), 0);
    EXPECT_EQ(check_exit_code({ok, warning}), 1);
    EXPECT_EQ(check_exit_code({warning, unknown}), 3);
    EXPECT_EQ(check_exit_code({unknown, error, warning}), 2);
}

namespace dkimwatch {
namespace {

TEST(CheckReport, SesFindingsShowInJsonTextStatusAndExitCode) {
    const Identity id = identity();
    CheckRun run;
    run.checked_at = std::chrono::system_clock::time_point(std::chrono::seconds(1795694400));
    IdentityReport report;
    report.identity = &id;
    report.records = {record("tok1", VerdictCode::ok, "tok1.dkim.amazonses.com")};
    report.worst = Severity::ok;
    run.reports = {report, report};
    SesCheckInfo info;
    info.listed = true;
    info.status = "SUCCESS";
    info.signing_enabled = false;
    info.origin = "AWS_SES";
    info.synced_at = TimePoint{std::chrono::seconds(1795694340)};
    info.findings = {{SesFindingCode::signing_disabled, Severity::error, "switched off"}};
    run.ses = {info, std::nullopt};

    const auto json = nlohmann::json::parse(render_check_json(run));
    const auto& first = json["identities"][0];
    EXPECT_EQ(first["status"], "error"); // the finding, although every record is ok
    EXPECT_EQ(first["ses"]["status"], "SUCCESS");
    EXPECT_EQ(first["ses"]["signing_enabled"], false);
    EXPECT_EQ(first["ses"]["origin"], "AWS_SES");
    EXPECT_EQ(first["ses"]["synced_at"], "2026-11-26T11:59:00Z");
    ASSERT_EQ(first["ses"]["findings"].size(), 1u);
    EXPECT_EQ(first["ses"]["findings"][0]["code"], "signing_disabled");
    EXPECT_EQ(first["ses"]["findings"][0]["severity"], "error");
    EXPECT_EQ(first["ses"]["findings"][0]["message"], "switched off");
    EXPECT_TRUE(json["identities"][1]["ses"].is_null());
    EXPECT_EQ(json["identities"][1]["status"], "ok");
    EXPECT_EQ(json["ses_failures"], nlohmann::json::array());

    const std::string text = render_check_text(run);
    EXPECT_NE(text.find("signing_disabled"), std::string::npos);
    EXPECT_NE(text.find("switched off"), std::string::npos);
    EXPECT_EQ(check_run_exit_code(run), 2);

    run.ses[0]->findings = {{SesFindingCode::weak_signing_key, Severity::warning, "1024"}};
    EXPECT_EQ(check_run_exit_code(run), 1);
    run.ses_failures = {"prod us-east-1: AccessDenied (ses:ListEmailIdentities)"};
    EXPECT_EQ(check_run_exit_code(run), 3); // an unknown source outranks a warning
    EXPECT_NE(render_check_text(run).find("ses:ListEmailIdentities"), std::string::npos);
    run.ses[0]->findings = {};
    run.reports[1].worst = Severity::error;
    EXPECT_EQ(check_run_exit_code(run), 2); // an error outranks an unknown source
}

} // namespace
} // namespace dkimwatch

namespace {

AuthoritativeAnswer server_answer(const std::string& server, const std::string& address,
                                  VerdictCode verdict, std::optional<std::string> observed,
                                  std::optional<std::uint32_t> serial) {
    AuthoritativeAnswer answer;
    answer.server = server;
    answer.address = address;
    answer.verdict = verdict;
    answer.observed = std::move(observed);
    answer.aa = true;
    answer.serial = serial;
    answer.latency = std::chrono::microseconds{2500};
    return answer;
}

// tok1 served by ns1 but not by the lagging ns2; ns3 refuses the zone.
RecordVerdict split_record() {
    RecordVerdict split = record("tok1", VerdictCode::ns_split, "tok1.dkim.amazonses.com");
    split.zone = "example.com";
    split.dnssec = DnssecStatus::bogus;
    split.dnssec_reason = "RRSIG for example.com SOA expired";
    split.dnssec_expiry = std::chrono::system_clock::time_point(std::chrono::seconds(1795780800));
    split.dnssec_expiry_zone = "example.com";
    split.authoritative = {server_answer("ns1.example.net", "192.0.2.1", VerdictCode::ok,
                                         "tok1.dkim.amazonses.com", 2026120301U),
                           server_answer("ns2.example.net", "2001:db8::2", VerdictCode::missing,
                                         std::nullopt, 2026113000U),
                           server_answer("ns3.example.net", "192.0.2.3", VerdictCode::dns_error,
                                         std::nullopt, std::nullopt)};
    split.authoritative[2].aa = false;
    split.authoritative[2].lame = true;
    split.authoritative[2].detail = "refused";
    return split;
}

} // namespace

TEST(CheckReport, JsonCarriesDnssecAndTheAuthoritativeServers) {
    const Identity id = identity();
    CheckRun run = sample(id);
    run.reports[0].records[0] = split_record();
    const auto json = nlohmann::json::parse(render_check_json(run));
    const auto& split = json["identities"][0]["records"][0];
    EXPECT_EQ(split["verdict"], "ns_split");
    EXPECT_EQ(split["severity"], "error");
    EXPECT_EQ(split["dnssec"], "bogus");
    EXPECT_EQ(split["dnssec_reason"], "RRSIG for example.com SOA expired");
    EXPECT_EQ(split["dnssec_expiry"], "2026-11-27T12:00:00Z");
    EXPECT_EQ(split["dnssec_expiry_zone"], "example.com");
    EXPECT_EQ(split["zone"], "example.com");
    EXPECT_EQ(split["authoritative_indeterminate"], false);
    ASSERT_EQ(split["authoritative"].size(), 3U);
    const auto& ns1 = split["authoritative"][0];
    EXPECT_EQ(ns1["server"], "ns1.example.net");
    EXPECT_EQ(ns1["address"], "192.0.2.1");
    EXPECT_EQ(ns1["verdict"], "ok");
    EXPECT_EQ(ns1["observed"], "tok1.dkim.amazonses.com");
    EXPECT_EQ(ns1["aa"], true);
    EXPECT_EQ(ns1["serial"], 2026120301U);
    EXPECT_DOUBLE_EQ(ns1["latency_ms"].get<double>(), 2.5);
    EXPECT_EQ(ns1["lame"], false);
    EXPECT_EQ(ns1["detail"], "");
    const auto& ns2 = split["authoritative"][1];
    EXPECT_EQ(ns2["address"], "2001:db8::2");
    EXPECT_EQ(ns2["verdict"], "missing");
    EXPECT_TRUE(ns2["observed"].is_null());
    const auto& ns3 = split["authoritative"][2];
    EXPECT_EQ(ns3["lame"], true);
    EXPECT_EQ(ns3["aa"], false);
    EXPECT_TRUE(ns3["serial"].is_null());
    EXPECT_EQ(ns3["detail"], "refused");
    EXPECT_EQ(ns3["verdict"], "dns_error");
}

TEST(CheckReport, JsonWithAuthoritativeAndDnssecOff) {
    const Identity id = identity();
    const auto json = nlohmann::json::parse(render_check_json(sample(id)));
    const auto& plain = json["identities"][0]["records"][1];
    ASSERT_TRUE(plain.contains("dnssec"));
    EXPECT_TRUE(plain["dnssec"].is_null());
    EXPECT_EQ(plain["dnssec_reason"], "");
    EXPECT_TRUE(plain["dnssec_expiry"].is_null());
    EXPECT_TRUE(plain["dnssec_expiry_zone"].is_null());
    EXPECT_TRUE(plain["zone"].is_null());
    ASSERT_TRUE(plain["authoritative"].is_array());
    EXPECT_TRUE(plain["authoritative"].empty());
    EXPECT_EQ(plain["authoritative_indeterminate"], false);
    ASSERT_TRUE(plain.contains("cached_answer_ttl_seconds"));
    EXPECT_TRUE(plain["cached_answer_ttl_seconds"].is_null());
}

// The resolvers' remaining cache TTL is not in the message (which replicas must agree on):
// check shows it in both formats, under the record's message.
TEST(CheckReport, ShowsHowLongTheResolversMayServeTheirCachedAnswer) {
    const Identity id = identity();
    CheckRun run = sample(id);
    run.reports[0].records[1].cached_answer_ttl = std::chrono::seconds(3540);
    const auto json = nlohmann::json::parse(render_check_json(run));
    EXPECT_EQ(json["identities"][0]["records"][1]["cached_answer_ttl_seconds"], 3540);
    EXPECT_TRUE(json["identities"][0]["records"][0]["cached_answer_ttl_seconds"].is_null());
    const std::string text = render_check_text(run);
    EXPECT_NE(text.find("         message for tok2\n"
                        "         resolvers' cached answer: up to 59m (3540 seconds) left\n"),
              std::string::npos)
        << text;
}

TEST(CheckReport, JsonMarksAnUnreachableAuthoritativePart) {
    const Identity id = identity();
    CheckRun run = sample(id);
    auto& record = run.reports[0].records[0];
    record.zone = "example.com";
    record.dnssec = DnssecStatus::insecure;
    record.authoritative_indeterminate = true;
    const auto json = nlohmann::json::parse(render_check_json(run));
    const auto& entry = json["identities"][0]["records"][0];
    EXPECT_EQ(entry["authoritative_indeterminate"], true);
    EXPECT_EQ(entry["dnssec"], "insecure");
    EXPECT_EQ(entry["zone"], "example.com");
    // The streamed layout stays that of one document with the new fields.
    using Json = nlohmann::ordered_json;
    EXPECT_EQ(render_check_json(run),
              Json::parse(render_check_json(run)).dump(2, ' ', false) + "\n");
}

TEST(CheckReport, TextShowsThePerServerSplitUnderTheRecord) {
    const Identity id = identity();
    CheckRun run = sample(id);
    run.reports[0].records[0] = split_record();
    const std::string text = render_check_text(run);
    const auto head = text.find("ns_split");
    ASSERT_NE(head, std::string::npos) << text;
    const std::string block = "         authoritative servers of example.com:\n"
                              "           ns1.example.net  192.0.2.1    serial 2026120301  ok"
                              "       tok1.dkim.amazonses.com\n"
                              "           ns2.example.net  2001:db8::2  serial 2026113000  missing"
                              "  (nothing)\n"
                              "           ns3.example.net  192.0.2.3    serial -           lame"
                              "     refused\n";
    const auto servers = text.find(block);
    ASSERT_NE(servers, std::string::npos) << text;
    EXPECT_LT(head, servers);
    // Under the ns_split record, before the next record's line.
    const auto next = text.find("CNAME tok2._domainkey.example.com");
    ASSERT_NE(next, std::string::npos) << text;
    EXPECT_LT(servers, next) << text;
}

TEST(CheckReport, TextOmitsServersThatAgree) {
    const Identity id = identity();
    CheckRun run = sample(id);
    auto& record = run.reports[0].records[0];
    record.zone = "example.com";
    record.authoritative = {server_answer("ns1.example.net", "192.0.2.1", VerdictCode::ok,
                                          "tok1.dkim.amazonses.com", 7U),
                            server_answer("ns2.example.net", "192.0.2.2", VerdictCode::ok,
                                          "tok1.dkim.amazonses.com", 7U)};
    EXPECT_EQ(render_check_text(run).find("authoritative servers"), std::string::npos);
    // A lame server shows even when the others agree, and so does a different value.
    run.reports[0].records[0].authoritative[1].lame = true;
    EXPECT_NE(render_check_text(run).find("authoritative servers"), std::string::npos);
    run.reports[0].records[0].authoritative[1].lame = false;
    run.reports[0].records[0].authoritative[1].observed = "other.example";
    EXPECT_NE(render_check_text(run).find("other.example"), std::string::npos);
}

// A shard names itself in both formats (and how many identities other shards own); the whole
// inventory (1/1) adds nothing, so the JSON of unsharded runs is unchanged.
TEST(CheckReport, AShardNamesItselfInJsonAndText) {
    const Identity id = identity();
    CheckRun run = sample(id);
    auto json = nlohmann::json::parse(render_check_json(run));
    EXPECT_FALSE(json.contains("shard"));
    EXPECT_FALSE(json.contains("shard_skipped"));
    EXPECT_EQ(render_check_text(run).find("shard"), std::string::npos);

    run.shard = {2, 4};
    run.shard_skipped = 7;
    const std::string text = render_check_json(run);
    json = nlohmann::json::parse(text);
    EXPECT_EQ(json["shard"], "2/4");
    EXPECT_EQ(json["shard_skipped"], 7);
    EXPECT_EQ(json["identities"].size(), 1u);
    EXPECT_EQ(text.substr(0, text.find("\"identities\"")),
              "{\n  \"checked_at\": \"2026-11-26T12:00:00Z\",\n  \"shard\": \"2/4\",\n"
              "  \"shard_skipped\": 7,\n  ");
    EXPECT_NE(render_check_text(run).find(
                  "\nshard 2/4: 7 identities of the inventory belong to other shards and were "
                  "not checked\n\n"),
              std::string::npos)
        << render_check_text(run);
}
