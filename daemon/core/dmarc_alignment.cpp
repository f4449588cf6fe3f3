#include "core/dmarc_alignment.hpp"

#include "core/dns_name.hpp"

namespace dkimwatch {

DkimAlignment dkim_alignment(std::string_view signing_domain, std::string_view from_domain,
                             const OrganizationalDomainFunction& organizational_domain) {
    DkimAlignment alignment;
    const std::string signer = canonical_name(signing_domain);
    const std::string author = canonical_name(from_domain);
    if (signer.empty() || author.empty()) {
        return alignment;
    }
    alignment.strict = signer == author;
    if (alignment.strict) {
        // Identical names always share their organizational domain.
        alignment.relaxed = true;
        return alignment;
    }
    if (!organizational_domain) {
        return alignment;
    }
    const std::string signer_org = canonical_name(organizational_domain(signer));
    const std::string author_org = canonical_name(organizational_domain(author));
    alignment.relaxed = !signer_org.empty() && signer_org == author_org;
    return alignment;
}

} // namespace dkimwatch
