#include "app/check_report.hpp"
#include "app/inspect_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace dkimwatch;

namespace {

using Json = nlohmann::ordered_json;

// The key record of the domain signature: a TXT at sel1, with DNSSEC and authoritative
// evidence so that every field of the record object is exercised.
RecordVerdict key_record() {
    RecordVerdict verdict;
    verdict.name = "sel1._domainkey.example.com";
    verdict.type = "TXT";
    verdict.expected = "a valid RSA public key (none configured)";
    verdict.observed = "v=DKIM1; k=rsa; p=";
    verdict.code = VerdictCode::key_revoked;
    verdict.severity = Severity::error;
    verdict.message = "the key record has an empty p=: the key is revoked";
    verdict.server = "127.0.0.1:5300";
    verdict.latency = std::chrono::microseconds(1500);
    verdict.dnssec = DnssecStatus::secure;
    verdict.dnssec_expiry = std::chrono::system_clock::time_point(std::chrono::seconds(1795694400));
    verdict.dnssec_expiry_zone = "example.com";
    verdict.zone = "example.com";
    AuthoritativeAnswer answer;
    answer.server = "ns1.example.com";
    answer.address = "127.0.0.2";
    answer.verdict = VerdictCode::key_revoked;
    answer.observed = "v=DKIM1; k=rsa; p=";
    answer.aa = true;
    answer.serial = 7;
    verdict.authoritative.push_back(answer);
    return verdict;
}

// Two signatures: SES's (passing, with t=, x= and l=, and no record verdict, as when nothing
// was looked up) and the domain's (permerror, revoked key).
InspectFacts sample_facts() {
    InspectFacts facts;
    facts.from_domain = "example.com";

    InspectedSignature ses;
    ses.check.header_index = 3;
    ses.check.domain = "amazonses.com";
    ses.check.selector = "224i4yxa5dv7c2xz3womw6peuasteono";
    ses.check.algorithm = "rsa-sha256";
    ses.check.canonicalization = "relaxed/simple";
    ses.check.agent_identifier = "@amazonses.com";
    ses.check.signed_header_fields = {"from", "to", "subject", "date"};
    ses.check.signed_at = 1795694400;  // 2026-11-26T12:00:00Z
    ses.check.expires_at = 1795780800; // 2026-11-27T12:00:00Z
    ses.check.body_length = 120;
    ses.check.canonical_body_length = 300;
    ses.check.result = SignatureResult::pass;
    ses.check.partial_body = true;
    ses.check.key_bits = 1024;
    facts.signatures.push_back(ses);

    InspectedSignature domain;
    domain.check.header_index = 4;
    domain.check.domain = "example.com";
    domain.check.selector = "sel1";
    domain.check.algorithm = "rsa-sha256";
    domain.check.canonicalization = "simple/simple";
    domain.check.agent_identifier = "@example.com";
    domain.check.signed_header_fields = {"from"};
    domain.check.result = SignatureResult::permerror;
    domain.check.failure = SignatureFailure::key;
    domain.check.reason = "the key record is revoked (empty p=)";
    domain.alignment = {true, true};
    domain.record = key_record();
    facts.signatures.push_back(domain);

    AuthenticationResult result;
    result.authserv_id = "mx.example.net";
    result.method = "dkim";
    result.result = "fail";
    result.header_d = "example.com";
    result.header_s = "sel1";
    result.reason = "key revoked";
    facts.authentication_results.push_back(result);

    facts.config_given = true;
    facts.state_known = true;
    CoveringIdentity identity;
    identity.account = "111122223333";
    identity.region = "eu-west-1";
    identity.domain = "example.com";
    identity.easy_dkim = false;
    identity.selectors = {"sel1"};
    identity.state = IdentityState::revocation_warning;
    identity.state_since = TimePoint(std::chrono::milliseconds(1795694400000));
    identity.deadline = TimePoint(std::chrono::milliseconds(1796299200000));
    identity.state_reason = "sel1._domainkey.example.com: key_revoked";
    identity.ses_known = true;
    identity.ses_findings.push_back(
        {SesFindingCode::signing_disabled, Severity::error, "SES has DKIM signing off"});
    facts.identities.push_back(identity);
    return facts;
}

std::vector<InspectDiagnosis> sample_diagnosis() {
    return {{"record_key_revoked", Severity::error, "The key record is revoked."},
            {"partial_body", Severity::warning, "l= is present."}};
}

std::vector<std::string> keys_of(const Json& object) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : object.items()) {
        keys.push_back(key);
    }
    return keys;
}

} // namespace

