#pragma once
// The SES rule for BYODKIM selectors: "at least 1 and less than or equal to 63 alphanumeric
// characters. The selector can't include periods or other symbols or punctuation." (SES
// troubleshooting page.) The SES API pattern also lets inner hyphens through; dkimwatch holds
// users to the documented rule and says so.

#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

// nullopt when valid; otherwise why not, e.g. "contains a period: SES selectors are 1 to 63
// letters and digits, with no periods or other punctuation".
std::optional<std::string> invalid_selector_reason(std::string_view selector);

} // namespace dkimwatch
