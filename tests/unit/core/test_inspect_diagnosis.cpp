#include "core/inspect_diagnosis.hpp"

#include <chrono>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1};

RecordVerdict record(std::string name, VerdictCode code = VerdictCode::ok,
                     std::string message = "fine") {
    RecordVerdict verdict;
    verdict.name = std::move(name);
    verdict.type = "TXT";
    verdict.code = code;
    verdict.severity = severity_of(code);
    verdict.message = std::move(message);
    return verdict;
}

InspectedSignature signature(std::string domain, std::string selector, SignatureResult result,
                             SignatureFailure failure, DkimAlignment alignment) {
    InspectedSignature out;
    out.check.domain = domain;
    out.check.selector = selector;
    out.check.algorithm = "rsa-sha256";
    out.check.canonicalization = "relaxed/relaxed";
    out.check.agent_identifier = "@" + domain;
    out.check.signed_header_fields = {"from", "to", "subject", "date"};
    out.check.result = result;
    out.check.failure = failure;
    if (result != SignatureResult::pass) {
        out.check.reason = "libopendkim says no";
    }
    out.alignment = alignment;
    out.record = record(selector + "._domainkey." + domain);
    return out;
}

// A signature by the From: domain example.com.
InspectedSignature domain_signature(SignatureResult result = SignatureResult::pass,
                                    SignatureFailure failure = SignatureFailure::none,
                                    std::string selector = "tok1") {
    return signature("example.com", std::move(selector), result, failure, {true, true});
}

// SES's own signature, d=amazonses.com, not aligned with example.com.
InspectedSignature ses_signature(SignatureResult result = SignatureResult::pass,
                                 SignatureFailure failure = SignatureFailure::none) {
    return signature("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", result, failure, {});
}

InspectFacts facts_with(std::vector<InspectedSignature> signatures) {
    InspectFacts facts;
    facts.from_domain = "example.com";
    facts.signatures = std::move(signatures);
    return facts;
}

CoveringIdentity identity(bool easy_dkim = true) {
    CoveringIdentity out;
    out.account = "111122223333";
    out.region = "eu-west-1";
    out.domain = "example.com";
    out.easy_dkim = easy_dkim;
    out.selectors = easy_dkim ? std::vector<std::string>{"tok1", "tok2", "tok3"}
                              : std::vector<std::string>{"sel1"};
    return out;
}

SesFinding finding(SesFindingCode code, Severity severity, std::string message) {
    return SesFinding{code, severity, std::move(message)};
}

std::vector<std::string> codes(const std::vector<InspectDiagnosis>& diagnoses) {
    std::vector<std::string> out;
    for (const auto& diagnosis : diagnoses) {
        out.push_back(diagnosis.code);
    }
    return out;
}

const InspectDiagnosis& find(const std::vector<InspectDiagnosis>& diagnoses,
                             const std::string& code) {
    for (const auto& diagnosis : diagnoses) {
        if (diagnosis.code == code) {
            return diagnosis;
        }
    }
    static const InspectDiagnosis k_none{"(absent)", Severity::ok, ""};
    ADD_FAILURE() << "no diagnosis " << code;
    return k_none;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Position of `part` in `text`, npos-safe for ordering checks.
std::size_t at(const std::string& text, const std::string& part) {
    const auto position = text.find(part);
    EXPECT_NE(position, std::string::npos) << "missing: " << part << "\nin: " << text;
    return position;
}

// ---- the ok cases and the exit codes ------------------------------------------------------

TEST(InspectDiagnosis, BothSignaturesPassingIsNormalAndExitsZero) {
    const auto facts = facts_with({domain_signature(), ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"ses_and_domain_signed"});
    EXPECT_EQ(diagnoses[0].severity, Severity::ok);
    EXPECT_TRUE(contains(diagnoses[0].message, "d=example.com, s=tok1"));
    EXPECT_TRUE(contains(diagnoses[0].message, "the extra signature with d=amazonses.com is added "
                                               "by Amazon SES; you can ignore it"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 0);
}

TEST(InspectDiagnosis, DomainSignatureAloneIsOk) {
    const auto facts = facts_with({domain_signature()});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"domain_signed"});
    EXPECT_EQ(diagnoses[0].severity, Severity::ok);
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 0);
}

