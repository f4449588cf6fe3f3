#include "core/dmarc_alignment.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace dkimwatch {
namespace {

// A tiny public suffix table: "com", "test" and "co.uk" are suffixes; the organizational domain
// is the suffix plus one label (the name itself when it is a suffix).
std::string table_organizational_domain(std::string_view name) {
    for (const std::string_view suffix : {"co.uk", "com", "test", "uk"}) {
        const std::string tail = "." + std::string(suffix);
        if (name == suffix) {
            return std::string(name);
        }
        if (name.size() > tail.size() && name.ends_with(tail)) {
            const std::string_view rest = name.substr(0, name.size() - tail.size());
            const auto dot = rest.rfind('.');
            const std::string_view label =
                dot == std::string_view::npos ? rest : rest.substr(dot + 1);
            return std::string(label) + tail;
        }
    }
    return std::string(name);
}

const OrganizationalDomainFunction k_org = table_organizational_domain;

TEST(DmarcAlignment, TableBehavesAsAPublicSuffixList) {
    EXPECT_EQ(table_organizational_domain("mail.example.co.uk"), "example.co.uk");
    EXPECT_EQ(table_organizational_domain("a.b.example.com"), "example.com");
    EXPECT_EQ(table_organizational_domain("co.uk"), "co.uk");
}

TEST(DmarcAlignment, EqualNamesAreStrictAndRelaxed) {
    EXPECT_EQ(dkim_alignment("example.com", "example.com", k_org), (DkimAlignment{true, true}));
}

TEST(DmarcAlignment, CaseAndTrailingDotAreIgnored) {
    EXPECT_EQ(dkim_alignment("Example.COM.", "example.com", k_org), (DkimAlignment{true, true}));
    EXPECT_EQ(dkim_alignment("example.com", "EXAMPLE.com.", k_org), (DkimAlignment{true, true}));
}

TEST(DmarcAlignment, SubdomainIsRelaxedOnly) {
    EXPECT_EQ(dkim_alignment("example.com", "mail.example.com", k_org),
              (DkimAlignment{false, true}));
    EXPECT_EQ(dkim_alignment("news.example.com", "example.com", k_org),
              (DkimAlignment{false, true}));
    EXPECT_EQ(dkim_alignment("a.example.com", "b.example.com", k_org),
              (DkimAlignment{false, true}));
}

TEST(DmarcAlignment, DifferentOrganizationsAreNotAligned) {
    EXPECT_EQ(dkim_alignment("amazonses.com", "example.com", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("example.net", "example.com", k_org), (DkimAlignment{}));
    // A suffix match that is not a label boundary is no relation.
    EXPECT_EQ(dkim_alignment("badexample.com", "example.com", k_org), (DkimAlignment{}));
}

TEST(DmarcAlignment, MultiLabelPublicSuffixSeparatesOrganizations) {
    // Both end in co.uk, but co.uk is a public suffix: two different organizations.
    EXPECT_EQ(dkim_alignment("one.co.uk", "two.co.uk", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("co.uk", "example.co.uk", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("example.co.uk", "mail.example.co.uk", k_org),
              (DkimAlignment{false, true}));
}

TEST(DmarcAlignment, EmptyDomainIsNeverAligned) {
    EXPECT_EQ(dkim_alignment("", "example.com", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("example.com", "", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("", "", k_org), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment(".", ".", k_org), (DkimAlignment{}));
}

TEST(DmarcAlignment, OrganizationalDomainIsAskedWithCanonicalNames) {
    std::string asked;
    const OrganizationalDomainFunction recording = [&asked](std::string_view name) {
        asked += std::string(name) + ";";
        return table_organizational_domain(name);
    };
    EXPECT_TRUE(dkim_alignment("Mail.Example.COM.", "example.com.", recording).relaxed);
    EXPECT_EQ(asked, "mail.example.com;example.com;");
}

TEST(DmarcAlignment, EmptyOrganizationalDomainsDoNotAlign) {
    const OrganizationalDomainFunction nothing = [](std::string_view) { return std::string(); };
    EXPECT_EQ(dkim_alignment("a.example.com", "b.example.com", nothing), (DkimAlignment{}));
    // Strict alignment needs no organizational domain.
    EXPECT_EQ(dkim_alignment("example.com", "example.com", nothing), (DkimAlignment{true, true}));
}

TEST(DmarcAlignment, NoFunctionGivesStrictOnly) {
    EXPECT_EQ(dkim_alignment("a.example.com", "example.com", nullptr), (DkimAlignment{}));
    EXPECT_EQ(dkim_alignment("example.com", "example.com", nullptr), (DkimAlignment{true, true}));
}

} // namespace
} // namespace dkimwatch
