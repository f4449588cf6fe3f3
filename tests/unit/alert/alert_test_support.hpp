#pragma once
// Sample alert events on a fixed timeline, shared by the alert tests.
//   t0       = 2024-01-01T00:00:00Z  the revocation warning (state since, event time)
//   deadline = 2024-01-06T00:00:00Z  t0 + 120h
//   now      = 2024-01-01T02:30:00Z  delivery: 4d21h30m before the deadline

#include "alert/alert_event.hpp"
#include "config/config.hpp"

#include <chrono>
#include <string>

namespace dkimwatch::test {

inline TimePoint utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                     int second = 0) {
    const std::chrono::sys_days date =
        std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day};
    return TimePoint{date.time_since_epoch() + std::chrono::hours{hour} +
                     std::chrono::minutes{minute} + std::chrono::seconds{second}};
}

inline const TimePoint k_t0 = utc(2024, 1, 1);
inline const TimePoint k_deadline = utc(2024, 1, 6);
inline const TimePoint k_now = utc(2024, 1, 1, 2, 30);

inline IdentityKey sample_key(const std::string& domain = "example.com") {
    return IdentityKey{"111122223333", "us-east-1", domain};
}

inline AlertRecord missing_cname(const std::string& token = "tok1",
                                 const std::string& domain = "example.com") {
    return AlertRecord{token + "._domainkey." + domain,
                       "CNAME",
                       "missing",
                       token + ".dkim.amazonses.com",
                       std::nullopt,
                       "no CNAME at " + token + "._domainkey." + domain + ": add it, pointing at " +
                           token + ".dkim.amazonses.com"};
}

inline AlertRecord wrong_target_cname() {
    return AlertRecord{"tok2._domainkey.example.com",
                       "CNAME",
                       "wrong_target",
                       "tok2.dkim.amazonses.com",
                       std::string("tok2.dkim.example.net"),
                       "the CNAME points at tok2.dkim.example.net: change it to "
                       "tok2.dkim.amazonses.com"};
}

// A full event of `kind` as the daemon builds it, with the fields that kind carries.
inline AlertEvent sample_event(const std::string& kind) {
    AlertEvent event;
    event.kind = kind;
    event.key = sample_key();
    event.at = k_t0;
    event.state_since = k_t0;
    if (kind == "revocation_warning") {
        event.severity = EventSeverity::critical;
        event.state = IdentityState::revocation_warning;
        event.deadline = k_deadline;
        event.reason = "DKIM records failing since 2023-12-31T23:59:00Z (2 checks) and SES will "
                       "revoke DKIM at about 2024-01-06T00:00:00Z";
        event.records = {missing_cname()};
    } else if (kind == "reminder") {
        event.severity = EventSeverity::critical;
        event.state = IdentityState::revocation_warning;
        event.deadline = k_deadline;
        event.reminder_threshold = std::chrono::hours{24};
        event.at = k_deadline - std::chrono::hours{24};
        event.reason = "DKIM revocation expected in 1d (at 2024-01-06T00:00:00Z) unless the "
                       "records are restored; reminder 1d before the deadline";
        event.records = {missing_cname()};
    } else if (kind == "revoked") {
        event.severity = EventSeverity::critical;
        event.state = IdentityState::revoked;
        event.deadline = k_deadline;
        event.at = k_deadline + std::chrono::minutes{10};
        event.state_since = event.at;
        event.reason = "records still failing after the revocation deadline 2024-01-06T00:00:00Z";
        event.records = {missing_cname()};
    } else if (kind == "recovered") {
        event.severity = EventSeverity::resolved;
        event.state = IdentityState::verified;
        event.deadline = k_deadline;
        event.at = k_t0 + std::chrono::hours{2};
        event.state_since = event.at;
        event.reason = "DKIM records correct again (2 checks) before the revocation deadline "
                       "2024-01-06T00:00:00Z: verified";
    } else if (kind == "verified") {
        event.severity = EventSeverity::info;
        event.state = IdentityState::verified;
        event.reason = "all records correct";
    } else if (kind == "pending_overdue") {
        event.severity = EventSeverity::warning;
        event.state = IdentityState::pending;
        event.state_since = k_t0 - std::chrono::hours{72};
        event.reason = "still pending 3d after 2023-12-29T00:00:00Z";
        event.records = {missing_cname("tok1"), missing_cname("tok2"), missing_cname("tok3")};
    } else if (kind == "monitoring_blind") {
        event.severity = EventSeverity::warning;
        event.state = IdentityState::verified;
        event.state_since = k_t0 - std::chrono::hours{240};
        event.reason = "no conclusive DNS answer for 1h0m1s";
    } else if (kind == "still_revoked_records_back") {
        event.severity = EventSeverity::info;
        event.state = IdentityState::revoked;
        event.state_since = k_t0 - std::chrono::hours{24};
        event.reason = "the records are all correct again, but DKIM stays revoked";
    } else if (kind == "config_changed") {
        event.severity = EventSeverity::info;
        event.state = IdentityState::pending;
        event.reason = "tokens changed (was revoked)";
    } else if (kind == "test") {
        event.severity = EventSeverity::critical;
        event.state = IdentityState::revocation_warning;
        event.deadline = k_deadline;
        event.reason = "a sample revocation warning";
        event.records = {missing_cname()};
        event.test = true;
    }
    return event;
}

inline const std::vector<std::string> k_all_kinds = {"revocation_warning",
                                                     "reminder",
                                                     "revoked",
                                                     "recovered",
                                                     "verified",
                                                     "pending_overdue",
                                                     "monitoring_blind",
                                                     "still_revoked_records_back",
                                                     "config_changed",
                                                     "test"};

inline AlertSinkConfig sink(AlertSinkConfig::Type type, const std::string& name = "s") {
    AlertSinkConfig config;
    config.name = name;
    config.type = type;
    switch (type) {
    case AlertSinkConfig::Type::slack:
        config.url = "https://hooks.slack.com/services/T000/B000/SECRETPATH";
        break;
    case AlertSinkConfig::Type::webhook:
        config.url = "https://receiver.example:8443/hooks/dkim?token=SECRETQUERY";
        break;
    case AlertSinkConfig::Type::alertmanager:
        config.url = "http://127.0.0.1:9093/";
        break;
    case AlertSinkConfig::Type::pagerduty:
        config.url = "https://events.pagerduty.com/v2/enqueue";
        config.routing_key = "R0UTINGKEY";
        break;
    }
    return config;
}

} // namespace dkimwatch::test
