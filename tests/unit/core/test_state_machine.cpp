#include "core/duration.hpp"
#include "core/state_machine.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Every scenario and most unit tests start at 2024-01-01T00:00:00Z.
const TimePoint k_t0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

// ---------------------------------------------------------------------------------------------
// The plain-value round trip that a restart goes through: every field of IdentityStatus to
// text and back, the way the store will persist it (times as integer milliseconds since the
// epoch). Nothing else survives a restart.

std::string time_text(const std::optional<TimePoint>& time) {
    return time ? std::to_string(time->time_since_epoch().count()) : "none";
}

std::optional<TimePoint> time_from_text(const std::string& text) {
    if (text == "none") {
        return std::nullopt;
    }
    return TimePoint{Milliseconds{std::stoll(text)}};
}

std::optional<Severity> severity_from_name(std::string_view name) {
    for (const Severity severity :
         {Severity::ok, Severity::warning, Severity::error, Severity::indeterminate}) {
        if (name == severity_name(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

std::string to_record(const IdentityStatus& s) {
    std::ostringstream out;
    out << "state=" << identity_state_name(s.state) << "\n"
        << "since=" << time_text(s.since) << "\n"
        << "entered_pending_at=" << time_text(s.entered_pending_at) << "\n"
        << "deadline=" << time_text(s.deadline) << "\n"
        << "consecutive_failures=" << s.consecutive_failures << "\n"
        << "first_failure_at=" << time_text(s.first_failure_at) << "\n"
        << "consecutive_successes=" << s.consecutive_successes << "\n"
        << "indeterminate_since=" << time_text(s.indeterminate_since) << "\n"
        << "pending_overdue_raised=" << s.pending_overdue_raised << "\n"
        << "blind_raised=" << s.blind_raised << "\n"
        << "records_back_raised=" << s.records_back_raised << "\n"
        << "reminder_covered="
        << (s.reminder_covered ? std::to_string(s.reminder_covered->count()) : "none") << "\n"
        << "checks_total=" << s.checks_total << "\n"
        << "failures_total=" << s.failures_total << "\n"
        << "indeterminate_total=" << s.indeterminate_total << "\n"
        << "last_check_at=" << time_text(s.last_check_at) << "\n"
        << "last_worst=" << (s.last_worst ? severity_name(*s.last_worst) : "none") << "\n"
        << "fingerprint=" << s.fingerprint << "\n";
    return out.str();
}

IdentityStatus from_record(const std::string& record) {
    std::map<std::string, std::string> fields;
    std::istringstream in(record);
    std::string line;
    while (std::getline(in, line)) {
        const auto equals = line.find('=');
        fields[line.substr(0, equals)] = line.substr(equals + 1);
    }
    IdentityStatus s;
    s.state = parse_identity_state(fields.at("state")).value();
    s.since = *time_from_text(fields.at("since"));
    s.entered_pending_at = *time_from_text(fields.at("entered_pending_at"));
    s.deadline = time_from_text(fields.at("deadline"));
    s.consecutive_failures = std::stoi(fields.at("consecutive_failures"));
    s.first_failure_at = time_from_text(fields.at("first_failure_at"));
    s.consecutive_successes = std::stoi(fields.at("consecutive_successes"));
    s.indeterminate_since = time_from_text(fields.at("indeterminate_since"));
    s.pending_overdue_raised = fields.at("pending_overdue_raised") == "1";
    s.blind_raised = fields.at("blind_raised") == "1";
    s.records_back_raised = fields.at("records_back_raised") == "1";
    if (fields.at("reminder_covered") != "none") {
        s.reminder_covered = Milliseconds{std::stoll(fields.at("reminder_covered"))};
    }
    s.checks_total = std::stoull(fields.at("checks_total"));
    s.failures_total = std::stoull(fields.at("failures_total"));
    s.indeterminate_total = std::stoull(fields.at("indeterminate_total"));
    s.last_check_at = time_from_text(fields.at("last_check_at"));
    if (fields.at("last_worst") != "none") {
        s.last_worst = severity_from_name(fields.at("last_worst")).value();
    }
    s.fingerprint = fields.at("fingerprint");
    return s;
}

// ---------------------------------------------------------------------------------------------
// The scenario runner. The format is described in tests/data/scenarios/README.md.

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
        if (word.front() == '#') {
            break;
        }
        words.push_back(word);
    }
    return words;
}

std::vector<std::string> split_on(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) {
            return parts;
        }
        start = end + 1;
    }
}

std::string describe_time(const std::optional<TimePoint>& time) {
    return time ? "start+" + format_duration(*time - k_t0) : "none";
}

std::string event_list(const std::vector<StateEvent>& events) {
    std::string list;
    for (const StateEvent& event : events) {
        list += (list.empty() ? "" : ",") + std::string(state_event_kind_name(event.kind));
    }
    return list.empty() ? "(none)" : list;
}

bool carries_deadline(StateEventKind kind) {
    return kind == StateEventKind::revocation_warning || kind == StateEventKind::reminder ||
           kind == StateEventKind::recovered || kind == StateEventKind::revoked;
}

class ScenarioRunner {
public:
    explicit ScenarioRunner(std::string file_name) : m_file(std::move(file_name)) {}

    // Runs the whole text; returns every failure as "file:line: message". Stops at the first
    // line that cannot be parsed.
    std::vector<std::string> run(const std::string& text) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            ++m_line;
            if (!run_line(line)) {
                break;
            }
        }
        if (m_steps == 0 && m_failures.empty()) {
            fail("the scenario has no steps");
        }
        return m_failures;
    }