TEST(InspectDiagnosis, RelaxedAlignmentIsEnough) {
    auto parent = signature("example.com", "sel1", SignatureResult::pass, SignatureFailure::none,
                            {false, true});
    auto facts = facts_with({parent});
    facts.from_domain = "mail.example.com";
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), std::vector<std::string>{"domain_signed"});
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 0);
}

TEST(InspectDiagnosis, SesSignatureOnlyIsAnErrorWithTheCausesInOrder) {
    const auto facts = facts_with({ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"only_ses_signature"});
    const auto& message = diagnoses[0].message;
    EXPECT_EQ(diagnoses[0].severity, Severity::error);
    EXPECT_TRUE(contains(message, "d=amazonses.com"));
    EXPECT_TRUE(contains(message, "example.com"));
    const auto disabled = at(message, "Make sure that DKIM is enabled for the identity");
    const auto individual = at(message, "individually verified email address");
    const auto region = at(message, "DKIM must be set up in each");
    const auto records = at(message, "records are missing or revoked");
    EXPECT_LT(disabled, individual);
    EXPECT_LT(individual, region);
    EXPECT_LT(region, records);
    EXPECT_TRUE(contains(message, "(1) DKIM disabled"));
    EXPECT_FALSE(contains(message, "Configured identities")); // no --config
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, FailingAlignedSignatureWithPassingSesSignatureExitsTwo) {
    const auto facts = facts_with(
        {domain_signature(SignatureResult::fail, SignatureFailure::body_hash), ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    // SES did sign with the domain; the domain signature broke: no only_ses_signature.
    EXPECT_EQ(codes(diagnoses), std::vector<std::string>{"body_hash_mismatch"});
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, NoSignatureAtAll) {
    const auto facts = facts_with({});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"no_signature"});
    EXPECT_EQ(diagnoses[0].severity, Severity::error);
    EXPECT_TRUE(contains(diagnoses[0].message, "no DKIM-Signature field"));
    EXPECT_TRUE(contains(diagnoses[0].message, "d=amazonses.com"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, ThirdPartySignatureIsNotAligned) {
    const auto facts = facts_with(
        {signature("mailer.example.net", "k1", SignatureResult::pass, SignatureFailure::none, {})});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"not_aligned"});
    EXPECT_EQ(diagnoses[0].severity, Severity::error);
    EXPECT_TRUE(contains(diagnoses[0].message, "d=mailer.example.net, s=k1 (pass)"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, ThirdPartyBesideSesIsOnlySesSignature) {
    const auto facts = facts_with(
        {signature("list.example.net", "k1", SignatureResult::pass, SignatureFailure::none, {}),
         ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), std::vector<std::string>{"only_ses_signature"});
}

TEST(InspectDiagnosis, FailingThirdPartySignatureIsNotAlignedEither) {
    const auto facts = facts_with({signature("mailer.example.net", "k1", SignatureResult::fail,
                                             SignatureFailure::body_hash, {})});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), (std::vector<std::string>{"not_aligned", "body_hash_mismatch"}));
    EXPECT_TRUE(contains(diagnoses[0].message, "d=mailer.example.net, s=k1 (fail)"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, FailingSesSignatureAloneStillShowsSesDidNotSignWithTheDomain) {
    const auto facts =
        facts_with({ses_signature(SignatureResult::fail, SignatureFailure::body_hash)});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "body_hash_mismatch"}));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, UnusableFromPreventsAlignment) {
    auto facts = facts_with(
        {signature("example.com", "tok1", SignatureResult::pass, SignatureFailure::none, {})});
    facts.from_domain = "";
    facts.from_error = "2 From: fields";
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"from_unusable"});
    EXPECT_TRUE(contains(diagnoses[0].message, "(2 From: fields)"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, AlignedTemporaryFailureWithoutAlignedPassExitsThree) {
    auto temporary = domain_signature(SignatureResult::temperror);
    temporary.check.reason = "SERVFAIL from 127.0.0.1";
    temporary.record = record("tok1._domainkey.example.com", VerdictCode::dns_error, "SERVFAIL");
    const auto facts = facts_with({temporary, ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"record_dns_error", "key_temporary_failure"}));
    const auto& temporary_failure = find(diagnoses, "key_temporary_failure");
    EXPECT_EQ(temporary_failure.severity, Severity::indeterminate);
    EXPECT_TRUE(contains(temporary_failure.message, "SERVFAIL from 127.0.0.1"));
    EXPECT_TRUE(contains(temporary_failure.message, "tok1._domainkey.example.com"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 3);
}

TEST(InspectDiagnosis, AlignedPassOutweighsAnotherAlignedTemporaryFailure) {
    const auto facts =
        facts_with({domain_signature(SignatureResult::temperror), domain_signature()});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"key_temporary_failure", "domain_signed"}));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, UnalignedTemporaryFailureExitsTwo) {
    const auto facts = facts_with({ses_signature(SignatureResult::temperror)});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "key_temporary_failure"}));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, PartialBodyAlignedPassWarnsAndExitsOne) {
    auto partial = domain_signature();
    partial.check.partial_body = true;
    partial.check.body_length = 100;
    partial.check.canonical_body_length = 142;
    const auto facts = facts_with({partial});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), (std::vector<std::string>{"partial_body", "domain_signed"}));
    EXPECT_EQ(diagnoses[0].severity, Severity::warning);
    EXPECT_TRUE(contains(diagnoses[0].message, "l=100"));
    EXPECT_TRUE(contains(diagnoses[0].message, "42 unsigned bytes"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, TestingModeRecordWarns) {
    auto testing = domain_signature();
    testing.check.testing_key = true;
    testing.record =
        record("tok1._domainkey.example.com", VerdictCode::testing_mode, "t=y is set.");
    const auto facts = facts_with({testing});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), (std::vector<std::string>{"record_testing_mode", "domain_signed"}));
    EXPECT_EQ(diagnoses[0].severity, Severity::warning);
    EXPECT_TRUE(contains(diagnoses[0].message, "tok1._domainkey.example.com"));
    EXPECT_TRUE(contains(diagnoses[0].message, "t=y is set."));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, TestingKeyWithoutTestingVerdictStillWarns) {
    auto testing = domain_signature();
    testing.check.testing_key = true; // the verifier saw t=y; the record was judged ok
    const auto facts = facts_with({testing});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), (std::vector<std::string>{"record_testing_mode", "domain_signed"}));
    EXPECT_TRUE(contains(diagnoses[0].message, "t=y"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

// ---- failing signatures -------------------------------------------------------------------

TEST(InspectDiagnosis, BodyHashMismatchNamesTheLikelyChanges) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::body_hash);
    broken.check.canonicalization = "relaxed/simple";
    const auto facts = facts_with({broken});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"body_hash_mismatch"});
    const auto& message = diagnoses[0].message;
    EXPECT_TRUE(contains(message, "d=example.com, s=tok1"));
    EXPECT_TRUE(contains(message, "footer or disclaimer"));
    EXPECT_TRUE(contains(message, "re-encoded"));
    EXPECT_TRUE(contains(message, "body canonicalization is simple"));
}

