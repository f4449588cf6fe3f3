#include "app/ses_sync_thread.hpp"

#include <algorithm>

namespace dkimwatch {

SesSyncThread::SesSyncThread(const SesSettings& settings, AwsEnvironment environment,
                             SesSources::RequestObserver on_request)
    : m_interval(settings.sync_interval), m_sources(settings, std::move(environment)),
      m_on_request(std::move(on_request)), m_thread([this](std::stop_token stop) { run(stop); }) {}

SesSyncThread::~SesSyncThread() {
    m_thread.request_stop();
    m_changed.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

std::vector<SesSourceOutcome> SesSyncThread::take_outcomes() {
    std::lock_guard lock(m_mutex);
    std::vector<SesSourceOutcome> taken(std::make_move_iterator(m_outcomes.begin()),
                                        std::make_move_iterator(m_outcomes.end()));
    m_outcomes.clear();
    return taken;
}

void SesSyncThread::run(std::stop_token stop) {
    using Clock = std::chrono::steady_clock;
    std::vector<Clock::time_point> due(m_sources.size(), Clock::now());
    while (!stop.stop_requested()) {
        for (std::size_t index = 0; index < m_sources.size() && !stop.stop_requested(); ++index) {
            if (due[index] > Clock::now()) {
                continue;
            }
            const TimePoint now =
                std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
            auto outcome = m_sources.sync(index, now, stop, m_on_request);
            due[index] = Clock::now() + m_interval;
            if (stop.stop_requested()) {
                return; // a cancelled listing says nothing about SES
            }
            {
                std::lock_guard lock(m_mutex);
                m_outcomes.push_back(std::move(outcome));
            }
        }
        const auto next =
            due.empty() ? Clock::now() + m_interval : *std::min_element(due.begin(), due.end());
        std::unique_lock lock(m_mutex);
        // Woken early only by the destructor's stop request.
        m_changed.wait_until(lock, stop, next, [] { return false; });
    }
}

} // namespace dkimwatch
