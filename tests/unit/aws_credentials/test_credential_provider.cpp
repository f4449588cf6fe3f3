#include "aws/credential_provider.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

// Every secret the tests hand out contains this, so that one search finds a leak.
constexpr const char* k_secret_marker = "SeCrEt";

const TimePoint k_now = std::chrono::time_point_cast<Milliseconds>(
    std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} + 12h);

SesAccountConfig account(const std::string& name) {
    SesAccountConfig config;
    config.name = name;
    config.regions = {"eu-west-1", "us-east-1"};
    return config;
}

// The chain's collaborators, recorded.
struct Fixture {
    test::TempDir dir;
    AwsEnvironment environment;
    std::vector<AssumeRoleRequest> assume_requests;
    std::vector<AwsCredentials> assume_bases;
    std::vector<InstanceMetadataSettings> imds_calls;
    int imds_key_number = 0;
    TimePoint imds_expiration = k_now + 1h;
    std::string imds_error; // non-empty: the IMDS fetch fails with it
    std::string assume_error;

    Fixture() {
        environment.home = dir.path().string(); // no ~/.aws/ unless a test writes it
        environment.variables["PATH"] = "/usr/bin";
    }

    AssumeRoleFunction assume_role() {
        return [this](const AwsCredentials& base,
                      const AssumeRoleRequest& request) -> Result<AwsCredentials> {
            assume_bases.push_back(base);
            assume_requests.push_back(request);
            if (!assume_error.empty()) {
                return Error{assume_error};
            }
            AwsCredentials assumed;
            assumed.access_key_id = "ASIAROLE" + std::to_string(assume_requests.size());
            assumed.secret_access_key = std::string{"role-"} + k_secret_marker;
            assumed.session_token = std::string{"role-token-"} + k_secret_marker;
            assumed.expiration = k_now + 1h;
            return assumed;
        };
    }

    InstanceMetadataFunction imds() {
        return [this](const InstanceMetadataSettings& settings) -> Result<AwsCredentials> {
            imds_calls.push_back(settings);
            if (!imds_error.empty()) {
                return Error{imds_error};
            }
            AwsCredentials credentials;
            credentials.access_key_id = "ASIAIMDS" + std::to_string(++imds_key_number);
            credentials.secret_access_key = std::string{"imds-"} + k_secret_marker;
            credentials.session_token = std::string{"imds-token-"} + k_secret_marker;
            credentials.expiration = imds_expiration;
            credentials.source = "instance metadata role r";
            return credentials;
        };
    }

    CredentialProvider provider(SesAccountConfig config) {
        return CredentialProvider(std::move(config), environment, assume_role(), imds());
    }

    void set_environment_keys() {
        environment.variables["AWS_ACCESS_KEY_ID"] = "AKIDENV";
        environment.variables["AWS_SECRET_ACCESS_KEY"] = std::string{"env-"} + k_secret_marker;
    }

    void write_home_credentials(const std::string& text) { dir.write(".aws/credentials", text); }
    void write_home_config(const std::string& text) { dir.write(".aws/config", text); }
};

void expect_no_secret(const std::string& text) {
    EXPECT_EQ(text.find(k_secret_marker), std::string::npos) << text;
}

TEST(CredentialProvider, EnvironmentComesFirst) {
    Fixture f;
    f.set_environment_keys();
    f.write_home_credentials("[default]\naws_access_key_id = AKIDFILE\n"
                             "aws_secret_access_key = file-SeCrEt\n");
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "AKIDENV");
    EXPECT_EQ(credentials->source, "environment");
    EXPECT_TRUE(f.imds_calls.empty());
    EXPECT_TRUE(f.assume_requests.empty());
}

TEST(CredentialProvider, SharedFilesBeforeInstanceMetadata) {
    Fixture f;
    f.write_home_credentials("[default]\naws_access_key_id = AKIDFILE\n"
                             "aws_secret_access_key = file-SeCrEt\n"
                             "aws_session_token = file-token-SeCrEt\n");
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "AKIDFILE");
    EXPECT_EQ(credentials->session_token, "file-token-SeCrEt");
    EXPECT_EQ(credentials->source, "shared file profile default");
    EXPECT_TRUE(f.imds_calls.empty());
}

TEST(CredentialProvider, AwsProfileAndFileVariablesSelectTheProfile) {
    Fixture f;
    const auto credentials_file = f.dir.write("elsewhere/creds", "[default]\n"
                                                                 "aws_access_key_id = AKIDDEF\n"
                                                                 "aws_secret_access_key = x\n"
                                                                 "[ops]\n"
                                                                 "aws_access_key_id = AKIDOPS\n"
                                                                 "aws_secret_access_key = y\n");
    f.environment.variables["AWS_SHARED_CREDENTIALS_FILE"] = credentials_file.string();
    f.environment.variables["AWS_PROFILE"] = "ops";
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "AKIDOPS");
    EXPECT_EQ(credentials->source, "shared file profile ops");
}

