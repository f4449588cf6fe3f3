#include "aws/shared_config_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <random>
#include <sys/stat.h>

namespace dkimwatch {
namespace {

TEST(SharedConfigFile, CredentialsFileSectionsAreProfiles) {
    const auto parsed = parse_shared_file("# a comment\n"
                                          "; another\n"
                                          "\n"
                                          "[default]\n"
                                          "  aws_access_key_id=AKIDDEFAULT\n"
                                          "AWS_Secret_Access_Key   =   s3cr3t  \r\n"
                                          "[prod]\r\n"
                                          "aws_access_key_id : AKIDPROD\n"
                                          "aws_secret_access_key = p=r:o\n",
                                          SharedFileKind::credentials, "creds");
    ASSERT_TRUE(parsed) << parsed.error();
    ASSERT_EQ(parsed->size(), 2U);
    EXPECT_EQ(parsed->at("default").at("aws_access_key_id"), "AKIDDEFAULT");
    EXPECT_EQ(parsed->at("default").at("aws_secret_access_key"), "s3cr3t");
    EXPECT_EQ(parsed->at("prod").at("aws_access_key_id"), "AKIDPROD");
    // The first delimiter splits; the rest belongs to the value.
    EXPECT_EQ(parsed->at("prod").at("aws_secret_access_key"), "p=r:o");
}

TEST(SharedConfigFile, ConfigFileNamesProfilesWithPrefixAndSkipsOtherSections) {
    const auto parsed = parse_shared_file("[default]\n"
                                          "region = us-east-1\n"
                                          "[profile   prod ]\n"
                                          "role_arn = arn:aws:iam::111122223333:role/read\n"
                                          "source_profile = default\n"
                                          "s3 =\n"
                                          "  max_concurrent_requests = 10\n"
                                          "\tsignature_version = s3v4\n"
                                          "region = eu-west-1\n"
                                          "[sso-session corp]\n"
                                          "sso_region = us-east-1\n"
                                          "[services local]\n"
                                          "ses =\n"
                                          "  endpoint_url = http://127.0.0.1\n",
                                          SharedFileKind::config, "config");
    ASSERT_TRUE(parsed) << parsed.error();
    ASSERT_EQ(parsed->size(), 2U);
    EXPECT_EQ(parsed->at("default").at("region"), "us-east-1");
    const auto& prod = parsed->at("prod");
    EXPECT_EQ(prod.at("role_arn"), "arn:aws:iam::111122223333:role/read");
    EXPECT_EQ(prod.at("source_profile"), "default");
    EXPECT_EQ(prod.at("region"), "eu-west-1");
    EXPECT_EQ(prod.count("max_concurrent_requests"), 0U);
}

struct BadFile {
    std::string text;
    SharedFileKind kind;
    std::string error; // the whole expected message
};

TEST(SharedConfigFile, SyntaxErrorsNameFileAndLineButNeverTheLine) {
    const std::vector<BadFile> cases{
        {"[default]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", SharedFileKind::credentials,
         "f:2: neither a [section] header, a key = value line nor a comment"},
        {"aws_secret_access_key = wJalrXUtnFEMI\n", SharedFileKind::credentials,
         "f:1: a key = value line before any [section] header"},
        {"[default\naws_access_key_id = x\n", SharedFileKind::credentials,
         "f:1: a section header without its closing ]"},
        {"[ ]\n", SharedFileKind::credentials, "f:1: an empty section name"},
        {"[profile ]\n", SharedFileKind::config, "f:1: a [profile] section without a profile name"},
        {"[profile]\n", SharedFileKind::config, "f:1: a [profile] section without a profile name"},
        {"[a]\n = wJalrXUtnFEMI\n", SharedFileKind::credentials, "f:2: a line with an empty key"},
        {"[a]\nx = 1\n[b]\n[a]\n", SharedFileKind::credentials,
         "f:4: a section given twice (first at line 1)"},
        {"[a]\naws_secret_access_key = 1\nAWS_SECRET_ACCESS_KEY = wJalrXUtnFEMI\n",
         SharedFileKind::credentials, "f:3: a key given twice in its section (first at line 2)"},
        {"[a]\nwJalrXUtnFEMI = \nx = 1\nwJalrXUtnFEMI = \n", SharedFileKind::credentials,
         "f:4: a key given twice in its section (first at line 2)"},
        {"[a]\naws_secret_access_key = abc\n  wJalrXUtnFEMI\n", SharedFileKind::credentials,
         "f:3: an indented line continues the previous value; multi-line values are not "
         "supported"},
    };
    for (const auto& bad : cases) {
        const auto parsed = parse_shared_file(bad.text, bad.kind, "f");
        ASSERT_FALSE(parsed) << bad.text;
        EXPECT_EQ(parsed.error(), bad.error) << bad.text;
        EXPECT_EQ(parsed.error().find("wJalrXUtnFEMI"), std::string::npos);
    }
}

TEST(SharedConfigFile, NoErrorOnRandomInputQuotesIt) {
    // Lines built from the INI punctuation and a marker letter: whatever the parser says, the
    // marker (standing for a secret) never appears in an error.
    std::mt19937 random(20261203);
    const std::string alphabet = "[]=:#; \t\nQQQQprofile";
    int errors = 0;
    for (int round = 0; round < 5000; ++round) {
        std::string text;
        const auto length = random() % 60;
        for (std::size_t i = 0; i < length; ++i) {
            text += alphabet[random() % alphabet.size()];
        }
        for (const auto kind : {SharedFileKind::credentials, SharedFileKind::config}) {
            const auto parsed = parse_shared_file(text, kind, "f");
            if (!parsed) {
                ++errors;
                EXPECT_EQ(parsed.error().find('Q'), std::string::npos) << parsed.error();
                EXPECT_EQ(parsed.error().rfind("f:", 0), 0U) << parsed.error();
            }
        }
    }
    EXPECT_GT(errors, 1000); // the generator does reach the error paths
}

TEST(SharedConfigFile, PathsAndProfileFromTheEnvironment) {
    AwsEnvironment environment;
    environment.home = "/home/ops";
    auto paths = shared_file_paths(environment);
    EXPECT_EQ(paths.credentials, "/home/ops/.aws/credentials");
    EXPECT_EQ(paths.config, "/home/ops/.aws/config");
    EXPECT_EQ(selected_profile_name(environment), "default");

    environment.variables = {{"AWS_SHARED_CREDENTIALS_FILE", "/run/credentials/x/aws"},
                             {"AWS_CONFIG_FILE", "/etc/dkimwatch/aws-config"},
                             {"AWS_PROFILE", "prod"}};
    paths = shared_file_paths(environment);
    EXPECT_EQ(paths.credentials, "/run/credentials/x/aws");
    EXPECT_EQ(paths.config, "/etc/dkimwatch/aws-config");
    EXPECT_EQ(selected_profile_name(environment), "prod");

    environment.variables = {{"AWS_SHARED_CREDENTIALS_FILE", "~/creds/aws"},
                             {"AWS_CONFIG_FILE", "~user/aws-config"}};
    paths = shared_file_paths(environment);
    EXPECT_EQ(paths.credentials, "/home/ops/creds/aws");
    EXPECT_EQ(paths.config, "~user/aws-config"); // only the own home is expanded

    AwsEnvironment homeless;
    EXPECT_TRUE(shared_file_paths(homeless).credentials.empty());
}

TEST(SharedConfigFile, LoadMergesBothFilesAndTheCredentialsFileWins) {
    const test::TempDir dir;
    SharedFilePaths paths;
    paths.credentials = dir.write("credentials", "[prod]\n"
                                                 "aws_access_key_id = AKIDCRED\n"
                                                 "aws_secret_access_key = cred-secret\n");
    paths.config = dir.write("config", "[profile prod]\n"
                                       "aws_access_key_id = AKIDCONFIG\n"
                                       "region = eu-west-1\n"
                                       "[profile other]\n"
                                       "region = us-east-1\n");
    const auto files = SharedFiles::load(paths);
    ASSERT_TRUE(files) << files.error();
    const auto prod = files->profile("prod");
    ASSERT_TRUE(prod);
    EXPECT_EQ(prod->aws_access_key_id, "AKIDCRED");
    EXPECT_EQ(prod->aws_secret_access_key, "cred-secret");
    EXPECT_EQ(prod->region, "eu-west-1");
    EXPECT_EQ(prod->where, paths.credentials.string() + " and " + paths.config.string());
    const auto other = files->profile("other");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->where, paths.config.string());
    EXPECT_FALSE(files->profile("missing"));
}

TEST(SharedConfigFile, MissingFilesAreEmptyButUnreadableOnesAreErrors) {
    const test::TempDir dir;
    SharedFilePaths missing{dir.path() / "no-credentials", dir.path() / "no-config"};
    const auto empty = SharedFiles::load(missing);
    ASSERT_TRUE(empty) << empty.error();
    EXPECT_FALSE(empty->profile("default"));

    const auto fifo = dir.path() / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto from_fifo = SharedFiles::load(SharedFilePaths{fifo, {}});
    ASSERT_FALSE(from_fifo);
    EXPECT_NE(from_fifo.error().find(fifo.string() + ": "), std::string::npos);
    EXPECT_NE(from_fifo.error().find("FIFO"), std::string::npos);

    const auto big = dir.write("big", std::string(k_shared_file_max_bytes + 1, '#'));
    const auto from_big = SharedFiles::load(SharedFilePaths{{}, big});
    ASSERT_FALSE(from_big);
    EXPECT_NE(from_big.error().find("1 MiB"), std::string::npos) << from_big.error();

    const auto broken = dir.write("broken", "[default]\naws_secret_access_key\n");
    const auto from_broken = SharedFiles::load(SharedFilePaths{broken, {}});
    ASSERT_FALSE(from_broken);
    EXPECT_EQ(from_broken.error(), broken.string() +
                                       ":2: neither a [section] header, a key = value line nor "
                                       "a comment");
}

} // namespace
} // namespace dkimwatch
