#pragma once
// The daemon's SES listing, off the main loop: one thread that lists every source (account x
// region) once at start, then each again every sync_interval after its previous listing, and
// all of them at once when asked (a reload). Completed listings are queued for the main loop,
// which does everything else (saving, events, adoption).
// Thread-safety: take_outcomes() and sync_now() may be called from any thread.

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
    // the metrics); `wake` runs there after each listing is queued (to wake the main loop).
    SesSyncThread(const SesSettings& settings, AwsEnvironment environment,
                  SesSources::RequestObserver on_request, std::function<void()> wake);
    // Stops the thread: an API call in flight is cancelled within about a second.
    ~SesSyncThread();
    SesSyncThread(const SesSyncThread&) = delete;
    SesSyncThread& operator=(const SesSyncThread&) = delete;

    // The listings completed since the last call, oldest first.
    std::vector<SesSourceOutcome> take_outcomes();
    // Lists every source again as soon as the current listing is done.
    void sync_now();

private:
    void run(std::stop_token stop);

    Milliseconds m_interval;
    SesSources m_sources;
    SesSources::RequestObserver m_on_request;
    std::function<void()> m_wake;
    std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::deque<SesSourceOutcome> m_outcomes; // guarded by m_mutex
    bool m_sync_all = true;                  // guarded by m_mutex; the first pass lists all
    std::jthread m_thread;                   // last: started once everything else exists
};

} // namespace dkimwatch