TEST(CredentialProvider, MissingAwsProfileIsAnErrorNotAFallback) {
    Fixture f;
    f.write_home_credentials("[default]\naws_access_key_id = AKIDDEF\n"
                             "aws_secret_access_key = x\n");
    f.environment.variables["AWS_PROFILE"] = "typo";
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    EXPECT_NE(credentials.error().find("shared files: no profile typo in "), std::string::npos);
    EXPECT_NE(credentials.error().find("(AWS_PROFILE names it)"), std::string::npos);
    EXPECT_TRUE(f.imds_calls.empty());
}

TEST(CredentialProvider, InstanceMetadataLastWithTheEnvironmentsEndpoint) {
    Fixture f;
    f.environment.variables["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9/";
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "ASIAIMDS1");
    ASSERT_EQ(f.imds_calls.size(), 1U);
    EXPECT_EQ(f.imds_calls[0].endpoint, "http://127.0.0.1:9");
}

TEST(CredentialProvider, NothingFoundNamesEverySourceTried) {
    Fixture f;
    f.environment.variables["AWS_EC2_METADATA_DISABLED"] = "true";
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    const auto home = f.dir.path().string();
    EXPECT_EQ(credentials.error(),
              "no AWS credentials for account prod: environment: AWS_ACCESS_KEY_ID and "
              "AWS_SECRET_ACCESS_KEY are not set; shared files: no profile default in " +
                  home + "/.aws/credentials and " + home +
                  "/.aws/config; instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
    EXPECT_TRUE(f.imds_calls.empty());

    Fixture g;
    g.imds_error = "instance metadata at http://127.0.0.1:9: the token request (PUT "
                   "/latest/api/token) failed: Couldn't connect to server";
    auto failing = g.provider(account("prod"));
    const auto failed = failing.credentials(k_now);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().find("; " + g.imds_error), std::string::npos) << failed.error();
}

TEST(CredentialProvider, ConfiguredProfileIsTheOnlySource) {
    Fixture f;
    f.set_environment_keys();
    f.write_home_credentials("[prod]\naws_access_key_id = AKIDPROD\n"
                             "aws_secret_access_key = prod-SeCrEt\n");
    auto config = account("prod");
    config.credentials.profile = "prod";
    auto provider = f.provider(config);
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "AKIDPROD");

    auto missing_config = account("stage");
    missing_config.credentials.profile = "stage";
    auto missing = f.provider(missing_config);
    const auto failed = missing.credentials(k_now);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().find("no profile stage in "), std::string::npos) << failed.error();
    EXPECT_TRUE(f.imds_calls.empty()); // neither IMDS ...
    expect_no_secret(failed.error());  // ... nor the environment's keys
}

TEST(CredentialProvider, AccountRoleIsAssumedWithTheBaseCredentials) {
    Fixture f;
    f.set_environment_keys();
    auto config = account("prod");
    config.credentials.role_arn = "arn:aws:iam::111122223333:role/dkimwatch-read";
    config.credentials.external_id = std::string{"ext-"} + k_secret_marker;
    config.sts_endpoint_url = "http://127.0.0.1:4566";
    auto provider = f.provider(config);
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "ASIAROLE1");
    EXPECT_EQ(credentials->source, "assumed role arn:aws:iam::111122223333:role/dkimwatch-read");
    ASSERT_EQ(f.assume_requests.size(), 1U);
    const auto& request = f.assume_requests[0];
    EXPECT_EQ(request.role_arn, "arn:aws:iam::111122223333:role/dkimwatch-read");
    EXPECT_EQ(request.external_id, "ext-SeCrEt");
    EXPECT_EQ(request.session_name, "dkimwatch-prod");
    EXPECT_EQ(request.region, "eu-west-1");
    EXPECT_EQ(request.sts_endpoint_url, "http://127.0.0.1:4566");
    EXPECT_EQ(f.assume_bases[0].access_key_id, "AKIDENV");
}

TEST(CredentialProvider, AssumeRoleFailureSaysWhichRoleAndBaseButNoSecret) {
    Fixture f;
    f.set_environment_keys();
    f.assume_error = "AccessDenied: not authorized to perform sts:AssumeRole";
    auto config = account("prod");
    config.credentials.role_arn = "arn:aws:iam::111122223333:role/x";
    config.credentials.external_id = std::string{"ext-"} + k_secret_marker;
    auto provider = f.provider(config);
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    EXPECT_EQ(credentials.error(),
              "AWS credentials for account prod: AssumeRole of arn:aws:iam::111122223333:role/x "
              "with credentials from environment failed: AccessDenied: not authorized to "
              "perform sts:AssumeRole");
}

