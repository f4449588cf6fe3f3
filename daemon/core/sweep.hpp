#pragma once
// One sweep: every record of every identity evaluated, with all the lookups the evaluator
// asks for issued through a LookupService, many at once. No I/O of its own.

#include "core/identity.hpp"
#include "core/lookup_service.hpp"
#include "core/record_probe.hpp"
#include "core/verdict.hpp"

#include <cstddef>
#include <vector>

namespace dkimwatch {

struct IdentityReport {
    const Identity* identity = nullptr; // points into the vector given to run_sweep
    std::vector<RecordVerdict> records; // in expectations_for() order
    Severity worst = Severity::ok;      // most severe record (severity_rank)
    // False when the lookup service stopped before every record had a verdict (the daemon's
    // prompt exit); such a report must not be acted on.
    bool complete = false;
};

struct SweepOptions {
    // Records being evaluated at once. Bounds memory on large inventories; the resolver's own
    // max_inflight bounds the network. Must be >= 1.
    std::size_t max_active_records = 4096;
    // What each record's probe does beyond the resolvers (authoritative check, DNSSEC).
    // Defaults: both off.
    ProbeSettings probe;
};

// Evaluates every identity; returns one report per identity in input order. `identities` must
// outlive the returned reports.
std::vector<IdentityReport> run_sweep(const std::vector<Identity>& identities,
                                      LookupService& lookups, const SweepOptions& options = {});

// "ok", "warning", "error" or "unknown" (indeterminate) for an identity's worst severity.
const char* identity_status_name(Severity worst);

} // namespace dkimwatch