TEST(InspectDiagnosis, BodyHashMismatchOfATruncatedBody) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::body_hash);
    broken.check.body_length = 500;
    broken.check.canonical_body_length = 200;
    const auto diagnoses = diagnose_message(facts_with({broken}));
    EXPECT_TRUE(contains(find(diagnoses, "body_hash_mismatch").message, "truncated"));
    EXPECT_FALSE(contains(find(diagnoses, "body_hash_mismatch").message, "is simple"));
}

TEST(InspectDiagnosis, SignatureMismatchNamesTheSignedHeaderFields) {
    auto broken = signature("example.com", "s2026", SignatureResult::fail,
                            SignatureFailure::signature, {true, true});
    broken.check.canonicalization = "simple/simple";
    const auto facts = facts_with({broken});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_mismatch"});
    const auto& message = diagnoses[0].message;
    EXPECT_TRUE(contains(message, "h=from:to:subject:date"));
    EXPECT_TRUE(contains(message, "simple header canonicalization tolerates no change"));
    EXPECT_TRUE(contains(message, "the published key is not the one that signed"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, SignatureMismatchTiesInTheRecordVerdict) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::signature, "sel1");
    broken.record = record("sel1._domainkey.example.com", VerdictCode::key_mismatch,
                           "The published key is not the configured one.");
    const auto facts = facts_with({broken});
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"signature_mismatch", "record_key_mismatch"}));
    const auto& mismatch = find(diagnoses, "signature_mismatch");
    EXPECT_TRUE(contains(mismatch.message, "is not ok (key_mismatch)"));
    EXPECT_TRUE(contains(mismatch.message, "The published key is not the configured one."));
    EXPECT_LT(at(mismatch.message, "key_mismatch"), at(mismatch.message, "h=from"));
    const auto& record_diagnosis = find(diagnoses, "record_key_mismatch");
    EXPECT_EQ(record_diagnosis.severity, Severity::error);
    EXPECT_TRUE(contains(record_diagnosis.message, "sel1._domainkey.example.com"));
}