TEST(CredentialProvider, ProfileRolesChainThroughSourceProfiles) {
    Fixture f;
    f.write_home_credentials("[base]\naws_access_key_id = AKIDBASE\n"
                             "aws_secret_access_key = base-SeCrEt\n");
    f.write_home_config("[profile middle]\nrole_arn = arn:aws:iam::1:role/middle\n"
                        "source_profile = base\nregion = ap-south-1\n"
                        "[profile top]\nrole_arn = arn:aws:iam::2:role/top\n"
                        "source_profile = middle\nexternal_id = top-ext-SeCrEt\n");
    auto config = account("prod");
    config.credentials.profile = "top";
    auto provider = f.provider(config);
    const auto credentials = provider.credentials(k_now);
    ASSERT_TRUE(credentials) << credentials.error();
    ASSERT_EQ(f.assume_requests.size(), 2U);
    EXPECT_EQ(f.assume_requests[0].role_arn, "arn:aws:iam::1:role/middle");
    EXPECT_EQ(f.assume_requests[0].region, "ap-south-1");
    EXPECT_EQ(f.assume_bases[0].access_key_id, "AKIDBASE");
    EXPECT_EQ(f.assume_requests[1].role_arn, "arn:aws:iam::2:role/top");
    EXPECT_EQ(f.assume_requests[1].external_id, "top-ext-SeCrEt");
    EXPECT_EQ(f.assume_requests[1].region, "eu-west-1");
    EXPECT_EQ(f.assume_bases[1].access_key_id, "ASIAROLE1");
    EXPECT_EQ(credentials->access_key_id, "ASIAROLE2");
}

TEST(CredentialProvider, SourceProfileLoopsAndGapsAreErrors) {
    Fixture f;
    f.write_home_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
                        "[profile c]\nrole_arn = arn:aws:iam::1:role/c\n"
                        "[profile d]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = zz\n"
                        "[profile e]\naws_access_key_id = AKIDE\n");
    const std::vector<std::pair<std::string, std::string>> cases{
        {"a", "profile a: more than 5 source_profile links (a loop?)"},
        {"c", "sets role_arn without source_profile"},
        {"d", "profile d names source_profile zz, which is not in "},
        {"e", "has aws_access_key_id but no aws_secret_access_key"},
    };
    for (const auto& [profile, error] : cases) {
        auto config = account("prod");
        config.credentials.profile = profile;
        auto provider = f.provider(config);
        const auto credentials = provider.credentials(k_now);
        ASSERT_FALSE(credentials) << profile;
        EXPECT_NE(credentials.error().find(error), std::string::npos) << credentials.error();
    }
    EXPECT_TRUE(f.assume_requests.empty());
}

TEST(CredentialProvider, SyntaxErrorInSharedFileStopsTheChainWithoutQuoting) {
    Fixture f;
    f.write_home_credentials("[default]\naws_access_key_id = AKID\nSeCrEt-without-equals\n");
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    EXPECT_NE(credentials.error().find("/.aws/credentials:3: neither a [section] header"),
              std::string::npos)
        << credentials.error();
    expect_no_secret(credentials.error());
    EXPECT_TRUE(f.imds_calls.empty());
}

