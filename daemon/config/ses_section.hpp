#pragma once
// The `ses:` section (SesSettings): SES as a source of identities and of its own DKIM verdicts.
// Strict like every section; the external id file is a secret and never reaches a message.

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

#include <string>
#include <string_view>

namespace dkimwatch::config_reading {

// ses: sync_interval (>= 1m, default 15m), max_rps (0 < x <= 50, default 1), accounts (at least
// one: name, regions, and optionally account, credentials, endpoint_url, sts_endpoint_url)
// -> Config::ses.
void read_ses_section(Reader& reader, const Field& section, Document& document);

// Why `url` is not "http(s)://host[:port]" without a path, query, fragment or user name; nullopt
// when it is. The reason never quotes the URL.
std::optional<std::string> invalid_endpoint_url_reason(std::string_view url);

// Why `arn` is not an IAM role ARN "arn:aws[-a-z]*:iam::<12 digits>:role/[<path>/]<name>";
// nullopt when it is.
std::optional<std::string> invalid_role_arn_reason(std::string_view arn);

} // namespace dkimwatch::config_reading
