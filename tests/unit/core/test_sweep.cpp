// The sweep driven by a fake LookupService that answers from a table, asynchronously (answers
// are delivered inside run(), in submission order), like the real resolver.

#include "core/sweep.hpp"

#include <deque>
#include <gtest/gtest.h>
#include <map>

using namespace dkimwatch;

namespace {

class TableLookups : public LookupService {
public:
    std::map<std::pair<std::string, RecordType>, LookupResult> answers;
    std::size_t submitted = 0;
    std::size_t max_outstanding = 0;

    void submit(LookupRequest request, Callback callback) override {
        ++submitted;
        m_queue.emplace_back(std::move(request), std::move(callback));
        max_outstanding = std::max(max_outstanding, m_queue.size());
    }

    void run() override {
        while (!m_queue.empty()) {
            auto [request, callback] = std::move(m_queue.front());
            m_queue.pop_front();
            LookupResult lookup;
            auto found = answers.find({request.name, request.type});
            if (found != answers.end()) {
                lookup = found->second;
            } else {
                lookup.outcome = LookupOutcome::nxdomain;
            }
            lookup.request = request;
            callback(std::move(lookup));
        }
    }

private:
    std::deque<std::pair<LookupRequest, Callback>> m_queue;
};

Identity easy(const std::string& domain) {
    Identity identity;
    identity.domain = domain;
    identity.account = "1";
    identity.region = "us-east-1";
    EasyDkim method;
    method.tokens = {"a", "b", "c"};
    method.signing_hosted_zone = "dkim.amazonses.com";
    identity.method = method;
    return identity;
}

void publish(TableLookups& lookups, const std::string& domain, const std::string& token) {
    const std::string name = token + "._domainkey." + domain;
    LookupResult cname;
    cname.outcome = LookupOutcome::answer;
    cname.cname_chain = {token + ".dkim.amazonses.com"};
    lookups.answers[{name, RecordType::cname}] = cname;
    LookupResult txt;
    txt.outcome = LookupOutcome::answer;
    txt.cname_chain = cname.cname_chain;
    txt.txt_records = {{"p="}};
    lookups.answers[{name, RecordType::txt}] = txt;
}

TEST(Sweep, ReportsEveryIdentityInOrderWithItsWorstSeverity) {
    TableLookups lookups;
    for (const char* token : {"a", "b", "c"}) {
        publish(lookups, "good.test", token);
    }
    publish(lookups, "partial.test", "a");
    publish(lookups, "partial.test", "c");
    const std::vector<Identity> identities{easy("good.test"), easy("partial.test"),
                                           easy("gone.test")};

    const auto reports = run_sweep(identities, lookups);

    ASSERT_EQ(reports.size(), 3u);
    EXPECT_EQ(reports[0].identity, &identities[0]);
    EXPECT_EQ(reports[0].worst, Severity::ok);
    EXPECT_TRUE(reports[0].complete);
    EXPECT_EQ(reports[1].worst, Severity::error);
    ASSERT_EQ(reports[1].records.size(), 3u);
    EXPECT_EQ(reports[1].records[0].code, VerdictCode::ok);
    EXPECT_EQ(reports[1].records[1].code, VerdictCode::missing);
    EXPECT_EQ(reports[1].records[1].name, "b._domainkey.partial.test");
    EXPECT_EQ(reports[1].records[2].code, VerdictCode::ok);
    EXPECT_EQ(reports[2].worst, Severity::error);
    EXPECT_STREQ(identity_status_name(reports[2].worst), "error");
    // 2 lookups per present record, 3 per missing one (the doubled-domain probe).
    EXPECT_EQ(lookups.submitted, 5u * 2 + 4u * 3);
}

TEST(Sweep, BoundsTheRecordsUnderWay) {
    TableLookups lookups;
    std::vector<Identity> identities;
    for (int i = 0; i < 50; ++i) {
        identities.push_back(easy("d" + std::to_string(i) + ".test"));
    }
    SweepOptions options;
    options.max_active_records = 4;
    const auto reports = run_sweep(identities, lookups, options);
    ASSERT_EQ(reports.size(), 50u);
    for (const auto& report : reports) {
        ASSERT_EQ(report.records.size(), 3u);
        EXPECT_EQ(report.records[2].code, VerdictCode::missing);
    }
    // At most 4 records at once, each asking at most 2 questions at a time.
    EXPECT_LE(lookups.max_outstanding, 8u);
    EXPECT_EQ(lookups.submitted, 150u * 3);
}

// Answers the most recent question first, so that records finish out of order and their task
// slots are reused while older records are still waiting.
class NewestFirstLookups : public LookupService {
public:
    TableLookups table;

    void submit(LookupRequest request, Callback callback) override {
        m_stack.emplace_back(std::move(request), std::move(callback));
    }
    void run() override {
        while (!m_stack.empty()) {
            auto [request, callback] = std::move(m_stack.back());
            m_stack.pop_back();
            LookupResult lookup;
            auto found = table.answers.find({request.name, request.type});
            if (found != table.answers.end()) {
                lookup = found->second;
            } else {
                lookup.outcome = LookupOutcome::nxdomain;
            }
            lookup.request = request;
            callback(std::move(lookup));
        }
    }

private:
    std::vector<std::pair<LookupRequest, Callback>> m_stack;
};

TEST(Sweep, RecordsFinishingOutOfOrderKeepTheirOwnVerdicts) {
    NewestFirstLookups lookups;
    std::vector<Identity> identities;
    for (int i = 0; i < 30; ++i) {
        const std::string domain = "d" + std::to_string(i) + ".test";
        identities.push_back(easy(domain));
        // Identity i publishes the tokens whose position is not i % 4 (i % 4 == 3: all three).
        for (int t = 0; t < 3; ++t) {
            if (t != i % 4) {
                publish(lookups.table, domain, std::string(1, static_cast<char>('a' + t)));
            }
        }
    }
    SweepOptions options;
    options.max_active_records = 5;
    const auto reports = run_sweep(identities, lookups, options);
    ASSERT_EQ(reports.size(), 30u);
    for (int i = 0; i < 30; ++i) {
        const IdentityReport& report = reports[static_cast<std::size_t>(i)];
        EXPECT_TRUE(report.complete);
        ASSERT_EQ(report.records.size(), 3u);
        for (int t = 0; t < 3; ++t) {
            const RecordVerdict& record = report.records[static_cast<std::size_t>(t)];
            EXPECT_EQ(record.name, std::string(1, static_cast<char>('a' + t)) + "._domainkey.d" +
                                       std::to_string(i) + ".test");
            EXPECT_EQ(record.code, t == i % 4 ? VerdictCode::missing : VerdictCode::ok)
                << "identity " << i << " record " << t;
        }
        EXPECT_EQ(report.worst, i % 4 == 3 ? Severity::ok : Severity::error) << i;
    }
}

// A service that stops before answering everything (the daemon's prompt exit on SIGTERM).
class StoppingLookups : public TableLookups {
public:
    void run() override {}
};

TEST(Sweep, ReportsAreIncompleteWhenTheServiceStopsEarly) {
    StoppingLookups lookups;
    const std::vector<Identity> identities{easy("a.test")};
    const auto reports = run_sweep(identities, lookups);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_FALSE(reports[0].complete);
}

TEST(Sweep, EmptyInventoryIsAnEmptyReport) {
    TableLookups lookups;
    EXPECT_TRUE(run_sweep({}, lookups).empty());
    EXPECT_EQ(lookups.submitted, 0u);
}

} // namespace
