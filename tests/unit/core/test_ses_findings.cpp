#include "core/ses_findings.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

Identity easy_identity(IdentitySource source = IdentitySource::config) {
    Identity identity;
    identity.domain = "example.com";
    identity.account = "111122223333";
    identity.region = "eu-west-1";
    identity.method = EasyDkim{{"tok1", "tok2", "tok3"}, "dkim.eu-west-1.amazonses.com", false};
    identity.source = source;
    return identity;
}

Identity byo_identity(std::string selector = "sel1") {
    Identity identity = easy_identity();
    Byodkim byo;
    byo.selector = std::move(selector);
    identity.method = byo;
    return identity;
}

// SES's view that matches easy_identity() and has nothing to report.
SesDomainIdentity healthy_view() {
    SesDomainIdentity view;
    view.domain = "example.com";
    view.signing_enabled = true;
    view.status = SesDkimStatus::success;
    view.status_text = "SUCCESS";
    view.origin = "AWS_SES";
    view.tokens = {"tok3", "tok1", "tok2"}; // order does not matter
    view.signing_hosted_zone = "dkim.eu-west-1.amazonses.com";
    view.current_key_length = "RSA_2048_BIT";
    return view;
}

RecordVerdict verdict(Severity severity) {
    RecordVerdict out;
    out.name = "tok1._domainkey.example.com";
    out.severity = severity;
    out.code = severity == Severity::ok ? VerdictCode::ok : VerdictCode::missing;
    return out;
}

std::vector<SesFindingCode> codes(const std::vector<SesFinding>& findings) {
    std::vector<SesFindingCode> out;
    for (const auto& finding : findings) {
        out.push_back(finding.code);
    }
    return out;
}

struct Case {
    Identity identity = easy_identity();
    std::optional<SesDomainIdentity> ses = healthy_view();
    bool covered = true;
    std::optional<std::vector<RecordVerdict>> latest =
        std::vector<RecordVerdict>{verdict(Severity::ok), verdict(Severity::ok)};
    IdentityStatus status = initial_status("fp", k_t0);
    StateMachinePolicy policy;
    TimePoint now = k_t0 + 1h;

    std::vector<SesFinding> run() const {
        return ses_findings({&identity, ses ? &*ses : nullptr, covered, latest ? &*latest : nullptr,
                             &status, &policy, now});
    }
};

const SesFinding* find(const std::vector<SesFinding>& findings, SesFindingCode code) {
    for (const auto& finding : findings) {
        if (finding.code == code) {
            return &finding;
        }
    }
    return nullptr;
}

// Every message names the domain, the account and the region.
void expect_names_where(const SesFinding& finding) {
    EXPECT_NE(finding.message.find("example.com"), std::string::npos) << finding.message;
    EXPECT_NE(finding.message.find("111122223333"), std::string::npos) << finding.message;
    EXPECT_NE(finding.message.find("eu-west-1"), std::string::npos) << finding.message;
}

TEST(SesFindings, HealthyIdentityHasNone) {
    Case c;
    EXPECT_TRUE(c.run().empty());
    EXPECT_EQ(worst_finding_severity(c.run()), Severity::ok);
}

TEST(SesFindings, SigningDisabledIsAnError) {
    Case c;
    c.ses->signing_enabled = false;
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::signing_disabled});
    EXPECT_EQ(findings[0].severity, Severity::error);
    expect_names_where(findings[0]);
    EXPECT_NE(findings[0].message.find("--signing-enabled"), std::string::npos);
}

TEST(SesFindings, FailedWithBrokenRecordsIsSesFailedOnly) {
    Case c;
    c.ses->status = SesDkimStatus::failed;
    c.latest = std::vector<RecordVerdict>{verdict(Severity::ok), verdict(Severity::error)};
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::ses_failed});
    EXPECT_EQ(findings[0].severity, Severity::error);
    expect_names_where(findings[0]);
}

TEST(SesFindings, FailedWhileDnsIsFineIsDisagreement) {
    Case c;
    c.ses->status = SesDkimStatus::failed;
    const auto findings = c.run();
    ASSERT_EQ(codes(findings),
              (std::vector{SesFindingCode::ses_failed, SesFindingCode::ses_dns_disagree}));
    const SesFinding& disagree = findings[1];
    EXPECT_EQ(disagree.severity, Severity::error);
    expect_names_where(disagree);
    for (const char* cause : {"split-horizon", "lagging authoritative server", "DNSSEC"}) {
        EXPECT_NE(disagree.message.find(cause), std::string::npos) << cause;
    }
    EXPECT_NE(disagree.message.find("FAILED"), std::string::npos);
}