TEST(InspectReport, JsonHasTheContractsKeysInOrder) {
    const Json json = Json::parse(render_inspect_json(sample_facts(), sample_diagnosis(), 2));
    EXPECT_EQ(keys_of(json), (std::vector<std::string>{"from_domain", "from_error", "signatures",
                                                       "authentication_results", "identities",
                                                       "diagnosis", "exit_code"}));
    EXPECT_EQ(keys_of(json["signatures"][0]),
              (std::vector<std::string>{"d", "s", "a", "c", "i", "h", "t", "x", "l", "result",
                                        "failure", "reason", "aligned", "aligned_strict", "expired",
                                        "partial_body", "testing_key", "key_bits", "record"}));
    EXPECT_EQ(keys_of(json["authentication_results"][0]),
              (std::vector<std::string>{"authserv_id", "method", "result", "header_d", "header_s",
                                        "reason"}));
    EXPECT_EQ(keys_of(json["identities"][0]),
              (std::vector<std::string>{"account", "region", "domain", "state", "since", "deadline",
                                        "ses_findings"}));
    EXPECT_EQ(keys_of(json["diagnosis"][0]),
              (std::vector<std::string>{"code", "severity", "message"}));
}

TEST(InspectReport, JsonValuesAndTypes) {
    const Json json = Json::parse(render_inspect_json(sample_facts(), sample_diagnosis(), 2));
    EXPECT_EQ(json["from_domain"], "example.com");
    EXPECT_EQ(json["from_error"], "");
    EXPECT_EQ(json["exit_code"], 2);

    const Json& ses = json["signatures"][0];
    EXPECT_EQ(ses["d"], "amazonses.com");
    EXPECT_EQ(ses["s"], "224i4yxa5dv7c2xz3womw6peuasteono");
    EXPECT_EQ(ses["a"], "rsa-sha256");
    EXPECT_EQ(ses["c"], "relaxed/simple");
    EXPECT_EQ(ses["i"], "@amazonses.com");
    EXPECT_EQ(ses["h"], Json({"from", "to", "subject", "date"}));
    EXPECT_EQ(ses["t"], "2026-11-26T12:00:00Z");
    EXPECT_EQ(ses["x"], "2026-11-27T12:00:00Z");
    ASSERT_TRUE(ses["l"].is_number_unsigned());
    EXPECT_EQ(ses["l"], 120);
    EXPECT_EQ(ses["result"], "pass");
    EXPECT_EQ(ses["failure"], "none");
    EXPECT_EQ(ses["reason"], "");
    EXPECT_EQ(ses["aligned"], false);
    EXPECT_EQ(ses["aligned_strict"], false);
    EXPECT_EQ(ses["expired"], false);
    EXPECT_EQ(ses["partial_body"], true);
    EXPECT_EQ(ses["testing_key"], false);
    EXPECT_EQ(ses["key_bits"], 1024);
    EXPECT_TRUE(ses["record"].is_null());

    const Json& domain = json["signatures"][1];
    EXPECT_TRUE(domain["t"].is_null());
    EXPECT_TRUE(domain["x"].is_null());
    EXPECT_TRUE(domain["l"].is_null());
    EXPECT_EQ(domain["result"], "permerror");
    EXPECT_EQ(domain["failure"], "key");
    EXPECT_EQ(domain["reason"], "the key record is revoked (empty p=)");
    EXPECT_EQ(domain["aligned"], true);
    EXPECT_EQ(domain["aligned_strict"], true);
    ASSERT_TRUE(domain["record"].is_object());
    EXPECT_EQ(domain["record"]["verdict"], "key_revoked");

    const Json& result = json["authentication_results"][0];
    EXPECT_EQ(result["authserv_id"], "mx.example.net");
    EXPECT_EQ(result["method"], "dkim");
    EXPECT_EQ(result["result"], "fail");
    EXPECT_EQ(result["header_d"], "example.com");
    EXPECT_EQ(result["header_s"], "sel1");
    EXPECT_EQ(result["reason"], "key revoked");

    const Json& identity = json["identities"][0];
    EXPECT_EQ(identity["account"], "111122223333");
    EXPECT_EQ(identity["region"], "eu-west-1");
    EXPECT_EQ(identity["domain"], "example.com");
    EXPECT_EQ(identity["state"], "revocation_warning");
    EXPECT_EQ(identity["since"], "2026-11-26T12:00:00Z");
    EXPECT_EQ(identity["deadline"], "2026-12-03T12:00:00Z");
    EXPECT_EQ(identity["ses_findings"],
              Json::parse(R"([{"code": "signing_disabled", "severity": "error",
                               "message": "SES has DKIM signing off"}])"));

    EXPECT_EQ(json["diagnosis"][0]["code"], "record_key_revoked");
    EXPECT_EQ(json["diagnosis"][0]["severity"], "error");
    EXPECT_EQ(json["diagnosis"][0]["message"], "The key record is revoked.");
    EXPECT_EQ(json["diagnosis"][1]["severity"], "warning");
}

