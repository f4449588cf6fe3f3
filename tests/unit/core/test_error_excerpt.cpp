#include "core/error_excerpt.hpp"

#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

TEST(ErrorExcerpt, PrintableAsciiStaysAsIs) {
    EXPECT_EQ(error_excerpt("Subject hello"), "Subject hello");
    EXPECT_EQ(error_excerpt(""), "");
}

TEST(ErrorExcerpt, QuotesBackslashesAndOtherBytesAreEscaped) {
    EXPECT_EQ(error_excerpt("a\"b\\c"), "a\\\"b\\\\c");
    EXPECT_EQ(error_excerpt(std::string("x\0y\r\n\xff", 6)), "x\\x00y\\x0d\\x0a\\xff");
}

TEST(ErrorExcerpt, CutAtTheLimitInInputBytes) {
    const std::string long_text(k_error_excerpt_bytes + 40, 'a');
    EXPECT_EQ(error_excerpt(long_text), std::string(k_error_excerpt_bytes, 'a'));
    EXPECT_EQ(error_excerpt(std::string(k_error_excerpt_bytes, '\x01')).size(),
              4 * k_error_excerpt_bytes);
}

} // namespace
} // namespace dkimwatch