TEST(CredentialProvider, HalfSetEnvironmentStopsTheChain) {
    Fixture f;
    f.environment.variables["AWS_ACCESS_KEY_ID"] = "AKIDHALF";
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    EXPECT_EQ(credentials.error(), "no AWS credentials for account prod: environment: "
                                   "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST(CredentialProvider, CachedUntilFiveMinutesBeforeExpiration) {
    Fixture f;
    f.imds_expiration = k_now + 30min;
    auto provider = f.provider(account("prod"));
    ASSERT_EQ(provider.credentials(k_now)->access_key_id, "ASIAIMDS1");
    ASSERT_EQ(provider.credentials(k_now + 24min)->access_key_id, "ASIAIMDS1");
    EXPECT_EQ(f.imds_calls.size(), 1U);
    // 5 minutes before the expiration: fetched again.
    f.imds_expiration = k_now + 90min;
    ASSERT_EQ(provider.credentials(k_now + 25min)->access_key_id, "ASIAIMDS2");
    EXPECT_EQ(f.imds_calls.size(), 2U);
    ASSERT_EQ(provider.credentials(k_now + 84min)->access_key_id, "ASIAIMDS2");
    EXPECT_EQ(f.imds_calls.size(), 2U);
}

TEST(CredentialProvider, LongTermKeysAreNotFetchedAgain) {
    Fixture f;
    f.write_home_credentials("[default]\naws_access_key_id = AKIDFILE\n"
                             "aws_secret_access_key = file-SeCrEt\n");
    auto provider = f.provider(account("prod"));
    ASSERT_TRUE(provider.credentials(k_now));
    // The file changes; the cached long-term keys stay (a restart or reload picks them up).
    f.write_home_credentials("[default]\naws_access_key_id = AKIDNEW\n"
                             "aws_secret_access_key = new-SeCrEt\n");
    EXPECT_EQ(provider.credentials(k_now + 1000h)->access_key_id, "AKIDFILE");
}

TEST(CredentialProvider, FailedRefreshKeepsStillValidCredentialsThenFails) {
    Fixture f;
    f.imds_expiration = k_now + 10min;
    auto provider = f.provider(account("prod"));
    ASSERT_EQ(provider.credentials(k_now)->access_key_id, "ASIAIMDS1");
    f.imds_error = "instance metadata at http://169.254.169.254: the role request got HTTP 500";
    const auto kept = provider.credentials(k_now + 6min);
    ASSERT_TRUE(kept) << kept.error();
    EXPECT_EQ(kept->access_key_id, "ASIAIMDS1");
    EXPECT_EQ(f.imds_calls.size(), 2U);
    const auto expired = provider.credentials(k_now + 10min);
    ASSERT_FALSE(expired);
    EXPECT_NE(expired.error().find("HTTP 500"), std::string::npos);
}

TEST(CredentialProvider, AlreadyExpiredCredentialsAreAnError) {
    Fixture f;
    f.imds_expiration = k_now - 1s;
    auto provider = f.provider(account("prod"));
    const auto credentials = provider.credentials(k_now);
    ASSERT_FALSE(credentials);
    EXPECT_EQ(credentials.error(), "AWS credentials for account prod from instance metadata "
                                   "role r have already expired");
}

TEST(CredentialProvider, SessionNameIsCutToSixtyFourCharacters) {
    EXPECT_EQ(assume_role_session_name("prod"), "dkimwatch-prod");
    const auto name = assume_role_session_name(std::string(64, 'a'));
    EXPECT_EQ(name.size(), 64U);
    EXPECT_EQ(name.substr(0, 10), "dkimwatch-");
}

TEST(CredentialProvider, ConcurrentCallersShareOneFetch) {
    Fixture f;
    std::atomic<int> fetches{0};
    auto provider =
        CredentialProvider(account("prod"), f.environment, f.assume_role(),
                           [&](const InstanceMetadataSettings&) -> Result<AwsCredentials> {
                               ++fetches;
                               std::this_thread::sleep_for(20ms);
                               AwsCredentials credentials;
                               credentials.access_key_id = "ASIACONCURRENT";
                               credentials.secret_access_key = "s";
                               credentials.expiration = k_now + 1h;
                               return credentials;
                           });
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] { ok += provider.credentials(k_now) ? 1 : 0; });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(fetches.load(), 1);
}

TEST(CredentialProvider, NoSecretInAnyErrorOfTheChain) {
    // Every failure path with secrets present in the environment, files and lambdas.
    Fixture f;
    f.environment.variables["AWS_SECRET_ACCESS_KEY"] = std::string{"env-"} + k_secret_marker;
    f.environment.variables["AWS_SESSION_TOKEN"] = std::string{"tok-"} + k_secret_marker;
    auto config = account("prod");
    config.credentials.role_arn = "arn:aws:iam::1:role/r";
    config.credentials.external_id = std::string{"ext-"} + k_secret_marker;
    {
        auto provider = f.provider(config);
        const auto credentials = provider.credentials(k_now);
        ASSERT_FALSE(credentials);
        expect_no_secret(credentials.error());
    }
    f.environment.variables.erase("AWS_SECRET_ACCESS_KEY");
    f.write_home_credentials("[default]\naws_secret_access_key = file-SeCrEt\n");
    {
        auto provider = f.provider(config);
        const auto credentials = provider.credentials(k_now);
        ASSERT_FALSE(credentials);
        EXPECT_NE(credentials.error().find("aws_secret_access_key but no aws_access_key_id"),
                  std::string::npos);
        expect_no_secret(credentials.error());
    }
    f.write_home_credentials("[default]\naws_access_key_id = A\n"
                             "aws_secret_access_key = file-SeCrEt\n");
    f.assume_error = "AccessDenied";
    {
        auto provider = f.provider(config);
        const auto credentials = provider.credentials(k_now);
        ASSERT_FALSE(credentials);
        expect_no_secret(credentials.error());
    }
}

} // namespace
} // namespace dkimwatch