private:
    void fail(const std::string& message) {
        m_failures.push_back(m_file + ":" + std::to_string(m_line) + ": " + message);
    }
    // A syntax error: reported, and the scenario stops.
    bool syntax(const std::string& message) {
        fail(message);
        return false;
    }

    // "10m", "10m+120h": a time relative to the scenario start.
    std::optional<TimePoint> parse_time(const std::string& text) {
        TimePoint time = k_t0;
        for (const std::string& part : split_on(text, '+')) {
            auto duration = parse_duration(part);
            if (!duration) {
                fail(duration.error());
                return std::nullopt;
            }
            time += *duration;
        }
        return time;
    }

    bool run_line(const std::string& line) {
        const std::vector<std::string> words = split_words(line);
        if (words.empty()) {
            return true;
        }
        const std::string& command = words[0];
        if (command == "policy") {
            return run_policy(words);
        }
        if (command == "restart") {
            if (words.size() > 1 && words[1] != "expect") {
                return syntax("restart takes no arguments, only an expect clause");
            }
            const IdentityStatus restored = from_record(to_record(m_status));
            if (!(restored == m_status)) {
                fail("the status did not survive the plain-value round trip:\n" +
                     to_record(m_status) + "became\n" + to_record(restored));
            }
            m_status = restored;
            m_events.clear();
            ++m_steps;
            return run_expect(words, 1, true);
        }
        if (command == "at") {
            return run_step(words);
        }
        if (command == "expect") {
            if (m_steps == 0) {
                return syntax("expect before the first step");
            }
            return run_expect(words, 0, false);
        }
        if (command == "reason") {
            return run_reason(line, words);
        }
        return syntax("unknown command \"" + command +
                      "\" (use policy, at, restart, expect or reason)");
    }

    bool run_policy(const std::vector<std::string>& words) {
        for (std::size_t i = 1; i < words.size(); ++i) {
            const auto equals = words[i].find('=');
            if (equals == std::string::npos) {
                return syntax("policy wants key=value, got \"" + words[i] + "\"");
            }
            const std::string key = words[i].substr(0, equals);
            const std::string value = words[i].substr(equals + 1);
            if (key == "confirmations") {
                const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(),
                                                          m_policy.confirmations);
                if (error != std::errc() || end != value.data() + value.size()) {
                    return syntax("confirmations wants a number, got \"" + value + "\"");
                }
                continue;
            }
            if (key == "reminders") {
                m_policy.reminders.clear();
                if (value == "none") {
                    continue;
                }
                for (const std::string& part : split_on(value, ',')) {
                    auto duration = parse_duration(part);
                    if (!duration) {
                        return syntax(duration.error());
                    }
                    m_policy.reminders.push_back(*duration);
                }
                continue;
            }
            Milliseconds* field = key == "pending_timeout"     ? &m_policy.pending_timeout
                                  : key == "revocation_window" ? &m_policy.revocation_window
                                  : key == "blind_after"       ? &m_policy.blind_after
                                                               : nullptr;
            if (field == nullptr) {
                return syntax("unknown policy key \"" + key + "\"");
            }
            auto duration = parse_duration(value);
            if (!duration) {
                return syntax(duration.error());
            }
            *field = *duration;
        }
        if (const auto error = policy_error(m_policy)) {
            return syntax("invalid policy: " + *error);
        }
        return true;
    }

    bool run_step(const std::vector<std::string>& words) {
        if (words.size() < 3) {
            return syntax("a step is: at TIME check SEVERITY | tick | config fingerprint=TEXT");
        }
        const auto time = parse_time(words[1]);
        if (!time) {
            return false;
        }
        if (*time < m_now) {
            return syntax("time goes backwards: " + describe_time(*time) + " is before " +
                          describe_time(m_now));
        }
        m_now = *time;
        std::size_t next = 3;
        const IdentityState before = m_status.state;
        Transition transition;
        if (words[2] == "check") {
            const auto worst = words.size() > 3 ? severity_from_name(words[3]) : std::nullopt;
            if (!worst) {
                return syntax("check wants ok, warning, error or indeterminate");
            }
            transition = on_check(m_status, *worst, m_now, m_policy);
            next = 4;
        } else if (words[2] == "tick") {
            transition = on_tick(m_status, m_now, m_policy);
        } else if (words[2] == "config") {
            if (words.size() < 4 || words[3].rfind("fingerprint=", 0) != 0) {
                return syntax("config wants fingerprint=TEXT");
            }
            transition = on_config(m_status, words[3].substr(12), m_now);
            next = 4;
        } else {
            return syntax("unknown action \"" + words[2] + "\" (use check, tick or config)");
        }
        m_status = transition.status;
        m_events = transition.events;
        ++m_steps;
        check_invariants(before, words[2] != "config");
        if (next < words.size() && words[next] != "expect") {
            return syntax("unexpected \"" + words[next] + "\" (expected \"expect\")");
        }
        return run_expect(words, next, true);
    }

    // Rules that hold after every step, whatever the scenario says. `settled`: the step applied
    // the time rules (check, tick), so a tick at the same time must be a no-op.
    void check_invariants(IdentityState before, bool settled) {
        for (const StateEvent& event : m_events) {
            const std::string kind = state_event_kind_name(event.kind);
            if (event.at != m_now) {
                fail(kind + " event at " + describe_time(event.at) + ", not at the step time");
            }
            if (event.from != before || event.to != m_status.state) {
                fail(kind + " event goes from " + identity_state_name(event.from) + " to " +
                     identity_state_name(event.to) + ", but the step went from " +
                     identity_state_name(before) + " to " + identity_state_name(m_status.state));
            }
            if (event.deadline.has_value() != carries_deadline(event.kind)) {
                fail(kind + " event " + (event.deadline ? "carries" : "lacks") + " a deadline");
            }
            if (event.reminder_threshold.has_value() != (event.kind == StateEventKind::reminder)) {
                fail(kind + " event has a wrong reminder_threshold");
            }
            if (event.reason.empty() || event.reason.find('\n') != std::string::npos) {
                fail(kind + " event reason is not one line: \"" + event.reason + "\"");
            }
        }
        if (m_status.deadline.has_value() !=
            (m_status.state == IdentityState::revocation_warning)) {
            fail(std::string("deadline is ") + describe_time(m_status.deadline) + " in state " +
                 identity_state_name(m_status.state));
        }
        const Transition again = on_tick(m_status, m_now, m_policy);
        if (settled && (!again.events.empty() || !(again.status == m_status))) {
            fail("a tick at the same time is not a no-op: it raised " + event_list(again.events));
        }
    }

    bool run_expect(const std::vector<std::string>& words, std::size_t start, bool step) {
        if (start < words.size() && words[start] == "expect") {
            ++start;
        }
        bool events_checked = false;
        for (std::size_t i = start; i < words.size(); ++i) {
            const auto equals = words[i].find('=');
            if (equals == std::string::npos) {
                return syntax("an expectation is key=value, got \"" + words[i] + "\"");
            }
            const std::string key = words[i].substr(0, equals);
            const std::string value = words[i].substr(equals + 1);
            if (key == "events") {
                events_checked = true;
                expect_events(value);
            } else if (!expect_field(key, value)) {
                return false;
            }
        }
        if (step && !events_checked && !m_events.empty()) {
            fail("unexpected events " + event_list(m_events) + " (events= was not given)");
        }
        return true;
    }

    void expect_events(const std::string& value) {
        const std::string actual = event_list(m_events);
        const std::string expected = value.empty() ? "(none)" : value;
        if (actual != expected) {
            fail("events are " + actual + ", expected " + expected);
        }
    }

    void compare(const std::string& key, const std::string& actual, const std::string& expected) {
        if (actual != expected) {
            fail(key + " is " + actual + ", expected " + expected);
        }
    }

    bool compare_time(const std::string& key, const std::optional<TimePoint>& actual,
                      const std::string& value) {
        std::optional<TimePoint> expected;
        if (value != "none") {
            expected = parse_time(value);
            if (!expected) {
                return false;
            }
        }
        compare(key, describe_time(actual), describe_time(expected));
        return true;
    }

    bool expect_field(const std::string& key, const std::string& value) {
        const IdentityStatus& s = m_status;
        if (key == "state") {
            compare(key, identity_state_name(s.state), value);
        } else if (key == "fingerprint") {
            compare(key, s.fingerprint, value);
        } else if (key == "since") {
            return compare_time(key, s.since, value);
        } else if (key == "entered_pending_at") {
            return compare_time(key, s.entered_pending_at, value);
        } else if (key == "deadline") {
            return compare_time(key, s.deadline, value);
        } else if (key == "first_failure_at") {
            return compare_time(key, s.first_failure_at, value);
        } else if (key == "indeterminate_since") {
            return compare_time(key, s.indeterminate_since, value);
        } else if (key == "last_check_at") {
            return compare_time(key, s.last_check_at, value);
        } else if (key == "event_deadline") {
            // Every event of the last step that carries a deadline carries this one.
            bool any = false;
            for (const StateEvent& event : m_events) {
                if (event.deadline) {
                    any = true;
                    if (!compare_time(key, event.deadline, value)) {
                        return false;
                    }
                }
            }
            if (!any) {
                fail("event_deadline given, but no event of the step carries a deadline");
            }
        } else if (key == "consecutive_failures") {
            compare(key, std::to_string(s.consecutive_failures), value);
        } else if (key == "consecutive_successes") {
            compare(key, std::to_string(s.consecutive_successes), value);
        } else if (key == "checks_total") {
            compare(key, std::to_string(s.checks_total), value);
        } else if (key == "failures_total") {
            compare(key, std::to_string(s.failures_total), value);
        } else if (key == "indeterminate_total") {
            compare(key, std::to_string(s.indeterminate_total), value);
        } else if (key == "reminder_covered") {
            std::string expected = value;
            if (value != "none") {
                auto duration = parse_duration(value);
                if (!duration) {
                    return syntax(duration.error());
                }
                expected = format_duration(*duration);
            }
            compare(key, s.reminder_covered ? format_duration(*s.reminder_covered) : "none",
                    expected);
        } else if (key == "last_worst") {
            compare(key, s.last_worst ? severity_name(*s.last_worst) : "none", value);
        } else {
            return syntax("unknown expectation \"" + key + "\"");
        }
        return true;
    }

    // reason KIND TEXT...: the last step raised a KIND event whose reason contains TEXT.
    bool run_reason(const std::string& line, const std::vector<std::string>& words) {
        if (words.size() < 3) {
            return syntax("reason wants an event kind and a text");
        }
        const std::size_t kind_at = line.find(words[1], line.find("reason") + 6);
        std::string text = line.substr(kind_at + words[1].size());
        text.erase(0, text.find_first_not_of(" \t"));
        text.erase(text.find_last_not_of(" \t") + 1);
        const auto event = std::find_if(m_events.begin(), m_events.end(), [&](const auto& e) {
            return words[1] == state_event_kind_name(e.kind);
        });
        if (event == m_events.end()) {
            fail("no " + words[1] + " event in the last step (events: " + event_list(m_events) +
                 ")");
        } else if (event->reason.find(text) == std::string::npos) {
            fail(words[1] + " reason \"" + event->reason + "\" does not contain \"" + text + "\"");
        }
        return true;
    }

    std::string m_file;
    int m_line = 0;
    int m_steps = 0;
    StateMachinePolicy m_policy;
    IdentityStatus m_status = initial_status("initial", k_t0);
    std::vector<StateEvent> m_events; // raised by the last step
    TimePoint m_now = k_t0;
    std::vector<std::string> m_failures;
};

