#include "alert/alert_text.hpp"

#include "alert/alert_severity.hpp"
#include "alert/alert_time.hpp"
#include "alert/text_truncation.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace dkimwatch {

namespace {

constexpr std::string_view k_test_prefix = "TEST: ";
constexpr std::size_t k_description_field_limit = 500;
constexpr const char* k_revoked_sentence =
    "SES has most likely revoked DKIM; the setup must be started again with new tokens.";

// The titles of the SES source's events; "" for any other kind.
std::string ses_title(const AlertEvent& event) {
    const std::string& kind = event.kind;
    if (kind == "ses_status_changed") {
        return "SES DKIM status " + (event.ses_to.empty() ? std::string("changed") : event.ses_to);
    }
    if (kind == "signing_disabled") {
        return event.severity == EventSeverity::resolved ? "SES DKIM signing enabled again"
                                                         : "SES DKIM signing disabled";
    }
    if (kind == "email_identity_unsigned") {
        return "SES email identity sends unsigned mail";
    }
    if (kind == "identity_removed") {
        return "SES identity removed";
    }
    if (kind == "ses_sync_failing") {
        return "SES sync failing";
    }
    if (kind == "ses_sync_recovered") {
        return "SES sync recovered";
    }
    return "";
}

std::string kind_title(const std::string& kind) {
    if (kind == "revocation_warning") {
        return "DKIM revocation warning";
    }
    if (kind == "reminder") {
        return "DKIM revocation reminder";
    }
    if (kind == "revoked") {
        return "DKIM revoked";
    }
    if (kind == "recovered") {
        return "DKIM recovered";
    }
    if (kind == "verified") {
        return "DKIM verified";
    }
    if (kind == "pending_overdue") {
        return "DKIM verification overdue";
    }
    if (kind == "monitoring_blind") {
        return "DKIM monitoring blind";
    }
    if (kind == "still_revoked_records_back") {
        return "DKIM records back, still revoked";
    }
    if (kind == "config_changed") {
        return "DKIM configuration changed";
    }
    if (kind == "test") {
        return "dkimwatch test alert";
    }
    std::string words = kind;
    std::replace(words.begin(), words.end(), '_', ' ');
    return "DKIM " + words;
}

// "SES revokes DKIM in 4d21h" / "revocation deadline passed 2h ago"; "" without a deadline.
std::string revocation_countdown(const AlertEvent& event, TimePoint now) {
    if (!event.deadline) {
        return "";
    }
    const Milliseconds left = time_between(now, *event.deadline);
    if (left >= std::chrono::seconds{1}) {
        return "SES revokes DKIM in " + format_span(left);
    }
    if (left <= -std::chrono::seconds{1}) {
        return "revocation deadline passed " + format_span(left) + " ago";
    }
    return "revocation deadline now";
}

std::string join_nonempty(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& part : parts) {
        if (part.empty()) {
            continue;
        }
        if (!out.empty()) {
            out += separator;
        }
        out += part;
    }
    return out;
}

// The summary's detail. Without `now` (the time-free variant) nothing relative to the delivery
// time is said, and an SES event says nothing beyond its title (its reason is not stable).
std::string summary_detail(const AlertEvent& event, std::optional<TimePoint> now) {
    const std::string& kind = event.kind;
    if (!now && !ses_title(event).empty()) {
        return "";
    }
    if (kind == "ses_status_changed") {
        return join_nonempty(
            {event.ses_from.empty() ? std::string() : "was " + event.ses_from, event.reason}, "; ");
    }
    if (!ses_title(event).empty()) {
        return event.reason;
    }
    if (kind == "revocation_warning" || kind == "reminder") {
        return join_nonempty({failing_records_phrase(event.records),
                              now ? revocation_countdown(event, *now) : std::string()},
                             "; ");
    }
    if (kind == "revoked") {
        std::string sentence = k_revoked_sentence;
        sentence.pop_back(); // the summary line carries no final period
        return sentence;
    }
    if (kind == "recovered") {
        return "all records correct again";
    }
    if (kind == "verified") {
        return "all records in place";
    }
    if (kind == "pending_overdue") {
        return join_nonempty(
            {now ? "pending for " + format_span(time_between(event.state_since, *now))
                 : std::string("pending too long"),
             failing_records_phrase(event.records)},
            "; ");
    }
    if (kind == "monitoring_blind") {
        return std::string("no conclusive DNS answers; state stays ") +
               identity_state_name(event.state);
    }
    if (kind == "still_revoked_records_back") {
        return "records correct again, but DKIM stays revoked: redo the SES DKIM setup with new "
               "tokens";
    }
    if (kind == "config_changed") {
        return std::string("expected records changed; monitoring restarts at ") +
               identity_state_name(event.state);
    }
    if (kind == "test") {
        return "a sample alert, no action needed";
    }
    return event.reason;
}

std::string record_line(const AlertRecord& record) {
    std::string line = "- " + record.name + " " + record.type + " " + record.verdict +
                       ": expected " + truncate_utf8(record.expected, k_description_field_limit) +
                       "; observed " +
                       (record.observed ? truncate_utf8(*record.observed, k_description_field_limit)
                                        : std::string("nothing")) +
                       ". " + truncate_utf8(record.message, k_description_field_limit);
    return line;
}