TEST(SesFindings, WarningVerdictsStillCountAsRecordsOk) {
    Case c;
    c.ses->status = SesDkimStatus::temporary_failure;
    c.latest = std::vector<RecordVerdict>{verdict(Severity::ok), verdict(Severity::warning)};
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), (std::vector{SesFindingCode::ses_temporary_failure,
                                            SesFindingCode::ses_dns_disagree}));
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_NE(findings[1].message.find("TEMPORARY_FAILURE"), std::string::npos);
}

TEST(SesFindings, NoDisagreementWithoutAllOkVerdicts) {
    for (const Severity other : {Severity::error, Severity::indeterminate}) {
        Case c;
        c.ses->status = SesDkimStatus::failed;
        c.latest = std::vector<RecordVerdict>{verdict(Severity::ok), verdict(other)};
        EXPECT_EQ(find(c.run(), SesFindingCode::ses_dns_disagree), nullptr);
    }
    Case none;
    none.ses->status = SesDkimStatus::failed;
    none.latest.reset(); // not checked yet
    EXPECT_EQ(find(none.run(), SesFindingCode::ses_dns_disagree), nullptr);
    Case empty;
    empty.ses->status = SesDkimStatus::failed;
    empty.latest = std::vector<RecordVerdict>{};
    EXPECT_EQ(find(empty.run(), SesFindingCode::ses_dns_disagree), nullptr);
}

TEST(SesFindings, PendingDisagreesOnlyBeyondPendingTimeout) {
    Case c;
    c.ses->status = SesDkimStatus::pending;
    c.policy.pending_timeout = 72h;
    c.status.entered_pending_at = k_t0;
    c.now = k_t0 + 72h; // exactly at the timeout: not beyond
    EXPECT_TRUE(c.run().empty());
    c.now = k_t0 + 72h + 1ms;
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::ses_dns_disagree});
    EXPECT_NE(findings[0].message.find("PENDING"), std::string::npos);
    // Without the status the pending spell is unknown: nothing is claimed.
    EXPECT_TRUE(
        ses_findings({&c.identity, &*c.ses, true, &*c.latest, nullptr, &c.policy, c.now}).empty());
    // A broken record explains a PENDING: no disagreement.
    c.latest = std::vector<RecordVerdict>{verdict(Severity::error)};
    EXPECT_TRUE(c.run().empty());
}

TEST(SesFindings, NotStartedAndUnknownStatusesAreNoFinding) {
    for (const auto status : {SesDkimStatus::not_started, SesDkimStatus::unknown}) {
        Case c;
        c.ses->status = status;
        c.now = k_t0 + 1000h;
        EXPECT_TRUE(c.run().empty());
    }
}

TEST(SesFindings, EmailIdentitiesAreNamedWithTheFix) {
    Case c;
    c.ses->email_identities = {"bob@example.com", "mary@example.com"};
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::email_identity_unsigned});
    EXPECT_EQ(findings[0].severity, Severity::warning);
    expect_names_where(findings[0]);
    EXPECT_NE(findings[0].message.find("bob@example.com, mary@example.com"), std::string::npos)
        << findings[0].message;
    EXPECT_NE(findings[0].message.find("Delete the address identities"), std::string::npos)
        << findings[0].message;
    c.ses->email_identities = {"mary@example.com"};
    EXPECT_NE(c.run()[0].message.find("Delete the address identity "), std::string::npos);
    // One address: the command to run names it.
    EXPECT_NE(c.run()[0].message.find("--email-identity mary@example.com "), std::string::npos)
        << c.run()[0].message;
}

TEST(SesFindings, NotInSesOnlyForConfiguredIdentitiesOfCoveredAccounts) {
    Case c;
    c.ses.reset();
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::not_in_ses});
    EXPECT_EQ(findings[0].severity, Severity::error);
    expect_names_where(findings[0]);
    c.identity.source = IdentitySource::identities_file;
    EXPECT_EQ(codes(c.run()), std::vector{SesFindingCode::not_in_ses});
    c.covered = false; // no ses.accounts entry for it: SES was not asked
    EXPECT_TRUE(c.run().empty());
    c.covered = true;
    c.identity.source = IdentitySource::ses; // discovered and gone: identity_removed's job
    EXPECT_TRUE(c.run().empty());
}