const fs::path k_scenario_dir = fs::path(DKIMWATCH_TEST_DATA_DIR) / "scenarios";

std::vector<std::string> scenario_names() {
    std::vector<std::string> names;
    if (fs::is_directory(k_scenario_dir)) {
        for (const auto& entry : fs::directory_iterator(k_scenario_dir)) {
            if (entry.path().extension() == ".scenario") {
                names.push_back(entry.path().filename().string());
            }
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

class Scenario : public testing::TestWithParam<std::string> {};

TEST_P(Scenario, Passes) {
    std::ifstream in(k_scenario_dir / GetParam());
    ASSERT_TRUE(in) << "cannot read " << (k_scenario_dir / GetParam());
    std::ostringstream text;
    text << in.rdbuf();
    for (const std::string& failure : ScenarioRunner(GetParam()).run(text.str())) {
        ADD_FAILURE() << failure;
    }
}

INSTANTIATE_TEST_SUITE_P(Files, Scenario, testing::ValuesIn(scenario_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                             std::string name = fs::path(info.param).stem().string();
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) {
                                     c = '_';
                                 }
                             }
                             return name;
                         });

TEST(ScenarioFiles, AllAreFound) {
    const auto names = scenario_names();
    EXPECT_GE(names.size(), 15u);
    EXPECT_NE(std::find(names.begin(), names.end(), "happy_path.scenario"), names.end());
}

// The runner itself must be able to fail, and say where.
std::vector<std::string> run_text(const std::string& text) {
    return ScenarioRunner("t.scenario").run(text);
}

TEST(ScenarioRunner, ReportsAWrongStateWithFileAndLine) {
    EXPECT_EQ(run_text("# comment\n\nat 0s check ok expect state=pending events=verified\n"),
              std::vector<std::string>{"t.scenario:3: state is verified, expected pending"});
}

TEST(ScenarioRunner, ReportsUnexpectedAndMissingEvents) {
    EXPECT_EQ(run_text("at 0s check ok\nat 1m check ok expect events=verified\n"),
              (std::vector<std::string>{
                  "t.scenario:1: unexpected events verified (events= was not given)",
                  "t.scenario:2: events are (none), expected verified"}));
}

TEST(ScenarioRunner, ReportsWrongDeadlineAndReason) {
    EXPECT_EQ(run_text("policy confirmations=1\n"
                       "at 0s check ok expect events=verified\n"
                       "at 1h check error expect events=revocation_warning deadline=1h+119h\n"
                       "reason revocation_warning will revoke DKIM at about 2024-01-06T01:00:00Z\n"
                       "reason revocation_warning nonsense\n"),
              (std::vector<std::string>{
                  "t.scenario:3: deadline is start+5d1h, expected start+5d",
                  "t.scenario:5: revocation_warning reason \"DKIM records failing since "
                  "2024-01-01T01:00:00Z (1 check): SES may already have stopped DKIM-signing "
                  "mail and will revoke DKIM at about 2024-01-06T01:00:00Z unless the records "
                  "are restored\" does not contain \"nonsense\""}));
}

TEST(ScenarioRunner, StopsAtSyntaxErrors) {
    EXPECT_EQ(
        run_text("at 0s check maybe\nat 0s check ok\n"),
        std::vector<std::string>{"t.scenario:1: check wants ok, warning, error or indeterminate"});
    EXPECT_EQ(run_text("at 1x tick\n"),
              std::vector<std::string>{"t.scenario:1: \"1x\" is not a duration: unknown unit "
                                       "\"x\" (use ms, s, m, h or d, e.g. 30s, 10m, 1h30m)"});
    EXPECT_EQ(run_text("at 1h tick\nat 30m tick\n"),
              std::vector<std::string>{
                  "t.scenario:2: time goes backwards: start+30m is before start+1h"});
    EXPECT_EQ(run_text("policy confirmation=2\n"),
              std::vector<std::string>{"t.scenario:1: unknown policy key \"confirmation\""});
    EXPECT_EQ(run_text("at 0s tick expect stat=pending\n"),
              std::vector<std::string>{"t.scenario:1: unknown expectation \"stat\""});
    EXPECT_EQ(run_text("policy confirmations=0\n"),
              std::vector<std::string>{
                  "t.scenario:1: invalid policy: confirmations must be at least 1 (got 0)"});
    EXPECT_EQ(run_text(""), std::vector<std::string>{"t.scenario:0: the scenario has no steps"});
}

// ---------------------------------------------------------------------------------------------
// Direct unit tests.

TEST(StateNames, RoundTrip) {
    for (const IdentityState state : {IdentityState::pending, IdentityState::verified,
                                      IdentityState::revocation_warning, IdentityState::revoked}) {
        EXPECT_EQ(parse_identity_state(identity_state_name(state)), state);
    }
    EXPECT_STREQ(identity_state_name(IdentityState::revocation_warning), "revocation_warning");
    EXPECT_EQ(parse_identity_state("Verified"), std::nullopt);
    EXPECT_EQ(parse_identity_state(""), std::nullopt);
}

TEST(EventKinds, NamesAndSeverities) {
    const std::vector<std::pair<StateEventKind, std::string>> table{
        {StateEventKind::verified, "verified info"},
        {StateEventKind::pending_overdue, "pending_overdue warning"},
        {StateEventKind::revocation_warning, "revocation_warning critical"},
        {StateEventKind::reminder, "reminder critical"},
        {StateEventKind::recovered, "recovered resolved"},
        {StateEventKind::revoked, "revoked critical"},
        {StateEventKind::monitoring_blind, "monitoring_blind warning"},
        {StateEventKind::still_revoked_records_back, "still_revoked_records_back info"},
        {StateEventKind::config_changed, "config_changed info"},
    };
    for (const auto& [kind, expected] : table) {
        EXPECT_EQ(std::string(state_event_kind_name(kind)) + " " +
                      event_severity_name(event_severity(kind)),
                  expected);
        EXPECT_EQ(parse_state_event_kind(state_event_kind_name(kind)), kind);
    }
    EXPECT_EQ(parse_state_event_kind("reset"), std::nullopt);
}

TEST(Policy, DefaultsMatchTheSpecification) {
    const StateMachinePolicy policy;
    EXPECT_EQ(policy.confirmations, 2);
    EXPECT_EQ(policy.pending_timeout, 72h);
    EXPECT_EQ(policy.revocation_window, 120h);
    EXPECT_EQ(policy.blind_after, 1h);
    EXPECT_EQ(policy.reminders, (std::vector<Milliseconds>{48h, 24h, 6h, 1h}));
    EXPECT_EQ(policy_error(policy), std::nullopt);
}

TEST(Policy, ErrorsNameTheField) {
    StateMachinePolicy policy;
    policy.confirmations = 0;
    EXPECT_EQ(policy_error(policy), "confirmations must be at least 1 (got 0)");
    policy = {};
    policy.pending_timeout = 0ms;
    EXPECT_EQ(policy_error(policy), "pending_timeout must be positive (got 0s)");
    policy = {};
    policy.revocation_window = -1h;
    EXPECT_EQ(policy_error(policy), "revocation_window must be positive (got -1h)");
    policy = {};
    policy.blind_after = -1s;
    EXPECT_EQ(policy_error(policy), "blind_after must not be negative (got -1s)");
    policy = {};
    policy.blind_after = 0ms;
    EXPECT_EQ(policy_error(policy), std::nullopt);
    policy.reminders = {1h, 0ms};
    EXPECT_EQ(policy_error(policy), "reminders must be positive (got 0s)");
}

TEST(InitialStatus, IsPendingSinceNow) {
    const IdentityStatus status = initial_status("fp", k_t0 + 5min);
    IdentityStatus expected;
    expected.fingerprint = "fp";
    expected.since = k_t0 + 5min;
    expected.entered_pending_at = k_t0 + 5min;
    EXPECT_EQ(status, expected);
    EXPECT_EQ(status.state, IdentityState::pending);
    EXPECT_EQ(status.deadline, std::nullopt);
    EXPECT_EQ(status.checks_total, 0u);
}

IdentityStatus verified_at(TimePoint at, const StateMachinePolicy& policy = {}) {
    return on_check(initial_status("fp", k_t0), Severity::ok, at, policy).status;
}

TEST(OnCheck, FirstOkCheckVerifies) {
    const Transition t = on_check(initial_status("fp", k_t0), Severity::ok, k_t0 + 1min, {});
    EXPECT_EQ(t.status.state, IdentityState::verified);
    EXPECT_EQ(t.status.since, k_t0 + 1min);
    EXPECT_EQ(t.status.entered_pending_at, k_t0);
    EXPECT_EQ(t.status.checks_total, 1u);
    EXPECT_EQ(t.status.consecutive_successes, 1);
    EXPECT_EQ(t.status.last_check_at, k_t0 + 1min);
    EXPECT_EQ(t.status.last_worst, Severity::ok);
    ASSERT_EQ(t.events.size(), 1u);
    StateEvent expected;
    expected.kind = StateEventKind::verified;
    expected.at = k_t0 + 1min;
    expected.from = IdentityState::pending;
    expected.to = IdentityState::verified;
    expected.reason = "all DKIM records are correct: verified";
    EXPECT_EQ(t.events[0], expected);
}

TEST(OnCheck, WarningsVerifyToo) {
    const Transition t = on_check(initial_status("fp", k_t0), Severity::warning, k_t0, {});
    EXPECT_EQ(t.status.state, IdentityState::verified);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].reason, "all DKIM records are in place (with warnings, see the record "
                                  "verdicts): verified");
}

