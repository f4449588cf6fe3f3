#include "metrics/exposition_text.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <string>

using namespace dkimwatch;

TEST(ExpositionText, FamilyHeaderEscapesHelp) {
    std::string out = "x\n";
    append_family_header(out, "dkimwatch_a_total", "Back\\slash, \"quoted\",\nnext line.",
                         "counter");
    EXPECT_EQ(out, "x\n# HELP dkimwatch_a_total Back\\\\slash, \"quoted\",\\nnext line.\n"
                   "# TYPE dkimwatch_a_total counter\n");
}

TEST(ExpositionText, LabelValuesEscapeBackslashQuoteAndNewline) {
    std::string out;
    append_label_value(out, "plain");
    EXPECT_EQ(out, "plain");
    out.clear();
    append_label_value(out, "a\\b\"c\nd\te\\");
    EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te\\\\");
    out.clear();
    append_label_value(out, "");
    EXPECT_EQ(out, "");
}

TEST(ExpositionText, SampleValuesAreShortestRoundTrip) {
    const auto text = [](double value) {
        std::string out;
        append_sample_value(out, value);
        return out;
    };
    EXPECT_EQ(text(0), "0");
    EXPECT_EQ(text(1), "1");
    EXPECT_EQ(text(0.25), "0.25");
    EXPECT_EQ(text(1'700'000'000.123), "1700000000.123");
    EXPECT_EQ(text(1'700'432'000), "1700432000");
    EXPECT_EQ(text(100000), "100000");
    EXPECT_EQ(text(-2.5), "-2.5");
    EXPECT_EQ(text(0.0005), "0.0005");
    EXPECT_EQ(text(1e-6), "0.000001");
    EXPECT_EQ(text(1.5e-7), "1.5e-07");
    EXPECT_EQ(text(1e20), "1e+20");
    EXPECT_EQ(text(-0.0), "-0");
    EXPECT_EQ(text(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "-Inf");
}
