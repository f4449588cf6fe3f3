#include "core/verdict.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;

TEST(Verdict, SeverityFollowsTheContract) {
    EXPECT_EQ(severity_of(VerdictCode::ok), Severity::ok);
    EXPECT_EQ(severity_of(VerdictCode::weak_key), Severity::warning);
    EXPECT_EQ(severity_of(VerdictCode::testing_mode), Severity::warning);
    EXPECT_EQ(severity_of(VerdictCode::dns_error), Severity::indeterminate);
    for (auto code :
         {VerdictCode::missing, VerdictCode::doubled_domain, VerdictCode::wrong_target,
          VerdictCode::wrong_type, VerdictCode::txt_servfail, VerdictCode::key_malformed,
          VerdictCode::key_mismatch, VerdictCode::key_revoked, VerdictCode::key_size,
          VerdictCode::multiple_records}) {
        EXPECT_EQ(severity_of(code), Severity::error) << verdict_code_name(code);
    }
}

TEST(Verdict, CodeNamesAreTheContract) {
    EXPECT_STREQ(verdict_code_name(VerdictCode::doubled_domain), "doubled_domain");
    EXPECT_STREQ(verdict_code_name(VerdictCode::txt_servfail), "txt_servfail");
    EXPECT_STREQ(verdict_code_name(VerdictCode::multiple_records), "multiple_records");
    EXPECT_STREQ(severity_name(Severity::indeterminate), "indeterminate");
}

TEST(Verdict, ErrorOutranksUnknownOutranksWarning) {
    EXPECT_GT(severity_rank(Severity::error), severity_rank(Severity::indeterminate));
    EXPECT_GT(severity_rank(Severity::indeterminate), severity_rank(Severity::warning));
    EXPECT_GT(severity_rank(Severity::warning), severity_rank(Severity::ok));
}

TEST(Verdict, SeverityNamesRoundTrip) {
    for (auto severity :
         {Severity::ok, Severity::warning, Severity::error, Severity::indeterminate}) {
        EXPECT_EQ(parse_severity(severity_name(severity)), severity);
    }
    EXPECT_EQ(parse_severity("fatal"), std::nullopt);
}

TEST(Verdict, VerdictCodeNamesRoundTrip) {
    int found = 0;
    for (int value = 0; value < 64; ++value) {
        const auto code = static_cast<VerdictCode>(value);
        if (std::string_view(verdict_code_name(code)) != "unknown") {
            EXPECT_EQ(parse_verdict_code(verdict_code_name(code)), code) << value;
            ++found;
        }
    }
    EXPECT_EQ(found, static_cast<int>(VerdictCode::dnssec_expiring) + 1);
    EXPECT_EQ(parse_verdict_code("key_revoked"), VerdictCode::key_revoked);
    EXPECT_EQ(parse_verdict_code("unknown"), std::nullopt);
    EXPECT_EQ(parse_verdict_code("KEY_REVOKED"), std::nullopt);
    EXPECT_EQ(parse_verdict_code(""), std::nullopt);
}

TEST(Verdict, SeverityLabelsForPeople) {
    EXPECT_STREQ(severity_label(Severity::ok), "OK");
    EXPECT_STREQ(severity_label(Severity::warning), "WARNING");
    EXPECT_STREQ(severity_label(Severity::error), "ERROR");
    EXPECT_STREQ(severity_label(Severity::indeterminate), "UNKNOWN");
}
