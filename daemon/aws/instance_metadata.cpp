#include "aws/instance_metadata.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <curl/curl.h>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

// The largest answer accepted from the metadata service (credentials are about 1.5 KiB).
constexpr std::size_t k_max_answer_bytes = 64 * 1024;

struct HttpAnswer {
    long status = 0;
    std::string body;
};

struct CurlHandleDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::once_flag g_curl_global_once;

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    const std::size_t bytes = size * count;
    if (body->size() + bytes > k_max_answer_bytes) {
        return 0; // too large: libcurl stops with CURLE_WRITE_ERROR
    }
    body->append(data, bytes);
    return bytes;
}

// One request to the metadata service. `header` is "Name: value" (it may hold the token, which
// therefore never goes into a message). Errors are libcurl's reason, without the URL.
Result<HttpAnswer> request(const InstanceMetadataSettings& settings, const char* method,
                           const std::string& path, const std::string& header) {
    // curl_global_init is thread-safe in the libcurl 7.88 used here (CURL_VERSION_THREADSAFE);
    // once per process is enough.
    std::call_once(g_curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, CurlHandleDeleter> handle{curl_easy_init()};
    if (!handle) {
        return Error{"libcurl could not create a handle"};
    }
    std::unique_ptr<curl_slist, CurlListDeleter> headers{
        curl_slist_append(nullptr, header.c_str())};
    HttpAnswer answer;
    const std::string url = settings.endpoint + path;
    CURL* h = handle.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(settings.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer.body);
    if (std::string_view{method} == "PUT") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    const CURLcode code = curl_easy_perform(h);
    if (code == CURLE_WRITE_ERROR) {
        return Error{"the answer is larger than 64 KiB"};
    }
    if (code != CURLE_OK) {
        return Error{curl_easy_strerror(code)};
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
    return answer;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

// A role name as IAM allows it ([\w+=,.@-]{1,64}): safe to put in a path and a message.
bool is_role_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (const char c : name) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '+' ||
                        c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

InstanceMetadataSettings instance_metadata_settings(const AwsEnvironment& environment) {
    InstanceMetadataSettings settings;
    auto endpoint = environment.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    while (!endpoint.empty() && endpoint.back() == '/') {
        endpoint.pop_back();
    }
    if (!endpoint.empty()) {
        settings.endpoint = endpoint;
    }
    return settings;
}

bool instance_metadata_disabled(const AwsEnvironment& environment) {
    std::string value = environment.get("AWS_EC2_METADATA_DISABLED");
    for (char& c : value) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return trim(value) == "true";
}

std::optional<TimePoint> parse_iso8601_utc(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS, then optional .fraction, then Z or +HH:MM / -HH:MM.
    const std::string s{text};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                    &second, &consumed) != 6 ||
        consumed != 19) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
        year < 1970) {
        return std::nullopt;
    }
    std::size_t i = 19;
    Milliseconds fraction{0};
    if (i < s.size() && s[i] == '.') {
        ++i;
        int digits = 0;
        long long millis = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
            if (digits < 3) {
                millis = millis * 10 + (s[i] - '0');
            }
            ++digits;
            ++i;
        }
        if (digits == 0) {
            return std::nullopt;
        }
        for (int d = digits; d < 3; ++d) {
            millis *= 10;
        }
        fraction = Milliseconds{millis};
    }
    std::chrono::minutes offset{0};
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
        // UTC
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0 &&
               std::isdigit(static_cast<unsigned char>(s[i + 2])) != 0 &&
               std::isdigit(static_cast<unsigned char>(s[i + 4])) != 0 &&
               std::isdigit(static_cast<unsigned char>(s[i + 5])) != 0) {
        const int hours = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
        const int minutes = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
        if (hours > 23 || minutes > 59) {
            return std::nullopt;
        }
        offset = std::chrono::minutes{hours * 60 + minutes} * (s[i] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    const auto local = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                       std::chrono::minutes{minute} + std::chrono::seconds{second};
    return std::chrono::time_point_cast<Milliseconds>(local - offset) + fraction;
}

Result<AwsCredentials> parse_instance_metadata_credentials(std::string_view json,
                                                           const std::string& role) {
    const std::string what = "the credentials of instance role " + role;
    // No exception text: nlohmann's messages quote the input, which may hold a secret.
    const auto document = nlohmann::json::parse(json, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return Error{what + " are not a JSON object"};
    }
    auto text = [&](const char* key) -> std::optional<std::string> {
        const auto found = document.find(key);
        if (found == document.end() || !found->is_string()) {
            return std::nullopt;
        }
        return found->get<std::string>();
    };
    if (const auto code = text("Code"); code && *code != "Success") {
        return Error{what + " are not usable: Code is not Success"};
    }
    const auto key_id = text("AccessKeyId");
    const auto secret = text("SecretAccessKey");
    const auto token = text("Token");
    const auto expiration = text("Expiration");
    for (const auto& [name, value] :
         {std::pair{"AccessKeyId", &key_id}, std::pair{"SecretAccessKey", &secret},
          std::pair{"Token", &token}, std::pair{"Expiration", &expiration}}) {
        if (!*value || (*value)->empty()) {
            return Error{what + " lack a " + name + " string"};
        }
    }
    const auto expires = parse_iso8601_utc(*expiration);
    if (!expires) {
        return Error{what + " have an Expiration that is not an ISO 8601 time"};
    }
    AwsCredentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = *secret;
    credentials.session_token = *token;
    credentials.expiration = *expires;
    credentials.source = "instance metadata role " + role;
    return credentials;
}

Result<AwsCredentials>
fetch_instance_metadata_credentials(const InstanceMetadataSettings& settings) {
    const std::string where = "instance metadata at " + settings.endpoint + ": ";
    const auto token = request(settings, "PUT", "/latest/api/token",
                               "x-aws-ec2-metadata-token-ttl-seconds: " +
                                   std::to_string(settings.token_ttl.count()));
    if (!token) {
        return Error{where + "the token request (PUT /latest/api/token) failed: " + token.error()};
    }
    if (token->status != 200) {
        return Error{where + "the token request (PUT /latest/api/token) got HTTP " +
                     std::to_string(token->status)};
    }
    const auto token_value = trim(token->body);
    if (token_value.empty() || token_value.find_first_of("\r\n") != std::string_view::npos) {
        return Error{where + "the token request (PUT /latest/api/token) returned no usable token"};
    }
    const std::string token_header = "X-aws-ec2-metadata-token: " + std::string{token_value};

    constexpr std::string_view k_credentials_path = "/latest/meta-data/iam/security-credentials/";
    const auto roles = request(settings, "GET", std::string{k_credentials_path}, token_header);
    if (!roles) {
        return Error{where + "the role request failed: " + roles.error()};
    }
    if (roles->status == 404) {
        return Error{where + "the instance has no IAM role (HTTP 404)"};
    }
    if (roles->status != 200) {
        return Error{where + "the role request got HTTP " + std::to_string(roles->status)};
    }
    const auto first_line = trim(std::string_view{roles->body}.substr(0, roles->body.find('\n')));
    if (!is_role_name(first_line)) {
        return Error{where + "the role request returned no valid role name"};
    }
    const std::string role{first_line};
    const auto document =
        request(settings, "GET", std::string{k_credentials_path} + role, token_header);
    if (!document) {
        return Error{where + "the credentials request of role " + role +
                     " failed: " + document.error()};
    }
    if (document->status != 200) {
        return Error{where + "the credentials request of role " + role + " got HTTP " +
                     std::to_string(document->status)};
    }
    auto credentials = parse_instance_metadata_credentials(document->body, role);
    if (!credentials) {
        return Error{where + credentials.error()};
    }
    return credentials;
}

} // namespace dkimwatch
