#pragma once
// Alertmanager API v2: POST <url>/api/v2/alerts with a JSON array of alerts. Pure.
//
// Each alert has labels {alertname, account, region, domain, severity} (no replica label) and
// startsAt (the event time). Alertmanager identifies an alert by its label set, so the severity
// label is fixed per alertname (a resolve must carry the same labels as the alert it ends).
//
// Replicas (ha: true) send the same condition at slightly different times, and Alertmanager
// shows the annotations of the alert it received last: so the annotations depend only on the
// condition (kind, identity, state, failing records), never on the time of rendering, the event
// time, state_since or the state machine's reason (which carry timestamps); the one exception is
// `deadline`, which each replica computes from its own first failing check. They are what
// packaging/alertmanager/dkimwatch.tmpl renders (Slack, webhook and PagerDuty direct sinks keep
// their own texts, alert/alert_text.hpp):
//   title        alert_condition_title(), e.g. "DKIM revocation warning" (also for a reminder)
//   summary      alert_event_summary_time_free(): "<title>: <identity>[: <records phrase>]"
//   description  alert_explanation_time_free(): what it means and what to do
//   identity     identity_phrase(): "example.com (111122223333, us-east-1)"
//   state        the identity's state name after the event ("" for SES sync events)
//   deadline     expected revocation, RFC 3339 UTC ("2024-01-06T00:00:00Z"), "" when none
//   records      one line per failing record: "<verdict> <TYPE> <name>: expected <e>; observed
//                <o or nothing>" (at most k_description_record_cap, then "and N more"); ""
//   fix          one line per failing record: "<name>: <what is wrong and how to fix it>"
//                (RecordVerdict::message, which holds no countdown: the resolvers' remaining
//                cache TTL is RecordVerdict::cached_answer_ttl and is not sent)
//
// What each event kind sends:
//
// clang-format off
//   event kind                  alertname              severity  what the request does
//   revocation_warning          DKIMRevocationWarning  critical  fires it; resolves
//                                                                DKIMMonitoringBlind
//   reminder                    DKIMRevocationWarning  critical  fires it (same alert)
//   revoked                     DKIMRevoked            critical  fires it; resolves
//                                                                DKIMRevocationWarning and
//                                                                DKIMMonitoringBlind
//   still_revoked_records_back  DKIMRevoked            critical  fires it (still revoked: SES
//                                                                needs the setup redone; the
//                                                                title says the records are
//                                                                back); resolves
//                                                                DKIMMonitoringBlind
//   recovered                   DKIMRevocationWarning  critical  resolves it and
//                                                                DKIMMonitoringBlind
//   pending_overdue             DKIMPendingOverdue     warning   fires it
//   verified                    DKIMPendingOverdue     warning   resolves it and
//                                                                DKIMMonitoringBlind
//   monitoring_blind            DKIMMonitoringBlind    warning   fires it
//   config_changed              DKIMRevocationWarning  critical  resolves every DKIM* alert of
//                                                                the identity (its old
//                                                                configuration is gone)
//   test (or any event.test)    DKIMTest               event's   fires it with endsAt = now + 5m
//   (an unknown kind)           DKIMEvent              event's   fires it with endsAt = now + 5m
//
// The SES source's events (alert/ses_event_builder.hpp), with the same labels (domain "" for
// the sync of an account/region):
//   ses_status_changed to FAILED             DKIMSesFailed           critical  fires it; resolves
//                                                                    DKIMSesTemporaryFailure
//   ses_status_changed to TEMPORARY_FAILURE  DKIMSesTemporaryFailure warning   fires it; resolves
//                                                                    DKIMSesFailed
//   ses_status_changed to any other status   DKIMSesFailed           critical  resolves it and
//                                                                    DKIMSesTemporaryFailure
//   signing_disabled (critical)              DKIMSesSigningDisabled  critical  fires it
//   signing_disabled (resolved: on again)    DKIMSesSigningDisabled  critical  resolves it
//   email_identity_unsigned                  DKIMSesEmailIdentityUnsigned warning  fires it with
//                                                                    endsAt = now + 5m (a notice;
//                                                                    the rule
//                                                                    DkimwatchEmailIdentityUnsigned
//                                                                    keeps the condition)
//   identity_removed                         DKIMSesIdentityRemoved  info      fires it with endsAt
//                                                                    = now + 5m; resolves every
//                                                                    DKIM* and DKIMSes* alert of
//                                                                    the identity above
//   ses_sync_failing                         DKIMSesSyncFailing      warning   fires it
//   ses_sync_recovered                       DKIMSesSyncFailing      warning   resolves it
// So one condition keeps one label set: a status change never moves an alert to another
// severity label; it fires the other alertname and resolves the first.
// clang-format on
//
// A firing alert is sent without endsAt: Alertmanager resolves it resolve_timeout after the last
// time it was received, so the dispatcher re-sends the firing ones every resend_interval with
// render_alertmanager_firing(). A resolve is sent with endsAt = now. Resolving an alert that is
// not firing is harmless (Alertmanager notifies nothing). DKIMMonitoringBlind has no event of its
// own that ends it: it is resolved by the next determinate event above, or by the dispatcher no
// longer re-sending it.

#include "alert/alert_message.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

// The alert the event is about (the table above); "DKIMEvent" for an unknown kind.
std::string alertmanager_alertname(const AlertEvent& event);

// Whether the event leaves alertmanager_alertname(event) firing, so that the dispatcher must keep
// re-sending it until a later event of the identity resolves it (false for tests and unknown
// kinds: they expire by themselves).
bool alertmanager_fires(const AlertEvent& event);

// The alertnames the event ends (sent with endsAt = now), in the table's order.
std::vector<std::string> alertmanager_resolved_alertnames(const AlertEvent& event);

// "<url without trailing slashes>/api/v2/alerts".
std::string alertmanager_alerts_url(const std::string& url);

// The event's (or every event of a group's) firing and resolving alerts, in one request;
// success status 200.
HttpRequest render_alertmanager_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                        TimePoint now);

// The re-send: the firing alert of each event in `firing` for which alertmanager_fires(), with
// the same annotations as when it was first sent (they do not depend on `now`) and startsAt the
// event's time (unchanged, so Alertmanager keeps one alert). Other events are skipped; an empty
// list gives the body "[]".
HttpRequest render_alertmanager_firing(const AlertSinkConfig& sink,
                                       const std::vector<AlertEvent>& firing, TimePoint now);

} // namespace dkimwatch
