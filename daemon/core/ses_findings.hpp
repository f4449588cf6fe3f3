#pragma once
// The identity-level cross-check between what SES reports about an identity, what dkimwatch
// watches (the configuration wins) and the latest record verdicts. Pure: the caller passes the
// time; nothing is kept between calls. Thread-safe.
//
// Findings come in the order of SesFindingCode (core/ses_view.hpp), at most one per code:
//   signing_disabled (error)         SES has DKIM signing switched off;
//   ses_failed (error)               SES reports FAILED;
//   ses_temporary_failure (warning)  SES reports TEMPORARY_FAILURE;
//   ses_dns_disagree (error)         SES reports FAILED or TEMPORARY_FAILURE, or PENDING for
//                                    longer than pending_timeout since the identity entered
//                                    pending, while every record of the latest check is ok
//                                    (severity ok or warning, as the state machine counts it);
//   email_identity_unsigned (warning) EMAIL_ADDRESS identities under the domain (all named);
//   not_in_ses (error)               a configured identity (config or identities_file) in a
//                                    covered account/region that SES does not list;
//   tokens_differ (error)            the configured Easy DKIM tokens (as a set) or BYODKIM
//                                    selector are not SES's Tokens (configured identities only;
//                                    nothing is compared while SES gives no Tokens);
//   weak_signing_key (warning)       CurrentSigningKeyLength is RSA_1024_BIT.
// Messages state the cause and the fix and name the domain, the account and the region.

#include "core/identity.hpp"
#include "core/ses_view.hpp"
#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <vector>

namespace dkimwatch {

// The pointers are borrowed for the call only.
struct SesFindingInput {
    const Identity* identity = nullptr;     // what dkimwatch watches; never null
    const SesDomainIdentity* ses = nullptr; // SES's view; nullptr: SES does not list it
    bool covered = false;                   // an ses.accounts entry covers (account, region)
    const std::vector<RecordVerdict>* latest = nullptr; // latest check's verdicts; nullptr: none
    const IdentityStatus* status = nullptr;             // entered_pending_at; nullptr: unknown
    const StateMachinePolicy* policy = nullptr;         // pending_timeout; nullptr: the default
    TimePoint now{};
};

std::vector<SesFinding> ses_findings(const SesFindingInput& input);

// The worst severity among `findings` (severity_rank), Severity::ok when there are none: what
// the findings add to an identity's worst status and to the exit code of `check`.
Severity worst_finding_severity(const std::vector<SesFinding>& findings);

} // namespace dkimwatch
