#pragma once
// The daemon's control signals: SIGHUP reloads, SIGTERM and SIGINT stop. They are blocked in
// every thread and taken synchronously by the daemon loop (sigtimedwait), never by a handler.

#include "core/duration.hpp"

#include <csignal>

namespace dkimwatch {

// {SIGHUP, SIGTERM, SIGINT}.
sigset_t control_signals();

// Whether SIGTERM or SIGINT is pending (blocked, not taken yet): a long DNS batch asks this to
// stop early.
bool stop_requested_pending();

// Waits up to `timeout` for one of `signals`; returns it, or 0 on timeout.
int wait_for_signal(const sigset_t& signals, Milliseconds timeout);

} // namespace dkimwatch
