// CredentialProvider and the IMDSv2 client against fake_imds.py, a real HTTP server on loopback:
// the token PUT first and the token on every GET, refresh before the Expiration with rotated
// keys, AWS_EC2_METADATA_DISABLED honoured, failures (no role, HTTP 500, a truncated document, a
// hanging server, nothing listening) reported without a secret, within the short timeouts.

#include "aws/credential_provider.hpp"
#include "aws/instance_metadata.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <curl/curl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

TimePoint wall_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

class TempDir {
public:
    TempDir() {
        std::random_device random;
        m_path = std::filesystem::temp_directory_path() /
                 ("dkimwatch-imds-" + std::to_string(random()) + std::to_string(random()));
        std::filesystem::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

// One request as fake_imds.py logged it.
struct LoggedRequest {
    std::string method;
    std::string path;
    std::string token; // "" when the request carried none
    std::string ttl;
    int status = 0;
};

// fake_imds.py on a free loopback port; stopped by the destructor.
class FakeImds {
public:
    FakeImds(const std::filesystem::path& dir, const std::string& mode, int expires_in = 600)
        : m_log(dir / ("imds-" + mode + ".jsonl")) {
        int out[2];
        if (::pipe(out) != 0) {
            ADD_FAILURE() << "pipe failed";
            return;
        }
        std::vector<std::string> args{
            "/usr/bin/python3", DKIMWATCH_FAKE_IMDS_PY,    "--log", m_log.string(), "--mode", mode,
            "--expires-in",     std::to_string(expires_in)};
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        // The first line on its stdout is the port, once it listens.
        std::string line;
        char c = 0;
        while (::read(out[0], &c, 1) == 1 && c != '\n') {
            line += c;
        }
        ::close(out[0]);
        m_port = line.empty() ? 0 : std::stoi(line);
        EXPECT_GT(m_port, 0) << "fake_imds.py did not start";
    }
    FakeImds(const FakeImds&) = delete;
    FakeImds& operator=(const FakeImds&) = delete;
    ~FakeImds() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            ::waitpid(m_pid, nullptr, 0);
        }
    }

    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    std::vector<LoggedRequest> requests() const {
        std::vector<LoggedRequest> requests;
        std::ifstream in(m_log);
        for (std::string line; std::getline(in, line);) {
            const auto json = nlohmann::json::parse(line, nullptr, false);
            if (json.is_discarded()) {
                continue;
            }
            LoggedRequest request;
            request.method = json.at("method").get<std::string>();
            request.path = json.at("path").get<std::string>();
            request.token = json.at("token").is_string() ? json.at("token").get<std::string>() : "";
            request.ttl = json.at("ttl").is_string() ? json.at("ttl").get<std::string>() : "";
            request.status = json.at("status").get<int>();
            requests.push_back(std::move(request));
        }
        return requests;
    }

private:
    std::filesystem::path m_log;
    pid_t m_pid = -1;
    int m_port = 0;
};