TEST(InspectDiagnosis, SignatureMismatchOnAByodkimSelectorSuspectsTheSesPrivateKey) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::signature, "sel1");
    auto facts = facts_with({broken});
    facts.config_given = true;
    facts.identities = {identity(false)};
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_mismatch"});
    const auto& message = diagnoses[0].message;
    EXPECT_TRUE(contains(message, "the private key SES signs with may not match the published "
                                  "public key"));
    EXPECT_TRUE(contains(message, "111122223333"));
    EXPECT_TRUE(contains(message, "--selector sel1"));
}

TEST(InspectDiagnosis, ByodkimHintNeedsAFineRecord) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::signature, "sel1");
    broken.record = record("sel1._domainkey.example.com", VerdictCode::key_revoked, "p= is empty.");
    auto facts = facts_with({broken});
    facts.config_given = true;
    facts.identities = {identity(false)};
    const auto diagnoses = diagnose_message(facts);
    const auto& message = find(diagnoses, "signature_mismatch").message;
    EXPECT_FALSE(contains(message, "private key SES signs with"));
    EXPECT_TRUE(contains(message, "key_revoked"));
}

TEST(InspectDiagnosis, SignatureMismatchOnAnEasyDkimTokenPointsAtHeaders) {
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::signature, "TOK2");
    auto facts = facts_with({broken});
    facts.config_given = true;
    facts.identities = {identity(true)};
    const auto diagnoses = diagnose_message(facts);
    const auto& message = find(diagnoses, "signature_mismatch").message;
    EXPECT_TRUE(contains(message, "Easy DKIM token"));
    EXPECT_TRUE(contains(message, "rotated"));
    EXPECT_FALSE(contains(message, "private key SES signs with"));
}

TEST(InspectDiagnosis, ExpiredSignatureSaysWhen) {
    auto expired = domain_signature(SignatureResult::permerror, SignatureFailure::expired);
    expired.check.expired = true;
    expired.check.signed_at = 1'764'547'200;  // 2025-12-01T00:00:00Z
    expired.check.expires_at = 1'764'633'600; // 2025-12-02T00:00:00Z
    const auto facts = facts_with({expired, ses_signature()});
    const auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_expired"});
    EXPECT_TRUE(contains(diagnoses[0].message, "x= is 2025-12-02T00:00:00Z"));
    EXPECT_TRUE(contains(diagnoses[0].message, "t= 2025-12-01T00:00:00Z"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, ExpiryFarOutsideTheCalendarIsShownAsACount) {
    auto expired = domain_signature(SignatureResult::permerror, SignatureFailure::expired);
    expired.check.expired = true;
    expired.check.signed_at = std::numeric_limits<std::int64_t>::min();
    expired.check.expires_at = std::numeric_limits<std::int64_t>::max();
    const auto diagnoses = diagnose_message(facts_with({expired}));
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_expired"});
    EXPECT_TRUE(contains(diagnoses[0].message, "x= is 9223372036854775807 s since 1970"));
    EXPECT_TRUE(contains(diagnoses[0].message, "t= -9223372036854775808 s since 1970"));
}

TEST(InspectDiagnosis, SyntaxPermerrorNamesTheReason) {
    auto bad = domain_signature(SignatureResult::permerror, SignatureFailure::syntax);
    bad.check.reason = "the h= tag does not include From";
    const auto diagnoses = diagnose_message(facts_with({bad}));
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_unusable"});
    EXPECT_TRUE(contains(diagnoses[0].message, "the h= tag does not include From"));
}

TEST(InspectDiagnosis, KeyPermerrorIsExplainedByTheRecordVerdict) {
    auto missing = domain_signature(SignatureResult::permerror, SignatureFailure::key);
    missing.record = record("tok1._domainkey.example.com", VerdictCode::missing,
                            "No record at tok1._domainkey.example.com.");
    const auto diagnoses = diagnose_message(facts_with({missing, ses_signature()}));
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"record_missing"});
    EXPECT_TRUE(contains(diagnoses[0].message, "No record at tok1._domainkey.example.com."));
    EXPECT_TRUE(contains(diagnoses[0].message, "d=example.com, s=tok1"));
}

