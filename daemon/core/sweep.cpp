#include "core/sweep.hpp"

#include "core/evaluator.hpp"

#include <memory>

namespace dkimwatch {
namespace {

// One record under evaluation: its expectation, the lookups done so far, and where its verdict
// goes.
struct RecordTask {
    RecordExpectation expectation;
    std::vector<LookupResult> lookups;
    std::size_t pending = 0;
    std::size_t report_index = 0;
    std::size_t record_index = 0;
};

class SweepRun {
public:
    SweepRun(const std::vector<Identity>& identities, LookupService& service,
             const SweepOptions& options)
        : m_identities(identities), m_service(service),
          m_max_active(options.max_active_records == 0 ? 1 : options.max_active_records) {
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
                auto task = std::make_shared<RecordTask>();
                task->expectation = std::move(m_current_expectations[m_next_record]);
                task->report_index = m_next_identity;
                task->record_index = m_next_record;
                ++m_active;
                ++m_next_record;
                advance(task);
            }
            if (m_next_record >= m_current_expectations.size()) {
                m_next_record = 0;
                ++m_next_identity;
            }
        }
        m_filling = false;
    }

    void advance(const std::shared_ptr<RecordTask>& task) {
        auto step = evaluate_record(task->expectation, task->lookups);
        if (auto* verdict = std::get_if<RecordVerdict>(&step)) {
            finish(*task, std::move(*verdict));
            return;
        }
        auto& need = std::get<NeedLookups>(step);
        task->pending = need.requests.size();
        for (auto& request : need.requests) {
            m_service.submit(std::move(request), [this, task](LookupResult result) {
                task->lookups.push_back(std::move(result));
                if (--task->pending == 0) {
                    advance(task);
                }
            });
        }
    }

    void finish(const RecordTask& task, RecordVerdict verdict) {
        IdentityReport& report = m_reports[task.report_index];
        if (severity_rank(verdict.severity) > severity_rank(report.worst)) {
            report.worst = verdict.severity;
        }
        report.records[task.record_index] = std::move(verdict);
        ++m_done[task.report_index];
        --m_active;
        fill();
    }

    const std::vector<Identity>& m_identities;
    LookupService& m_service;
    const std::size_t m_max_active;
    std::vector<IdentityReport> m_reports;
    std::vector<std::size_t> m_done; // records with a verdict, per report
    std::vector<RecordExpectation> m_current_expectations;
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
