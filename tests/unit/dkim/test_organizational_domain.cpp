#include "dkim/organizational_domain.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

TEST(OrganizationalDomain, OneLabelBelowThePublicSuffix) {
    EXPECT_EQ(organizational_domain("example.com"), "example.com");
    EXPECT_EQ(organizational_domain("mail.example.com"), "example.com");
    EXPECT_EQ(organizational_domain("a.b.mail.example.com"), "example.com");
}

TEST(OrganizationalDomain, MultiLabelSuffixes) {
    EXPECT_EQ(organizational_domain("news.bbc.co.uk"), "bbc.co.uk");
    EXPECT_EQ(organizational_domain("eu-west-1.amazonses.com"), "amazonses.com");
}

TEST(OrganizationalDomain, UnknownTopLevelDomainsActAsOneLabelSuffixes) {
    EXPECT_EQ(organizational_domain("mail.example.test"), "example.test");
    EXPECT_EQ(organizational_domain("example.test"), "example.test");
}

TEST(OrganizationalDomain, APublicSuffixOrSingleLabelIsItsOwn) {
    EXPECT_EQ(organizational_domain("co.uk"), "co.uk");
    EXPECT_EQ(organizational_domain("com"), "com");
    EXPECT_EQ(organizational_domain(""), "");
}

} // namespace
} // namespace dkimwatch
