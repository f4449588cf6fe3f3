#pragma once
// Test helpers for the metrics tests: a libcurl GET on loopback and exposition-text line
// picking. Header-only; included by the test_*.cpp files of this directory.

#include <cctype>
#include <cstdint>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace dkimwatch::test {

// libcurl's global state, once per test program.
class CurlEnvironment : public testing::Environment {
public:
    void SetUp() override { curl_global_init(CURL_GLOBAL_DEFAULT); }
    void TearDown() override { curl_global_cleanup(); }
};
inline testing::Environment* const k_curl_environment =
    testing::AddGlobalTestEnvironment(new CurlEnvironment);

struct HttpResponse {
    long status = 0;
    std::string body;
    std::string content_encoding; // the Content-Encoding header, "" when absent
};

inline size_t append_to_string(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

inline size_t pick_content_encoding(char* data, size_t size, size_t count, void* out) {
    const std::string line{data, size * count};
    const std::string name = "content-encoding:";
    std::string lower = line.substr(0, name.size());
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower == name) {
        std::string value = line.substr(name.size());
        value.erase(0, value.find_first_not_of(' '));
        value.erase(value.find_last_not_of("\r\n ") + 1);
        *static_cast<std::string*>(out) = value;
    }
    return size * count;
}

// GET http://127.0.0.1:<port><path>. `accept_encoding` "" sends no Accept-Encoding; curl then
// never decompresses, so `body` is what went over the wire.
inline HttpResponse http_get(std::uint16_t port, const std::string& path = "/metrics",
                             const std::string& accept_encoding = "") {
    HttpResponse response;
    CURL* curl = curl_easy_init();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
    curl_slist* headers = nullptr;
    if (!accept_encoding.empty()) {
        headers = curl_slist_append(headers, ("Accept-Encoding: " + accept_encoding).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, pick_content_encoding);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.content_encoding);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    const CURLcode code = curl_easy_perform(curl);
    EXPECT_EQ(code, CURLE_OK) << url << ": " << curl_easy_strerror(code);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    return response;
}

// The sample lines of one family (its name followed by '{' or ' '), in output order.
inline std::vector<std::string> samples(const std::string& text, const std::string& family) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(family + "{", 0) == 0 || line.rfind(family + " ", 0) == 0) {
            lines.push_back(line);
        }
    }
    return lines;
}

} // namespace dkimwatch::test
