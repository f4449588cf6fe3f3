#include "core/ses_events.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

SesDomainIdentity view(SesDkimStatus status = SesDkimStatus::success, bool signing = true) {
    SesDomainIdentity out;
    out.domain = "example.com";
    out.signing_enabled = signing;
    out.status = status;
    out.status_text = ses_dkim_status_name(status);
    out.origin = "AWS_SES";
    out.tokens = {"tok1", "tok2", "tok3"};
    return out;
}

std::vector<SesEventKind> kinds(const std::vector<SesEvent>& events) {
    std::vector<SesEventKind> out;
    for (const auto& event : events) {
        out.push_back(event.kind);
    }
    return out;
}

TEST(SesIdentityEvents, HealthyFirstSightAndNoChangeRaiseNothing) {
    const auto healthy = view();
    EXPECT_TRUE(ses_identity_events(nullptr, healthy, k_t0).empty());
    EXPECT_TRUE(ses_identity_events(&healthy, healthy, k_t0).empty());
}

TEST(SesIdentityEvents, StatusChangeSeverities) {
    struct Expect {
        SesDkimStatus from;
        SesDkimStatus to;
        EventSeverity severity;
    };
    const std::vector<Expect> table = {
        {SesDkimStatus::success, SesDkimStatus::failed, EventSeverity::critical},
        {SesDkimStatus::pending, SesDkimStatus::failed, EventSeverity::critical},
        {SesDkimStatus::failed, SesDkimStatus::success, EventSeverity::resolved},
        {SesDkimStatus::pending, SesDkimStatus::success, EventSeverity::resolved},
        {SesDkimStatus::success, SesDkimStatus::temporary_failure, EventSeverity::warning},
        {SesDkimStatus::success, SesDkimStatus::pending, EventSeverity::info},
        {SesDkimStatus::not_started, SesDkimStatus::pending, EventSeverity::info},
        {SesDkimStatus::success, SesDkimStatus::unknown, EventSeverity::info},
    };
    for (const auto& row : table) {
        const auto before = view(row.from);
        const auto events = ses_identity_events(&before, view(row.to), k_t0 + 5min);
        ASSERT_EQ(kinds(events), std::vector{SesEventKind::ses_status_changed});
        EXPECT_EQ(events[0].severity, row.severity) << ses_dkim_status_name(row.to);
        EXPECT_EQ(events[0].from, ses_dkim_status_name(row.from));
        EXPECT_EQ(events[0].to, ses_dkim_status_name(row.to));
        EXPECT_EQ(events[0].at, k_t0 + 5min);
        EXPECT_NE(events[0].reason.find("example.com"), std::string::npos);
        EXPECT_NE(events[0].reason.back(), '.');
    }
}

TEST(SesIdentityEvents, FirstSightOfANonSuccessStatusRaisesFromEmpty) {
    const auto events = ses_identity_events(nullptr, view(SesDkimStatus::failed), k_t0);
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::ses_status_changed});
    EXPECT_EQ(events[0].from, "");
    EXPECT_EQ(events[0].to, "FAILED");
    EXPECT_EQ(events[0].severity, EventSeverity::critical);
    const auto pending = ses_identity_events(nullptr, view(SesDkimStatus::pending), k_t0);
    ASSERT_EQ(pending.size(), 1U);
    EXPECT_EQ(pending[0].to, "PENDING");
    EXPECT_EQ(pending[0].severity, EventSeverity::info);
}

TEST(SesIdentityEvents, TwoUnknownStatusesAreNoChange) {
    auto before = view(SesDkimStatus::unknown);
    before.status_text = "NEW_THING";
    auto after = view(SesDkimStatus::unknown);
    after.status_text = "OTHER_THING";
    EXPECT_TRUE(ses_identity_events(&before, after, k_t0).empty());
}

TEST(SesIdentityEvents, SigningDisabledAndItsResolution) {
    const auto on = view();
    const auto off = view(SesDkimStatus::success, false);
    auto events = ses_identity_events(&on, off, k_t0);
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::signing_disabled});
    EXPECT_EQ(events[0].severity, EventSeverity::critical);
    EXPECT_NE(events[0].reason.find("--email-identity example.com --signing-enabled"),
              std::string::npos);
    events = ses_identity_events(&off, on, k_t0);
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::signing_disabled});
    EXPECT_EQ(events[0].severity, EventSeverity::resolved);
    EXPECT_TRUE(ses_identity_events(&off, off, k_t0).empty()); // raised once, not every sync
    events = ses_identity_events(nullptr, off, k_t0);          // first seen switched off
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::signing_disabled});
    EXPECT_EQ(events[0].severity, EventSeverity::critical);
}

