#include "core/sweep.hpp"

#include "core/evaluator.hpp"

#include <cstdint>
#include <optional>

namespace dkimwatch {
namespace {

// One record under evaluation: its probe (which keeps the lookups done so far), the results of
// the lookups in flight, and where its verdict goes. Tasks live in a slot vector and are
// reused, so that a lookup's callback carries only a slot number (it then fits
// std::function's inline storage: no allocation per lookup).
struct RecordTask {
    std::optional<RecordProbe> probe;
    std::vector<LookupResult> batch; // results of the probe's current NeedLookups
    std::size_t pending = 0;
    std::size_t report_index = 0;
    std::size_t record_index = 0;
};

class SweepRun {
public:
    SweepRun(const std::vector<Identity>& identities, LookupService& service,
             const SweepOptions& options)
        : m_identities(identities), m_service(service),
          m_max_active(options.max_active_records == 0 ? 1 : options.max_active_records),
          m_probe_settings(options.probe) {
        // One time for every record's signature checks: the sweep's start unless given.
        if (m_probe_settings.now == std::chrono::system_clock::time_point{}) {
            m_probe_settings.now = std::chrono::system_clock::now();
        }
        m_reports.resize(identities.size());
        m_done.resize(identities.size(), 0);
    }

    std::vector<IdentityReport> run() {
        fill();
        m_service.run();
        for (std::size_t i = 0; i < m_reports.size(); ++i) {
            m_reports[i].complete =
                m_reports[i].identity != nullptr && m_done[i] == m_reports[i].records.size();
        }
        return std::move(m_reports);
    }

private:
    // Starts records until m_max_active are under way or none is left.
    void fill() {
        if (m_filling) {
            return; // a record finished synchronously inside fill(); the loop below continues
        }
        m_filling = true;
        while (m_active < m_max_active && m_next_identity < m_identities.size()) {
            if (m_next_record == 0) {
                const Identity& identity = m_identities[m_next_identity];
                m_current_expectations = expectations_for(identity);
                m_reports[m_next_identity].identity = &identity;
                m_reports[m_next_identity].records.resize(m_current_expectations.size());
            }
            if (m_next_record < m_current_expectations.size()) {
                const std::uint32_t slot = take_slot();
                RecordTask& task = m_tasks[slot];
                task.probe.emplace(std::move(m_current_expectations[m_next_record]),
                                   m_probe_settings);
                task.batch.clear();
                task.pending = 0;
                task.report_index = m_next_identity;
                task.record_index = m_next_record;
                ++m_active;
                ++m_next_record;
                advance(slot);
            }
            if (m_next_record >= m_current_expectations.size()) {
                m_next_record = 0;
                ++m_next_identity;
            }
        }
        m_filling = false;
    }

    std::uint32_t take_slot() {
        if (!m_free_slots.empty()) {
            const std::uint32_t slot = m_free_slots.back();
            m_free_slots.pop_back();
            return slot;
        }
        m_tasks.emplace_back();
        return static_cast<std::uint32_t>(m_tasks.size() - 1);
    }

    // Steps the probe of the task in `slot` with the results gathered so far; either submits
    // the lookups it needs next or finishes the task. m_tasks may grow inside (fill() from
    // finish()), so no reference is held across calls.
    void advance(std::uint32_t slot) {
        auto step = m_tasks[slot].probe->step(std::move(m_tasks[slot].batch));
        if (auto* verdict = std::get_if<RecordVerdict>(&step)) {
            finish(slot, std::move(*verdict));
            return;
        }
        auto& need = std::get<NeedLookups>(step);
        RecordTask& current = m_tasks[slot];
        current.batch.clear(); // moved from: make it empty again
        current.batch.reserve(need.requests.size());
        current.pending = need.requests.size();
        for (auto& request : need.requests) {
            m_service.submit(std::move(request), [this, slot](LookupResult result) {
                RecordTask& task = m_tasks[slot];
                task.batch.push_back(std::move(result));
                if (--task.pending == 0) {
                    advance(slot);
                }
            });
        }
    }

    void finish(std::uint32_t slot, RecordVerdict verdict) {
        const RecordTask& task = m_tasks[slot];
        IdentityReport& report = m_reports[task.report_index];
        if (severity_rank(verdict.severity) > severity_rank(report.worst)) {
            report.worst = verdict.severity;
        }
        report.records[task.record_index] = std::move(verdict);
        ++m_done[task.report_index];
        --m_active;
        m_free_slots.push_back(slot);
        fill();
    }

    const std::vector<Identity>& m_identities;
    LookupService& m_service;
    const std::size_t m_max_active;
    ProbeSettings m_probe_settings; // every RecordProbe points here
    std::vector<IdentityReport> m_reports;
    std::vector<std::size_t> m_done; // records with a verdict, per report
    std::vector<RecordExpectation> m_current_expectations;
    std::vector<RecordTask> m_tasks; // slots; at most m_max_active in use at once
    std::vector<std::uint32_t> m_free_slots;
    std::size_t m_next_identity = 0;
    std::size_t m_next_record = 0;
    std::size_t m_active = 0;
    bool m_filling = false;
};

} // namespace

std::vector<IdentityReport> run_sweep(const std::vector<Identity>& identities,
                                      LookupService& lookups, const SweepOptions& options) {
    SweepRun run(identities, lookups, options);
    return run.run();
}

const char* identity_status_name(Severity worst) {
    switch (worst) {
    case Severity::ok:
        return "ok";
    case Severity::warning:
        return "warning";
    case Severity::error:
        return "error";
    case Severity::indeterminate:
        return "unknown";
    }
    return "unknown";
}

} // namespace dkimwatch
