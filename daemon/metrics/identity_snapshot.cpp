#include "metrics/identity_snapshot.hpp"

#include "metrics/exposition_text.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <utility>

namespace dkimwatch {

namespace {

constexpr std::array k_states{IdentityState::pending, IdentityState::verified,
                              IdentityState::revocation_warning, IdentityState::revoked};

// Rough bytes per series beyond its label values, for reserving the output up front.
constexpr std::size_t k_series_overhead = 100;

double to_seconds(TimePoint at) {
    return std::chrono::duration<double>(at.time_since_epoch()).count();
}

// Appends `name{account="..",region="..",domain=".."` (no closing brace).
void append_identity_labels(std::string& out, std::string_view name, const IdentityKey& key) {
    out.append(name).append("{account=\"");
    append_label_value(out, key.account);
    out.append("\",region=\"");
    append_label_value(out, key.region);
    out.append("\",domain=\"");
    append_label_value(out, key.domain);
    out.push_back('"');
}

void append_sample_end(std::string& out, double value) {
    out.append("} ");
    append_sample_value(out, value);
    out.push_back('\n');
}

} // namespace

void IdentitySnapshot::update(const IdentityKey& key, IdentityState state,
                              std::optional<TimePoint> deadline,
                              std::optional<TimePoint> last_check,
                              const std::vector<RecordVerdict>& records) {
    Entry entry;
    entry.state = state;
    if (state == IdentityState::revocation_warning) {
        entry.deadline = deadline;
    }
    entry.last_check = last_check;
    for (const auto& record : records) {
        if (record.code != VerdictCode::ok) {
            entry.problems.push_back({record.name, record.code});
        }
    }
    std::sort(entry.problems.begin(), entry.problems.end());
    entry.problems.erase(std::unique(entry.problems.begin(), entry.problems.end()),
                         entry.problems.end());
    entry.problems.shrink_to_fit();

    const std::lock_guard lock{m_mutex};
    m_identities.insert_or_assign(key, std::move(entry));
}

void IdentitySnapshot::remove(const IdentityKey& key) {
    const std::lock_guard lock{m_mutex};
    m_identities.erase(key);
}

std::size_t IdentitySnapshot::size() const {
    const std::lock_guard lock{m_mutex};
    return m_identities.size();
}

void IdentitySnapshot::append_exposition(std::string& out) const {
    const std::lock_guard lock{m_mutex};

    std::array<std::size_t, k_states.size()> per_state{};
    std::size_t last_checks = 0;
    std::size_t deadlines = 0;
    std::size_t problems = 0;
    std::size_t label_bytes = 0;
    for (const auto& [key, entry] : m_identities) {
        const auto state = std::find(k_states.begin(), k_states.end(), entry.state);
        if (state != k_states.end()) {
            ++per_state[static_cast<std::size_t>(state - k_states.begin())];
        }
        last_checks += entry.last_check ? 1 : 0;
        deadlines += entry.deadline ? 1 : 0;
        problems += entry.problems.size();
        const std::size_t key_bytes = key.account.size() + key.region.size() + key.domain.size();
        label_bytes += key_bytes * (2 + (entry.last_check ? 1 : 0) + (entry.deadline ? 1 : 0));
        for (const auto& problem : entry.problems) {
            label_bytes += key_bytes + problem.record.size();
        }
    }
    const std::size_t series = m_identities.size() + last_checks + deadlines + problems;
    out.reserve(out.size() + label_bytes + (series + 8) * k_series_overhead);

    append_family_header(out, "dkimwatch_identities", "Configured identities per state.", "gauge");
    for (std::size_t i = 0; i < k_states.size(); ++i) {
        out.append("dkimwatch_identities{state=\"")
            .append(identity_state_name(k_states[i]))
            .append("\"} ");
        append_sample_value(out, static_cast<double>(per_state[i]));
        out.push_back('\n');
    }

    if (!m_identities.empty()) {
        constexpr std::string_view name = "dkimwatch_identity_state";
        append_family_header(
            out, name,
            "1 for the identity's current state (pending, verified, revocation_warning, revoked).",
            "gauge");
        for (const auto& [key, entry] : m_identities) {
            append_identity_labels(out, name, key);
            out.append(",state=\"").append(identity_state_name(entry.state)).push_back('"');
            append_sample_end(out, 1);
        }
    }

    if (last_checks > 0) {
        constexpr std::string_view name = "dkimwatch_identity_last_check_timestamp_seconds";
        append_family_header(
            out, name, "Unix time of the identity's latest check of its current configuration.",
            "gauge");
        for (const auto& [key, entry] : m_identities) {
            if (entry.last_check) {
                append_identity_labels(out, name, key);
                append_sample_end(out, to_seconds(*entry.last_check));
            }
        }
    }

    if (deadlines > 0) {
        constexpr std::string_view name = "dkimwatch_revocation_deadline_timestamp_seconds";
        append_family_header(out, name,
                             "Unix time after which SES is expected to revoke DKIM signing, "
                             "while the identity is in revocation_warning.",
                             "gauge");
        for (const auto& [key, entry] : m_identities) {
            if (entry.deadline) {
                append_identity_labels(out, name, key);
                append_sample_end(out, to_seconds(*entry.deadline));
            }
        }
    }

    if (problems > 0) {
        constexpr std::string_view name = "dkimwatch_record_problem";
        append_family_header(
            out, name, "1 for each DKIM record whose latest verdict is not ok, labelled with it.",
            "gauge");
        for (const auto& [key, entry] : m_identities) {
            for (const auto& problem : entry.problems) {
                append_identity_labels(out, name, key);
                out.append(",record=\"");
                append_label_value(out, problem.record);
                out.append("\",verdict=\"").append(verdict_code_name(problem.code)).push_back('"');
                append_sample_end(out, 1);
            }
        }
    }
}

} // namespace dkimwatch
