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
