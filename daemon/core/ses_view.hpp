#pragma once
// What Amazon SES itself reports about the identities of one account and region (SES v2
// ListEmailIdentities + GetEmailIdentity), as plain data. Produced by the SES client
// (daemon/aws/), consumed by the pure cross-check (findings) and by discovery (new watched
// identities). No I/O here.

#include "core/state_machine.hpp"
#include "core/verdict.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// DkimAttributes.Status. Values SES may add later are kept as `unknown`, with the raw text in
// SesDomainIdentity::status_text.
enum class SesDkimStatus { pending, success, failed, temporary_failure, not_started, unknown };

// "PENDING", "SUCCESS", "FAILED", "TEMPORARY_FAILURE", "NOT_STARTED", "UNKNOWN": SES's own
// spelling, a public contract (metrics label `status`, JSON).
const char* ses_dkim_status_name(SesDkimStatus status);
// SES's text to the enum; any other text (a value SES added later) gives `unknown`.
SesDkimStatus parse_ses_dkim_status(std::string_view text);

// One DOMAIN identity as SES reports it.
struct SesDomainIdentity {
    std::string domain;           // canonical (lowercase, no trailing dot)
    bool signing_enabled = false; // DkimAttributes.SigningEnabled (null counts as false)
    SesDkimStatus status = SesDkimStatus::unknown;
    std::string status_text; // DkimAttributes.Status exactly as sent ("" when null/absent)
    // DkimAttributes.SigningAttributesOrigin as sent: "AWS_SES", "AWS_SES_<REGION>" (Easy
    // DKIM) or "EXTERNAL" (BYODKIM); "" when null/absent.
    std::string origin;
    // DkimAttributes.Tokens, lowercase: three Easy DKIM tokens, or the one BYODKIM selector.
    std::vector<std::string> tokens;
    std::string signing_hosted_zone; // DkimAttributes.SigningHostedZone, canonical; "" if absent
    // DkimAttributes.CurrentSigningKeyLength as sent ("RSA_1024_BIT", "RSA_2048_BIT", "").
    std::string current_key_length;
    // EMAIL_ADDRESS identities of the same account and region whose domain part is `domain`
    // (case-insensitively), as listed, sorted.
    std::vector<std::string> email_identities;

    bool is_byodkim() const { return origin == "EXTERNAL"; }
    bool operator==(const SesDomainIdentity&) const = default;
};

// Everything one account/region listed at one sync.
struct SesInventory {
    std::string source;  // the ses.accounts[].name it came from
    std::string account; // the 12-digit account id (configured, or from STS GetCallerIdentity)
    std::string region;
    TimePoint synced_at{};                  // when the listing completed (wall clock)
    std::vector<SesDomainIdentity> domains; // sorted by domain, unique
    bool operator==(const SesInventory&) const = default;
};

// Identity-level findings of the cross-check between SES's view, the configuration and the
// record verdicts. The code names are a public contract (JSON, metrics label `finding`).
enum class SesFindingCode {
    signing_disabled,        // error
    ses_failed,              // error
    ses_temporary_failure,   // warning
    ses_dns_disagree,        // error
    email_identity_unsigned, // warning
    not_in_ses,              // error
    tokens_differ,           // error
    weak_signing_key,        // warning
};

const char* ses_finding_code_name(SesFindingCode code);

struct SesFinding {
    SesFindingCode code = SesFindingCode::signing_disabled;
    Severity severity = Severity::error;
    std::string message; // the cause and the fix, one or two sentences
    bool operator==(const SesFinding&) const = default;
};

// Events of the SES source, next to the state machine's (they go to the same sinks). The kind
// names are a public contract (alert `kind`, JSON, history).
enum class SesEventKind {
    ses_status_changed,      // SES's DKIM status changed: from/to are SES status names;
                             // critical on a change to FAILED, resolved on one to SUCCESS,
                             // warning to TEMPORARY_FAILURE, info otherwise
    signing_disabled,        // SigningEnabled became false (critical); true again: resolved
    email_identity_unsigned, // an EMAIL_ADDRESS identity under the domain appeared (warning)
    identity_removed,        // SES no longer lists the identity (info); it stops being reported
    ses_sync_failing,        // 3 failed syncs in a row of an account/region (warning)
    ses_sync_recovered,      // the first good sync after ses_sync_failing (resolved)
};

const char* ses_event_kind_name(SesEventKind kind);

struct SesEvent {
    SesEventKind kind = SesEventKind::ses_status_changed;
    EventSeverity severity = EventSeverity::info;
    TimePoint at{};
    std::string from;   // ses_status_changed: SES status name before ("" when first seen)
    std::string to;     // ses_status_changed: SES status name after
    std::string reason; // one line for humans, no trailing period; names the cause and the fix
    bool operator==(const SesEvent&) const = default;
};

} // namespace dkimwatch
