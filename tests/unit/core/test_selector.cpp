#include "core/selector.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;

TEST(Selector, LettersAndDigitsUpTo63) {
    EXPECT_EQ(invalid_selector_reason("sel1"), std::nullopt);
    EXPECT_EQ(invalid_selector_reason("S2026"), std::nullopt);
    EXPECT_EQ(invalid_selector_reason(std::string(63, 'a')), std::nullopt);
}

TEST(Selector, ViolationsNameTheReason) {
    EXPECT_EQ(invalid_selector_reason(""),
              "is empty: SES selectors are 1 to 63 letters and digits, with no periods or other "
              "punctuation");
    EXPECT_EQ(invalid_selector_reason(std::string(64, 'a')),
              "is 64 characters long: SES selectors are 1 to 63 letters and digits, with no "
              "periods or other punctuation");
    EXPECT_EQ(invalid_selector_reason("sel.1"),
              "contains a period: SES selectors are 1 to 63 letters and digits, with no periods "
              "or other punctuation");
    EXPECT_EQ(invalid_selector_reason("sel_1"),
              "contains '_': SES selectors are 1 to 63 letters and digits, with no periods or "
              "other punctuation");
    EXPECT_NE(invalid_selector_reason("sel-1")->find("contains a hyphen"), std::string::npos);
    EXPECT_NE(invalid_selector_reason("sel 1")->find("space or non-ASCII"), std::string::npos);
    EXPECT_NE(invalid_selector_reason("s\xc3\xa9l")->find("space or non-ASCII"), std::string::npos);
}
