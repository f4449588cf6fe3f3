#include "core/inspect_diagnosis.hpp"

#include "core/dns_name.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dkimwatch {
namespace {

using Diagnoses = std::vector<InspectDiagnosis>;

void add(Diagnoses& out, std::string code, Severity severity, std::string message) {
    out.push_back(InspectDiagnosis{std::move(code), severity, std::move(message)});
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i == 0 ? "" : std::string(separator)) + items[i];
    }
    return out;
}

// "d=example.com, s=sel1"; a missing tag is shown as "(none)".
std::string signature_label(const DkimSignatureCheck& check) {
    return "d=" + (check.domain.empty() ? std::string("(none)") : check.domain) +
           ", s=" + (check.selector.empty() ? std::string("(none)") : check.selector);
}

// "the signature d=example.com, s=sel1"
std::string the_signature(const InspectedSignature& signature) {
    return "the signature " + signature_label(signature.check);
}

// The key record's name: the verdict's, else "<s>._domainkey.<d>".
std::string record_name(const InspectedSignature& signature) {
    if (signature.record) {
        return signature.record->name;
    }
    return key_record_name(signature.check.selector, signature.check.domain);
}

// "example.com in account 111122223333, region eu-west-1"
std::string identity_label(const CoveringIdentity& identity) {
    return identity.domain + " in account " + identity.account + ", region " + identity.region;
}

// t= and x= come from the message: any 64-bit value. Times that do not fit in milliseconds
// (or lie outside the years 0000..9999) are shown as a count, without overflowing.
std::string epoch_seconds_text(std::int64_t seconds) {
    constexpr std::int64_t k_first = -62'167'219'200; // 0000-01-01T00:00:00Z
    constexpr std::int64_t k_last = 253'402'300'799;  // 9999-12-31T23:59:59Z
    if (seconds < k_first || seconds > k_last) {
        return std::to_string(seconds) + " s since 1970";
    }
    return format_state_time(TimePoint{std::chrono::seconds{seconds}});
}

bool is_ses_domain(const InspectFacts& facts, std::string_view domain) {
    const std::string ses = canonical_name(facts.ses_signing_domain);
    const std::string name = canonical_name(domain);
    if (ses.empty() || name.empty()) {
        return false;
    }
    return name == ses || (name.size() > ses.size() && name.ends_with("." + ses));
}

bool passes(const InspectedSignature& signature) {
    return signature.check.result == SignatureResult::pass;
}

bool aligned(const InspectedSignature& signature) {
    return signature.alignment.relaxed;
}

// A signature by SES's own signing domain that is not also aligned with From:.
bool is_ses_signature(const InspectFacts& facts, const InspectedSignature& signature) {
    return !aligned(signature) && is_ses_domain(facts, signature.check.domain);
}

bool record_failing(const InspectedSignature& signature) {
    return signature.record && signature.record->code != VerdictCode::ok;
}

// The configured identity whose BYODKIM selector signed `check`; nullptr when none.
const CoveringIdentity* byodkim_identity_of(const InspectFacts& facts,
                                            const DkimSignatureCheck& check) {
    for (const auto& identity : facts.identities) {
        if (identity.easy_dkim || !same_name(identity.domain, check.domain)) {
            continue;
        }
        for (const auto& selector : identity.selectors) {
            if (same_name(selector, check.selector)) {
                return &identity;
            }
        }
    }
    return nullptr;
}

// The configured Easy DKIM identity one of whose tokens signed `check`; nullptr when none.
const CoveringIdentity* easy_dkim_identity_of(const InspectFacts& facts,
                                              const DkimSignatureCheck& check) {
    for (const auto& identity : facts.identities) {
        if (!identity.easy_dkim || !same_name(identity.domain, check.domain)) {
            continue;
        }
        for (const auto& token : identity.selectors) {
            if (same_name(token, check.selector)) {
                return &identity;
            }
        }
    }
    return nullptr;
}

// What the facts say at a glance.
struct Overview {
    std::vector<const InspectedSignature*> aligned_passing;
    std::vector<const InspectedSignature*> ses_passing;
    std::vector<const InspectedSignature*> ses_any;
    bool any_aligned = false;
    bool any_passing = false;
};