TEST(InspectReport, JsonNullsWhenNothingIsKnown) {
    InspectFacts facts;
    facts.from_error = "no From: header field";
    CoveringIdentity identity;
    identity.account = "a";
    identity.region = "r";
    identity.domain = "example.com";
    facts.identities.push_back(identity);
    const Json json = Json::parse(render_inspect_json(facts, {}, 2));
    EXPECT_TRUE(json["from_domain"].is_null());
    EXPECT_EQ(json["from_error"], "no From: header field");
    EXPECT_EQ(json["signatures"], Json::array());
    EXPECT_EQ(json["authentication_results"], Json::array());
    EXPECT_EQ(json["diagnosis"], Json::array());
    EXPECT_TRUE(json["identities"][0]["state"].is_null());
    EXPECT_TRUE(json["identities"][0]["since"].is_null());
    EXPECT_TRUE(json["identities"][0]["deadline"].is_null());
    EXPECT_EQ(json["identities"][0]["ses_findings"], Json::array());
}

TEST(InspectReport, RecordObjectIsChecksForTheSameVerdict) {
    const InspectFacts facts = sample_facts();
    const std::string inspect = render_inspect_json(facts, sample_diagnosis(), 2);

    Identity identity;
    identity.domain = "example.com";
    identity.account = "111122223333";
    identity.region = "eu-west-1";
    identity.method = Byodkim{"sel1", {}, 0, ""};
    CheckRun run;
    IdentityReport report;
    report.identity = &identity;
    report.records = {key_record()};
    report.worst = Severity::error;
    run.reports.push_back(report);
    const std::string check = render_check_json(run);

    const Json from_inspect = Json::parse(inspect)["signatures"][1]["record"];
    const Json from_check = Json::parse(check)["identities"][0]["records"][0];
    EXPECT_EQ(from_inspect, from_check);
    // Same keys in the same order, same bytes.
    EXPECT_EQ(from_inspect.dump(), from_check.dump());
    EXPECT_EQ(from_inspect["dnssec"], "secure");
    EXPECT_EQ(from_inspect["authoritative"][0]["serial"], 7);
}

