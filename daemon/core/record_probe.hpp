#pragma once
// Everything dkimwatch asks about one record, composed as one step function for the sweep:
// the evaluator through the resolvers (core/evaluator.hpp), then DNSSEC validation of its
// answer (core/dnssec_validation.hpp) when a validator is given, then the authoritative check
// (core/authoritative_check.hpp) when enabled; finally the DNSSEC outcome is folded into the
// verdict (dnssec_bogus replaces ok and warnings, dnssec_expiring replaces ok; an error already
// found stays, with the DNSSEC reason added to its message).

#include "core/dnssec_validation.hpp"
#include "core/evaluator.hpp"

#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

namespace dkimwatch {

struct ProbeSettings {
    bool authoritative = false;              // dns.authoritative
    std::uint16_t authoritative_port = 53;   // dns.authoritative_port
    const DnssecValidator* dnssec = nullptr; // null: dns.dnssec off (must outlive the sweep)
    std::chrono::seconds dnssec_expiry_warning{std::chrono::hours{72}};
    // The time signatures are checked against; the sweep's start when left at the epoch.
    std::chrono::system_clock::time_point now{};
};

using ProbeStep = std::variant<NeedLookups, RecordVerdict>;

class RecordProbe {
public:
    RecordProbe(RecordExpectation expectation, const ProbeSettings& settings);

    // Call first with nothing, then each time with the results of every request of the
    // previous NeedLookups (any order). Returns the next lookups or the final verdict.
    ProbeStep step(std::vector<LookupResult> results);

    const RecordExpectation& expectation() const;

private:
    // The phases run in this order. DNSSEC is validated before the authoritative check but
    // folded into the verdict only at the end (fold_dnssec), after check_authoritative may have
    // replaced the resolver's code, so that a dnssec_bogus is never lost to it.
    enum class Phase { resolver, dnssec, authoritative, finished };

    ProbeStep advance();
    // Moves to the phase after `phase`, skipping the ones that are off.
    void next_phase_after(Phase phase);
    // The ttl of the resolver's answer at the record name (CNAME for Easy DKIM, TXT for
    // BYODKIM); 0 when unknown.
    std::uint32_t resolver_ttl() const;
    void fold_dnssec();

    RecordExpectation m_expectation;
    // The caller's settings, not a copy: they must outlive the probe (the sweep keeps one
    // ProbeSettings for all its probes). The verdict is handed over once (moved out); step()
    // is not to be called after it.
    const ProbeSettings* m_settings;
    std::chrono::system_clock::time_point m_now; // settings.now, or the construction time
    Phase m_phase = Phase::resolver;
    // What the evaluator sees: the resolver lookups, with request.dnssec cleared (and the wires
    // dropped) on the record-name lookups that were made with DO=1 for the validator.
    std::vector<LookupResult> m_resolver_lookups;
    // The record-name lookups as made (dnssec = true, wires kept): the validator's `answer`.
    std::vector<LookupResult> m_answer;
    std::vector<LookupResult> m_dnssec_lookups;
    std::vector<LookupResult> m_authoritative_lookups;
    RecordVerdict m_verdict;
    DnssecResult m_dnssec;
};

} // namespace dkimwatch
