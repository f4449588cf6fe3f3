#pragma once
// The words of an alert, shared by every sink: titles, the one-line summary, what the event
// means, and the plain-text description. `now` is the delivery time, so that relative parts
// ("in 4d21h") are true when the message arrives. Pure.

#include "alert/alert_event.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// A sample sent to check delivery: event.test, or kind "test". Such alerts are marked "TEST"
// everywhere and never touch real incidents or alerts.
bool is_test_alert(const AlertEvent& event);

// What happened, e.g. "DKIM revocation warning"; "dkimwatch test alert" for kind "test";
// prefixed with "TEST: " when is_test_alert().
std::string alert_title(const AlertEvent& event);

// The title of the condition the event is about: alert_title(), except that a reminder is
// titled as the revocation warning it repeats ("DKIM revocation warning"). What Alertmanager
// receives, so that a replica re-sending a reminder and one re-sending the warning agree.
std::string alert_condition_title(const AlertEvent& event);

// "<total> DKIM alerts" ("1 DKIM alert"), prefixed with "TEST: " when any event is a test.
std::string alert_group_title(const AlertGroup& group);

// What an alert is about: the domain, or "SES sync of <account>/<region>" for the SES sync
// events (key.domain empty).
std::string alert_subject(const IdentityKey& key);

// "example.com (111122223333, us-east-1)"; "SES sync of 111122223333/us-east-1" when
// key.domain is empty.
std::string identity_phrase(const IdentityKey& key);

// The failing records in a few words: "1 record missing", "3 records missing",
// "2 records failing (wrong_target, missing)" (distinct verdicts in order); "" when none.
std::string failing_records_phrase(const std::vector<AlertRecord>& records);

// "<state> since <UTC> (<relative>)", e.g. "revocation_warning since 2024-01-01T00:00:00Z (2h
// ago)".
std::string state_phrase(const AlertEvent& event, TimePoint now);

// "<UTC> (<relative>)", e.g. "2024-01-06T00:00:00Z (in 4d21h)", or "none".
std::string deadline_phrase(const AlertEvent& event, TimePoint now);

// The phone-notification line: "<title>: <identity>: <detail>", e.g. "DKIM revocation warning:
// example.com (111122223333, us-east-1): 1 record missing; SES revokes DKIM in 4d21h".
std::string alert_event_summary(const AlertEvent& event, TimePoint now);

// alert_event_summary() without anything that depends on when or by which replica it is
// rendered: no countdown, no "pending for", and for the SES source's events only "<title>:
// <identity>" (their reason varies). E.g. "DKIM revocation warning: example.com (111122223333,
// us-east-1): 1 record missing". For Alertmanager, whose replicas must send identical alerts.
std::string alert_event_summary_time_free(const AlertEvent& event);

// "<title>, most severe <severity>: <domain>, <domain>, <domain> and <N> more", listing the
// first three events' domains.
std::string alert_group_summary(const AlertGroup& group);

// What the event means for the user, one to three sentences. A revocation warning says that SES
// may already have stopped signing and when revocation is expected.
std::string alert_explanation(const AlertEvent& event, TimePoint now);

// alert_explanation() without times: a revocation warning says "Revocation is expected at the
// deadline unless the records are restored." (the deadline is given apart), and an SES sync
// failure refers to the log for the error. Depends only on the event's kind, key, deadline
// presence and test flag.
std::string alert_explanation_time_free(const AlertEvent& event);

// Plain multi-line text: the explanation, identity, state, deadline (for an SES sync event the
// source instead of these three), the SES status change, the reason and the failing
// records (at most k_description_record_cap, each field shortened to a few hundred bytes,
// then "and N more").
std::string alert_description(const AlertEvent& event, TimePoint now);

inline constexpr std::size_t k_description_record_cap = 20;

} // namespace dkimwatch
