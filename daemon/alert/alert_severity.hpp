#pragma once
// How alert severities compare: sink filtering (min_severity) and "most severe first" ordering.
// Pure.

#include "core/state_machine.hpp"

#include <optional>
#include <string_view>

namespace dkimwatch {

// Inverse of event_severity_name(); nullopt for any other text.
std::optional<EventSeverity> parse_event_severity(std::string_view name);

// Whether an event of `severity` goes to a sink with `min_severity`: info < warning < critical,
// and a resolved event always passes (it closes a critical alert the sink received). A
// min_severity of `resolved` lets only resolved events through.
bool passes_min_severity(EventSeverity severity, EventSeverity min_severity);

// Attention order for listing: critical 3, warning 2, resolved 1, info 0 (a recovery matters
// more than a notice, less than a problem).
int attention_rank(EventSeverity severity);

} // namespace dkimwatch
