#include "alert/text_truncation.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TEST(TruncateUtf8, ShortTextIsUnchanged) {
    EXPECT_EQ(truncate_utf8("hello", 5), "hello");
    EXPECT_EQ(truncate_utf8("", 0), "");
}

TEST(TruncateUtf8, LongTextEndsWithEllipsisWithinTheLimit) {
    EXPECT_EQ(truncate_utf8("hello world", 8), "hello\xE2\x80\xA6");
    EXPECT_EQ(truncate_utf8("hello world", 8).size(), 8u);
}

TEST(TruncateUtf8, NeverSplitsACharacter) {
    // "éééé" is 8 bytes; 7 allowed with a 3-byte ellipsis leaves 4: two whole "é".
    EXPECT_EQ(truncate_utf8("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 7), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
    // Leaves 3: only one "é" fits.
    EXPECT_EQ(truncate_utf8("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 6), "\xC3\xA9\xE2\x80\xA6");
}

TEST(TruncateUtf8, TinyLimitGivesAPlainPrefix) {
    EXPECT_EQ(truncate_utf8("hello", 2), "he");
    EXPECT_EQ(truncate_utf8("\xC3\xA9\xC3\xA9", 1), "");
}

} // namespace
} // namespace dkimwatch
