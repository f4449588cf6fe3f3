#include "config/config_loader.hpp"
#include "config/identities_csv.hpp"
#include "core/dns_name.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dkimwatch;

namespace {

const std::filesystem::path k_keys = std::filesystem::path(DKIMWATCH_TEST_DATA_DIR) / "keys";

std::vector<std::string> error_lines(const CsvIdentities& parsed) {
    std::vector<std::string> lines;
    for (const auto& error : parsed.errors) {
        lines.push_back(error.to_string());
    }
    return lines;
}

TEST(IdentitiesCsv, ReadsEasyDkimAndByodkimLines) {
    const std::string text =
        "# domain,account,region,method,...\n"
        "\n"
        "Example.COM, 111122223333 ,us-east-1,easy_dkim,TokA tokb tokc\n"
        "example.net,1,eu-south-1,easy_dkim,a b c,dkim.example.net\n"
        "example.org,2,eu-west-1,byodkim,sel1,public_key_file:rsa2048_pub_spki.pem\n"
        "example.org,3,eu-west-1,byodkim,sel2,private_key_file:rsa2048_pkcs8.pem\n";
    const auto parsed = parse_identities_csv(text, "ids.csv", k_keys);
    ASSERT_TRUE(parsed.errors.empty()) << error_lines(parsed).front();
    ASSERT_EQ(parsed.identities.size(), 4u);
    const Identity& first = parsed.identities[0].identity;
    EXPECT_EQ(parsed.identities[0].line, 3);
    EXPECT_EQ(first.domain, "example.com");
    EXPECT_EQ(first.account, "111122223333");
    const auto& easy = std::get<EasyDkim>(first.method);
    EXPECT_EQ(easy.tokens[0], "toka");
    EXPECT_EQ(easy.signing_hosted_zone, "dkim.amazonses.com");
    EXPECT_EQ(std::get<EasyDkim>(parsed.identities[1].identity.method).signing_hosted_zone,
              "dkim.example.net");
    const auto& from_public = std::get<Byodkim>(parsed.identities[2].identity.method);
    const auto& from_private = std::get<Byodkim>(parsed.identities[3].identity.method);
    EXPECT_EQ(from_public.key_bits, 2048);
    EXPECT_EQ(from_public.public_key_der, from_private.public_key_der);
}

TEST(IdentitiesCsv, EveryFaultNamesFileLineAndColumn) {
    const std::string text = "bad domain!,1,us-east-1,easy_dkim,a b c\n"
                             "ok.test,1,useast,easy_dkim,a b c\n"
                             "ok.test,1,us-east-1,easy_dkim,a b\n"
                             "ok.test,1,us-east-1,easy_dkim,a a b\n"
                             "ok.test,1,us-east-1,pgp,x\n"
                             "ok.test,1,us-east-1,byodkim,sel.1,MIIB\n"
                             "ok.test,1,us-east-1,byodkim,sel1,public_key_file:missing.pem\n"
                             "ok.test,1,us-east-1\n"
                             "ok.test,,us-east-1,easy_dkim,a b c\n"
                             "dup.test,1,us-east-1,easy_dkim,a b c\n"
                             "dup.test,1,us-east-1,easy_dkim,d e f\n";
    const auto parsed = parse_identities_csv(text, "ids.csv", k_keys);
    const std::vector<std::string> expected = {
        "ids.csv:1:1: domain \"bad domain!\" is invalid: " + *invalid_domain_reason("bad domain!"),
        "ids.csv:2:11: region \"useast\" is not an AWS region name such as us-east-1 or "
        "eu-west-1",
        "ids.csv:3:31: easy_dkim.tokens must list exactly 3 tokens, got 2",
        "ids.csv:4:31: easy_dkim.tokens[1] \"a\" repeats easy_dkim.tokens[0]; the 3 tokens must be "
        "distinct",
        "ids.csv:5:21: method \"pgp\" is neither easy_dkim nor byodkim",
        "ids.csv:6:29: byodkim.selector \"sel.1\" contains a period: SES selectors are 1 to 63 "
        "letters and digits, with no periods or other punctuation",
        "ids.csv:6:35: byodkim.public_key: base64 DER that is not a key: the bytes end early "
        "(truncated?)",
        "ids.csv:7:34: byodkim.public_key_file \"missing.pem\" (" +
            (k_keys / "missing.pem").string() + "): cannot read: No such file or directory",
        "ids.csv:8:1: expected domain,account,region,easy_dkim|byodkim,... (at least 5 "
        "fields), got 3",
        "ids.csv:9:9: account is empty: give the AWS account (any label)",
        "ids.csv:11:1: duplicate identity (account 1, region us-east-1, domain dup.test); first "
        "defined at line 10",
    };
    EXPECT_EQ(error_lines(parsed), expected);
    EXPECT_EQ(parsed.identities.size(), 1u); // dup.test's first line
}

// Key files are read through the bounded reader: /dev/zero used to be read without end (memory
// grew by ~100 MB/s), a FIFO blocked forever and a directory read as "empty: no key found".
TEST(IdentitiesCsv, KeyFilesThatAreNotRegularFilesAreRefused) {
    char pattern[] = "/tmp/dkimwatch-identities-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    const std::filesystem::path dir = pattern;
    ASSERT_EQ(::mkfifo((dir / "fifo.pem").c_str(), 0600), 0);
    std::filesystem::create_directory(dir / "keys.d");
    std::ofstream(dir / "huge.pem") << std::string(1024 * 1024 + 1, 'A');
    const std::string text = "a.test,1,us-east-1,byodkim,s1,private_key_file:/dev/zero\n"
                             "b.test,1,us-east-1,byodkim,s1,private_key_file:fifo.pem\n"
                             "c.test,1,us-east-1,byodkim,s1,public_key_file:keys.d\n"
                             "d.test,1,us-east-1,byodkim,s1,public_key_file:huge.pem\n";
    const auto parsed = parse_identities_csv(text, "ids.csv", dir);
    const std::vector<std::string> expected = {
        "ids.csv:1:31: byodkim.private_key_file \"/dev/zero\": is a character device, not a "
        "regular file",
        "ids.csv:2:31: byodkim.private_key_file \"fifo.pem\" (" + (dir / "fifo.pem").string() +
            "): is a FIFO (named pipe), not a regular file",
        "ids.csv:3:31: byodkim.public_key_file \"keys.d\" (" + (dir / "keys.d").string() +
            "): is a directory, not a regular file",
        "ids.csv:4:31: byodkim.public_key_file \"huge.pem\" (" + (dir / "huge.pem").string() +
            "): is larger than 1 MiB, the limit for a key file",
    };
    EXPECT_EQ(error_lines(parsed), expected);
    EXPECT_TRUE(parsed.identities.empty());
    std::filesystem::remove_all(dir);
}

TEST(IdentitiesCsv, EveryRepeatNamesTheFirstLineAndErrorsStayInLineOrder) {
    const std::string text = "x.test,1,us-east-1,easy_dkim,a b c\n"
                             "y.test,1,us-east-1,easy_dkim,a b c\n"
                             "X.test.,1,us-east-1,easy_dkim,d e f\n"
                             "y.test,1,useast,easy_dkim,a b c\n"
                             "x.test,1,us-east-1,easy_dkim,a b c\n"
                             "x.test,2,us-east-1,easy_dkim,a b c\n";
    const auto parsed = parse_identities_csv(text, "ids.csv", k_keys);
    const std::vector<std::string> expected = {
        "ids.csv:3:1: duplicate identity (account 1, region us-east-1, domain x.test); first "
        "defined at line 1",
        "ids.csv:4:10: region \"useast\" is not an AWS region name such as us-east-1 or "
        "eu-west-1",
        "ids.csv:5:1: duplicate identity (account 1, region us-east-1, domain x.test); first "
        "defined at line 1",
    };
    EXPECT_EQ(error_lines(parsed), expected);
    ASSERT_EQ(parsed.identities.size(), 3u);
    EXPECT_EQ(parsed.identities[0].line, 1);
    EXPECT_EQ(parsed.identities[1].line, 2);
    EXPECT_EQ(parsed.identities[2].line, 6);
    EXPECT_EQ(parsed.identities[2].identity.account, "2");
}

TEST(IdentitiesCsv, LoaderMergesTheFileWithTheYamlListAndCatchesDuplicatesAcrossThem) {
    // A directory of its own (mkdtemp): several builds' test runs may share /tmp.
    std::string pattern =
        (std::filesystem::temp_directory_path() / "dkimwatch-identities-csv-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    const std::filesystem::path dir = pattern;
    std::ofstream(dir / "ids.csv") << "a.test,1,us-east-1,easy_dkim,t1 t2 t3\n"
                                      "b.test,1,us-east-1,easy_dkim,t1 t2 t3\n";
    const std::string yaml = "identities_file: ids.csv\n"
                             "identities:\n"
                             "  - domain: b.test\n"
                             "    account: \"1\"\n"
                             "    region: us-east-1\n"
                             "    easy_dkim: {tokens: [x1, x2, x3]}\n"
                             "  - domain: c.test\n"
                             "    account: \"1\"\n"
                             "    region: us-east-1\n"
                             "    easy_dkim: {tokens: [x1, x2, x3]}\n";
    auto loaded = load_config_text(yaml, "d.yaml", dir);
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(loaded));
    const auto& errors = std::get<std::vector<ConfigError>>(loaded);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].to_string(), "d.yaml:3:5: duplicate identity (account 1, region "
                                     "us-east-1, domain b.test); first defined at " +
                                         (dir / "ids.csv").string() + ":2");

    auto fine = load_config_text("identities_file: ids.csv\n", "d.yaml", dir);
    ASSERT_TRUE(std::holds_alternative<Config>(fine));
    EXPECT_EQ(std::get<Config>(fine).identities.size(), 2u);

    auto missing = load_config_text("identities_file: nope.csv\n", "d.yaml", dir);
    ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(missing));
    EXPECT_EQ(std::get<std::vector<ConfigError>>(missing).front().to_string(),
              "d.yaml:1:18: identities_file \"nope.csv\" (" + (dir / "nope.csv").string() +
                  "): cannot read: No such file or directory");
    std::filesystem::remove_all(dir);
}

} // namespace
