#include "core/region_table.hpp"

#include <gtest/gtest.h>

using namespace dkimwatch;

TEST(RegionTable, MostRegionsShareTheGlobalZone) {
    EXPECT_EQ(default_signing_hosted_zone("us-east-1"), "dkim.amazonses.com");
    EXPECT_EQ(default_signing_hosted_zone("eu-west-1"), "dkim.amazonses.com");
}

TEST(RegionTable, LaterRegionsHaveTheirOwnZone) {
    for (const char* region : {"af-south-1", "ap-northeast-3", "ap-south-2", "ap-southeast-3",
                               "ap-southeast-5", "ca-west-1", "eu-central-2", "eu-south-1",
                               "il-central-1", "me-central-1", "us-gov-east-1"}) {
        EXPECT_EQ(default_signing_hosted_zone(region),
                  std::string("dkim.") + region + ".amazonses.com");
    }
}

TEST(RegionTable, RecognisesSesZones) {
    EXPECT_EQ(region_of_signing_hosted_zone("dkim.amazonses.com"), std::string());
    EXPECT_EQ(region_of_signing_hosted_zone("dkim.eu-south-1.amazonses.com"), "eu-south-1");
    EXPECT_EQ(region_of_signing_hosted_zone("dkim.example.com"), std::nullopt);
    EXPECT_EQ(region_of_signing_hosted_zone("dkim.x.amazonses.com"), std::nullopt);
    EXPECT_EQ(region_of_signing_hosted_zone("amazonses.com"), std::nullopt);
}

TEST(RegionTable, RegionShape) {
    EXPECT_TRUE(looks_like_region("us-east-1"));
    EXPECT_TRUE(looks_like_region("us-gov-west-1"));
    EXPECT_FALSE(looks_like_region("us-east"));
    EXPECT_FALSE(looks_like_region("useast1"));
    EXPECT_FALSE(looks_like_region("US-EAST-1"));
    EXPECT_FALSE(looks_like_region("-east-1"));
    EXPECT_FALSE(looks_like_region("us--east-1"));
    EXPECT_FALSE(looks_like_region(""));
}

TEST(RegionTable, ClassifiesKnownUnknownAndMalformedNames) {
    for (const char* region : {"us-east-1", "eu-west-1", "ap-southeast-5", "us-gov-west-1",
                               "us-gov-east-1", "il-central-1", "ca-west-1"}) {
        EXPECT_EQ(classify_region(region), RegionName::known) << region;
    }
    // Well-formed but not in the table: SES launches regions after a release.
    for (const char* region : {"mars-north-9", "us-isob-east-1", "eusc-de-east-1", "ap-east-2",
                               "mx-central-1", "xx-test-100"}) {
        EXPECT_EQ(classify_region(region), RegionName::unknown) << region;
    }
    for (const char* region : {"Mars_North", "mars_north-9", "us-east",    "useast1",
                               "US-EAST-1",  "us-East-1",    "-east-1",    "us--east-1",
                               "us-east-1-", "us-east--1",   "",           "u-east-1",
                               "us-e-1",     "us-east-1000", "us-east-1a", "toolongpfx-east-1",
                               "us-a-b-c-1", "us-east-x",    "us east 1",  "us-east-1\n"}) {
        EXPECT_EQ(classify_region(region), RegionName::malformed) << region;
    }
}

TEST(RegionTable, EveryRegionWithItsOwnZoneIsKnown) {
    for (const char* region : {"af-south-1", "ap-northeast-3", "ap-south-2", "ap-southeast-3",
                               "ap-southeast-5", "ca-west-1", "eu-central-2", "eu-south-1",
                               "il-central-1", "me-central-1", "us-gov-east-1"}) {
        EXPECT_EQ(classify_region(region), RegionName::known) << region;
    }
}

TEST(RegionTable, TheUnknownRegionWarningSaysWhatIsAssumed) {
    EXPECT_EQ(unknown_region_warning("mars-north-9"),
              "region \"mars-north-9\" is not in dkimwatch's table of SES regions; accepted as a "
              "region SES launched after this release, with its DKIM records assumed under "
              "dkim.amazonses.com (check the spelling, and set signing_hosted_zone if SES reports "
              "another)");
}