TEST(InspectDiagnosis, KeyPermerrorWithoutFailingRecordIsUnusable) {
    auto refused = domain_signature(SignatureResult::permerror, SignatureFailure::key);
    refused.check.reason = "the key is not an RSA key";
    const auto diagnoses = diagnose_message(facts_with({refused}));
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"signature_unusable"});
    EXPECT_TRUE(contains(diagnoses[0].message, "the key is not an RSA key"));
    EXPECT_TRUE(contains(diagnoses[0].message, "tok1._domainkey.example.com"));
}

TEST(InspectDiagnosis, OneRecordDiagnosisPerDistinctFailingRecord) {
    auto first = domain_signature(SignatureResult::permerror, SignatureFailure::key);
    first.record = record("tok1._domainkey.example.com", VerdictCode::key_revoked, "Revoked.");
    auto second = first;
    second.check.header_index = 7; // the same signature repeated further down
    auto third = domain_signature(SignatureResult::permerror, SignatureFailure::key, "tok2");
    third.record = record("tok2._domainkey.example.com", VerdictCode::key_malformed, "Bad p=.");
    auto weak = ses_signature();
    weak.record = record(weak.record->name, VerdictCode::weak_key, "1024 bits.");
    const auto diagnoses = diagnose_message(facts_with({first, second, third, weak}));
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"record_key_revoked", "record_key_malformed",
                                        "record_weak_key"}));
    EXPECT_EQ(find(diagnoses, "record_weak_key").severity, Severity::warning);
    EXPECT_TRUE(contains(find(diagnoses, "record_key_malformed").message, "Bad p=."));
}

TEST(InspectDiagnosis, RecordSharedBySignaturesNamesEach) {
    auto first = domain_signature(SignatureResult::permerror, SignatureFailure::key);
    first.record = record("shared._domainkey.example.com", VerdictCode::missing, "Gone.");
    auto second = signature("example.com", "other", SignatureResult::permerror,
                            SignatureFailure::key, {true, true});
    second.record = first.record;
    const auto diagnoses = diagnose_message(facts_with({first, second}));
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"record_missing"});
    EXPECT_TRUE(contains(diagnoses[0].message, "signatures d=example.com, s=tok1; "
                                               "d=example.com, s=other"));
}

// ---- Authentication-Results ---------------------------------------------------------------

AuthenticationResult receiver(std::string result, std::string d, std::string s = "") {
    AuthenticationResult out;
    out.authserv_id = "mx.example.net";
    out.method = "dkim";
    out.result = std::move(result);
    out.header_d = std::move(d);
    out.header_s = std::move(s);
    return out;
}

TEST(InspectDiagnosis, ReceiverPassWhereDkimwatchFailsWarns) {
    auto facts = facts_with({domain_signature(SignatureResult::fail, SignatureFailure::body_hash)});
    facts.authentication_results = {receiver("pass", "example.com", "tok1")};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"body_hash_mismatch", "receiver_disagrees"}));
    const auto& disagreement = find(diagnoses, "receiver_disagrees");
    EXPECT_EQ(disagreement.severity, Severity::warning);
    EXPECT_TRUE(contains(disagreement.message, "mx.example.net reported dkim=pass"));
    EXPECT_TRUE(contains(disagreement.message, "d=example.com, s=tok1: fail"));
}

