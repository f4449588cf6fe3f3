#include "core/log_value.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;

TEST(LogValue, QuotesAndEscapes) {
    EXPECT_EQ(quote_log_value("plain"), "\"plain\"");
    EXPECT_EQ(quote_log_value("a \"b\" c\\d"), "\"a \\\"b\\\" c\\\\d\"");
    EXPECT_EQ(quote_log_value(""), "\"\"");
}