// An environment with nothing but the metadata endpoint (and an empty home: no ~/.aws/).
AwsEnvironment environment_for(const FakeImds& imds, const TempDir& home) {
    AwsEnvironment environment;
    environment.home = home.path().string();
    environment.variables["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.endpoint();
    return environment;
}

SesAccountConfig account() {
    SesAccountConfig config;
    config.name = "imds";
    config.regions = {"us-east-1"};
    return config;
}

AssumeRoleFunction no_assume_role() {
    return [](const AwsCredentials&, const AssumeRoleRequest&) -> Result<AwsCredentials> {
        return Error{"not expected"};
    };
}

TEST(InstanceMetadataCredentials, TokenFirstThenTheRoleAndItsCredentials) {
    const TempDir dir;
    const FakeImds imds(dir.path(), "ok");
    CredentialProvider provider(account(), environment_for(imds, dir), no_assume_role());
    const auto before = wall_now();
    const auto credentials = provider.credentials(before);
    ASSERT_TRUE(credentials) << credentials.error();
    EXPECT_EQ(credentials->access_key_id, "ASIAFAKEIMDS0001");
    EXPECT_EQ(credentials->secret_access_key.rfind("imds-secret-", 0), 0U);
    EXPECT_EQ(credentials->session_token.rfind("imds-session-", 0), 0U);
    EXPECT_EQ(credentials->source, "instance metadata role dkimwatch-test-role");
    ASSERT_TRUE(credentials->expiration);
    EXPECT_GT(*credentials->expiration, before + 590s);
    EXPECT_LT(*credentials->expiration, before + 610s);

    const auto requests = imds.requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(requests[0].method, "PUT");
    EXPECT_EQ(requests[0].path, "/latest/api/token");
    EXPECT_EQ(requests[0].ttl, "21600");
    EXPECT_EQ(requests[0].status, 200);
    EXPECT_EQ(requests[1].method, "GET");
    EXPECT_EQ(requests[1].path, "/latest/meta-data/iam/security-credentials/");
    EXPECT_EQ(requests[2].path, "/latest/meta-data/iam/security-credentials/dkimwatch-test-role");
    for (std::size_t i = 1; i < requests.size(); ++i) {
        EXPECT_FALSE(requests[i].token.empty());
        EXPECT_EQ(requests[i].status, 200);
    }
}

TEST(InstanceMetadataCredentials, RefreshedBeforeTheExpirationWithNewKeys) {
    const TempDir dir;
    const FakeImds imds(dir.path(), "ok", 400); // expires 6 min 40 s after each fetch
    CredentialProvider provider(account(), environment_for(imds, dir), no_assume_role());
    const auto start = wall_now();
    const auto first = provider.credentials(start);
    ASSERT_TRUE(first) << first.error();
    EXPECT_EQ(first->access_key_id, "ASIAFAKEIMDS0001");
    // Still more than 5 minutes left: the cached keys, no request.
    const auto cached = provider.credentials(start + 60s);
    ASSERT_TRUE(cached) << cached.error();
    EXPECT_EQ(cached->access_key_id, "ASIAFAKEIMDS0001");
    EXPECT_EQ(imds.requests().size(), 3U);
    // Less than 5 minutes left (but not expired): fetched again, with a new token.
    const auto refreshed = provider.credentials(start + 120s);
    ASSERT_TRUE(refreshed) << refreshed.error();
    EXPECT_EQ(refreshed->access_key_id, "ASIAFAKEIMDS0002");
    EXPECT_NE(refreshed->secret_access_key, first->secret_access_key);
    const auto requests = imds.requests();
    ASSERT_EQ(requests.size(), 6U);
    EXPECT_EQ(requests[3].method, "PUT");
    EXPECT_NE(requests[4].token, requests[1].token);
}

TEST(InstanceMetadataCredentials, DisabledByTheEnvironmentSendsNothing) {
    const TempDir dir;
    const FakeImds imds(dir.path(), "ok");
    auto environment = environment_for(imds, dir);
    environment.variables["AWS_EC2_METADATA_DISABLED"] = "true";
    CredentialProvider provider(account(), environment, no_assume_role());
    const auto credentials = provider.credentials(wall_now());
    ASSERT_FALSE(credentials);
    EXPECT_NE(credentials.error().find("instance metadata: disabled by AWS_EC2_METADATA_DISABLED"),
              std::string::npos)
        << credentials.error();
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(imds.requests().empty());
}

TEST(InstanceMetadataCredentials, AGetWithoutTheTokenIsRefused) {
    // The fake enforces IMDSv2 as EC2 does, so the token test above cannot pass by accident.
    const TempDir dir;
    const FakeImds imds(dir.path(), "ok");
    CURL* handle = curl_easy_init();
    ASSERT_NE(handle, nullptr);
    const auto url = imds.endpoint() + "/latest/meta-data/iam/security-credentials/";
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(
        handle, CURLOPT_WRITEFUNCTION,
        +[](char*, std::size_t size, std::size_t count, void*) { return size * count; });
    ASSERT_EQ(curl_easy_perform(handle), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(handle);
    EXPECT_EQ(status, 401);
    ASSERT_EQ(imds.requests().size(), 1U);
    EXPECT_EQ(imds.requests()[0].status, 401);
}

// The failure of `mode`, checked for the step it names and for the absence of every secret the
// fake handed out (tokens, and keys in the truncated document).
void expect_failure(const std::string& mode, const std::string& expected) {
    const TempDir dir;
    const FakeImds imds(dir.path(), mode);
    CredentialProvider provider(account(), environment_for(imds, dir), no_assume_role());
    const auto started = std::chrono::steady_clock::now();
    const auto credentials = provider.credentials(wall_now());
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(credentials) << mode;
    EXPECT_NE(credentials.error().find(expected), std::string::npos) << credentials.error();
    EXPECT_LT(took, 3s) << mode; // 2 s per request at most
    EXPECT_EQ(credentials.error().find("imds-token-"), std::string::npos) << credentials.error();
    EXPECT_EQ(credentials.error().find("imds-secret-"), std::string::npos) << credentials.error();
    EXPECT_EQ(credentials.error().find("imds-session-"), std::string::npos) << credentials.error();
}

TEST(InstanceMetadataCredentials, FailuresNameTheStepAndNoSecret) {
    expect_failure("no-role", "the instance has no IAM role (HTTP 404)");
    expect_failure("credentials-500",
                   "the credentials request of role dkimwatch-test-role got HTTP 500");
    expect_failure("broken-document",
                   "the credentials of instance role dkimwatch-test-role are not a JSON object");
    expect_failure("hang", "the token request (PUT /latest/api/token) failed: Timeout");
}

TEST(InstanceMetadataCredentials, NothingListeningFailsFast) {
    // A port that was free a moment ago: connection refused, well within the connect timeout.
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(probe, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(probe);
    InstanceMetadataSettings settings;
    settings.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    const auto started = std::chrono::steady_clock::now();
    const auto credentials = fetch_instance_metadata_credentials(settings);
    ASSERT_FALSE(credentials);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(credentials.error(), "instance metadata at " + settings.endpoint +
                                       ": the token request (PUT /latest/api/token) failed: "
                                       "Couldn't connect to server");
}

} // namespace
} // namespace dkimwatch
