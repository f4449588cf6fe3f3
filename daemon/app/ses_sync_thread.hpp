#pragma once
// The daemon's SES listing, off the main loop: one thread that lists every source (account x
// region) once at start, then each again every sync_interval after its previous listing (a
// reload makes a new thread, which lists everything at once). Completed listings are queued for
// the main loop, which does everything else (saving, events, adoption).
// Thread-safety: take_outcomes() may be called from any thread.

#include "app/ses_sources.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace dkimwatch {

class SesSyncThread {
public:
    // `on_request` runs on the sync thread for every API attempt, when its listing ends (for
    // the metrics). The main loop takes finished listings with take_outcomes() (the daemon polls
    // it at least every 200 ms while a ses: section is configured).
    SesSyncThread(const SesSettings& settings, AwsEnvironment environment,
                  SesSources::RequestObserver on_request);
    // Stops the thread: an API call in flight is cancelled within about a second.
    ~SesSyncThread();
    SesSyncThread(const SesSyncThread&) = delete;
    SesSyncThread& operator=(const SesSyncThread&) = delete;

    // The listings completed since the last call, oldest first.
    std::vector<SesSourceOutcome> take_outcomes();

private:
    void run(std::stop_token stop);

    Milliseconds m_interval;
    SesSources m_sources;
    SesSources::RequestObserver m_on_request;
    std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::deque<SesSourceOutcome> m_outcomes; // guarded by m_mutex
    std::jthread m_thread;                   // last: started once everything else exists
};

} // namespace dkimwatch