Overview overview_of(const InspectFacts& facts) {
    Overview overview;
    for (const auto& signature : facts.signatures) {
        overview.any_aligned = overview.any_aligned || aligned(signature);
        overview.any_passing = overview.any_passing || passes(signature);
        if (aligned(signature) && passes(signature)) {
            overview.aligned_passing.push_back(&signature);
        }
        if (is_ses_signature(facts, signature)) {
            overview.ses_any.push_back(&signature);
            if (passes(signature)) {
                overview.ses_passing.push_back(&signature);
            }
        }
    }
    return overview;
}

std::string labels(const std::vector<const InspectedSignature*>& signatures) {
    std::vector<std::string> out;
    for (const auto* signature : signatures) {
        out.push_back(signature_label(signature->check));
    }
    return joined(out, "; ");
}

// ---- ses_and_domain_signed, domain_signed -------------------------------------------------

void diagnose_signed(const InspectFacts& facts, const Overview& overview, Diagnoses& out) {
    if (overview.aligned_passing.empty()) {
        return;
    }
    const std::string domain_part = "The signature " + labels(overview.aligned_passing) +
                                    " passes and is aligned with the From: domain " +
                                    facts.from_domain + ".";
    if (overview.ses_passing.empty()) {
        add(out, "domain_signed", Severity::ok, domain_part);
        return;
    }
    add(out, "ses_and_domain_signed", Severity::ok,
        domain_part + " The message also carries a passing signature " +
            labels(overview.ses_passing) + ". This is normal: the extra signature with d=" +
            canonical_name(facts.ses_signing_domain) +
            " is added by Amazon SES; you can ignore it.");
}

// ---- only_ses_signature -------------------------------------------------------------------

struct Cause {
    int rank = 0; // lower is more likely
    std::string text;
};

bool has_finding(const CoveringIdentity& identity, SesFindingCode code) {
    return std::any_of(identity.ses_findings.begin(), identity.ses_findings.end(),
                       [code](const SesFinding& finding) { return finding.code == code; });
}

std::vector<std::string> identities_with_finding(const InspectFacts& facts, SesFindingCode code) {
    std::vector<std::string> out;
    for (const auto& identity : facts.identities) {
        if (has_finding(identity, code)) {
            out.push_back(identity_label(identity));
        }
    }
    return out;
}

// What is known of one covering identity, for the list in only_ses_signature.
std::string identity_summary(const InspectFacts& facts, const CoveringIdentity& identity) {
    std::string text =
        identity_label(identity) + " (" + (identity.easy_dkim ? "Easy DKIM" : "BYODKIM") + "): ";
    if (identity.state) {
        text += "state " + std::string(identity_state_name(*identity.state));
        if (identity.state_since) {
            text += " since " + format_state_time(*identity.state_since);
        }
        if (identity.deadline) {
            text += ", revocation deadline " + format_state_time(*identity.deadline);
        }
    } else {
        text += facts.state_known ? "not in the state database" : "state unknown";
    }
    if (!identity.ses_known) {
        text += "; SES's view unknown";
    } else if (identity.ses_findings.empty()) {
        text += "; SES reports no problem";
    } else {
        std::vector<std::string> codes;
        for (const auto& finding : identity.ses_findings) {
            codes.push_back(ses_finding_code_name(finding.code));
        }
        text += "; SES findings: " + joined(codes, ", ");
    }
    return text;
}

Cause disabled_cause(const InspectFacts& facts) {
    const std::string fix = "Make sure that DKIM is enabled for the identity (SES console: the "
                            "domain in Identities, DKIM, Enable)";
    const auto disabled = identities_with_finding(facts, SesFindingCode::signing_disabled);
    if (!disabled.empty()) {
        return {0, "DKIM is disabled: SES reports DKIM signing switched off for " +
                       joined(disabled, "; ") +
                       ", so SES sends that identity's mail without the domain's signature; "
                       "this is certainly a cause. " +
                       fix};
    }
    const bool all_known =
        !facts.identities.empty() &&
        std::all_of(facts.identities.begin(), facts.identities.end(),
                    [](const CoveringIdentity& identity) { return identity.ses_known; });
    if (all_known) {
        return {20, "DKIM disabled on the identity: unlikely for the configured identities, as "
                    "SES reports signing enabled for each. Still, make sure that DKIM is enabled "
                    "for the identity the message was sent from"};
    }
    return {10, "DKIM disabled on the identity. " + fix};
}

