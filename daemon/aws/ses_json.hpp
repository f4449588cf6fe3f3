#pragma once
// SES v2 JSON answers to plain data: ListEmailIdentities pages, GetEmailIdentity of a DOMAIN
// identity, and the JSON error shape. Pure (no I/O); every malformed answer (not JSON, an HTML
// page, a truncated body, wrong types, an oversized page) is an Error naming what is wrong,
// without quoting more than a short, sanitised excerpt.

#include "core/result.hpp"
#include "core/ses_view.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// PageSize asked for (SES allows 0 to 1000) and the most identities one page may hold.
inline constexpr int k_ses_page_size = 1000;
inline constexpr std::size_t k_ses_max_page_identities = 1000;

// One entry of ListEmailIdentities.EmailIdentities.
struct SesListedIdentity {
    std::string name; // IdentityName as sent (a domain or an address)
    std::string type; // IdentityType: "DOMAIN", "EMAIL_ADDRESS", "MANAGED_DOMAIN" or as sent
    bool operator==(const SesListedIdentity&) const = default;
};

struct SesIdentityPage {
    std::vector<SesListedIdentity> identities;
    std::string next_token; // "" when NextToken is null or absent: the last page
};

// A ListEmailIdentities body. Entries with a null IdentityName are skipped.
Result<SesIdentityPage> parse_list_email_identities(std::string_view body);

// A GetEmailIdentity body for the DOMAIN identity `domain` (as listed). Null or absent
// DkimAttributes fields give the defaults of SesDomainIdentity; an unknown Status gives
// SesDkimStatus::unknown with status_text kept; timestamps may be epoch seconds or ISO 8601.
// email_identities is left empty (the source attaches them).
Result<SesDomainIdentity> parse_get_email_identity(std::string_view domain, std::string_view body);

// An AWS JSON error: the code from the x-amzn-ErrorType header, else the body's "__type" or
// "code" (anything before '#' or ':' removed), and the body's "message"/"Message".
struct AwsErrorInfo {
    std::string code;    // e.g. "TooManyRequestsException"; "" when none was given
    std::string message; // sanitised, at most 200 bytes; "" when none was given
};
AwsErrorInfo parse_aws_json_error(std::string_view error_type_header, std::string_view body);

// A short description of a body that is not the expected JSON: "an HTML page", "an empty
// body", or "N bytes of something else". Never quotes the body.
std::string describe_unexpected_body(std::string_view body);

} // namespace dkimwatch
