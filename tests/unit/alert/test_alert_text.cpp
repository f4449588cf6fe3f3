#include "alert/alert_text.hpp"
#include "alert_test_support.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using test::k_deadline;
using test::k_now;
using test::k_t0;
using test::sample_event;

const std::string k_id = "example.com (111122223333, us-east-1)";

TEST(AlertEventSummary, RevocationWarningNamesRecordsAndTimeLeft) {
    EXPECT_EQ(alert_event_summary(sample_event("revocation_warning"), k_now),
              "DKIM revocation warning: " + k_id + ": 1 record missing; SES revokes DKIM in 4d21h");
}

TEST(AlertEventSummary, ReminderNamesTheTimeLeftAtDelivery) {
    EXPECT_EQ(alert_event_summary(sample_event("reminder"), k_deadline - 23h - 59min - 30s),
              "DKIM revocation reminder: " + k_id +
                  ": 1 record missing; SES revokes DKIM in 23h59m");
}

TEST(AlertEventSummary, DeadlinePassedAtDelivery) {
    EXPECT_EQ(alert_event_summary(sample_event("revocation_warning"), k_deadline + 2h),
              "DKIM revocation warning: " + k_id +
                  ": 1 record missing; revocation deadline passed 2h ago");
    EXPECT_EQ(alert_event_summary(sample_event("revocation_warning"), k_deadline),
              "DKIM revocation warning: " + k_id + ": 1 record missing; revocation deadline now");
}

TEST(AlertEventSummary, EveryOtherKind) {
    EXPECT_EQ(alert_event_summary(sample_event("revoked"), k_deadline + 1h),
              "DKIM revoked: " + k_id +
                  ": SES has most likely revoked DKIM; the setup must be started again with new "
                  "tokens");
    EXPECT_EQ(alert_event_summary(sample_event("recovered"), k_now),
              "DKIM recovered: " + k_id + ": all records correct again");
    EXPECT_EQ(alert_event_summary(sample_event("verified"), k_now),
              "DKIM verified: " + k_id + ": all records in place");
    EXPECT_EQ(alert_event_summary(sample_event("pending_overdue"), k_t0 + 5min),
              "DKIM verification overdue: " + k_id + ": pending for 3d; 3 records missing");
    EXPECT_EQ(alert_event_summary(sample_event("monitoring_blind"), k_now),
              "DKIM monitoring blind: " + k_id +
                  ": no conclusive DNS answers; state stays verified");
    EXPECT_EQ(alert_event_summary(sample_event("still_revoked_records_back"), k_now),
              "DKIM records back, still revoked: " + k_id +
                  ": records correct again, but DKIM stays revoked: redo the SES DKIM setup with "
                  "new tokens");
    EXPECT_EQ(alert_event_summary(sample_event("config_changed"), k_now),
              "DKIM configuration changed: " + k_id +
                  ": expected records changed; monitoring restarts at pending");
    EXPECT_EQ(alert_event_summary(sample_event("test"), k_now),
              "TEST: dkimwatch test alert: " + k_id + ": a sample alert, no action needed");
}

TEST(AlertEventSummary, ATestSampleOfARealKindIsMarked) {
    AlertEvent event = sample_event("revocation_warning");
    event.test = true;
    EXPECT_EQ(alert_event_summary(event, k_now),
              "TEST: DKIM revocation warning: " + k_id +
                  ": 1 record missing; SES revokes DKIM in 4d21h");
    AlertEvent unmarked = sample_event("test");
    unmarked.test = false; // kind "test" is marked even without the flag
    EXPECT_EQ(alert_title(unmarked), "TEST: dkimwatch test alert");
}

TEST(AlertEventSummary, UnknownKindFallsBackToTheReason) {
    AlertEvent event = sample_event("verified");
    event.kind = "future_kind";
    event.reason = "something new";
    EXPECT_EQ(alert_event_summary(event, k_now), "DKIM future kind: " + k_id + ": something new");
}

TEST(FailingRecordsPhrase, CountsAndVerdicts) {
    EXPECT_EQ(failing_records_phrase({}), "");
    EXPECT_EQ(failing_records_phrase({test::missing_cname()}), "1 record missing");
    EXPECT_EQ(failing_records_phrase({test::missing_cname("a"), test::missing_cname("b")}),
              "2 records missing");
    EXPECT_EQ(failing_records_phrase({test::wrong_target_cname()}),
              "1 record failing (wrong_target)");
    EXPECT_EQ(failing_records_phrase(
                  {test::wrong_target_cname(), test::missing_cname(), test::missing_cname("b")}),
              "3 records failing (wrong_target, missing)");
}