Cause individual_address_cause(const InspectFacts& facts) {
    const auto unsigned_addresses =
        identities_with_finding(facts, SesFindingCode::email_identity_unsigned);
    std::string text =
        "Sent from an individually verified email address. Make sure that you're not sending "
        "from an individually verified email address on the same domain: such addresses use "
        "their own settings and are sent without DKIM signing (delete the email address "
        "identity, or set up DKIM for it)";
    if (!unsigned_addresses.empty()) {
        return {1, text + ". SES lists individually verified addresses under " +
                       joined(unsigned_addresses, "; ") +
                       ": if the From: address is one of them, this is the cause"};
    }
    return {11, text};
}

Cause other_region_cause(const InspectFacts& facts) {
    const std::string text =
        "The identity is set up in another AWS Region or account than the one that sent the "
        "message. If you use the same identity in more than one AWS Region or account, DKIM "
        "must be set up in each";
    if (facts.config_given && facts.identities.empty()) {
        return {1, text + ". No configured identity covers " + facts.from_domain +
                       ", so the sending account or Region is likely one dkimwatch does not "
                       "watch"};
    }
    const auto not_listed = identities_with_finding(facts, SesFindingCode::not_in_ses);
    if (!not_listed.empty()) {
        return {1, text + ". SES does not list " + joined(not_listed, "; ") +
                       ": the domain has no DKIM setup there"};
    }
    return {12, text};
}

Cause records_cause(const InspectFacts& facts) {
    std::vector<std::string> troubled;
    for (const auto& identity : facts.identities) {
        if (identity.state == IdentityState::revocation_warning ||
            identity.state == IdentityState::revoked) {
            std::string text =
                identity_label(identity) + " is in " + identity_state_name(*identity.state);
            if (identity.deadline) {
                text += " (deadline " + format_state_time(*identity.deadline) + ")";
            }
            troubled.push_back(text);
        }
    }
    const std::string text =
        "The DKIM records are missing or revoked. When SES can no longer find them it stops "
        "signing with the domain (it sends a revocation warning email first): run `dkimwatch "
        "check` and restore the records";
    if (!troubled.empty()) {
        return {2, text + ". " + joined(troubled, "; ") +
                       ": its records are wrong, so SES has likely stopped signing"};
    }
    return {13, text};
}

void diagnose_only_ses(const InspectFacts& facts, const Overview& overview, Diagnoses& out) {
    if (facts.from_domain.empty() || overview.any_aligned || overview.ses_any.empty()) {
        return;
    }
    std::vector<Cause> causes = {disabled_cause(facts), individual_address_cause(facts),
                                 other_region_cause(facts), records_cause(facts)};
    std::stable_sort(causes.begin(), causes.end(),
                     [](const Cause& a, const Cause& b) { return a.rank < b.rank; });
    std::string message = "The message carries the Amazon SES signature " +
                          labels(overview.ses_any) +
                          " but no signature aligned with the From: domain " + facts.from_domain +
                          ": SES sent it without signing it with the domain, so DMARC sees no "
                          "aligned DKIM signature. Likely causes, most likely first:";
    for (std::size_t i = 0; i < causes.size(); ++i) {
        message += " (" + std::to_string(i + 1) + ") " + causes[i].text + ".";
    }
    if (!facts.identities.empty()) {
        std::vector<std::string> summaries;
        for (const auto& identity : facts.identities) {
            summaries.push_back(identity_summary(facts, identity));
        }
        message += " Configured identities covering " + facts.from_domain + ": " +
                   joined(summaries, "; ") + ".";
    }
    add(out, "only_ses_signature", Severity::error, std::move(message));
}

// ---- no_signature, not_aligned, from_unusable ---------------------------------------------