TEST(OnCheck, ErrorsWhilePendingOnlyCount) {
    const Transition t = on_check(initial_status("fp", k_t0), Severity::error, k_t0 + 1h, {});
    EXPECT_EQ(t.status.state, IdentityState::pending);
    EXPECT_TRUE(t.events.empty());
    EXPECT_EQ(t.status.consecutive_failures, 1);
    EXPECT_EQ(t.status.first_failure_at, k_t0 + 1h);
    EXPECT_EQ(t.status.failures_total, 1u);
}

TEST(OnCheck, ConfirmedProblemRaisesRevocationWarningWithDeadline) {
    IdentityStatus s = verified_at(k_t0);
    Transition t = on_check(s, Severity::error, k_t0 + 10min, {});
    EXPECT_EQ(t.status.state, IdentityState::verified);
    EXPECT_TRUE(t.events.empty());
    t = on_check(t.status, Severity::error, k_t0 + 20min, {});
    EXPECT_EQ(t.status.state, IdentityState::revocation_warning);
    EXPECT_EQ(t.status.since, k_t0 + 20min);
    EXPECT_EQ(t.status.deadline, k_t0 + 10min + 120h);
    EXPECT_EQ(t.status.reminder_covered, std::nullopt);
    ASSERT_EQ(t.events.size(), 1u);
    const StateEvent& event = t.events[0];
    EXPECT_EQ(event.kind, StateEventKind::revocation_warning);
    EXPECT_EQ(event.from, IdentityState::verified);
    EXPECT_EQ(event.to, IdentityState::revocation_warning);
    EXPECT_EQ(event.deadline, k_t0 + 10min + 120h);
    EXPECT_EQ(event.reason, "DKIM records failing since 2024-01-01T00:10:00Z (2 checks): SES may "
                            "already have stopped DKIM-signing mail and will revoke DKIM at about "
                            "2024-01-06T00:10:00Z unless the records are restored");
}

