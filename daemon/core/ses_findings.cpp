#include "core/ses_findings.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

namespace dkimwatch {
namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return text;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

// "example.com in account 111122223333, region us-east-1"
std::string where(const Identity& identity) {
    return identity.domain + " in account " + identity.account + ", region " + identity.region;
}

// The `--region R` tail of the AWS CLI commands the fixes name.
std::string cli_tail(const Identity& identity) {
    return " --region " + identity.region;
}

// Every record of the latest check is ok as the state machine counts it (ok or warning).
bool records_all_ok(const std::vector<RecordVerdict>* latest) {
    if (latest == nullptr || latest->empty()) {
        return false;
    }
    return std::all_of(latest->begin(), latest->end(), [](const RecordVerdict& verdict) {
        return verdict.severity == Severity::ok || verdict.severity == Severity::warning;
    });
}

// SES's PENDING has lasted longer than pending_timeout since the identity entered pending.
bool pending_too_long(const SesFindingInput& input) {
    if (input.ses->status != SesDkimStatus::pending || input.status == nullptr) {
        return false;
    }
    const Milliseconds timeout =
        input.policy != nullptr ? input.policy->pending_timeout : k_default_pending_timeout;
    return input.now - input.status->entered_pending_at > timeout;
}

// Why the configured tokens or selector are not SES's; "" when they are (or SES gave none).
std::string tokens_difference(const Identity& identity, const SesDomainIdentity& ses) {
    if (ses.tokens.empty()) {
        return "";
    }
    std::vector<std::string> theirs;
    for (const auto& token : ses.tokens) {
        theirs.push_back(lowercase(token));
    }
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        if (ses.is_byodkim()) {
            return "the configuration gives Easy DKIM tokens, but SES uses BYODKIM with selector " +
                   joined(theirs);
        }
        std::set<std::string> ours;
        for (const auto& token : easy->tokens) {
            ours.insert(lowercase(token));
        }
        if (ours == std::set<std::string>(theirs.begin(), theirs.end())) {
            return "";
        }
        std::vector<std::string> listed(ours.begin(), ours.end());
        std::sort(theirs.begin(), theirs.end());
        return "the configured Easy DKIM tokens (" + joined(listed) + ") are not SES's (" +
               joined(theirs) + ")";
    }
    const auto& byo = std::get<Byodkim>(identity.method);
    if (!ses.is_byodkim() && !ses.origin.empty()) {
        return "the configuration gives BYODKIM selector " + lowercase(byo.selector) +
               ", but SES uses Easy DKIM with tokens " + joined(theirs);
    }
    if (theirs.size() == 1 && theirs.front() == lowercase(byo.selector)) {
        return "";
    }
    return "the configured BYODKIM selector " + lowercase(byo.selector) + " is not SES's (" +
           joined(theirs) + ")";
}

SesFinding finding(SesFindingCode code, Severity severity, std::string message) {
    return {code, severity, std::move(message)};
}

} // namespace