void diagnose_no_signature(const InspectFacts& facts, Diagnoses& out) {
    if (!facts.signatures.empty()) {
        return;
    }
    add(out, "no_signature", Severity::error,
        "The message has no DKIM-Signature field: nothing signed it, or a relay removed the "
        "signatures. Amazon SES adds a signature with d=" +
            canonical_name(facts.ses_signing_domain) +
            " to every message it sends, so this message did not reach the receiver as SES "
            "sent it, or was not sent through SES.");
}

void diagnose_not_aligned(const InspectFacts& facts, const Overview& overview, Diagnoses& out) {
    if (facts.from_domain.empty() || facts.signatures.empty() || overview.any_aligned ||
        !overview.ses_any.empty()) {
        return;
    }
    std::vector<std::string> found;
    for (const auto& signature : facts.signatures) {
        found.push_back(signature_label(signature.check) + " (" +
                        signature_result_name(signature.check.result) + ")");
    }
    add(out, "not_aligned", Severity::error,
        "No DKIM signature is aligned with the From: domain " + facts.from_domain +
            ": the message is signed by " + joined(found, "; ") +
            ". DMARC needs a passing signature whose d= is the From: domain or shares its "
            "organizational domain. If the message was sent through SES, make sure that DKIM "
            "is set up and enabled for " +
            facts.from_domain + " (or its parent domain) in the sending account and Region.");
}

void diagnose_from_unusable(const InspectFacts& facts, Diagnoses& out) {
    if (!facts.from_domain.empty()) {
        return;
    }
    const std::string why = facts.from_error.empty() ? "no usable address" : facts.from_error;
    add(out, "from_unusable", Severity::error,
        "The From: field is unusable (" + why +
            "), so no signature can be aligned with it. DMARC needs exactly one From: field "
            "with one address; receivers may reject or quarantine such a message.");
}

// ---- per failing signature ----------------------------------------------------------------

void diagnose_body_hash(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (check.result != SignatureResult::fail || check.failure != SignatureFailure::body_hash) {
            continue;
        }
        std::string message = "The body hash of " + the_signature(signature) +
                              " does not match bh=: the body changed after signing. Check what "
                              "handled the message on the way: a footer or disclaimer added by "
                              "a mailing list or a security gateway, or content re-encoded "
                              "(e.g. 8-bit to quoted-printable, changed line endings).";
        if (check.canonicalization.ends_with("/simple")) {
            message += " Its body canonicalization is simple, so even changed whitespace breaks "
                       "it; relaxed tolerates that.";
        }
        if (check.body_length && check.canonical_body_length &&
            *check.canonical_body_length < *check.body_length) {
            message += " The body is now shorter (" + std::to_string(*check.canonical_body_length) +
                       " bytes) than l= (" + std::to_string(*check.body_length) +
                       " bytes): it was truncated.";
        }
        add(out, "body_hash_mismatch", Severity::error, std::move(message));
    }
}

// What the key record, the configuration and the canonicalization say about a bad b=.
std::string signature_mismatch_causes(const InspectFacts& facts,
                                      const InspectedSignature& signature) {
    const auto& check = signature.check;
    const std::string headers = check.signed_header_fields.empty()
                                    ? std::string("(none)")
                                    : joined(check.signed_header_fields, ":");
    const std::string changed_header =
        "a signed header field changed in transit. The signed fields are h=" + headers +
        ": check relays that rewrite Subject: (list tags), From: or To:, or re-fold or "
        "re-encode header fields" +
        (check.canonicalization.starts_with("simple/")
             ? std::string(" (simple header canonicalization tolerates no change at all)")
             : std::string()) +
        ".";
    if (record_failing(signature)) {
        const auto& record = *signature.record;
        return " The key record " + record.name + " is not ok (" + verdict_code_name(record.code) +
               "): " + record.message + " That is the likely cause; otherwise " + changed_header;
    }
    if (const auto* byodkim = byodkim_identity_of(facts, check)) {
        return " The published key record is fine, and s=" + check.selector +
               " is the BYODKIM selector of " + identity_label(*byodkim) +
               ": the private key SES signs with may not match the published public key. "
               "Compare them (dkimwatch keycheck --domain " +
               byodkim->domain + " --selector " + check.selector +
               " --private-key FILE, with the key given to SES). Otherwise " + changed_header;
    }
    std::string text = " Either the published key is not the one that signed, or " + changed_header;
    if (const auto* easy = easy_dkim_identity_of(facts, check)) {
        text += " s=" + check.selector + " is an Easy DKIM token of " + identity_label(*easy) +
                ": the key behind it is SES's own, so a changed header field is the more likely "
                "cause; for an old message, SES may have rotated the key since it was signed.";
    }
    return text;
}

