#include "config/ses_identity.hpp"

#include "config/identity_validator.hpp"

#include <string>
#include <utility>

namespace dkimwatch {

Result<Identity> identity_from_ses(const SesInventory& inventory, const SesDomainIdentity& ses) {
    const ConfigError where{"SES " + inventory.source + " " + inventory.region, 0, 0, {}};
    const std::string subject = where.file + ": " + ses.domain;
    if (ses.tokens.empty()) {
        return Error{subject + " has no DKIM tokens (DKIM was never set up for it in SES); not "
                               "watched"};
    }
    RawIdentity raw;
    raw.source = IdentitySource::ses;
    raw.domain = RawField{ses.domain, where};
    raw.account = RawField{inventory.account, where};
    raw.region = RawField{inventory.region, where};
    if (ses.origin == "EXTERNAL") {
        raw.method = RawMethod::byodkim;
        raw.selector = RawField{ses.tokens.front(), where};
    } else if (ses.origin.starts_with("AWS_SES") || ses.origin.empty()) {
        if (ses.origin.empty() && ses.tokens.size() != 3) {
            return Error{subject + " has no SigningAttributesOrigin and " +
                         std::to_string(ses.tokens.size()) +
                         " tokens, neither Easy DKIM (3 tokens) nor a known BYODKIM; not watched"};
        }
        raw.method = RawMethod::easy_dkim;
        raw.token_count = ses.tokens.size();
        raw.tokens_where = where;
        for (std::size_t i = 0; i < ses.tokens.size(); ++i) {
            raw.tokens.push_back(RawField{ses.tokens[i], where});
            raw.token_labels.push_back("Tokens[" + std::to_string(i) + "]");
        }
        if (!ses.signing_hosted_zone.empty()) {
            raw.signing_hosted_zone = RawField{ses.signing_hosted_zone, where};
        }
    } else {
        return Error{subject + " has the SigningAttributesOrigin \"" + ses.origin +
                     "\", which dkimwatch does not know (AWS_SES* or EXTERNAL); not watched"};
    }

    IdentityCheck check = validate_identity(raw);
    if (!check.errors.empty()) {
        std::string message = subject + " is not watched:";
        for (std::size_t i = 0; i < check.errors.size(); ++i) {
            message += (i == 0 ? " " : "; ") + check.errors[i].message;
        }
        return Error{std::move(message)};
    }
    if (auto* easy = std::get_if<EasyDkim>(&check.identity.method)) {
        easy->hosted_zone_from_config = false; // SES's zone, or the table's: not the user's
    }
    return std::move(check.identity);
}

} // namespace dkimwatch
