#pragma once
// The diagnosis of a received message for `dkimwatch inspect`: from what verification found,
// what the key records' verdicts are, what the receiver concluded and (with --config) what
// dkimwatch knows of the identities that cover the From: domain, say whether the message is
// DKIM-signed as SES users need and, when not, why and what to do. Pure.

#include "core/authentication_results.hpp"
#include "core/dkim_signature_check.hpp"
#include "core/dmarc_alignment.hpp"
#include "core/ses_view.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

struct InspectedSignature {
    DkimSignatureCheck check;
    DkimAlignment alignment; // of d= with the From: domain (both false when From: is unusable)
    // The evaluator's verdict on the key record "<s>._domainkey.<d>" TXT (or, when the selector
    // is one of a configured Easy DKIM identity's tokens, its CNAME); nullopt when d= or s= is
    // missing or "<s>._domainkey.<d>" is not a DNS name, so nothing was looked up.
    std::optional<RecordVerdict> record;
};

// A configured identity whose domain is the From: domain or a parent of it (`inspect --config`).
struct CoveringIdentity {
    std::string account;
    std::string region;
    std::string domain;
    bool easy_dkim = true;              // false: BYODKIM
    std::vector<std::string> selectors; // the Easy DKIM tokens, or the BYODKIM selector
    // From the state database, when one was found and holds the identity.
    std::optional<IdentityState> state;
    std::optional<TimePoint> state_since;
    std::optional<TimePoint> deadline; // revocation deadline, in revocation_warning
    std::string state_reason;          // the state machine's last reason; empty when unknown
    // SES's view, when the `ses:` section covers the identity's account and region and the
    // database holds a sync of it.
    bool ses_known = false;
    std::vector<SesFinding> ses_findings; // the cross-check's findings (empty: none or unknown)
};

struct InspectFacts {
    std::string from_domain; // canonical; empty when the From: field is unusable
    std::string from_error;  // why it is unusable (mail_address.hpp's errors); empty otherwise
    std::vector<InspectedSignature> signatures; // header order
    std::vector<AuthenticationResult> authentication_results;
    bool config_given = false; // --config was given (identities below are meaningful)
    bool state_known = false;  // a state database was found and read
    std::vector<CoveringIdentity> identities; // covering the From: domain, config order
    // The domain SES signs every message with besides the sender's (seed: "Your emails contain
    // two DKIM signatures"). Tests may point it at a test zone.
    std::string ses_signing_domain = "amazonses.com";
};

struct InspectDiagnosis {
    // A stable code (public contract: JSON "diagnosis[].code"); see diagnose_message().
    std::string code;
    Severity severity = Severity::ok;
    std::string message; // what was found, its cause(s) and what to check; sentences
    bool operator==(const InspectDiagnosis&) const = default;
};

// Diagnoses, most severe first (severity_rank), then in the order below. Codes:
//   ses_and_domain_signed (ok)   a passing signature by the SES signing domain and a passing one
//                                aligned with From: ("normal: SES adds its own d=amazonses.com
//                                signature; you can ignore it", the seed's words)
//   domain_signed (ok)           a passing aligned signature, no SES signature
//   only_ses_signature (error)   a signature by the SES signing domain (or a subdomain of it),
//                                whatever its result, and no signature aligned with From: at
//                                all: SES did not sign with the domain. The causes in order of
//                                likelihood: DKIM disabled on the identity; sent from an
//                                individually verified address; the identity set up in another
//                                region or account than the one that sent; records missing or
//                                revoked. With --config: which configured identities cover the
//                                domain and what is known of each (state, SES findings).
//   no_signature (error)         no DKIM-Signature field at all
//   not_aligned (error)          signatures (passing or not), but none is aligned with the From:
//                                domain and none is SES's (e.g. d= of a third party)
//   from_unusable (error)        From: missing, repeated or unreadable: alignment impossible
//   body_hash_mismatch (error)   per failing signature: the body changed after signing (a
//                                footer added by a list or gateway, re-encoding); check them
//   signature_mismatch (error)   per failing signature: a signed header field changed in
//                                transit, or the published key is not the signing key
//   signature_expired (error)    x= has passed
//   signature_unusable (error)   permerror from syntax: which tag
//   record_<verdict> (verdict's severity), e.g. record_missing, record_key_revoked,
//                                record_key_malformed, record_testing_mode, record_weak_key:
//                                the key record's evaluator verdict when not ok, with its message
//   key_temporary_failure (indeterminate)  the key could not be fetched: DNS said ...
//   partial_body (warning)       l= present: content appended after the signed part passes as
//                                signed
//   receiver_disagrees (warning) an Authentication-Results dkim result for a d= differs from
//                                dkimwatch's (the message changed after it was received, or DNS
//                                changed since)
//   no_identity_for_domain (warning)  --config given, and no configured identity covers the
//                                From: domain
//   identity_<state> (pending: warning, revocation_warning: error, revoked: error), e.g.
//                                identity_revocation_warning: a covering identity's state, with
//                                account, region, since and deadline
//   ses_<finding code> (the finding's severity), e.g. ses_signing_disabled: SES's findings for a
//                                covering identity (codes already starting "ses_" are not
//                                prefixed twice: ses_failed, ses_temporary_failure)
std::vector<InspectDiagnosis> diagnose_message(const InspectFacts& facts);

// Exit status, as `check`'s: 0 a signature aligned with From: passes (relaxed alignment) and no
// diagnosis warns; 1 it passes but something warns; 2 no aligned signature passes, and not 3;
// 3 no aligned signature passes and an aligned signature's key lookup failed temporarily
// (indeterminate DNS). (Unreadable input is exit 3 before any diagnosis.)
int inspect_exit_code(const InspectFacts& facts, const std::vector<InspectDiagnosis>& diagnosis);

} // namespace dkimwatch