TEST(AlertPhrases, StateAndDeadline) {
    const AlertEvent event = sample_event("revocation_warning");
    EXPECT_EQ(state_phrase(event, k_now),
              "revocation_warning since 2024-01-01T00:00:00Z (2h30m ago)");
    EXPECT_EQ(deadline_phrase(event, k_now), "2024-01-06T00:00:00Z (in 4d21h)");
    EXPECT_EQ(deadline_phrase(sample_event("verified"), k_now), "none");
    EXPECT_EQ(identity_phrase(event.key), k_id);
}

TEST(AlertExplanation, RevocationWarningSaysSigningMayHaveStoppedAndWhenRevocationComes) {
    EXPECT_EQ(alert_explanation(sample_event("revocation_warning"), k_now),
              "SES may already have stopped DKIM-signing mail for example.com. Revocation is "
              "expected at 2024-01-06T00:00:00Z (in 4d21h) unless the records are restored.");
    EXPECT_EQ(alert_explanation(sample_event("revoked"), k_now),
              "SES has most likely revoked DKIM; the setup must be started again with new tokens.");
    AlertEvent sample = sample_event("revoked");
    sample.test = true;
    EXPECT_EQ(alert_explanation(sample, k_now),
              "TEST sample, no action is needed. SES has most likely revoked DKIM; the setup must "
              "be started again with new tokens.");
}

TEST(AlertDescription, CarriesIdentityStateDeadlineReasonAndRecords) {
    AlertEvent event = sample_event("revocation_warning");
    event.records.push_back(test::wrong_target_cname());
    EXPECT_EQ(alert_description(event, k_now),
              "SES may already have stopped DKIM-signing mail for example.com. Revocation is "
              "expected at 2024-01-06T00:00:00Z (in 4d21h) unless the records are restored.\n"
              "Identity: example.com (account 111122223333, region us-east-1)\n"
              "State: revocation_warning since 2024-01-01T00:00:00Z (2h30m ago)\n"
              "Deadline: 2024-01-06T00:00:00Z (in 4d21h)\n"
              "Reason: " +
                  event.reason +
                  "\n"
                  "Failing records:\n"
                  "- tok1._domainkey.example.com CNAME missing: expected "
                  "tok1.dkim.amazonses.com; observed nothing. no CNAME at "
                  "tok1._domainkey.example.com: add it, pointing at tok1.dkim.amazonses.com\n"
                  "- tok2._domainkey.example.com CNAME wrong_target: expected "
                  "tok2.dkim.amazonses.com; observed tok2.dkim.example.net. the CNAME points at "
                  "tok2.dkim.example.net: change it to tok2.dkim.amazonses.com");
}

TEST(AlertDescription, CapsRecords) {
    AlertEvent event = sample_event("revocation_warning");
    event.records.assign(25, test::missing_cname());
    const std::string text = alert_description(event, k_now);
    EXPECT_EQ(text.substr(text.size() - 11), "\nand 5 more");
}

AlertGroup sample_group(std::size_t total) {
    AlertGroup group;
    group.total = total;
    group.at = k_now;
    for (std::size_t i = 0; i < std::min<std::size_t>(total, 20); ++i) {
        AlertEvent event = sample_event(i < 2 ? "pending_overdue" : "verified");
        event.key.domain = "a" + std::to_string(i) + ".example";
        group.events.push_back(event);
    }
    if (group.events.size() > 1) {
        group.events[1] = sample_event("revocation_warning");
    }
    return group;
}

TEST(AlertGroupSummary, ListsThreeDomainsAndCountsTheRest) {
    EXPECT_EQ(alert_group_summary(sample_group(25)),
              "25 DKIM alerts, most severe critical: a0.example, example.com, a2.example and 22 "
              "more");
    EXPECT_EQ(alert_group_summary(sample_group(3)),
              "3 DKIM alerts, most severe critical: a0.example, example.com, a2.example");
    AlertGroup single = sample_group(1);
    single.events = {sample_event("test")};
    EXPECT_EQ(alert_group_title(single), "TEST: 1 DKIM alert");
}

} // namespace
} // namespace dkimwatch
