#include "core/dns_name.hpp"

#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

TEST(CanonicalName, LowercasesAndStripsOneTrailingDot) {
    EXPECT_EQ(canonical_name("Example.COM."), "example.com");
    EXPECT_EQ(canonical_name("example.com"), "example.com");
    EXPECT_EQ(canonical_name("a.."), "a.");
    EXPECT_EQ(canonical_name(""), "");
    EXPECT_EQ(canonical_name("."), "");
    // Bytes outside ASCII letters are kept as they are.
    EXPECT_EQ(canonical_name("\xC3\x84-x_Y"), "\xC3\x84-x_y");
}

TEST(SameName, ComparesCanonicalForms) {
    EXPECT_TRUE(same_name("Sel._DomainKey.Example.com.", "sel._domainkey.example.com"));
    EXPECT_FALSE(same_name("example.com", "example.org"));
    EXPECT_FALSE(same_name("example.com", "example.com.."));
}

TEST(InvalidLabelReason, AcceptsLettersDigitsHyphensUnderscores) {
    EXPECT_EQ(invalid_label_reason("a"), std::nullopt);
    EXPECT_EQ(invalid_label_reason("xn--bcher-kva"), std::nullopt);
    EXPECT_EQ(invalid_label_reason("_domainkey"), std::nullopt);
    EXPECT_EQ(invalid_label_reason("4g7ahq2nvm5qdjxmffs7ab4aprrxrwe3"), std::nullopt);
    EXPECT_EQ(invalid_label_reason(std::string(63, 'a')), std::nullopt);
}

TEST(InvalidLabelReason, Rejections) {
    EXPECT_EQ(invalid_label_reason(""), "a label is empty");
    EXPECT_EQ(invalid_label_reason(std::string(64, 'a')),
              "label \"aaaaaaaaaaaaaaaaaaaa...\" is 64 bytes long; labels are 1 to 63 bytes");
    EXPECT_EQ(invalid_label_reason("a.b"),
              "label \"a.b\" contains '.'; allowed are letters, digits, '-' and '_'");
    EXPECT_EQ(invalid_label_reason("a b"),
              "label \"a b\" contains a space; allowed are letters, digits, '-' and '_'");
    EXPECT_EQ(invalid_label_reason("a\x01"),
              "label \"a\x01\" contains byte 0x01; allowed are letters, digits, '-' and '_'");
    EXPECT_EQ(invalid_label_reason("\xC3\xA4"),
              "label \"\xC3\xA4\" contains byte 0xc3; allowed are letters, digits, '-' and '_'");
    EXPECT_EQ(invalid_label_reason("-abc"), "label \"-abc\" starts with '-'");
    EXPECT_EQ(invalid_label_reason("abc-"), "label \"abc-\" ends with '-'");
}

TEST(InvalidDomainReason, AcceptsHostNames) {
    EXPECT_EQ(invalid_domain_reason("example.com"), std::nullopt);
    EXPECT_EQ(invalid_domain_reason("example.com."), std::nullopt);
    EXPECT_EQ(invalid_domain_reason("Mail.Example.CO.UK"), std::nullopt);
    EXPECT_EQ(invalid_domain_reason("localhost"), std::nullopt);
    EXPECT_EQ(invalid_domain_reason("tok._domainkey.example.com"), std::nullopt);
}

TEST(InvalidDomainReason, Rejections) {
    EXPECT_EQ(invalid_domain_reason(""), "the name is empty");
    EXPECT_EQ(invalid_domain_reason("."), "the root name \".\" is not a usable name");
    EXPECT_EQ(invalid_domain_reason(".example.com"), "it has an empty label (a leading dot)");
    EXPECT_EQ(invalid_domain_reason("example..com"), "it has an empty label (two dots in a row)");
    EXPECT_EQ(invalid_domain_reason("example.com.."), "it has an empty label (two dots in a row)");
    EXPECT_EQ(invalid_domain_reason("exa mple.com"),
              "label \"exa mple\" contains a space; allowed are letters, digits, '-' and '_'");
    EXPECT_EQ(invalid_domain_reason("-example.com"), "label \"-example\" starts with '-'");
}

TEST(InvalidDomainReason, LengthLimitIs253WithoutTheTrailingDot) {
    // 4 labels of 63 bytes and 3 dots: 255 bytes; trim to exactly 253.
    const std::string label(63, 'a');
    std::string name = label + "." + label + "." + label + "." + label.substr(0, 61);
    ASSERT_EQ(name.size(), 253U);
    EXPECT_EQ(invalid_domain_reason(name), std::nullopt);
    EXPECT_EQ(invalid_domain_reason(name + "."), std::nullopt);
    EXPECT_EQ(invalid_domain_reason(name + "a"),
              "the name is 254 bytes long; DNS names are at most 253 bytes");
}

} // namespace
} // namespace dkimwatch