void diagnose_signature_mismatch(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (check.result != SignatureResult::fail || check.failure == SignatureFailure::body_hash) {
            continue;
        }
        add(out, "signature_mismatch", Severity::error,
            "The body of " + the_signature(signature) +
                " is intact, but b= does not verify over the signed header fields." +
                signature_mismatch_causes(facts, signature));
    }
}

void diagnose_expired(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (!check.expired && check.failure != SignatureFailure::expired) {
            continue;
        }
        std::string message = "The signature " + signature_label(check) + " has expired";
        if (check.expires_at) {
            message += ": x= is " + epoch_seconds_text(*check.expires_at);
        }
        if (check.signed_at) {
            message += " (signed at t= " + epoch_seconds_text(*check.signed_at) + ")";
        }
        message += ". A signature is valid only until x=: verify messages soon after they "
                   "arrive. If the message is recent, check the signer's clock and x= setting.";
        add(out, "signature_expired", Severity::error, std::move(message));
    }
}

void diagnose_unusable(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (check.result != SignatureResult::permerror ||
            check.failure == SignatureFailure::expired) {
            continue;
        }
        const std::string reason = check.reason.empty() ? "no reason given" : check.reason;
        if (check.failure == SignatureFailure::key) {
            // A failing record explains it (record_<verdict>); say it here only when none does.
            if (record_failing(signature)) {
                continue;
            }
            add(out, "signature_unusable", Severity::error,
                "The key for " + the_signature(signature) + " at " + record_name(signature) +
                    " cannot be used (permerror): " + reason +
                    ". Check the TXT record published there.");
            continue;
        }
        add(out, "signature_unusable", Severity::error,
            "The DKIM-Signature field " + signature_label(check) +
                " cannot be used (permerror): " + reason +
                ". The signer wrote a field that verifiers refuse: check the software or relay "
                "that added it.");
    }
}

// ---- record_<verdict> ---------------------------------------------------------------------

void diagnose_records(const InspectFacts& facts, Diagnoses& out) {
    // One per distinct record and code, naming every signature that uses it, in the order the
    // records first appear.
    struct Entry {
        std::string name;
        VerdictCode code;
        Severity severity;
        std::string message;
        std::vector<std::string> signatures;
    };
    std::vector<Entry> entries;
    const auto note = [&entries](std::string name, VerdictCode code, Severity severity,
                                 std::string message, std::string signature) {
        for (auto& entry : entries) {
            if (entry.name == name && entry.code == code) {
                if (std::find(entry.signatures.begin(), entry.signatures.end(), signature) ==
                    entry.signatures.end()) {
                    entry.signatures.push_back(std::move(signature));
                }
                return;
            }
        }
        entries.push_back(
            Entry{std::move(name), code, severity, std::move(message), {std::move(signature)}});
    };
    for (const auto& signature : facts.signatures) {
        const std::string label = signature_label(signature.check);
        if (record_failing(signature)) {
            const auto& record = *signature.record;
            note(record.name, record.code, record.severity, record.message, label);
        }
        if (signature.check.testing_key &&
            !(signature.record && signature.record->code == VerdictCode::testing_mode)) {
            note(record_name(signature), VerdictCode::testing_mode,
                 severity_of(VerdictCode::testing_mode),
                 "The record has t=y (testing mode): receivers treat mail signed with this key "
                 "as unsigned, whatever the result. Remove t=y once signing works.",
                 label);
        }
    }
    for (const auto& entry : entries) {
        add(out, std::string("record_") + verdict_code_name(entry.code), entry.severity,
            "The key record " + entry.name + " of the signature" +
                (entry.signatures.size() > 1 ? "s " : " ") + joined(entry.signatures, "; ") +
                " is " + verdict_code_name(entry.code) + ": " + entry.message);
    }
}

