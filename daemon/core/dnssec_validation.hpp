#pragma once
// The seam between the pure core and DNSSEC validation. The record probe (core/record_probe.hpp)
// drives a DnssecValidator as a step function: it hands over the record's answer (fetched with
// DO=1 and CD=1), performs the lookups the validator names (DNSKEY and DS along the chain,
// cacheable), and calls it again with their results until it returns a DnssecResult. The real
// validator (dns/dnssec_validator.hpp) does the cryptography with ldns; it never touches the
// network, so the event loop never blocks on it. Tests may implement it with canned results.

#include "core/dns_lookup.hpp"
#include "core/record_evidence.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace dkimwatch {

struct DnssecResult {
    DnssecStatus status = DnssecStatus::indeterminate;
    // Why bogus or indeterminate, readable and specific: "the RRSIG of example.com/DNSKEY
    // expired on 2026-11-30 12:00:00 UTC", "no DNSKEY of example.com matches the DS at com",
    // "no RRSIG over example.com/TXT", "bad signature over ...", "bogus denial of existence
    // for ...". Empty for secure and insecure.
    std::string reason;
    // The earliest RRSIG expiration among the signatures that validated the chain; nullopt
    // when nothing on it is signed (insecure).
    std::optional<std::chrono::system_clock::time_point> earliest_expiry;
    std::string earliest_expiry_zone; // the signer zone of that signature
};

using DnssecStep = std::variant<NeedLookups, DnssecResult>;

class DnssecValidator {
public:
    virtual ~DnssecValidator() = default;

    // `answer`: the lookups of the record itself (made with dnssec = true; their `wires` hold
    // the responses, the CNAME chain included). `chain`: the results of every request this
    // function returned before, any order. `now`: the time signatures are checked against.
    // Returns the lookups still needed (each with dnssec = true and cacheable = true, never one
    // already in `chain`, so that the loop terminates) or the result. Deterministic; no I/O.
    virtual DnssecStep validate(std::span<const LookupResult> answer,
                                std::span<const LookupResult> chain,
                                std::chrono::system_clock::time_point now) const = 0;
};

} // namespace dkimwatch