TEST(InspectReport, TextShowsSignaturesReceiverIdentitiesAndDiagnosis) {
    const std::string text = render_inspect_text(sample_facts(), sample_diagnosis(), 2);
    EXPECT_NE(text.find("From: domain: example.com\n"), std::string::npos) << text;
    EXPECT_NE(text.find("2 DKIM signatures"), std::string::npos) << text;
    EXPECT_NE(text.find("Signature 1 of 2: d=amazonses.com s=224i4yxa5dv7c2xz3womw6peuasteono"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("result:           pass\n"), std::string::npos) << text;
    EXPECT_NE(text.find("signed at (t=):   2026-11-26T12:00:00Z"), std::string::npos) << text;
    EXPECT_NE(text.find("120 bytes signed of 300; anything after them is unsigned"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("From: alignment:  relaxed no, strict no"), std::string::npos) << text;
    EXPECT_NE(text.find("Signature 2 of 2: d=example.com s=sel1"), std::string::npos) << text;
    EXPECT_NE(text.find("result:           permerror (key): the key record is revoked (empty "
                        "p=)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("From: alignment:  relaxed yes, strict yes"), std::string::npos) << text;
    EXPECT_NE(text.find("key record:       key_revoked (error) TXT sel1._domainkey.example.com"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("mx.example.net: dkim=fail header.d=example.com header.s=sel1 "
                        "reason=\"key revoked\"  (dkimwatch: permerror)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("111122223333 eu-west-1 example.com (BYODKIM: sel1)"), std::string::npos)
        << text;
    EXPECT_NE(text.find("state:    revocation_warning since 2026-11-26T12:00:00Z, deadline "
                        "2026-12-03T12:00:00Z"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("SES:      signing_disabled (error): SES has DKIM signing off"),
              std::string::npos)
        << text;
    const auto diagnosis = text.find("Diagnosis:\n");
    ASSERT_NE(diagnosis, std::string::npos) << text;
    const auto revoked = text.find("ERROR    record_key_revoked\n", diagnosis);
    const auto partial = text.find("WARNING  partial_body\n", diagnosis);
    EXPECT_NE(revoked, std::string::npos) << text;
    EXPECT_NE(partial, std::string::npos) << text;
    EXPECT_LT(revoked, partial);
    EXPECT_NE(text.find("The key record is revoked."), std::string::npos) << text;
    EXPECT_NE(text.find("exit code 2\n"), std::string::npos) << text;
}

TEST(InspectReport, TextSaysWhenFromIsUnusableAndNothingCoversIt) {
    InspectFacts facts;
    facts.from_error = "2 From: header fields (line 4 and line 9)";
    facts.config_given = true;
    InspectedSignature signature;
    signature.check.domain = "example.com";
    signature.check.result = SignatureResult::pass;
    facts.signatures.push_back(signature);
    const std::string text =
        render_inspect_text(facts, {{"from_unusable", Severity::error, "From: is repeated."}}, 2);
    EXPECT_NE(text.find("From: domain: unusable: 2 From: header fields (line 4 and line 9)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("1 DKIM signature\n"), std::string::npos) << text;
    EXPECT_NE(text.find("s=(none)"), std::string::npos) << text;
    EXPECT_NE(text.find("cannot tell (From: is unusable)"), std::string::npos) << text;
    EXPECT_NE(text.find("not looked up (d= or s= missing, or not a DNS name)"), std::string::npos)
        << text;
    EXPECT_NE(text.find("Configured identities covering the From: domain:\n  none\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("no state database was found"), std::string::npos) << text;
    EXPECT_NE(text.find("ERROR    from_unusable"), std::string::npos) << text;
    EXPECT_NE(text.find("Receiver's conclusions (Authentication-Results):\n  none\n"),
              std::string::npos)
        << text;
}

TEST(InspectReport, TextWrapsLongDiagnosisMessagesAtSpaces) {
    std::string message;
    for (int word = 0; word < 60; ++word) {
        message += (word == 0 ? "" : " ") + std::string("word") + std::to_string(word);
    }
    message += " " + std::string(120, 'x'); // one word longer than a line stays whole
    const std::string text =
        render_inspect_text(InspectFacts{}, {{"no_signature", Severity::error, message}}, 2);
    const auto begin = text.find("ERROR    no_signature\n");
    ASSERT_NE(begin, std::string::npos) << text;
    const auto end = text.find("\nexit code");
    std::string rejoined;
    std::size_t lines = 0;
    std::size_t position = text.find('\n', begin) + 1;
    while (position < end) {
        const auto newline = text.find('\n', position);
        const std::string line = text.substr(position, newline - position);
        if (line.empty()) {
            break;
        }
        ++lines;
        ASSERT_EQ(line.rfind("           ", 0), 0u) << line;
        if (line.find('x') == std::string::npos) {
            EXPECT_LE(line.size(), 100u) << line;
        }
        rejoined += (rejoined.empty() ? "" : " ") + line.substr(11);
        position = newline + 1;
    }
    EXPECT_GT(lines, 3u) << text;
    EXPECT_EQ(rejoined, message);
}

TEST(InspectReport, TextTellsAMissingDatabaseFromAnIdentityItDoesNotHold) {
    InspectFacts facts;
    facts.from_domain = "mail.example.com";
    facts.config_given = true;
    CoveringIdentity identity;
    identity.account = "111122223333";
    identity.region = "us-east-1";
    identity.domain = "example.com";
    identity.selectors = {"tok1", "tok2", "tok3"};
    facts.identities.push_back(identity);
    std::string text = render_inspect_text(facts, {}, 2);
    EXPECT_NE(text.find("111122223333 us-east-1 example.com (Easy DKIM: tok1 tok2 tok3)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("state:    unknown (no state database)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("SES:      unknown"), std::string::npos) << text;
    facts.state_known = true;
    text = render_inspect_text(facts, {}, 2);
    EXPECT_NE(text.find("state:    unknown (not in the state database)\n"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("no state database was found"), std::string::npos) << text;
}