TEST(OnCheck, ConfirmationsBelowOneActAsOne) {
    StateMachinePolicy policy;
    policy.confirmations = 0;
    const Transition t = on_check(verified_at(k_t0, policy), Severity::error, k_t0 + 1h, policy);
    EXPECT_EQ(t.status.state, IdentityState::revocation_warning);
    EXPECT_EQ(t.status.deadline, k_t0 + 1h + 120h);
}

IdentityStatus warned(const StateMachinePolicy& policy = {}) {
    IdentityStatus s = verified_at(k_t0, policy);
    s = on_check(s, Severity::error, k_t0 + 1h, policy).status;
    s = on_check(s, Severity::error, k_t0 + 2h, policy).status;
    EXPECT_EQ(s.state, IdentityState::revocation_warning);
    EXPECT_EQ(s.deadline, k_t0 + 1h + 120h);
    return s;
}

TEST(OnCheck, RecoveryNeedsConfirmationsAndResolves) {
    Transition t = on_check(warned(), Severity::ok, k_t0 + 3h, {});
    EXPECT_EQ(t.status.state, IdentityState::revocation_warning);
    EXPECT_TRUE(t.events.empty());
    t = on_check(t.status, Severity::warning, k_t0 + 4h, {});
    EXPECT_EQ(t.status.state, IdentityState::verified);
    EXPECT_EQ(t.status.deadline, std::nullopt);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::recovered);
    EXPECT_EQ(event_severity(t.events[0].kind), EventSeverity::resolved);
    EXPECT_EQ(t.events[0].deadline, k_t0 + 121h);
    EXPECT_EQ(t.events[0].reason, "DKIM records correct again (2 checks) before the revocation "
                                  "deadline 2024-01-06T01:00:00Z: verified");
}

