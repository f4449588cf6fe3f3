#include "config/config_loader.hpp"
#include "config/identities_csv.hpp"
#include "config/identity_validator.hpp"
#include "config/ses_identity.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace dkimwatch {
namespace {

const std::filesystem::path k_keys = std::filesystem::path(DKIMWATCH_TEST_DATA_DIR) / "keys";

std::string file_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A name that is valid (labels of 59, total 242 bytes) but leaves no room for
// "<token>._domainkey.": every record name under it is longer than 253 bytes.
const std::string k_long_domain = std::string(59, 'a') + "." + std::string(59, 'b') + "." +
                                  std::string(59, 'c') + "." + std::string(59, 'd') + ".io";

// One identity written both ways: as a YAML identities item and as an identities_file line.
// `key` is "public_key:<base64>", "public_key_file:<path>" or "private_key_file:<path>" (paths
// relative to the key directory), as in the line format.
struct Row {
    const char* rule;
    std::string domain = "example.com";
    std::string account = "111122223333";
    std::string region = "us-east-1";
    std::vector<std::string> tokens = {"tok1", "tok2", "tok3"}; // Easy DKIM when key is empty
    std::string zone{};                                         // "" = absent
    std::string selector{};
    std::string key{};
    std::vector<std::string> errors{};   // the messages, without the position
    std::vector<std::string> warnings{}; // the same
};

void PrintTo(const Row& row, std::ostream* out) {
    *out << row.rule;
}

std::string yaml_of(const Row& row) {
    std::string text = "identities:\n  - domain: \"" + row.domain + "\"\n    account: \"" +
                       row.account + "\"\n    region: \"" + row.region + "\"\n";
    if (row.key.empty()) {
        text += "    easy_dkim:\n      tokens: [";
        for (std::size_t i = 0; i < row.tokens.size(); ++i) {
            text += (i == 0 ? "\"" : ", \"") + row.tokens[i] + "\"";
        }
        text += "]\n";
        if (!row.zone.empty()) {
            text += "      signing_hosted_zone: \"" + row.zone + "\"\n";
        }
        return text;
    }
    const std::size_t colon = row.key.find(':');
    return text + "    byodkim:\n      selector: \"" + row.selector + "\"\n      " +
           row.key.substr(0, colon) + ": \"" + row.key.substr(colon + 1) + "\"\n";
}

std::string line_of(const Row& row) {
    std::string line = row.domain + "," + row.account + "," + row.region + ",";
    if (row.key.empty()) {
        line += "easy_dkim,";
        for (std::size_t i = 0; i < row.tokens.size(); ++i) {
            line += (i == 0 ? "" : " ") + row.tokens[i];
        }
        return line + (row.zone.empty() ? "" : "," + row.zone) + "\n";
    }
    const std::string key =
        row.key.starts_with("public_key:") ? row.key.substr(row.key.find(':') + 1) : row.key;
    return line + "byodkim," + row.selector + "," + key + "\n";
}

std::vector<std::string> messages(const std::vector<ConfigError>& errors) {
    std::vector<std::string> out;
    for (const ConfigError& error : errors) {
        out.push_back(error.message);
    }
    return out;
}

const std::string k_pub_b64 = [] {
    std::string text = file_text(k_keys / "rsa2048_pub_spki.b64");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}();

const std::vector<Row> k_rows = {
    {.rule = "valid_easy_dkim"},
    {.rule = "valid_byodkim", .selector = "sel1", .key = "public_key:" + k_pub_b64},
    {.rule = "domain_invalid",
     .domain = "bad!.example",
     .errors = {"domain \"bad!.example\" is invalid: label \"bad!\" contains '!'; allowed are "
                "letters, digits, '-' and '_'"}},
    {.rule = "domain_one_label",
     .domain = "localhost",
     .errors = {"domain \"localhost\" is invalid: an identity domain has at least two labels, "
                "such as example.com"}},
    {.rule = "account_empty",
     .account = "",
     .errors = {"account is empty: give the AWS account (any label)"}},
    {.rule = "region_malformed",
     .region = "useast1",
     .errors = {"region \"useast1\" is not an AWS region name such as us-east-1 or eu-west-1"}},
    {.rule = "region_unknown_is_a_warning",
     .region = "mars-north-9",
     .warnings = {"region \"mars-north-9\" is not in dkimwatch's table of SES regions; accepted "
                  "as a region SES launched after this release, with its DKIM records assumed "
                  "under dkim.amazonses.com (check the spelling, and set signing_hosted_zone if "
                  "SES reports another)"}},
    {.rule = "token_count",
     .tokens = {"tok1", "tok2"},
     .errors = {"easy_dkim.tokens must list exactly 3 tokens, got 2"}},
    {.rule = "token_not_a_label",
     .tokens = {"tok1", "tok_2!", "tok3"},
     .errors = {"easy_dkim.tokens[1] \"tok_2!\" is not a DNS label: label \"tok_2!\" contains "
                "'!'; allowed are letters, digits, '-' and '_'"}},
    {.rule = "token_repeated",
     .tokens = {"tok1", "tok2", "TOK1"},
     .errors = {"easy_dkim.tokens[2] \"TOK1\" repeats easy_dkim.tokens[0]; the 3 tokens must be "
                "distinct"}},
    {.rule = "token_record_name_too_long",
     .domain = k_long_domain,
     .tokens = {"tok1", "tok2", "tok3"},
     .errors = {"easy_dkim.tokens[0]: the record name tok1._domainkey.<domain> would be 258 "
                "bytes long; DNS names are at most 253 bytes",
                "easy_dkim.tokens[1]: the record name tok2._domainkey.<domain> would be 258 "
                "bytes long; DNS names are at most 253 bytes",
                "easy_dkim.tokens[2]: the record name tok3._domainkey.<domain> would be 258 "
                "bytes long; DNS names are at most 253 bytes"}},
    {.rule = "hosted_zone_invalid",
     .zone = "dkim..example",
     .errors = {"easy_dkim.signing_hosted_zone \"dkim..example\" is invalid: it has an empty "
                "label (two dots in a row)"}},
    {.rule = "selector_invalid",
     .selector = "sel.1",
     .key = "public_key:" + k_pub_b64,
     .errors = {"byodkim.selector \"sel.1\" contains a period: SES selectors are 1 to 63 letters "
                "and digits, with no periods or other punctuation"}},
    {.rule = "selector_record_name_too_long",
     .domain = k_long_domain,
     .selector = "selector1",
     .key = "public_key:" + k_pub_b64,
     .errors = {"byodkim.selector: the record name selector1._domainkey.<domain> would be 263 "
                "bytes long; DNS names are at most 253 bytes"}},
    {.rule = "key_not_base64",
     .selector = "sel1",
     .key = "public_key:notakey",
     .errors = {"byodkim.public_key: not a key: neither PEM, DER nor base64 DER"}},
    {.rule = "private_key_where_a_public_key_belongs",
     .selector = "sel1",
     .key = "public_key_file:rsa2048_pkcs8.pem",
     .errors = {"byodkim.public_key_file \"rsa2048_pkcs8.pem\" (" +
                (k_keys / "rsa2048_pkcs8.pem").string() +
                ") holds a private key; keep private keys out of the configuration and name "
                "their file in private_key_file"}},
    {.rule = "public_key_where_a_private_key_belongs",
     .selector = "sel1",
     .key = "private_key_file:rsa2048_pub_spki.pem",
     .errors = {"byodkim.private_key_file \"rsa2048_pub_spki.pem\" (" +
                (k_keys / "rsa2048_pub_spki.pem").string() +
                ") holds a public key, not a private key; use public_key_file"}},
};

class EverySource : public ::testing::TestWithParam<Row> {};

// The YAML list and the identities file give the same answer for every rule: the same errors
// (apart from where they are) and the same warnings, or the same identity.
TEST_P(EverySource, GiveTheSameAnswer) {
    const Row& row = GetParam();
    const auto yaml = load_config_text(yaml_of(row), "ids.yaml", k_keys);
    const CsvIdentities csv = parse_identities_csv(line_of(row), "ids.csv", k_keys);

    EXPECT_EQ(messages(csv.errors), row.errors) << line_of(row);
    EXPECT_EQ(messages(csv.warnings), row.warnings);
    if (const auto* errors = std::get_if<std::vector<ConfigError>>(&yaml)) {
        EXPECT_EQ(messages(*errors), row.errors) << yaml_of(row);
        return;
    }
    const Config& config = std::get<Config>(yaml);
    EXPECT_TRUE(row.errors.empty()) << yaml_of(row);
    EXPECT_EQ(messages(config.warnings), row.warnings);
    ASSERT_EQ(config.identities.size(), 1u);
    ASSERT_EQ(csv.identities.size(), 1u);
    const Identity& from_yaml = config.identities[0];
    const Identity& from_csv = csv.identities[0].identity;
    EXPECT_EQ(from_yaml.key(), from_csv.key());
    EXPECT_EQ(from_yaml.source, IdentitySource::config);
    EXPECT_EQ(from_csv.source, IdentitySource::identities_file);
    ASSERT_EQ(from_yaml.method.index(), from_csv.method.index());
    if (const auto* easy = std::get_if<EasyDkim>(&from_yaml.method)) {
        EXPECT_EQ(easy->tokens, std::get<EasyDkim>(from_csv.method).tokens);
        EXPECT_EQ(easy->signing_hosted_zone,
                  std::get<EasyDkim>(from_csv.method).signing_hosted_zone);
    } else {
        const auto& byo = std::get<Byodkim>(from_yaml.method);
        EXPECT_EQ(byo.selector, std::get<Byodkim>(from_csv.method).selector);
        EXPECT_EQ(byo.public_key_der, std::get<Byodkim>(from_csv.method).public_key_der);
        EXPECT_EQ(byo.key_bits, 2048);
    }
}

// SES discovery, the third source, gives the same answer for every rule that can apply to what
// SES reports (it has no key material): the same messages, its tokens named Tokens[i].
TEST_P(EverySource, SesDiscoveryAgrees) {
    const Row& row = GetParam();
    if (row.key.starts_with("public_key_file:") || row.key.starts_with("private_key_file:") ||
        row.rule == std::string("key_not_base64")) {
        GTEST_SKIP() << "a key rule: SES reports no key";
    }
    SesInventory inventory;
    inventory.source = "prod";
    inventory.account = row.account;
    inventory.region = row.region;
    SesDomainIdentity ses;
    ses.domain = row.domain;
    ses.signing_hosted_zone = row.zone;
    if (row.key.empty()) {
        ses.origin = "AWS_SES";
        ses.tokens = row.tokens;
    } else {
        ses.origin = "EXTERNAL";
        ses.tokens = {row.selector};
    }
    const auto identity = identity_from_ses(inventory, ses);
    if (row.errors.empty()) {
        ASSERT_TRUE(identity) << identity.error();
        EXPECT_EQ(identity->source, IdentitySource::ses);
        return;
    }
    ASSERT_FALSE(identity);
    std::string expected = "SES prod " + row.region + ": " + row.domain + " is not watched:";
    for (std::size_t i = 0; i < row.errors.size(); ++i) {
        std::string message = row.errors[i];
        for (std::size_t at = message.find("easy_dkim.tokens["); at != std::string::npos;
             at = message.find("easy_dkim.tokens[", at)) {
            message.replace(at, std::string("easy_dkim.tokens[").size(), "Tokens[");
        }
        expected += (i == 0 ? " " : "; ") + message;
    }
    EXPECT_EQ(identity.error(), expected);
}

INSTANTIATE_TEST_SUITE_P(Rules, EverySource, ::testing::ValuesIn(k_rows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                             return std::string(info.param.rule);
                         });

// The validator alone: positions come from the raw fields, and a BYODKIM identity without a key
// (SES discovery) is complete with an empty key.
TEST(ValidateIdentity, ErrorsCarryTheFieldsPositionAndAKeylessByodkimIsComplete) {
    RawIdentity raw;
    raw.domain = RawField{"Example.COM", {"SES prod us-east-1", 0, 0, {}}};
    raw.account = RawField{"111122223333", {"SES prod us-east-1", 0, 0, {}}};
    raw.region = RawField{"us-east-1", {"SES prod us-east-1", 0, 0, {}}};
    raw.method = RawMethod::byodkim;
    raw.selector = RawField{"sel1", {"SES prod us-east-1", 0, 0, {}}};
    raw.source = IdentitySource::ses;
    const IdentityCheck good = validate_identity(raw);
    ASSERT_TRUE(good.complete);
    EXPECT_EQ(good.identity.domain, "example.com");
    EXPECT_EQ(good.identity.source, IdentitySource::ses);
    const auto& byo = std::get<Byodkim>(good.identity.method);
    EXPECT_EQ(byo.selector, "sel1");
    EXPECT_TRUE(byo.public_key_der.empty());
    EXPECT_EQ(byo.key_bits, 0);

    raw.selector = RawField{"sel_1", {"f.yaml", 7, 17, {}}};
    const IdentityCheck bad = validate_identity(raw);
    EXPECT_FALSE(bad.complete);
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_EQ(bad.errors[0].file, "f.yaml");
    EXPECT_EQ(bad.errors[0].line, 7);
    EXPECT_EQ(bad.errors[0].column, 17);
    EXPECT_EQ(bad.identity.domain, "example.com"); // the valid parts stay, for duplicate checks
}

} // namespace
} // namespace dkimwatch