std::vector<SesFinding> ses_findings(const SesFindingInput& input) {
    std::vector<SesFinding> out;
    const Identity& identity = *input.identity;
    const bool configured = identity.source != IdentitySource::ses;
    if (input.ses == nullptr) {
        if (input.covered && configured) {
            out.push_back(finding(
                SesFindingCode::not_in_ses, Severity::error,
                "SES does not list " + where(identity) +
                    ", although dkimwatch's configuration names it: SES will not sign its mail "
                    "there. Create the identity in that account and region (aws sesv2 "
                    "create-email-identity --email-identity " +
                    identity.domain + cli_tail(identity) +
                    "), or remove it from the configuration if it moved."));
        }
        return out;
    }
    const SesDomainIdentity& ses = *input.ses;
    if (!ses.signing_enabled) {
        out.push_back(finding(
            SesFindingCode::signing_disabled, Severity::error,
            "SES has DKIM signing switched off for " + where(identity) +
                ": its mail goes out without an SES DKIM signature, whatever DNS holds. Enable "
                "it: aws sesv2 put-email-identity-dkim-attributes --email-identity " +
                identity.domain + " --signing-enabled" + cli_tail(identity) + "."));
    }
    if (ses.status == SesDkimStatus::failed) {
        out.push_back(finding(
            SesFindingCode::ses_failed, Severity::error,
            "SES reports DKIM status FAILED for " + where(identity) +
                ": SES could not find the DKIM records it expects and does not sign with this "
                "setup. Publish the records SES expects (the record verdicts name them); if SES "
                "stays FAILED, restart the DKIM set-up procedure from the beginning."));
    }
    if (ses.status == SesDkimStatus::temporary_failure) {
        out.push_back(finding(
            SesFindingCode::ses_temporary_failure, Severity::warning,
            "SES reports DKIM status TEMPORARY_FAILURE for " + where(identity) +
                ": a temporary issue keeps SES from determining the DKIM status. SES retries on "
                "its own; make sure the domain's authoritative servers answer reliably."));
    }
    const bool ses_unhappy = ses.status == SesDkimStatus::failed ||
                             ses.status == SesDkimStatus::temporary_failure ||
                             pending_too_long(input);
    if (ses_unhappy && records_all_ok(input.latest)) {
        out.push_back(finding(
            SesFindingCode::ses_dns_disagree, Severity::error,
            std::string("SES reports ") + ses_dkim_status_name(ses.status) + " for " +
                where(identity) +
                " while every DKIM record checks out from here: SES's resolvers see something "
                "different. Usual causes: split-horizon DNS (an internal view answers dkimwatch, "
                "the public one does not), a lagging authoritative server that still serves an "
                "old zone, or broken DNSSEC (SES's resolvers validate). Query every "
                "authoritative server from outside and check the DNSSEC chain (e.g. with "
                "delv)."));
    }
    if (!ses.email_identities.empty()) {
        out.push_back(finding(
            SesFindingCode::email_identity_unsigned, Severity::warning,
            "SES has the email address identit" +
                std::string(ses.email_identities.size() == 1 ? "y " : "ies ") +
                joined(ses.email_identities) + " under " + where(identity) +
                ": individually verified addresses use their own settings, so their mail is "
                "not signed through the domain. Delete the address identit" +
                (ses.email_identities.size() == 1 ? "y" : "ies") +
                " (aws sesv2 delete-email-identity --email-identity " +
                (ses.email_identities.size() == 1
                     ? ses.email_identities.front() + cli_tail(identity)
                     : "ADDRESS" + cli_tail(identity) + ", for each address") +
                ") so that the domain's DKIM signs that mail."));
    }
    if (configured) {
        if (const std::string difference = tokens_difference(identity, ses); !difference.empty()) {
            out.push_back(finding(
                SesFindingCode::tokens_differ, Severity::error,
                "For " + where(identity) + ", " + difference +
                    ": SES looks for its own records, so dkimwatch watches the wrong ones. "
                    "Update the configuration (dkimwatch discover --format identities prints "
                    "SES's), or set up the identity in SES again with the configured keys."));
        }
    }
    if (ses.current_key_length == "RSA_1024_BIT") {
        out.push_back(finding(
            SesFindingCode::weak_signing_key, Severity::warning,
            "SES signs " + where(identity) +
                " with a 1024-bit RSA key; RFC 8301 says signers should use 2048 bits. Move to "
                "2048 bits (Easy DKIM: aws sesv2 put-email-identity-dkim-signing-attributes "
                "--email-identity " +
                identity.domain +
                " --signing-attributes-origin AWS_SES --signing-attributes "
                "NextSigningKeyLength=RSA_2048_BIT" +
                cli_tail(identity) + "; BYODKIM: give SES a 2048-bit key)."));
    }
    return out;
}

Severity worst_finding_severity(const std::vector<SesFinding>& findings) {
    Severity worst = Severity::ok;
    for (const auto& item : findings) {
        if (severity_rank(item.severity) > severity_rank(worst)) {
            worst = item.severity;
        }
    }
    return worst;
}

} // namespace dkimwatch