TEST(OnCheck, RevokesOnlyOnAnErrorCheckAtOrAfterTheDeadline) {
    const IdentityStatus s = warned();
    const TimePoint deadline = *s.deadline;
    EXPECT_EQ(on_check(s, Severity::error, deadline - 1ms, {}).status.state,
              IdentityState::revocation_warning);
    EXPECT_EQ(on_check(s, Severity::indeterminate, deadline + 24h, {}).status.state,
              IdentityState::revocation_warning);
    const Transition tick = on_tick(s, deadline + 240h, {});
    EXPECT_EQ(tick.status.state, IdentityState::revocation_warning);
    EXPECT_TRUE(tick.events.empty());

    const Transition t = on_check(s, Severity::error, deadline, {});
    EXPECT_EQ(t.status.state, IdentityState::revoked);
    EXPECT_EQ(t.status.since, deadline);
    EXPECT_EQ(t.status.deadline, std::nullopt);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::revoked);
    EXPECT_EQ(t.events[0].deadline, deadline);
    EXPECT_EQ(t.events[0].reason,
              "DKIM records still failing at or after the revocation deadline "
              "2024-01-06T01:00:00Z: SES has revoked DKIM; the DKIM setup must be redone in SES "
              "(new records, new configuration) before SES signs again");
}

TEST(OnCheck, RevokedReportsRecordsBackOncePerReturn) {
    IdentityStatus s = on_check(warned(), Severity::error, k_t0 + 200h, {}).status;
    ASSERT_EQ(s.state, IdentityState::revoked);
    Transition t = on_check(s, Severity::ok, k_t0 + 201h, {});
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::still_revoked_records_back);
    EXPECT_EQ(t.events[0].reason,
              "the DKIM records are correct again, but SES revoked DKIM at 2024-01-09T08:00:00Z; "
              "it stays revoked until the DKIM setup is redone in SES and the configuration "
              "updated");
    t = on_check(t.status, Severity::ok, k_t0 + 202h, {});
    EXPECT_TRUE(t.events.empty());
    t = on_check(t.status, Severity::indeterminate, k_t0 + 203h, {});
    t = on_check(t.status, Severity::ok, k_t0 + 204h, {});
    EXPECT_TRUE(t.events.empty()) << "indeterminate is not a break";
    t = on_check(t.status, Severity::error, k_t0 + 205h, {});
    t = on_check(t.status, Severity::ok, k_t0 + 206h, {});
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.status.state, IdentityState::revoked);
}

