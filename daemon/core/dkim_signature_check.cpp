#include "core/dkim_signature_check.hpp"

#include "core/dns_name.hpp"

namespace dkimwatch {

std::string key_record_name(std::string_view selector, std::string_view domain) {
    return canonical_name(std::string(selector) + "._domainkey." + std::string(domain));
}

} // namespace dkimwatch
