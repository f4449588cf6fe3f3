#pragma once
// Discovery's conversion of what SES reports into a watched identity, through the same identity
// validator as the YAML list and identities_file (config/identity_validator.hpp), so that a name
// SES hands out is held to the rules of a configured one.

#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/ses_view.hpp"

namespace dkimwatch {

// The identity SES reports as `ses`, in the account and region of `inventory`
// (source = IdentitySource::ses):
// - SigningAttributesOrigin "AWS_SES" or "AWS_SES_<REGION>", or "" with 3 tokens: Easy DKIM with
//   SES's Tokens and SigningHostedZone (the region table's zone only when SES gives none);
// - "EXTERNAL": BYODKIM with the selector Tokens[0] and no key (Byodkim::public_key_der empty:
//   the record must hold a valid RSA key, and is compared with nothing).
// An error, for the caller to log and skip, when SES lists no tokens (DKIM never set up), when
// the origin is one dkimwatch does not know, or when a value breaks an identity rule. The
// message starts with "SES <source> <region>: " and names the domain; it holds no secret.
Result<Identity> identity_from_ses(const SesInventory& inventory, const SesDomainIdentity& ses);

} // namespace dkimwatch