TEST(OnTick, PendingOverdueOnceWithReason) {
    const IdentityStatus s = initial_status("fp", k_t0);
    EXPECT_TRUE(on_tick(s, k_t0 + 72h - 1ms, {}).events.empty());
    const Transition t = on_tick(s, k_t0 + 72h, {});
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::pending_overdue);
    EXPECT_EQ(t.events[0].from, IdentityState::pending);
    EXPECT_EQ(t.events[0].to, IdentityState::pending);
    EXPECT_EQ(t.events[0].deadline, std::nullopt);
    EXPECT_EQ(t.events[0].reason,
              "still pending 3d after 2024-01-01T00:00:00Z: SES gives up verifying after 3d and "
              "has probably marked DKIM verification FAILED; publish the records, then restart "
              "DKIM verification in SES");
    EXPECT_TRUE(on_tick(t.status, k_t0 + 100h, {}).events.empty());
}

TEST(OnTick, MonitoringBlindAfterStrictlyLongerThanBlindAfter) {
    IdentityStatus s = verified_at(k_t0);
    s = on_check(s, Severity::indeterminate, k_t0 + 1h, {}).status;
    EXPECT_EQ(s.indeterminate_since, k_t0 + 1h);
    EXPECT_TRUE(on_tick(s, k_t0 + 2h, {}).events.empty());
    const Transition t = on_tick(s, k_t0 + 2h + 30s, {});
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::monitoring_blind);
    EXPECT_EQ(t.events[0].reason,
              "no conclusive DNS answer for 1h30s (since 2024-01-01T01:00:00Z): dkimwatch cannot "
              "tell whether the records are in place; the state stays verified");
    EXPECT_TRUE(t.status.blind_raised);
    EXPECT_EQ(t.status.state, IdentityState::verified);
}

TEST(OnTick, RemindersFireOncePerThresholdWithTimeLeft) {
    StateMachinePolicy policy;
    policy.reminders = {1h, 24h, 24h}; // order and duplicates do not matter
    const IdentityStatus s = warned(policy);
    const TimePoint deadline = *s.deadline;
    EXPECT_TRUE(on_tick(s, deadline - 24h - 1ms, policy).events.empty());
    Transition t = on_tick(s, deadline - 23h - 30min, policy);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::reminder);
    EXPECT_EQ(t.events[0].reminder_threshold, 24h);
    EXPECT_EQ(t.events[0].deadline, deadline);
    EXPECT_EQ(t.events[0].reason, "DKIM revocation expected in 23h30m (at 2024-01-06T01:00:00Z) "
                                  "unless the records are restored; reminder 1d before the "
                                  "deadline");
    EXPECT_EQ(t.status.reminder_covered, 24h);
    EXPECT_TRUE(on_tick(t.status, deadline - 2h, policy).events.empty());
    t = on_tick(t.status, deadline - 1h, policy);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].reminder_threshold, 1h);
    EXPECT_TRUE(on_tick(t.status, deadline - 1min, policy).events.empty());
}

TEST(OnTick, SkippedThresholdsCollapseIntoOneReminder) {
    const IdentityStatus s = warned();
    const Transition t = on_tick(s, *s.deadline - 5h, {});
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].reminder_threshold, 6h);
}

TEST(OnTick, NoRemindersAtOrAfterTheDeadline) {
    const IdentityStatus s = warned();
    EXPECT_TRUE(on_tick(s, *s.deadline, {}).events.empty());
}

TEST(OnCheck, LateConfirmationStatesThatTheDeadlineHasPassed) {
    IdentityStatus s = verified_at(k_t0);
    s = on_check(s, Severity::error, k_t0 + 1h, {}).status;
    s = on_check(s, Severity::indeterminate, k_t0 + 2h, {}).status;
    const Transition t = on_check(s, Severity::error, k_t0 + 200h, {});
    EXPECT_EQ(t.status.state, IdentityState::revocation_warning) << "one state per call";
    EXPECT_EQ(t.status.deadline, k_t0 + 121h);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].reason,
              "DKIM records failing since 2024-01-01T01:00:00Z (2 checks): SES may already have "
              "stopped DKIM-signing mail, and the revocation deadline 2024-01-06T01:00:00Z has "
              "passed: DKIM may already be revoked");
}

TEST(OnConfig, SameFingerprintChangesNothing) {
    const IdentityStatus s = warned();
    const Transition t = on_config(s, "fp", k_t0 + 50h);
    EXPECT_EQ(t.status, s);
    EXPECT_TRUE(t.events.empty());
}

TEST(OnConfig, NewFingerprintRestartsAtPendingKeepingLifetimeCounters) {
    const IdentityStatus s = warned();
    const Transition t = on_config(s, "fp2", k_t0 + 50h);
    IdentityStatus expected = initial_status("fp2", k_t0 + 50h);
    expected.checks_total = 3;
    expected.failures_total = 2;
    EXPECT_EQ(t.status, expected);
    ASSERT_EQ(t.events.size(), 1u);
    EXPECT_EQ(t.events[0].kind, StateEventKind::config_changed);
    EXPECT_EQ(t.events[0].from, IdentityState::revocation_warning);
    EXPECT_EQ(t.events[0].to, IdentityState::pending);
    EXPECT_EQ(t.events[0].reason,
              "the configured DKIM setup changed (was revocation_warning): restarting at pending");
}

