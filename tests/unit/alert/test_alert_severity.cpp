#include "alert/alert_severity.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

using S = EventSeverity;

TEST(PassesMinSeverity, InfoWarningCriticalOrder) {
    EXPECT_TRUE(passes_min_severity(S::info, S::info));
    EXPECT_FALSE(passes_min_severity(S::info, S::warning));
    EXPECT_TRUE(passes_min_severity(S::warning, S::warning));
    EXPECT_FALSE(passes_min_severity(S::warning, S::critical));
    EXPECT_TRUE(passes_min_severity(S::critical, S::critical));
    EXPECT_TRUE(passes_min_severity(S::critical, S::info));
}

TEST(PassesMinSeverity, ResolvedAlwaysPasses) {
    EXPECT_TRUE(passes_min_severity(S::resolved, S::critical));
    EXPECT_TRUE(passes_min_severity(S::resolved, S::info));
    EXPECT_TRUE(passes_min_severity(S::resolved, S::resolved));
    EXPECT_FALSE(passes_min_severity(S::critical, S::resolved));
}

TEST(AttentionRank, CriticalWarningResolvedInfo) {
    EXPECT_GT(attention_rank(S::critical), attention_rank(S::warning));
    EXPECT_GT(attention_rank(S::warning), attention_rank(S::resolved));
    EXPECT_GT(attention_rank(S::resolved), attention_rank(S::info));
}

TEST(ParseEventSeverity, InverseOfTheName) {
    for (const S severity : {S::info, S::warning, S::critical, S::resolved}) {
        EXPECT_EQ(parse_event_severity(event_severity_name(severity)), severity);
    }
    EXPECT_EQ(parse_event_severity("Critical"), std::nullopt);
    EXPECT_EQ(parse_event_severity(""), std::nullopt);
}

} // namespace
} // namespace dkimwatch
