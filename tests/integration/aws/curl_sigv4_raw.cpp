// libcurl's CURLOPT_AWS_SIGV4 used naively, without the guards of daemon/aws/signed_request:
// the query string, the path and the headers exactly as given. test_ses_api.py uses it to show
// that fake_aws.py catches the signing bugs of Debian 12's curl 7.88.1 that signed_request
// avoids (unsorted query keys, '@' or '%' in the path, a header with an empty value).
//
//   curl_sigv4_raw URL REGION SERVICE [HEADER...]    (credentials: AWS_ACCESS_KEY_ID,
//   AWS_SECRET_ACCESS_KEY)
// Prints "<curl version> <HTTP status>"; exit 0 when a status arrived, 1 otherwise.

#include <cstdio>
#include <cstdlib>
#include <curl/curl.h>
#include <string>

namespace {
size_t discard(char*, size_t size, size_t count, void*) {
    return size * count;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: curl_sigv4_raw URL REGION SERVICE [HEADER...]\n");
        return 2;
    }
    const char* key = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (key == nullptr || secret == nullptr) {
        std::fprintf(stderr, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are needed\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL* curl = curl_easy_init();
    const std::string sigv4 = std::string("aws:amz:") + argv[2] + ":" + argv[3];
    curl_slist* headers = nullptr;
    for (int i = 4; i < argc; ++i) {
        headers = curl_slist_append(headers, argv[i]);
    }
    curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, key);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, secret);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    std::printf("%s %ld\n", curl_version_info(CURLVERSION_NOW)->version, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return code == CURLE_OK ? 0 : 1;
}