Identity easy(std::array<std::string, 3> tokens, std::string zone = "dkim.amazonses.com") {
    Identity identity;
    identity.domain = "example.com";
    identity.account = "123456789012";
    identity.region = "us-east-1";
    identity.method = EasyDkim{std::move(tokens), std::move(zone), false};
    return identity;
}

Identity byo(std::string selector, std::vector<unsigned char> der) {
    Identity identity;
    identity.domain = "example.com";
    identity.method = Byodkim{std::move(selector), std::move(der), 2048, "public_key"};
    return identity;
}

TEST(IdentityFingerprint, EasyDkimSortsTokens) {
    EXPECT_EQ(identity_fingerprint(easy({"ccc", "aaa", "bbb"})),
              "easy_dkim tokens=aaa,bbb,ccc zone=dkim.amazonses.com");
    EXPECT_EQ(identity_fingerprint(easy({"bbb", "ccc", "aaa"})),
              identity_fingerprint(easy({"aaa", "bbb", "ccc"})));
    EXPECT_NE(identity_fingerprint(easy({"aaa", "bbb", "ccc"}, "dkim.eu-south-1.amazonses.com")),
              identity_fingerprint(easy({"aaa", "bbb", "ccc"})));
}

TEST(IdentityFingerprint, IgnoresTheIdentityKey) {
    Identity other = easy({"aaa", "bbb", "ccc"});
    other.domain = "example.org";
    other.region = "eu-west-1";
    EXPECT_EQ(identity_fingerprint(other), identity_fingerprint(easy({"aaa", "bbb", "ccc"})));
}

TEST(IdentityFingerprint, ByodkimHashesTheKeyDer) {
    // SHA-256("abc"), FIPS 180-2 test vector.
    EXPECT_EQ(identity_fingerprint(byo("Sel1", {'a', 'b', 'c'})),
              "byodkim selector=sel1 key_sha256="
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_NE(identity_fingerprint(byo("sel1", {'a', 'b', 'd'})),
              identity_fingerprint(byo("sel1", {'a', 'b', 'c'})));
}

std::string config_reason(const std::string& before, const std::string& after) {
    const Transition t = on_config(initial_status(before, k_t0), after, k_t0 + 1h);
    return t.events.empty() ? "(none)" : t.events[0].reason;
}

TEST(OnConfig, ReasonNamesWhatChanged) {
    const std::string easy_a = identity_fingerprint(easy({"aaa", "bbb", "ccc"}));
    const std::string easy_b = identity_fingerprint(easy({"aaa", "bbb", "ddd"}));
    const std::string easy_zone =
        identity_fingerprint(easy({"aaa", "bbb", "ddd"}, "dkim.eu-south-1.amazonses.com"));
    const std::string byo_a = identity_fingerprint(byo("s1", {1, 2, 3}));
    const std::string byo_b = identity_fingerprint(byo("s2", {1, 2, 3}));
    const std::string byo_c = identity_fingerprint(byo("s3", {1, 2, 4}));
    EXPECT_EQ(config_reason(easy_a, easy_b),
              "the configured tokens changed (was pending): restarting at pending");
    EXPECT_EQ(config_reason(easy_a, easy_zone),
              "the configured tokens and signing hosted zone changed (was pending): restarting "
              "at pending");
    EXPECT_EQ(config_reason(byo_a, byo_b),
              "the configured selector changed (was pending): restarting at pending");
    EXPECT_EQ(config_reason(byo_b, byo_c),
              "the configured public key and selector changed (was pending): restarting at "
              "pending");
    EXPECT_EQ(config_reason(easy_a, byo_a),
              "the DKIM method changed from easy_dkim to byodkim (was pending): restarting at "
              "pending");
    EXPECT_EQ(config_reason("", easy_a),
              "the configured DKIM setup changed (was pending): restarting at pending");
    EXPECT_EQ(config_reason(easy_a, easy_a), "(none)");
}

TEST(IdentityStatusValue, SurvivesAPlainRoundTripWithEveryFieldSet) {
    IdentityStatus s;
    s.fingerprint = "byodkim selector=s key_sha256=00";
    s.state = IdentityState::revocation_warning;
    s.since = k_t0 + 1ms;
    s.entered_pending_at = k_t0 - 2ms;
    s.deadline = k_t0 + 3ms;
    s.consecutive_failures = 4;
    s.first_failure_at = k_t0 + 5ms;
    s.consecutive_successes = 6;
    s.indeterminate_since = k_t0 + 7ms;
    s.pending_overdue_raised = true;
    s.blind_raised = true;
    s.records_back_raised = true;
    s.reminder_covered = 8ms;
    s.checks_total = 9;
    s.failures_total = 10;
    s.indeterminate_total = 11;
    s.last_check_at = k_t0 + 12ms;
    s.last_worst = Severity::indeterminate;
    EXPECT_EQ(from_record(to_record(s)), s);
    IdentityStatus other = s;
    other.records_back_raised = false;
    EXPECT_NE(other, s);
}

} // namespace
} // namespace dkimwatch
