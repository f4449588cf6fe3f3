#include "core/txt_rendering.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;

TEST(TxtRendering, EscapesQuotesBackslashesAndBinary) {
    EXPECT_EQ(escape_txt_string("a\"b\\c"), "a\\\"b\\\\c");
    EXPECT_EQ(escape_txt_string(std::string("x\n\0y\xff", 5)), "x\\010\\000y\\255");
}

TEST(TxtRendering, RecordIsQuotedStrings) {
    EXPECT_EQ(render_txt_record({"v=DKIM1; ", "p=abc"}), "\"v=DKIM1; \" \"p=abc\"");
    EXPECT_EQ(render_txt_record({}), "\"\"");
}

TEST(TxtRendering, SplitsAt255Bytes) {
    const std::string value(600, 'k');
    const auto pieces = split_txt_value(value);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].size(), 255u);
    EXPECT_EQ(pieces[1].size(), 255u);
    EXPECT_EQ(pieces[2].size(), 90u);
    EXPECT_EQ(split_txt_value("").size(), 1u);
    EXPECT_EQ(split_txt_value(std::string(255, 'a')).size(), 1u);
}
