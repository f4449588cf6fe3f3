#include "config/ses_identity.hpp"

#include <gtest/gtest.h>
#include <string>
#include <variant>

namespace dkimwatch {
namespace {

SesInventory inventory(std::string region = "us-east-1") {
    SesInventory out;
    out.source = "prod";
    out.account = "111122223333";
    out.region = std::move(region);
    return out;
}

SesDomainIdentity easy_dkim(std::string origin, std::string zone) {
    SesDomainIdentity ses;
    ses.domain = "example.com";
    ses.origin = std::move(origin);
    ses.tokens = {"tok1", "tok2", "tok3"};
    ses.signing_hosted_zone = std::move(zone);
    ses.status = SesDkimStatus::success;
    ses.signing_enabled = true;
    return ses;
}

TEST(IdentityFromSes, EasyDkimTakesSesTokensAndZone) {
    const auto identity = identity_from_ses(
        inventory("eu-south-1"), easy_dkim("AWS_SES_EU_SOUTH_1", "dkim.eu-south-1.amazonses.com"));
    ASSERT_TRUE(identity) << identity.error();
    EXPECT_EQ(identity->domain, "example.com");
    EXPECT_EQ(identity->account, "111122223333");
    EXPECT_EQ(identity->region, "eu-south-1");
    EXPECT_EQ(identity->source, IdentitySource::ses);
    const auto& easy = std::get<EasyDkim>(identity->method);
    EXPECT_EQ(easy.tokens, (std::array<std::string, 3>{"tok1", "tok2", "tok3"}));
    EXPECT_EQ(easy.signing_hosted_zone, "dkim.eu-south-1.amazonses.com");
    EXPECT_FALSE(easy.hosted_zone_from_config);
}

TEST(IdentityFromSes, SesZoneWinsOverTheRegionTable) {
    // The table says dkim.amazonses.com for us-east-1; SES's own answer is what counts.
    const auto identity =
        identity_from_ses(inventory(), easy_dkim("AWS_SES", "Dkim.Example-Zone.test."));
    ASSERT_TRUE(identity) << identity.error();
    EXPECT_EQ(std::get<EasyDkim>(identity->method).signing_hosted_zone, "dkim.example-zone.test");
}

TEST(IdentityFromSes, TheRegionTableOnlyWhenSesGivesNoZone) {
    const auto table_zone = identity_from_ses(inventory("eu-south-1"), easy_dkim("AWS_SES", ""));
    ASSERT_TRUE(table_zone) << table_zone.error();
    EXPECT_EQ(std::get<EasyDkim>(table_zone->method).signing_hosted_zone,
              "dkim.eu-south-1.amazonses.com");
    const auto shared_zone = identity_from_ses(inventory("us-east-1"), easy_dkim("", ""));
    ASSERT_TRUE(shared_zone) << shared_zone.error(); // no origin, but 3 tokens: Easy DKIM
    EXPECT_EQ(std::get<EasyDkim>(shared_zone->method).signing_hosted_zone, "dkim.amazonses.com");
}

TEST(IdentityFromSes, ExternalIsByodkimWithTheSelectorAndNoKey) {
    SesDomainIdentity ses;
    ses.domain = "example.org";
    ses.origin = "EXTERNAL";
    ses.tokens = {"sel2024"};
    const auto identity = identity_from_ses(inventory(), ses);
    ASSERT_TRUE(identity) << identity.error();
    EXPECT_EQ(identity->source, IdentitySource::ses);
    const auto& byo = std::get<Byodkim>(identity->method);
    EXPECT_EQ(byo.selector, "sel2024");
    EXPECT_TRUE(byo.public_key_der.empty());
    EXPECT_EQ(byo.key_bits, 0);
    EXPECT_EQ(byo.key_source, "");
}

TEST(IdentityFromSes, NoTokensIsAnErrorToLogAndSkip) {
    SesDomainIdentity ses = easy_dkim("AWS_SES", "dkim.amazonses.com");
    ses.tokens.clear();
    const auto identity = identity_from_ses(inventory(), ses);
    ASSERT_FALSE(identity);
    EXPECT_EQ(identity.error(), "SES prod us-east-1: example.com has no DKIM tokens (DKIM was "
                                "never set up for it in SES); not watched");
}

TEST(IdentityFromSes, AnUnknownOriginOrAnOriginlessOddCountIsAnError) {
    const auto unknown = identity_from_ses(inventory(), easy_dkim("SOMETHING_NEW", ""));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error(),
              "SES prod us-east-1: example.com has the SigningAttributesOrigin "
              "\"SOMETHING_NEW\", which dkimwatch does not know (AWS_SES* or EXTERNAL); not "
              "watched");
    SesDomainIdentity two = easy_dkim("", "");
    two.tokens.pop_back();
    const auto odd = identity_from_ses(inventory(), two);
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error(), "SES prod us-east-1: example.com has no SigningAttributesOrigin and 2 "
                           "tokens, neither Easy DKIM (3 tokens) nor a known BYODKIM; not watched");
}

// The rules of the configured identities hold for discovered ones too.
TEST(IdentityFromSes, ValuesGoThroughTheIdentityRules) {
    SesDomainIdentity bad_token = easy_dkim("AWS_SES", "");
    bad_token.tokens[1] = "tok 2";
    const auto token = identity_from_ses(inventory(), bad_token);
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error(), "SES prod us-east-1: example.com is not watched: Tokens[1] \"tok "
                             "2\" is not a DNS label: label \"tok 2\" contains a space; allowed "
                             "are letters, digits, '-' and '_'");

    SesDomainIdentity long_name = easy_dkim("AWS_SES", "");
    long_name.domain = std::string(59, 'a') + "." + std::string(59, 'b') + "." +
                       std::string(59, 'c') + "." + std::string(59, 'd') + ".io";
    long_name.tokens = {"tok1"};
    long_name.origin = "EXTERNAL";
    const auto selector = identity_from_ses(inventory(), long_name);
    ASSERT_FALSE(selector);
    EXPECT_NE(selector.error().find("byodkim.selector: the record name tok1._domainkey.<domain> "
                                    "would be 258 bytes long; DNS names are at most 253 bytes"),
              std::string::npos)
        << selector.error();

    SesDomainIdentity bad_selector = easy_dkim("EXTERNAL", "");
    bad_selector.tokens = {"sel-1"};
    EXPECT_FALSE(identity_from_ses(inventory(), bad_selector));

    SesInventory bad_region = inventory("Mars_North");
    const auto region = identity_from_ses(bad_region, easy_dkim("AWS_SES", ""));
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), "SES prod Mars_North: example.com is not watched: region "
                              "\"Mars_North\" is not an AWS region name such as us-east-1 or "
                              "eu-west-1");
}

} // namespace
} // namespace dkimwatch
