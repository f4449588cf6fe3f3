#include "config/across_keys.hpp"

#include <algorithm>
#include <string>

namespace dkimwatch::config_reading {

namespace {

// How messages show the value a key has: the text written, or the default.
std::string shown_value(const KeySeen& key, Milliseconds value) {
    if (key.field) {
        return key.field->value.Scalar();
    }
    return format_duration(value) + ", the default";
}

} // namespace

// Defaults that give way to another key, so that a short check_interval or revocation_window
// written alone is valid: an absent recheck_interval is at most check_interval, and when
// reminders is absent the default reminders not shorter than revocation_window are dropped.
void apply_dependent_defaults(Document& document) {
    DaemonSettings& daemon = document.config.daemon;
    if (!document.recheck_interval.field && document.check_interval.valid) {
        daemon.recheck_interval = std::min(daemon.recheck_interval, daemon.check_interval);
    }
    StateMachinePolicy& policy = document.config.policy;
    if (!document.reminders && document.revocation_window.valid) {
        std::erase_if(policy.reminders,
                      [&](Milliseconds reminder) { return reminder >= policy.revocation_window; });
    }
}

// The rules that involve two keys, checked when both values are valid on their own (or
// default); the error points at the key that depends on the other.
void check_across_keys(Reader& reader, const Document& document) {
    const DaemonSettings& daemon = document.config.daemon;
    const bool check_interval_usable =
        document.check_interval.valid || !document.check_interval.field;
    if (document.recheck_interval.valid && check_interval_usable &&
        daemon.recheck_interval > daemon.check_interval) {
        reader.error_at(*document.recheck_interval.field,
                        "recheck_interval (" +
                            shown_value(document.recheck_interval, daemon.recheck_interval) +
                            ") must not be longer than check_interval (" +
                            shown_value(document.check_interval, daemon.check_interval) + ")");
    }
    const StateMachinePolicy& policy = document.config.policy;
    if (document.revocation_window.valid || !document.revocation_window.field) {
        for (const auto& [item, reminder] : document.reminder_items) {
            if (reminder >= policy.revocation_window) {
                reader.error_at(
                    item, item.path + ": " + item.value.Scalar() +
                              " is not shorter than revocation_window (" +
                              shown_value(document.revocation_window, policy.revocation_window) +
                              ")");
            }
        }
    }
}

} // namespace dkimwatch::config_reading
