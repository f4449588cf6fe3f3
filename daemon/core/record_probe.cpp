#include "core/record_probe.hpp"

#include "core/authoritative_check.hpp"
#include "core/duration.hpp"

#include <algorithm>
#include <span>
#include <type_traits>

namespace dkimwatch {
namespace {

bool has_request(std::span<const LookupResult> lookups, const LookupRequest& request) {
    return std::any_of(lookups.begin(), lookups.end(), [&request](const LookupResult& lookup) {
        return lookup.request == request;
    });
}

// Drops the requests already answered in `done` and repeats within `need`, so that a step
// function that breaks its contract cannot make the probe loop or ask twice.
void drop_repeats(NeedLookups& need, std::span<const LookupResult> done) {
    std::vector<LookupRequest> fresh;
    fresh.reserve(need.requests.size());
    for (auto& request : need.requests) {
        if (!has_request(done, request) &&
            std::find(fresh.begin(), fresh.end(), request) == fresh.end()) {
            fresh.push_back(std::move(request));
        }
    }
    need.requests = std::move(fresh);
}

constexpr std::string_view k_bogus_consequence =
    "validating resolvers (most public ones, and likely SES's) answer SERVFAIL for it, so SES "
    "may find nothing and treat the record as missing";

constexpr std::string_view k_bogus_fix =
    "Fix the chain of trust: re-sign the zone if its signatures expired or are bad (check "
    "that the signer still runs), or fix or remove the DS at the registrar if it matches no "
    "DNSKEY of the zone (a DS left behind after a move to another DNS provider).";

static_assert(std::is_same_v<ProbeStep, EvaluationStep>);

} // namespace

RecordProbe::RecordProbe(RecordExpectation expectation, const ProbeSettings& settings)
    : m_expectation(std::move(expectation)), m_settings(&settings),
      m_now(settings.now == std::chrono::system_clock::time_point{}
                ? std::chrono::system_clock::now()
                : settings.now) {}

const RecordExpectation& RecordProbe::expectation() const {
    return m_expectation;
}

ProbeStep RecordProbe::step(std::vector<LookupResult> results) {
    switch (m_phase) {
    case Phase::resolver:
        if (m_settings->dnssec == nullptr) {
            if (m_resolver_lookups.empty()) {
                m_resolver_lookups = std::move(results); // adopts the buffer
            } else {
                std::move(results.begin(), results.end(), std::back_inserter(m_resolver_lookups));
            }
            if (!m_settings->authoritative) {
                // The plain path (both phases off), which every record of a large sweep takes:
                // the evaluator's step as it is (ProbeStep is EvaluationStep), built in place.
                return evaluate_record(m_expectation, m_resolver_lookups);
            }
            break;
        }
        for (auto& result : results) {
            if (!result.request.dnssec) {
                m_resolver_lookups.push_back(std::move(result));
                continue;
            }
            // A record-name lookup made with DO=1: the validator gets it as made; the evaluator
            // a copy that matches the request it asked for (and without the wires).
            auto wires = std::move(result.wires);
            LookupResult view = result;
            view.request.dnssec = false;
            result.wires = std::move(wires);
            m_answer.push_back(std::move(result));
            m_resolver_lookups.push_back(std::move(view));
        }
        break;
    case Phase::dnssec:
        std::move(results.begin(), results.end(), std::back_inserter(m_dnssec_lookups));
        break;
    case Phase::authoritative:
        std::move(results.begin(), results.end(), std::back_inserter(m_authoritative_lookups));
        break;
    case Phase::finished:
        break;
    }
    return advance();
}

ProbeStep RecordProbe::advance() {
    for (;;) {
        switch (m_phase) {
        case Phase::resolver: {
            // The evaluator never repeats a request (its contract, tested): no filtering here.
            EvaluationStep step = evaluate_record(m_expectation, m_resolver_lookups);
            if (auto* need = std::get_if<NeedLookups>(&step)) {
                if (m_settings->dnssec != nullptr) {
                    for (auto& request : need->requests) {
                        request.dnssec = request.name == m_expectation.name;
                    }
                }
                return step;
            }
            if (m_settings->dnssec == nullptr && !m_settings->authoritative) {
                m_phase = Phase::finished;
                return step;
            }
            m_verdict = std::move(std::get<RecordVerdict>(step));
            next_phase_after(Phase::resolver);
            break;
        }
        case Phase::dnssec: {
            auto step = m_settings->dnssec->validate(m_answer, m_dnssec_lookups, m_now);
            if (auto* need = std::get_if<NeedLookups>(&step)) {
                drop_repeats(*need, m_dnssec_lookups);
                if (!need->requests.empty()) {
                    return std::move(*need);
                }
                m_dnssec = DnssecResult{};
                m_dnssec.reason = "the validator asked again for lookups it already had";
            } else {
                m_dnssec = std::move(std::get<DnssecResult>(step));
            }
            next_phase_after(Phase::dnssec);
            break;
        }
        case Phase::authoritative: {
            auto step =
                check_authoritative(m_expectation, m_verdict, resolver_ttl(),
                                    m_settings->authoritative_port, m_authoritative_lookups);
            if (auto* need = std::get_if<NeedLookups>(&step)) {
                drop_repeats(*need, m_authoritative_lookups);
                if (!need->requests.empty()) {
                    return std::move(*need);
                }
                m_verdict.authoritative_indeterminate = true; // the resolver's verdict stands
            } else {
                m_verdict = std::move(std::get<RecordVerdict>(step));
            }
            next_phase_after(Phase::authoritative);
            break;
        }
        case Phase::finished:
            // The verdict is handed over once; step() must not be called after it.
            return std::move(m_verdict);
        }
    }
}

void RecordProbe::next_phase_after(Phase phase) {
    if (phase == Phase::resolver && m_settings->dnssec != nullptr) {
        m_phase = Phase::dnssec;
        return;
    }
    if ((phase == Phase::resolver || phase == Phase::dnssec) && m_settings->authoritative) {
        m_phase = Phase::authoritative;
        return;
    }
    m_phase = Phase::finished;
    if (m_settings->dnssec != nullptr) {
        fold_dnssec();
    }
}

std::uint32_t RecordProbe::resolver_ttl() const {
    const RecordType primary = m_expectation.kind == RecordExpectation::Kind::easy_dkim_cname
                                   ? RecordType::cname
                                   : RecordType::txt;
    for (const auto& lookup : m_resolver_lookups) {
        if (lookup.request.type == primary && lookup.request.name == m_expectation.name) {
            return lookup.ttl;
        }
    }
    return 0;
}

// Folds the validator's outcome into the verdict, last of all (see the header):
//   - bogus: an error already found stays, with the DNSSEC reason appended; anything else
//     (ok, a warning, or an indeterminate dns_error, which the bogus chain explains) becomes
//     dnssec_bogus, keeping a replaced warning's message;
//   - secure, with a signature expiring within dnssec_expiry_warning: ok becomes
//     dnssec_expiring; any other verdict stays (the expiry is in dnssec_expiry);
//   - insecure and indeterminate change no code (the reason is kept in dnssec_reason).
void RecordProbe::fold_dnssec() {
    RecordVerdict& verdict = m_verdict;
    verdict.dnssec = m_dnssec.status;
    verdict.dnssec_reason = m_dnssec.reason;
    verdict.dnssec_expiry = m_dnssec.earliest_expiry;
    verdict.dnssec_expiry_zone = m_dnssec.earliest_expiry_zone;

    if (m_dnssec.status == DnssecStatus::bogus) {
        const std::string reason = m_dnssec.reason.empty() ? "no reason given" : m_dnssec.reason;
        if (verdict.severity == Severity::error) {
            verdict.message += " DNSSEC validation of " + verdict.name + " also fails (" + reason +
                               "): " + std::string(k_bogus_consequence) + ".";
            return;
        }
        std::string message = "DNSSEC validation of " + verdict.name + " fails: " + reason +
                              ". Whatever the record holds, " + std::string(k_bogus_consequence) +
                              ". " + std::string(k_bogus_fix);
        if (verdict.severity == Severity::warning) {
            message += " (Also: " + verdict.message + ")";
        }
        verdict.code = VerdictCode::dnssec_bogus;
        verdict.severity = severity_of(VerdictCode::dnssec_bogus);
        verdict.message = std::move(message);
        return;
    }
    if (m_dnssec.status == DnssecStatus::secure && m_dnssec.earliest_expiry &&
        *m_dnssec.earliest_expiry < m_now + m_settings->dnssec_expiry_warning &&
        verdict.code == VerdictCode::ok) {
        const auto left = std::chrono::duration_cast<Milliseconds>(
            std::max(*m_dnssec.earliest_expiry - m_now, std::chrono::system_clock::duration{}));
        const std::string zone =
            m_dnssec.earliest_expiry_zone.empty() ? "a zone" : m_dnssec.earliest_expiry_zone;
        verdict.code = VerdictCode::dnssec_expiring;
        verdict.severity = severity_of(VerdictCode::dnssec_expiring);
        verdict.message = "The record is correct and DNSSEC validates, but a signature of " + zone +
                          " on its chain expires on " +
                          format_readable_utc(*m_dnssec.earliest_expiry) + " (in " +
                          format_duration(left) +
                          "): the signer may have stopped re-signing. If the zone is not "
                          "re-signed in time, validating resolvers will answer SERVFAIL and SES "
                          "may find nothing. Check the signer of " +
                          zone + ".";
    }
}

} // namespace dkimwatch