// ---- key_temporary_failure, partial_body --------------------------------------------------

void diagnose_temporary(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (check.result != SignatureResult::temperror) {
            continue;
        }
        add(out, "key_temporary_failure", Severity::indeterminate,
            "The key of " + the_signature(signature) + " could not be fetched from " +
                record_name(signature) + ": " +
                (check.reason.empty() ? std::string("a temporary DNS failure") : check.reason) +
                ". Try again later; if it persists, check the DNS servers of " + check.domain +
                ", and that they answer TXT queries at the name (some providers answer SERVFAIL "
                "for TXT at a CNAME, while SES and receivers query TXT).");
    }
}

void diagnose_partial_body(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& signature : facts.signatures) {
        const auto& check = signature.check;
        if (!check.partial_body || check.result != SignatureResult::pass) {
            continue;
        }
        std::string message =
            "The signature " + signature_label(check) + " has l=" +
            (check.body_length ? std::to_string(*check.body_length) : std::string("?")) +
            ": it covers only that many bytes of the body, and content appended after them "
            "passes as signed.";
        if (check.body_length && check.canonical_body_length &&
            *check.canonical_body_length > *check.body_length) {
            message += " This message has " +
                       std::to_string(*check.canonical_body_length - *check.body_length) +
                       " unsigned bytes after the signed part.";
        }
        message += " Configure the signer without l=.";
        add(out, "partial_body", Severity::warning, std::move(message));
    }
}

// ---- receiver_disagrees -------------------------------------------------------------------

void diagnose_receiver(const InspectFacts& facts, Diagnoses& out) {
    std::set<std::string> seen;
    for (const auto& result : facts.authentication_results) {
        if (result.method != "dkim" || result.header_d.empty()) {
            continue;
        }
        // The signatures the result may be about; it agrees when one of them has the same
        // outcome (pass or not).
        const bool receiver_pass = result.result == "pass";
        bool any_candidate = false;
        bool agrees = false;
        std::vector<std::string> ours;
        for (const auto& signature : facts.signatures) {
            const auto& check = signature.check;
            if (!same_name(check.domain, result.header_d) ||
                (!result.header_s.empty() && !same_name(check.selector, result.header_s))) {
                continue;
            }
            any_candidate = true;
            agrees = agrees || (passes(signature) == receiver_pass);
            ours.push_back(signature_label(check) + ": " + signature_result_name(check.result));
        }
        if (!any_candidate || agrees) {
            continue;
        }
        const std::string key = result.authserv_id + "\n" + result.header_d + "\n" +
                                result.header_s + "\n" + result.result;
        if (!seen.insert(key).second) {
            continue;
        }
        add(out, "receiver_disagrees", Severity::warning,
            "The receiver " + result.authserv_id + " reported dkim=" + result.result +
                " for header.d=" + result.header_d +
                (result.header_s.empty() ? std::string() : " header.s=" + result.header_s) +
                ", but dkimwatch finds " + joined(ours, "; ") +
                ". The message changed after it was received (a forwarder, or how it was "
                "saved), or the key record changed since (a key rotation, a record fixed or "
                "removed).");
    }
}

// ---- --config: no_identity_for_domain, identity_<state>, ses_<finding> --------------------

void diagnose_no_identity(const InspectFacts& facts, Diagnoses& out) {
    if (!facts.config_given || !facts.identities.empty() || facts.from_domain.empty()) {
        return;
    }
    add(out, "no_identity_for_domain", Severity::warning,
        "No configured identity covers the From: domain " + facts.from_domain +
            ": dkimwatch does not watch its DKIM records. If the message was sent through SES, "
            "the sending account or Region may be one the configuration lacks; add the identity "
            "to watch it.");
}

