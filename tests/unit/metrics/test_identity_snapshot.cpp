#include "metrics/identity_snapshot.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

using namespace dkimwatch;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Not;

namespace {

const IdentityKey k_alpha{"111122223333", "us-east-1", "alpha.example"};
const IdentityKey k_beta{"111122223333", "eu-west-1", "beta.example"};

TimePoint at_ms(long long ms) {
    return TimePoint{Milliseconds{ms}};
}

RecordVerdict record(std::string name, VerdictCode code) {
    RecordVerdict verdict;
    verdict.name = std::move(name);
    verdict.type = "CNAME";
    verdict.code = code;
    verdict.severity = severity_of(code);
    return verdict;
}

std::string render(const IdentitySnapshot& snapshot) {
    std::string out;
    snapshot.append_exposition(out);
    return out;
}

// The sample lines of one family (name followed by '{' or ' '), in output order.
std::vector<std::string> samples(const std::string& text, const std::string& family) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(family + "{", 0) == 0 || line.rfind(family + " ", 0) == 0) {
            lines.push_back(line);
        }
    }
    return lines;
}

} // namespace

TEST(IdentitySnapshot, EmptySnapshotExportsOnlyZeroCounts) {
    const IdentitySnapshot snapshot;
    EXPECT_EQ(render(snapshot), "# HELP dkimwatch_identities Configured identities per state.\n"
                                "# TYPE dkimwatch_identities gauge\n"
                                "dkimwatch_identities{state=\"pending\"} 0\n"
                                "dkimwatch_identities{state=\"verified\"} 0\n"
                                "dkimwatch_identities{state=\"revocation_warning\"} 0\n"
                                "dkimwatch_identities{state=\"revoked\"} 0\n");
}

TEST(IdentitySnapshot, OneSeriesPerIdentityForItsCurrentState) {
    IdentitySnapshot snapshot;
    snapshot.update(k_alpha, IdentityState::verified, std::nullopt, at_ms(1'700'000'000'123), {});
    snapshot.update(k_beta, IdentityState::pending, std::nullopt, std::nullopt, {});
    const std::string text = render(snapshot);
    // Ordered by (account, region, domain): eu-west-1 before us-east-1.
    EXPECT_THAT(samples(text, "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{account=\"111122223333\",region=\"eu-west-"
                            "1\",domain=\"beta.example\",state=\"pending\"} 1",
                            "dkimwatch_identity_state{account=\"111122223333\",region=\"us-east-"
                            "1\",domain=\"alpha.example\",state=\"verified\"} 1"));
    EXPECT_THAT(samples(text, "dkimwatch_identity_last_check_timestamp_seconds"),
                ElementsAre("dkimwatch_identity_last_check_timestamp_seconds{account="
                            "\"111122223333\",region=\"us-east-1\",domain=\"alpha.example\"} "
                            "1700000000.123"));
    EXPECT_THAT(samples(text, "dkimwatch_identities"),
                ElementsAre("dkimwatch_identities{state=\"pending\"} 1",
                            "dkimwatch_identities{state=\"verified\"} 1",
                            "dkimwatch_identities{state=\"revocation_warning\"} 0",
                            "dkimwatch_identities{state=\"revoked\"} 0"));
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_revocation_deadline_timestamp_seconds")));
    EXPECT_THAT(text, Not(HasSubstr("dkimwatch_record_problem")));
    EXPECT_EQ(snapshot.size(), 2U);
}

