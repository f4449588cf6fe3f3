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
    enum class Phase { resolver, dnssec, authoritative };
    RecordExpectation m_expectation;
    const ProbeSettings* m_settings;
    Phase m_phase = Phase::resolver;
    std::vector<LookupResult> m_resolver_lookups;
    std::vector<LookupResult> m_dnssec_lookups;
    std::vector<LookupResult> m_authoritative_lookups;
    RecordVerdict m_verdict;
    DnssecResult m_dnssec;
};

} // namespace dkimwatch