std::string identity_state_message(const CoveringIdentity& identity) {
    const std::string since =
        identity.state_since ? " since " + format_state_time(*identity.state_since) : "";
    const std::string reason =
        identity.state_reason.empty() ? "" : " Last reason: " + identity.state_reason + ".";
    switch (*identity.state) {
    case IdentityState::pending:
        return "The identity " + identity_label(identity) + " is pending" + since +
               ": dkimwatch has not yet seen all its records correct, so SES may not have "
               "verified DKIM yet (it looks for the records for up to 72 hours)." +
               reason;
    case IdentityState::revocation_warning:
        return "The identity " + identity_label(identity) + " is in revocation_warning" + since +
               (identity.deadline ? " (deadline " + format_state_time(*identity.deadline) + ")"
                                  : std::string()) +
               ": a record is missing or wrong, and SES may already have stopped DKIM signing. "
               "Restore the records before the deadline, or SES revokes DKIM and the setup must "
               "be started again from the beginning." +
               reason;
    case IdentityState::revoked:
        return "The identity " + identity_label(identity) + " is revoked" + since +
               ": its records stayed wrong past the deadline, so SES has likely revoked DKIM; "
               "restart the DKIM setup from the beginning." +
               reason;
    case IdentityState::verified:
        break;
    }
    return "";
}

void diagnose_identity_states(const InspectFacts& facts, Diagnoses& out) {
    for (const auto& identity : facts.identities) {
        if (!identity.state || *identity.state == IdentityState::verified) {
            continue;
        }
        const Severity severity =
            *identity.state == IdentityState::pending ? Severity::warning : Severity::error;
        add(out, std::string("identity_") + identity_state_name(*identity.state), severity,
            identity_state_message(identity));
    }
}

// "ses_signing_disabled"; codes that already start with "ses_" (ses_failed) keep their name.
std::string ses_code(SesFindingCode code) {
    const std::string name = ses_finding_code_name(code);
    return name.starts_with("ses_") ? name : "ses_" + name;
}

void diagnose_ses_findings(const InspectFacts& facts, Diagnoses& out) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& identity : facts.identities) {
        for (const auto& finding : identity.ses_findings) {
            if (!seen.insert({ses_code(finding.code), finding.message}).second) {
                continue;
            }
            add(out, ses_code(finding.code), finding.severity, finding.message);
        }
    }
}

} // namespace

std::vector<InspectDiagnosis> diagnose_message(const InspectFacts& facts) {
    const Overview overview = overview_of(facts);
    Diagnoses out;
    diagnose_signed(facts, overview, out);
    diagnose_only_ses(facts, overview, out);
    diagnose_no_signature(facts, out);
    diagnose_not_aligned(facts, overview, out);
    diagnose_from_unusable(facts, out);
    diagnose_body_hash(facts, out);
    diagnose_signature_mismatch(facts, out);
    diagnose_expired(facts, out);
    diagnose_unusable(facts, out);
    diagnose_records(facts, out);
    diagnose_temporary(facts, out);
    diagnose_partial_body(facts, out);
    diagnose_receiver(facts, out);
    diagnose_no_identity(facts, out);
    diagnose_identity_states(facts, out);
    diagnose_ses_findings(facts, out);
    std::stable_sort(out.begin(), out.end(),
                     [](const InspectDiagnosis& a, const InspectDiagnosis& b) {
                         return severity_rank(a.severity) > severity_rank(b.severity);
                     });
    return out;
}

int inspect_exit_code(const InspectFacts& facts, const std::vector<InspectDiagnosis>& diagnosis) {
    const bool aligned_pass =
        std::any_of(facts.signatures.begin(), facts.signatures.end(),
                    [](const InspectedSignature& s) { return aligned(s) && passes(s); });
    if (aligned_pass) {
        const bool warns =
            std::any_of(diagnosis.begin(), diagnosis.end(),
                        [](const InspectDiagnosis& d) { return d.severity != Severity::ok; });
        return warns ? 1 : 0;
    }
    const bool aligned_temporary = std::any_of(
        facts.signatures.begin(), facts.signatures.end(), [](const InspectedSignature& s) {
            return aligned(s) && s.check.result == SignatureResult::temperror;
        });
    return aligned_temporary ? 3 : 2;
}

} // namespace dkimwatch
