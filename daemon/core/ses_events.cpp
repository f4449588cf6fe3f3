#include "core/ses_events.hpp"

#include <algorithm>
#include <limits>

namespace dkimwatch {
namespace {

EventSeverity status_change_severity(SesDkimStatus to) {
    switch (to) {
    case SesDkimStatus::failed:
        return EventSeverity::critical;
    case SesDkimStatus::success:
        return EventSeverity::resolved;
    case SesDkimStatus::temporary_failure:
        return EventSeverity::warning;
    case SesDkimStatus::pending:
    case SesDkimStatus::not_started:
    case SesDkimStatus::unknown:
        break;
    }
    return EventSeverity::info;
}

std::string status_reason(const std::string& domain, SesDkimStatus to) {
    const std::string head =
        "SES reports DKIM status " + std::string(ses_dkim_status_name(to)) + " for " + domain;
    switch (to) {
    case SesDkimStatus::failed:
        return head + ": SES cannot find the DKIM records and does not sign; publish the records "
                      "SES expects, or restart the DKIM set-up if SES stays FAILED";
    case SesDkimStatus::success:
        return head + ": SES finds the DKIM records and signs";
    case SesDkimStatus::temporary_failure:
        return head + ": a temporary issue keeps SES from determining the status; make sure the "
                      "domain's authoritative servers answer reliably";
    case SesDkimStatus::pending:
        return head + ": SES is still looking for the DKIM records (for up to 72 hours); "
                      "publish them if they are not there";
    case SesDkimStatus::not_started:
        return head + ": DKIM verification has not started; set up DKIM for the identity in SES";
    case SesDkimStatus::unknown:
        break;
    }
    return head + ": a status dkimwatch does not know; see the SES console";
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

SesEvent event(SesEventKind kind, EventSeverity severity, TimePoint at, std::string reason) {
    SesEvent out;
    out.kind = kind;
    out.severity = severity;
    out.at = at;
    out.reason = std::move(reason);
    return out;
}

} // namespace

std::vector<SesEvent> ses_identity_events(const SesDomainIdentity* before,
                                          const SesDomainIdentity& after, TimePoint now) {
    std::vector<SesEvent> out;
    const bool status_changed =
        before == nullptr ? after.status != SesDkimStatus::success : before->status != after.status;
    if (status_changed) {
        SesEvent changed =
            event(SesEventKind::ses_status_changed, status_change_severity(after.status), now,
                  status_reason(after.domain, after.status));
        changed.from = before == nullptr ? "" : ses_dkim_status_name(before->status);
        changed.to = ses_dkim_status_name(after.status);
        out.push_back(std::move(changed));
    }
    const bool was_enabled = before == nullptr || before->signing_enabled;
    if (was_enabled && !after.signing_enabled) {
        out.push_back(event(SesEventKind::signing_disabled, EventSeverity::critical, now,
                            "SES has DKIM signing switched off for " + after.domain +
                                ": its mail goes out without an SES DKIM signature; enable it "
                                "with aws sesv2 put-email-identity-dkim-attributes "
                                "--email-identity " +
                                after.domain + " --signing-enabled"));
    } else if (before != nullptr && !before->signing_enabled && after.signing_enabled) {
        out.push_back(event(SesEventKind::signing_disabled, EventSeverity::resolved, now,
                            "SES has DKIM signing switched on again for " + after.domain));
    }
    std::vector<std::string> new_addresses;
    for (const auto& address : after.email_identities) {
        if (before == nullptr ||
            std::find(before->email_identities.begin(), before->email_identities.end(), address) ==
                before->email_identities.end()) {
            new_addresses.push_back(address);
        }
    }
    if (!new_addresses.empty()) {
        const bool one = new_addresses.size() == 1;
        out.push_back(event(SesEventKind::email_identity_unsigned, EventSeverity::warning, now,
                            std::string("SES lists the email address identit") +
                                (one ? "y " : "ies ") + joined(new_addresses) + " under " +
                                after.domain +
                                ": its mail is not signed through the domain; delete the "
                                "address identit" +
                                (one ? "y" : "ies")));
    }
    return out;
}

SesSyncOutcome on_sync_result(const SesSyncHealth& health, bool ok, TimePoint now,
                              const std::string& error) {
    SesSyncOutcome out;
    if (ok) {
        out.health.last_success = now;
        if (health.failing_raised) {
            out.events.push_back(
                event(SesEventKind::ses_sync_recovered, EventSeverity::resolved, now,
                      "The SES sync succeeded again after " +
                          std::to_string(health.consecutive_failures) + " failed syncs in a row"));
        }
        return out;
    }
    out.health = health;
    if (out.health.consecutive_failures < std::numeric_limits<int>::max()) {
        ++out.health.consecutive_failures;
    }
    if (!out.health.failing_raised &&
        out.health.consecutive_failures >= k_ses_sync_failures_to_raise) {
        out.health.failing_raised = true;
        out.events.push_back(event(
            SesEventKind::ses_sync_failing, EventSeverity::warning, now,
            std::to_string(out.health.consecutive_failures) +
                " SES syncs in a row failed, the last with: " + error +
                "; dkimwatch keeps watching the last good inventory; fix the credentials, the "
                "IAM permissions or the network path to the SES endpoint"));
    }
    return out;
}

bool ses_wants_recheck(const SesDomainIdentity* before, const SesDomainIdentity& after,
                       IdentityState state) {
    const bool became_failed = after.status == SesDkimStatus::failed &&
                               (before == nullptr || before->status != SesDkimStatus::failed);
    return became_failed && state == IdentityState::verified;
}

} // namespace dkimwatch