TEST(InspectDiagnosis, ReceiverFailWhereDkimwatchPassesWarnsAndExitsOne) {
    auto facts = facts_with({domain_signature(), ses_signature()});
    facts.authentication_results = {receiver("fail", "example.com"),
                                    receiver("pass", "amazonses.com")};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"receiver_disagrees", "ses_and_domain_signed"}));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, AgreeingOrUnrelatedResultsAreQuiet) {
    auto facts = facts_with({domain_signature(), ses_signature()});
    auto spf = receiver("fail", "example.com");
    spf.method = "spf";
    facts.authentication_results = {receiver("pass", "EXAMPLE.com", "tok1"),
                                    receiver("pass", "amazonses.com"),
                                    receiver("fail", "elsewhere.example"),
                                    receiver("fail", "example.com", "not-this-selector"),
                                    receiver("none", ""),
                                    spf};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), std::vector<std::string>{"ses_and_domain_signed"});
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 0);
}

TEST(InspectDiagnosis, RepeatedReceiverResultIsReportedOnce) {
    auto facts = facts_with({domain_signature()});
    facts.authentication_results = {receiver("temperror", "example.com"),
                                    receiver("temperror", "example.com")};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), (std::vector<std::string>{"receiver_disagrees", "domain_signed"}));
}

// ---- --config ------------------------------------------------------------------------------

TEST(InspectDiagnosis, NoCoveringIdentityPointsAtAnotherAccountOrRegion) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "no_identity_for_domain"}));
    EXPECT_EQ(find(diagnoses, "no_identity_for_domain").severity, Severity::warning);
    const auto& message = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(message, "(1) The identity is set up in another AWS Region or account"));
    EXPECT_TRUE(contains(message, "No configured identity covers example.com"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 2);
}

TEST(InspectDiagnosis, NoCoveringIdentityWithAPassingSignatureExitsOne) {
    auto facts = facts_with({domain_signature()});
    facts.config_given = true;
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"no_identity_for_domain", "domain_signed"}));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, PendingIdentityWarns) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    facts.state_known = true;
    auto pending = identity();
    pending.state = IdentityState::pending;
    pending.state_since = k_t0;
    pending.state_reason = "tok2._domainkey.example.com: missing";
    facts.identities = {pending};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "identity_pending"}));
    const auto& state = find(diagnoses, "identity_pending");
    EXPECT_EQ(state.severity, Severity::warning);
    EXPECT_TRUE(contains(state.message, "account 111122223333, region eu-west-1"));
    EXPECT_TRUE(contains(state.message, "since 2026-12-01T00:00:00Z"));
    EXPECT_TRUE(contains(state.message, "72 hours"));
    EXPECT_TRUE(contains(state.message, "tok2._domainkey.example.com: missing"));
    const auto& only = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(only, "Configured identities covering example.com: example.com in "
                               "account 111122223333, region eu-west-1 (Easy DKIM): state "
                               "pending since 2026-12-01T00:00:00Z; SES's view unknown."));
}

TEST(InspectDiagnosis, RevocationWarningPutsTheRecordsFirst) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    facts.state_known = true;
    auto warned = identity();
    warned.state = IdentityState::revocation_warning;
    warned.state_since = k_t0;
    warned.deadline = k_t0 + 120h;
    facts.identities = {warned};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "identity_revocation_warning"}));
    const auto& state = find(diagnoses, "identity_revocation_warning");
    EXPECT_EQ(state.severity, Severity::error);
    EXPECT_TRUE(contains(state.message, "deadline 2026-12-06T00:00:00Z"));
    EXPECT_TRUE(contains(state.message, "started again from the beginning"));
    const auto& only = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(only, "(1) The DKIM records are missing or revoked"));
    EXPECT_TRUE(contains(only, "is in revocation_warning (deadline 2026-12-06T00:00:00Z)"));
    EXPECT_LT(at(only, "records are missing"), at(only, "DKIM disabled on the identity"));
    EXPECT_TRUE(contains(only, "revocation deadline 2026-12-06T00:00:00Z"));
}

