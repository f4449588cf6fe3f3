// libFuzzer harness: every parser of what the AWS APIs answer (SES v2 JSON, STS XML, the
// instance metadata JSON, error bodies). The first byte picks the parser, the rest is the body.
// Contracts checked: a failure always says why; a parsed page never lists more identities
// than the cap; the credentials parsed from a body always have a key id and a secret; an
// error body's message stays short.

#include "aws/instance_metadata.hpp"
#include "aws/ses_json.hpp"
#include "aws/sts_xml.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <typename T>
void expect_reason(const dkimwatch::Result<T>& result) {
    if (!result.ok() && result.error().empty()) {
        std::abort();
    }
}

void expect_credentials(const dkimwatch::Result<dkimwatch::AwsCredentials>& result) {
    expect_reason(result);
    if (result.ok() && (result->access_key_id.empty() || result->secret_access_key.empty())) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 8) {
    case 0: {
        const auto page = dkimwatch::parse_list_email_identities(body);
        expect_reason(page);
        if (page.ok() && page->identities.size() > dkimwatch::k_ses_max_page_identities) {
            std::abort();
        }
        break;
    }
    case 1: {
        const auto identity = dkimwatch::parse_get_email_identity("example.com", body);
        expect_reason(identity);
        break;
    }
    case 2: {
        const auto error = dkimwatch::parse_aws_json_error("", body);
        if (error.message.size() > 4 * 200) { // sanitised and cut (ellipsis bytes aside)
            std::abort();
        }
        break;
    }
    case 3:
        expect_credentials(dkimwatch::parse_assume_role_response(
            body, "arn:aws:iam::111122223333:role/dkimwatch-read"));
        break;
    case 4:
        expect_reason(dkimwatch::parse_caller_identity_response(body));
        break;
    case 5:
        (void)dkimwatch::parse_sts_error(body);
        break;
    case 6:
        expect_credentials(dkimwatch::parse_instance_metadata_credentials(body, "role"));
        break;
    default:
        (void)dkimwatch::describe_unexpected_body(body);
        break;
    }
    return 0;
}