TEST(IdentitySnapshot, StateChangeMovesTheSeries) {
    IdentitySnapshot snapshot;
    snapshot.update(k_alpha, IdentityState::pending, std::nullopt, std::nullopt, {});
    snapshot.update(k_alpha, IdentityState::verified, std::nullopt, at_ms(1'000), {});
    const std::string text = render(snapshot);
    EXPECT_THAT(samples(text, "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{account=\"111122223333\",region=\"us-east-"
                            "1\",domain=\"alpha.example\",state=\"verified\"} 1"));
    EXPECT_THAT(text, HasSubstr("dkimwatch_identities{state=\"pending\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("dkimwatch_identities{state=\"verified\"} 1\n"));
}

TEST(IdentitySnapshot, DeadlineOnlyWhileInRevocationWarning) {
    IdentitySnapshot snapshot;
    const TimePoint deadline = at_ms(1'700'432'000'000);
    snapshot.update(k_alpha, IdentityState::revocation_warning, deadline, at_ms(1'700'000'000'000),
                    {record("tok1._domainkey.alpha.example", VerdictCode::missing)});
    EXPECT_THAT(samples(render(snapshot), "dkimwatch_revocation_deadline_timestamp_seconds"),
                ElementsAre("dkimwatch_revocation_deadline_timestamp_seconds{account="
                            "\"111122223333\",region=\"us-east-1\",domain=\"alpha.example\"} "
                            "1700432000"));
    EXPECT_THAT(render(snapshot),
                HasSubstr("dkimwatch_identities{state=\"revocation_warning\"} 1\n"));

    // Revoked keeps no deadline series even if the caller still passes the old deadline.
    snapshot.update(k_alpha, IdentityState::revoked, deadline, at_ms(1'700'432'000'001), {});
    EXPECT_THAT(samples(render(snapshot), "dkimwatch_revocation_deadline_timestamp_seconds"),
                IsEmpty());
    // The family disappears along with its last series.
    EXPECT_THAT(render(snapshot),
                Not(HasSubstr("# TYPE dkimwatch_revocation_deadline_timestamp_seconds")));
}

TEST(IdentitySnapshot, OneProblemSeriesPerNonOkRecord) {
    IdentitySnapshot snapshot;
    snapshot.update(k_alpha, IdentityState::verified, std::nullopt, at_ms(1'000),
                    {record("tok1._domainkey.alpha.example", VerdictCode::ok),
                     record("tok2._domainkey.alpha.example", VerdictCode::wrong_target),
                     record("tok3._domainkey.alpha.example", VerdictCode::dns_error),
                     record("tok2._domainkey.alpha.example", VerdictCode::wrong_target)});
    const std::string prefix =
        "dkimwatch_record_problem{account=\"111122223333\",region=\"us-east-1\",domain=\"alpha."
        "example\",";
    EXPECT_THAT(samples(render(snapshot), "dkimwatch_record_problem"),
                ElementsAre(prefix + "record=\"tok2._domainkey.alpha.example\",verdict=\"wrong_"
                                     "target\"} 1",
                            prefix + "record=\"tok3._domainkey.alpha.example\",verdict=\"dns_"
                                     "error\"} 1"));

    // tok2 fixed: its series goes, tok3 stays.
    snapshot.update(k_alpha, IdentityState::verified, std::nullopt, at_ms(2'000),
                    {record("tok1._domainkey.alpha.example", VerdictCode::ok),
                     record("tok2._domainkey.alpha.example", VerdictCode::ok),
                     record("tok3._domainkey.alpha.example", VerdictCode::dns_error)});
    EXPECT_THAT(
        samples(render(snapshot), "dkimwatch_record_problem"),
        ElementsAre(prefix + "record=\"tok3._domainkey.alpha.example\",verdict=\"dns_error\"} 1"));

    // All ok: the family is gone.
    snapshot.update(k_alpha, IdentityState::verified, std::nullopt, at_ms(3'000),
                    {record("tok3._domainkey.alpha.example", VerdictCode::ok)});
    EXPECT_THAT(render(snapshot), Not(HasSubstr("dkimwatch_record_problem")));
}

TEST(IdentitySnapshot, RemovedIdentitiesVanish) {
    IdentitySnapshot snapshot;
    snapshot.update(k_alpha, IdentityState::revocation_warning, at_ms(5'000), at_ms(1'000),
                    {record("tok1._domainkey.alpha.example", VerdictCode::missing)});
    snapshot.update(k_beta, IdentityState::verified, std::nullopt, at_ms(1'000), {});
    snapshot.remove(k_alpha);
    snapshot.remove(IdentityKey{"nobody", "us-east-1", "alpha.example"}); // unknown: ignored
    const std::string text = render(snapshot);
    EXPECT_THAT(text, Not(HasSubstr("alpha.example")));
    EXPECT_THAT(text, HasSubstr("domain=\"beta.example\""));
    EXPECT_THAT(text, HasSubstr("dkimwatch_identities{state=\"revocation_warning\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("dkimwatch_identities{state=\"verified\"} 1\n"));
    EXPECT_EQ(snapshot.size(), 1U);
}

TEST(IdentitySnapshot, LabelValuesAreEscaped) {
    IdentitySnapshot snapshot;
    snapshot.update(IdentityKey{"a\"b", "back\\slash", "new\nline"}, IdentityState::pending,
                    std::nullopt, std::nullopt, {});
    EXPECT_THAT(samples(render(snapshot), "dkimwatch_identity_state"),
                ElementsAre("dkimwatch_identity_state{account=\"a\\\"b\",region=\"back\\\\slash\","
                            "domain=\"new\\nline\",state=\"pending\"} 1"));
}

TEST(IdentitySnapshot, FullExpositionIsExact) {
    IdentitySnapshot snapshot;
    snapshot.update(k_alpha, IdentityState::revocation_warning, at_ms(1'700'432'000'000),
                    at_ms(1'700'000'000'500),
                    {record("t1._domainkey.alpha.example", VerdictCode::missing),
                     record("t2._domainkey.alpha.example", VerdictCode::ok)});
    snapshot.update(k_beta, IdentityState::revoked, std::nullopt, std::nullopt, {});
    const std::string alpha = R"(account="111122223333",region="us-east-1",domain="alpha.example")";
    const std::string beta = R"(account="111122223333",region="eu-west-1",domain="beta.example")";
    EXPECT_EQ(
        render(snapshot),
        "# HELP dkimwatch_identities Configured identities per state.\n"
        "# TYPE dkimwatch_identities gauge\n"
        "dkimwatch_identities{state=\"pending\"} 0\n"
        "dkimwatch_identities{state=\"verified\"} 0\n"
        "dkimwatch_identities{state=\"revocation_warning\"} 1\n"
        "dkimwatch_identities{state=\"revoked\"} 1\n"
        "# HELP dkimwatch_identity_state 1 for the identity's current state (pending, verified, "
        "revocation_warning, revoked).\n"
        "# TYPE dkimwatch_identity_state gauge\n"
        "dkimwatch_identity_state{" +
            beta + ",state=\"revoked\"} 1\n" + "dkimwatch_identity_state{" + alpha +
            ",state=\"revocation_warning\"} 1\n"
            "# HELP dkimwatch_identity_last_check_timestamp_seconds Unix time of the identity's "
            "latest check of its current configuration.\n"
            "# TYPE dkimwatch_identity_last_check_timestamp_seconds gauge\n"
            "dkimwatch_identity_last_check_timestamp_seconds{" +
            alpha +
            "} 1700000000.5\n"
            "# HELP dkimwatch_revocation_deadline_timestamp_seconds Unix time after which SES is "
            "expected to revoke DKIM signing, while the identity is in revocation_warning.\n"
            "# TYPE dkimwatch_revocation_deadline_timestamp_seconds gauge\n"
            "dkimwatch_revocation_deadline_timestamp_seconds{" +
            alpha +
            "} 1700432000\n"
            "# HELP dkimwatch_record_problem 1 for each DKIM record whose latest verdict is not "
            "ok, labelled with it.\n"
            "# TYPE dkimwatch_record_problem gauge\n"
            "dkimwatch_record_problem{" +
            alpha + ",record=\"t1._domainkey.alpha.example\",verdict=\"missing\"} 1\n");
}