TEST(SesFindings, EasyDkimTokensAreComparedAsASet) {
    Case c;
    c.ses->tokens = {"tok1", "tok2", "other"};
    auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::tokens_differ});
    EXPECT_EQ(findings[0].severity, Severity::error);
    expect_names_where(findings[0]);
    EXPECT_NE(findings[0].message.find("(tok1, tok2, tok3)"), std::string::npos)
        << findings[0].message;
    EXPECT_NE(findings[0].message.find("(other, tok1, tok2)"), std::string::npos)
        << findings[0].message;
    c.ses->tokens = {"TOK2", "tok3", "tok1"}; // case does not matter
    EXPECT_TRUE(c.run().empty());
    c.ses->tokens = {"tok1", "tok2"};
    EXPECT_EQ(codes(c.run()), std::vector{SesFindingCode::tokens_differ});
    c.ses->tokens.clear(); // SES gave none (e.g. NOT_STARTED): nothing to compare
    EXPECT_TRUE(c.run().empty());
}

TEST(SesFindings, ByodkimSelectorIsCompared) {
    Case c;
    c.identity = byo_identity("Sel1");
    c.ses->origin = "EXTERNAL";
    c.ses->tokens = {"sel1"};
    EXPECT_TRUE(c.run().empty());
    c.ses->tokens = {"sel2"};
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::tokens_differ});
    EXPECT_NE(findings[0].message.find("selector sel1"), std::string::npos) << findings[0].message;
    EXPECT_NE(findings[0].message.find("sel2"), std::string::npos);
}

TEST(SesFindings, MethodMismatchIsTokensDiffer) {
    Case easy_vs_byo;
    easy_vs_byo.ses->origin = "EXTERNAL";
    easy_vs_byo.ses->tokens = {"sel1"};
    const auto first = easy_vs_byo.run();
    ASSERT_EQ(codes(first), std::vector{SesFindingCode::tokens_differ});
    EXPECT_NE(first[0].message.find("BYODKIM"), std::string::npos);
    Case byo_vs_easy;
    byo_vs_easy.identity = byo_identity("tok1");
    byo_vs_easy.ses->origin = "AWS_SES_US_EAST_1";
    const auto second = byo_vs_easy.run();
    ASSERT_EQ(codes(second), std::vector{SesFindingCode::tokens_differ});
    EXPECT_NE(second[0].message.find("Easy DKIM"), std::string::npos);
}

TEST(SesFindings, DiscoveredIdentitiesAreNotComparedWithThemselves) {
    Case c;
    c.identity.source = IdentitySource::ses;
    c.ses->tokens = {"a", "b", "c"};
    EXPECT_TRUE(c.run().empty());
}

TEST(SesFindings, WeakSigningKeyIsAWarning) {
    Case c;
    c.ses->current_key_length = "RSA_1024_BIT";
    const auto findings = c.run();
    ASSERT_EQ(codes(findings), std::vector{SesFindingCode::weak_signing_key});
    EXPECT_EQ(findings[0].severity, Severity::warning);
    expect_names_where(findings[0]);
    EXPECT_NE(findings[0].message.find("RSA_2048_BIT"), std::string::npos);
}

TEST(SesFindings, EverythingAtOnceComesInTheFixedOrder) {
    Case c;
    c.ses->signing_enabled = false;
    c.ses->status = SesDkimStatus::failed;
    c.ses->email_identities = {"mary@example.com"};
    c.ses->tokens = {"x", "y", "z"};
    c.ses->current_key_length = "RSA_1024_BIT";
    const auto findings = c.run();
    EXPECT_EQ(
        codes(findings),
        (std::vector{SesFindingCode::signing_disabled, SesFindingCode::ses_failed,
                     SesFindingCode::ses_dns_disagree, SesFindingCode::email_identity_unsigned,
                     SesFindingCode::tokens_differ, SesFindingCode::weak_signing_key}));
    for (const auto& finding : findings) {
        expect_names_where(finding);
        EXPECT_EQ(finding.message.back(), '.') << finding.message;
    }
    EXPECT_EQ(worst_finding_severity(findings), Severity::error);
}

TEST(SesFindings, WorstSeverity) {
    EXPECT_EQ(worst_finding_severity({}), Severity::ok);
    EXPECT_EQ(worst_finding_severity({{SesFindingCode::weak_signing_key, Severity::warning, ""}}),
              Severity::warning);
    EXPECT_EQ(worst_finding_severity({{SesFindingCode::weak_signing_key, Severity::warning, ""},
                                      {SesFindingCode::ses_failed, Severity::error, ""},
                                      {SesFindingCode::weak_signing_key, Severity::warning, ""}}),
              Severity::error);
}

} // namespace
} // namespace dkimwatch