TEST(SesIdentityEvents, NewEmailIdentitiesAreNamedOnce) {
    auto before = view();
    before.email_identities = {"bob@example.com"};
    auto after = before;
    after.email_identities = {"bob@example.com", "carol@example.com", "mary@example.com"};
    auto events = ses_identity_events(&before, after, k_t0);
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::email_identity_unsigned});
    EXPECT_EQ(events[0].severity, EventSeverity::warning);
    EXPECT_NE(events[0].reason.find("carol@example.com, mary@example.com"), std::string::npos)
        << events[0].reason;
    EXPECT_EQ(events[0].reason.find("bob@"), std::string::npos) << events[0].reason;
    EXPECT_NE(events[0].reason.find("delete the address identities"), std::string::npos);
    EXPECT_TRUE(ses_identity_events(&after, after, k_t0).empty());
    // One removed: nothing to raise.
    EXPECT_TRUE(ses_identity_events(&after, before, k_t0).empty());
    events = ses_identity_events(nullptr, before, k_t0);
    ASSERT_EQ(kinds(events), std::vector{SesEventKind::email_identity_unsigned});
    EXPECT_NE(events[0].reason.find("identity bob@example.com"), std::string::npos);
}

TEST(SesIdentityEvents, SeveralChangesComeInOrder) {
    const auto before = view();
    auto after = view(SesDkimStatus::failed, false);
    after.email_identities = {"mary@example.com"};
    EXPECT_EQ(kinds(ses_identity_events(&before, after, k_t0)),
              (std::vector{SesEventKind::ses_status_changed, SesEventKind::signing_disabled,
                           SesEventKind::email_identity_unsigned}));
}

TEST(SesSyncHealth, FailingIsRaisedOnceAtTheThirdFailureAndRecoveryResolvesIt) {
    SesSyncHealth health;
    health.last_success = k_t0;
    for (int attempt = 1; attempt <= 2; ++attempt) {
        auto outcome = on_sync_result(health, false, k_t0 + attempt * 15min, "HTTP 500");
        EXPECT_TRUE(outcome.events.empty());
        EXPECT_EQ(outcome.health.consecutive_failures, attempt);
        EXPECT_EQ(outcome.health.last_success, k_t0); // kept while failing
        health = outcome.health;
    }
    auto third = on_sync_result(health, false, k_t0 + 45min, "HTTP 403: ses:ListEmailIdentities");
    ASSERT_EQ(third.events.size(), 1U);
    EXPECT_EQ(third.events[0].kind, SesEventKind::ses_sync_failing);
    EXPECT_EQ(third.events[0].severity, EventSeverity::warning);
    EXPECT_EQ(third.events[0].at, k_t0 + 45min);
    EXPECT_NE(third.events[0].reason.find("ses:ListEmailIdentities"), std::string::npos);
    EXPECT_TRUE(third.health.failing_raised);
    health = third.health;
    auto fourth = on_sync_result(health, false, k_t0 + 60min, "HTTP 500");
    EXPECT_TRUE(fourth.events.empty());
    EXPECT_EQ(fourth.health.consecutive_failures, 4);
    health = fourth.health;
    auto good = on_sync_result(health, true, k_t0 + 75min, "");
    ASSERT_EQ(good.events.size(), 1U);
    EXPECT_EQ(good.events[0].kind, SesEventKind::ses_sync_recovered);
    EXPECT_EQ(good.events[0].severity, EventSeverity::resolved);
    EXPECT_EQ(good.health, (SesSyncHealth{0, false, k_t0 + 75min}));
    // A second good sync raises nothing.
    EXPECT_TRUE(on_sync_result(good.health, true, k_t0 + 90min, "").events.empty());
}

TEST(SesSyncHealth, TwoFailuresThenSuccessRaiseNothing) {
    SesSyncHealth health;
    health = on_sync_result(health, false, k_t0, "x").health;
    health = on_sync_result(health, false, k_t0 + 1min, "x").health;
    const auto good = on_sync_result(health, true, k_t0 + 2min, "");
    EXPECT_TRUE(good.events.empty());
    EXPECT_EQ(good.health.consecutive_failures, 0);
    // The run starts over: two more failures still raise nothing.
    auto next = on_sync_result(good.health, false, k_t0 + 3min, "x");
    next = on_sync_result(next.health, false, k_t0 + 4min, "x");
    EXPECT_TRUE(next.events.empty());
}

TEST(SesRecheck, FailedWhileVerifiedTriggersARecheck) {
    const auto success = view();
    const auto failed = view(SesDkimStatus::failed);
    EXPECT_TRUE(ses_wants_recheck(&success, failed, IdentityState::verified));
    EXPECT_TRUE(ses_wants_recheck(nullptr, failed, IdentityState::verified));
    // Already FAILED before: the change was acted on at the time.
    EXPECT_FALSE(ses_wants_recheck(&failed, failed, IdentityState::verified));
    // dkimwatch already knows of a problem (or has not verified yet): nothing to hurry.
    for (const auto state :
         {IdentityState::pending, IdentityState::revocation_warning, IdentityState::revoked}) {
        EXPECT_FALSE(ses_wants_recheck(&success, failed, state));
    }
    for (const auto status : {SesDkimStatus::temporary_failure, SesDkimStatus::pending,
                              SesDkimStatus::success, SesDkimStatus::unknown}) {
        EXPECT_FALSE(ses_wants_recheck(&success, view(status), IdentityState::verified));
    }
}

} // namespace
} // namespace dkimwatch