TEST(InspectDiagnosis, RevokedIdentityIsAnErrorEvenWhenTheSignaturePasses) {
    auto facts = facts_with({domain_signature()});
    facts.config_given = true;
    facts.state_known = true;
    auto revoked = identity();
    revoked.state = IdentityState::revoked;
    revoked.state_since = k_t0;
    facts.identities = {revoked};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), (std::vector<std::string>{"identity_revoked", "domain_signed"}));
    EXPECT_TRUE(contains(find(diagnoses, "identity_revoked").message, "restart the DKIM setup"));
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, VerifiedIdentityAddsNothing) {
    auto facts = facts_with({domain_signature(), ses_signature()});
    facts.config_given = true;
    facts.state_known = true;
    auto verified = identity();
    verified.state = IdentityState::verified;
    verified.state_since = k_t0;
    facts.identities = {verified};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), std::vector<std::string>{"ses_and_domain_signed"});
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 0);
}

TEST(InspectDiagnosis, SigningDisabledMakesTheFirstCauseCertain) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    auto disabled = identity();
    disabled.ses_known = true;
    disabled.ses_findings = {finding(SesFindingCode::signing_disabled, Severity::error,
                                     "SES has DKIM signing switched off for example.com.")};
    facts.identities = {disabled};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "ses_signing_disabled"}));
    EXPECT_EQ(find(diagnoses, "ses_signing_disabled").message,
              "SES has DKIM signing switched off for example.com.");
    const auto& only = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(only, "(1) DKIM is disabled: SES reports DKIM signing switched off for "
                               "example.com in account 111122223333, region eu-west-1"));
    EXPECT_TRUE(contains(only, "certainly"));
    EXPECT_TRUE(contains(only, "SES findings: signing_disabled"));
}

TEST(InspectDiagnosis, EmailIdentityFindingPointsAtTheIndividuallyVerifiedAddress) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    auto with_address = identity();
    with_address.ses_known = true;
    with_address.ses_findings = {finding(SesFindingCode::email_identity_unsigned, Severity::warning,
                                         "mary@example.com is verified.")};
    facts.identities = {with_address};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "ses_email_identity_unsigned"}));
    EXPECT_EQ(find(diagnoses, "ses_email_identity_unsigned").severity, Severity::warning);
    const auto& only = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(only, "(1) Sent from an individually verified email address"));
    // SES knows the identity and reports no signing_disabled: that cause goes last.
    EXPECT_TRUE(contains(only, "(4) DKIM disabled on the identity: unlikely"));
}

TEST(InspectDiagnosis, BothSesFindingsOrderDisabledThenAddress) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    auto both = identity();
    both.ses_known = true;
    both.ses_findings = {
        finding(SesFindingCode::signing_disabled, Severity::error, "Off."),
        finding(SesFindingCode::email_identity_unsigned, Severity::warning, "mary@."),
    };
    facts.identities = {both};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"only_ses_signature", "ses_signing_disabled",
                                        "ses_email_identity_unsigned"}));
    const auto& only = find(diagnoses, "only_ses_signature").message;
    EXPECT_TRUE(contains(only, "(1) DKIM is disabled"));
    EXPECT_TRUE(contains(only, "(2) Sent from an individually verified email address"));
}

TEST(InspectDiagnosis, NotInSesPointsAtAnotherAccountOrRegion) {
    auto facts = facts_with({ses_signature()});
    facts.config_given = true;
    auto unlisted = identity();
    unlisted.ses_known = true;
    unlisted.ses_findings = {finding(SesFindingCode::not_in_ses, Severity::error, "Unlisted.")};
    facts.identities = {unlisted};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses), (std::vector<std::string>{"only_ses_signature", "ses_not_in_ses"}));
    EXPECT_TRUE(contains(find(diagnoses, "only_ses_signature").message,
                         "(1) The identity is set up in another AWS Region or account"));
}

TEST(InspectDiagnosis, SesCodesAreNotPrefixedTwice) {
    auto facts = facts_with({domain_signature()});
    facts.config_given = true;
    auto failed = identity();
    failed.ses_known = true;
    failed.ses_findings = {
        finding(SesFindingCode::ses_failed, Severity::error, "SES reports FAILED."),
        finding(SesFindingCode::ses_temporary_failure, Severity::warning, "Temporary."),
    };
    auto twin = identity();
    twin.region = "us-east-1";
    twin.ses_known = true;
    twin.ses_findings = {failed.ses_findings[0]}; // the same message twice: said once
    facts.identities = {failed, twin};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"ses_failed", "ses_temporary_failure", "domain_signed"}));
}