// What an SES event means; "" for any other kind.
std::string ses_explanation(const AlertEvent& event) {
    const std::string& kind = event.kind;
    const std::string& domain = event.key.domain;
    const std::string source = "account " + event.key.account + " in " + event.key.region;
    if (kind == "ses_status_changed") {
        if (event.ses_to == "FAILED") {
            return "SES reports DKIM verification FAILED for " + domain +
                   ": SES does not sign its mail with DKIM. If dkimwatch sees the records in "
                   "place, SES's resolvers see something else (split-horizon DNS, a lagging "
                   "authoritative server, DNSSEC); correct that, then restart DKIM verification "
                   "in SES.";
        }
        if (event.ses_to == "TEMPORARY_FAILURE") {
            return "SES could not verify the DKIM records of " + domain +
                   " this time (TEMPORARY_FAILURE); it keeps trying and fails DKIM if this "
                   "lasts. Check that every authoritative server answers with the records.";
        }
        if (event.ses_to == "SUCCESS") {
            return "SES reports DKIM verification SUCCESS for " + domain + ".";
        }
        return "SES's DKIM status of " + domain + " is now " + event.ses_to +
               (event.ses_from.empty() ? std::string() : " (was " + event.ses_from + ")") + ".";
    }
    if (kind == "signing_disabled") {
        if (event.severity == EventSeverity::resolved) {
            return "SES signs the mail of " + domain + " with DKIM again.";
        }
        return "SES has DKIM signing switched off for " + domain +
               ": its mail leaves unsigned however correct the records are. Enable DKIM "
               "signing for the identity in SES.";
    }
    if (kind == "email_identity_unsigned") {
        return "An email address verified on its own under " + domain +
               " sends unsigned mail: SES uses the address identity, which has no DKIM. Delete "
               "the address identity, so that its mail is signed through the domain.";
    }
    if (kind == "identity_removed") {
        return "SES no longer lists " + domain + " in " + source +
               "; dkimwatch stops reporting it and keeps its history. If that is unexpected, "
               "find out who deleted the identity.";
    }
    if (kind == "ses_sync_failing") {
        return "dkimwatch could not list the SES identities of " + source +
               " several times in a row; it keeps watching the identities of the last good "
               "listing. The reason names the error (often a missing IAM permission or expired "
               "credentials).";
    }
    if (kind == "ses_sync_recovered") {
        return "Listing the SES identities of " + source + " works again.";
    }
    return "";
}

} // namespace

bool is_test_alert(const AlertEvent& event) {
    return event.test || event.kind == "test";
}

std::string alert_title(const AlertEvent& event) {
    std::string title = ses_title(event);
    if (title.empty()) {
        title = kind_title(event.kind);
    }
    return is_test_alert(event) ? std::string(k_test_prefix) + title : title;
}

std::string alert_condition_title(const AlertEvent& event) {
    if (event.kind == "reminder") {
        AlertEvent warning = event;
        warning.kind = "revocation_warning";
        return alert_title(warning);
    }
    return alert_title(event);
}

std::string alert_group_title(const AlertGroup& group) {
    const bool any_test = std::any_of(group.events.begin(), group.events.end(),
                                      [](const AlertEvent& event) { return is_test_alert(event); });
    std::string title =
        std::to_string(group.total) + (group.total == 1 ? " DKIM alert" : " DKIM alerts");
    return any_test ? std::string(k_test_prefix) + title : title;
}

std::string alert_subject(const IdentityKey& key) {
    if (key.domain.empty()) {
        return "SES sync of " + key.account + "/" + key.region;
    }
    return key.domain;
}

std::string identity_phrase(const IdentityKey& key) {
    if (key.domain.empty()) {
        return alert_subject(key);
    }
    return key.domain + " (" + key.account + ", " + key.region + ")";
}

std::string failing_records_phrase(const std::vector<AlertRecord>& records) {
    if (records.empty()) {
        return "";
    }
    const std::string count =
        std::to_string(records.size()) + (records.size() == 1 ? " record" : " records");
    std::vector<std::string> verdicts;
    for (const AlertRecord& record : records) {
        if (std::find(verdicts.begin(), verdicts.end(), record.verdict) == verdicts.end()) {
            verdicts.push_back(record.verdict);
        }
    }
    if (verdicts.size() == 1 && verdicts.front() == "missing") {
        return count + " missing";
    }
    return count + " failing (" + join_nonempty(verdicts, ", ") + ")";
}

std::string state_phrase(const AlertEvent& event, TimePoint now) {
    return std::string(identity_state_name(event.state)) + " since " +
           format_utc(event.state_since) + " (" + format_relative(event.state_since, now) + ")";
}

std::string deadline_phrase(const AlertEvent& event, TimePoint now) {
    if (!event.deadline) {
        return "none";
    }
    return format_utc(*event.deadline) + " (" + format_relative(*event.deadline, now) + ")";
}

std::string alert_event_summary(const AlertEvent& event, TimePoint now) {
    return join_nonempty(
        {alert_title(event), identity_phrase(event.key), summary_detail(event, now)}, ": ");
}

