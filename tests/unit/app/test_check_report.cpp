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