// ---- ordering and the SES signing domain ---------------------------------------------------

TEST(InspectDiagnosis, MostSevereFirstThenInTheDocumentedOrder) {
    auto partial = domain_signature();
    partial.check.partial_body = true;
    partial.check.body_length = 10;
    auto broken = domain_signature(SignatureResult::fail, SignatureFailure::body_hash, "tok2");
    auto temporary = domain_signature(SignatureResult::temperror, SignatureFailure::none, "tok3");
    auto weak = ses_signature();
    weak.record = record(weak.record->name, VerdictCode::weak_key, "1024 bits.");
    auto facts = facts_with({partial, broken, temporary, weak});
    facts.config_given = true;
    auto pending = identity();
    pending.state = IdentityState::pending;
    auto revoked = identity();
    revoked.region = "us-east-1";
    revoked.state = IdentityState::revoked;
    facts.identities = {pending, revoked};
    const auto diagnoses = diagnose_message(facts);
    EXPECT_EQ(codes(diagnoses),
              (std::vector<std::string>{"body_hash_mismatch", "identity_revoked",
                                        "key_temporary_failure", "record_weak_key", "partial_body",
                                        "identity_pending", "ses_and_domain_signed"}));
    for (std::size_t i = 1; i < diagnoses.size(); ++i) {
        EXPECT_GE(severity_rank(diagnoses[i - 1].severity), severity_rank(diagnoses[i].severity));
    }
    EXPECT_EQ(inspect_exit_code(facts, diagnoses), 1);
}

TEST(InspectDiagnosis, SesSigningDomainCanBeATestZone) {
    auto facts = facts_with(
        {signature("amazonses.test", "k", SignatureResult::pass, SignatureFailure::none, {}),
         domain_signature()});
    facts.ses_signing_domain = "amazonses.test";
    auto diagnoses = diagnose_message(facts);
    ASSERT_EQ(codes(diagnoses), std::vector<std::string>{"ses_and_domain_signed"});
    EXPECT_TRUE(contains(diagnoses[0].message, "d=amazonses.test is added by Amazon SES"));
    // With the default domain, that signature is a third party's: a plain domain signature.
    facts.ses_signing_domain = "amazonses.com";
    EXPECT_EQ(codes(diagnose_message(facts)), std::vector<std::string>{"domain_signed"});
}

TEST(InspectDiagnosis, SubdomainOfTheSesSigningDomainCountsAsSes) {
    const auto facts = facts_with({signature("us-east-1.amazonses.com", "k", SignatureResult::pass,
                                             SignatureFailure::none, {})});
    EXPECT_EQ(codes(diagnose_message(facts)), std::vector<std::string>{"only_ses_signature"});
}

TEST(InspectDiagnosis, ExitCodeIgnoresDiagnosesOfNoteWhenAlignedPasses) {
    const auto facts = facts_with({domain_signature()});
    EXPECT_EQ(inspect_exit_code(facts, {}), 0);
    EXPECT_EQ(inspect_exit_code(facts, {{"x", Severity::ok, ""}}), 0);
    EXPECT_EQ(inspect_exit_code(facts, {{"x", Severity::warning, ""}}), 1);
    EXPECT_EQ(inspect_exit_code(facts, {{"x", Severity::indeterminate, ""}}), 1);
    EXPECT_EQ(inspect_exit_code(facts, {{"x", Severity::error, ""}}), 1);
}

TEST(InspectDiagnosis, ExitCodeWithoutAlignedPass) {
    EXPECT_EQ(inspect_exit_code(facts_with({}), {}), 2);
    EXPECT_EQ(inspect_exit_code(facts_with({ses_signature()}), {}), 2);
    EXPECT_EQ(inspect_exit_code(facts_with({domain_signature(SignatureResult::temperror)}), {}), 3);
    EXPECT_EQ(inspect_exit_code(facts_with({domain_signature(SignatureResult::temperror),
                                            domain_signature(SignatureResult::fail,
                                                             SignatureFailure::signature)}),
                                {}),
              3);
}

} // namespace
} // namespace dkimwatch