std::string alert_event_summary_time_free(const AlertEvent& event) {
    return join_nonempty({alert_condition_title(event), identity_phrase(event.key),
                          summary_detail(event, std::nullopt)},
                         ": ");
}

std::string alert_group_summary(const AlertGroup& group) {
    std::string out = alert_group_title(group);
    if (group.events.empty()) {
        return out;
    }
    EventSeverity worst = group.events.front().severity;
    for (const AlertEvent& event : group.events) {
        if (attention_rank(event.severity) > attention_rank(worst)) {
            worst = event.severity;
        }
    }
    out += std::string(", most severe ") + event_severity_name(worst) + ": ";
    constexpr std::size_t k_listed = 3;
    const std::size_t listed = std::min(k_listed, group.events.size());
    for (std::size_t i = 0; i < listed; ++i) {
        out += (i == 0 ? "" : ", ") + group.events[i].key.domain;
    }
    if (group.total > listed) {
        out += " and " + std::to_string(group.total - listed) + " more";
    }
    return out;
}

namespace {

// alert_explanation(); without `now` the deadline is not named (the time-free variant), and the
// SES sync failure points at the log instead of the reason.
std::string explanation(const AlertEvent& event, std::optional<TimePoint> now) {
    const std::string& kind = event.kind;
    const std::string& domain = event.key.domain;
    std::string text;
    if (kind == "revocation_warning" || kind == "reminder") {
        const std::string stopped =
            "SES may already have stopped DKIM-signing mail for " + domain + ".";
        std::string expected = "Restore the records to avoid revocation.";
        if (event.deadline && now) {
            expected = "Revocation is expected at " + deadline_phrase(event, *now) +
                       " unless the records are restored.";
        } else if (event.deadline) {
            expected = "Revocation is expected at the deadline unless the records are restored.";
        }
        // A reminder leads with the deadline, except in the time-free variant: there it must
        // read as the warning it repeats (replicas re-send either).
        text = (kind == "revocation_warning" || !now) ? stopped + " " + expected
                                                      : expected + " " + stopped;
    } else if (kind == "revoked") {
        text = k_revoked_sentence;
    } else if (kind == "recovered") {
        text = "All DKIM records are correct again.";
    } else if (kind == "verified") {
        text = "All DKIM records are in place.";
    } else if (kind == "pending_overdue") {
        text = "The records are still not all in place. SES stops looking for them after 72 "
               "hours and marks DKIM verification FAILED; publish the records, then restart DKIM "
               "verification in SES.";
    } else if (kind == "monitoring_blind") {
        text = "dkimwatch gets no conclusive DNS answers and cannot tell whether the records are "
               "in place; check the resolvers.";
    } else if (kind == "still_revoked_records_back") {
        text = "The records are correct again, but SES has most likely revoked DKIM already; the "
               "setup must be started again with new tokens.";
    } else if (kind == "config_changed") {
        text = std::string("The records SES expects changed in the configuration; monitoring "
                           "restarts at ") +
               identity_state_name(event.state) + ".";
    } else if (kind == "test") {
        text = "This is a TEST alert sent by dkimwatch to check the delivery; no action is needed.";
    } else {
        text = ses_explanation(event);
        if (!now && kind == "ses_sync_failing") {
            text = "dkimwatch could not list the SES identities of " + event.key.account + " in " +
                   event.key.region +
                   " several times in a row; it keeps watching the identities of the last good "
                   "listing. dkimwatch's log names the error (often a missing IAM permission or "
                   "expired credentials).";
        }
    }
    if (event.test && kind != "test") {
        text = "TEST sample, no action is needed. " + text;
    }
    return text;
}

} // namespace

std::string alert_explanation(const AlertEvent& event, TimePoint now) {
    return explanation(event, now);
}

std::string alert_explanation_time_free(const AlertEvent& event) {
    return explanation(event, std::nullopt);
}

std::string alert_description(const AlertEvent& event, TimePoint now) {
    std::string out = alert_explanation(event, now);
    if (event.key.domain.empty()) {
        out += "\nSource: " + alert_subject(event.key);
    } else {
        out += "\nIdentity: " + event.key.domain + " (account " + event.key.account + ", region " +
               event.key.region + ")";
        out += "\nState: " + state_phrase(event, now);
        out += "\nDeadline: " + deadline_phrase(event, now);
    }
    if (!event.ses_to.empty()) {
        out += "\nSES status: " +
               (event.ses_from.empty() ? std::string("(first seen)") : event.ses_from) + " -> " +
               event.ses_to;
    }
    if (!event.reason.empty()) {
        out += "\nReason: " + event.reason;
    }
    if (!event.records.empty()) {
        out += "\nFailing records:";
        const std::size_t shown = std::min(k_description_record_cap, event.records.size());
        for (std::size_t i = 0; i < shown; ++i) {
            out += "\n" + record_line(event.records[i]);
        }
        if (event.records.size() > shown) {
            out += "\nand " + std::to_string(event.records.size() - shown) + " more";
        }
    }
    return out;
}

} // namespace dkimwatch
