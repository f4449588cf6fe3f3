#pragma once
// The state machine policy's top-level keys (StateMachinePolicy).

#include "config/config_document.hpp"
#include "config/yaml_reading.hpp"

namespace dkimwatch::config_reading {

// confirmations (1..100), pending_timeout and revocation_window (more than 0s), blind_after
// (any duration), reminders (distinct durations more than 0s; [] for none) ->
// Config::policy. Their comparisons with each other are in across_keys.hpp.
void read_confirmations(Reader& reader, const Field& field, Document& document);
void read_pending_timeout(Reader& reader, const Field& field, Document& document);
void read_revocation_window(Reader& reader, const Field& field, Document& document);
void read_blind_after(Reader& reader, const Field& field, Document& document);
void read_reminders(Reader& reader, const Field& field, Document& document);

} // namespace dkimwatch::config_reading
