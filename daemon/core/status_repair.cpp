#include "core/status_repair.hpp"

#include <chrono>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;

bool plausible_observation(TimePoint time, TimePoint now) {
    return time >= k_earliest_state_time && time <= now + k_max_state_clock_ahead;
}

} // namespace

TimePoint repaired_deadline(const IdentityStatus& status, const StateMachinePolicy& policy) {
    const TimePoint first = status.first_failure_at && *status.first_failure_at <= status.since &&
                                    *status.first_failure_at >= k_earliest_state_time
                                ? *status.first_failure_at
                                : status.since;
    return first + policy.revocation_window;
}

StatusRepair repair_status(const IdentityStatus& status, TimePoint now,
                           const StateMachinePolicy& policy) {
    StatusRepair result{status, {}};
    IdentityStatus& repaired = result.status;

    const bool failure_run = repaired.consecutive_failures > 0 || repaired.first_failure_at;
    if (failure_run &&
        (!repaired.first_failure_at || !plausible_observation(*repaired.first_failure_at, now))) {
        result.repairs.push_back(
            "a run of " + std::to_string(repaired.consecutive_failures) + " failing checks with " +
            (repaired.first_failure_at
                 ? "an implausible first failure " + format_state_time(*repaired.first_failure_at)
                 : std::string("no first failure")) +
            ": the run restarts at the next failing check");
        repaired.consecutive_failures = 0;
        repaired.first_failure_at.reset();
    }

    if (repaired.state == IdentityState::revocation_warning) {
        const auto& deadline = repaired.deadline;
        std::string why;
        if (!deadline) {
            why = "no deadline";
        } else if (*deadline < k_earliest_state_time ||
                   *deadline > now + k_max_state_deadline_ahead) {
            why = "an implausible deadline " + format_state_time(*deadline);
        } else if (repaired.first_failure_at && *repaired.first_failure_at >= *deadline) {
            why = "a deadline " + format_state_time(*deadline) +
                  " not after its first failing check " +
                  format_state_time(*repaired.first_failure_at);
        }
        if (!why.empty()) {
            const TimePoint fixed = repaired_deadline(repaired, policy);
            result.repairs.push_back("revocation_warning with " + why + ": deadline set to " +
                                     format_state_time(fixed) +
                                     " (the first failure of the confirming run, at the latest "
                                     "when the warning began, plus revocation_window)");
            repaired.deadline = fixed;
        }
    } else if (repaired.deadline) {
        result.repairs.push_back("a deadline " + format_state_time(*repaired.deadline) + " in " +
                                 identity_state_name(repaired.state) + ": cleared");
        repaired.deadline.reset();
    }
    return result;
}

} // namespace dkimwatch
