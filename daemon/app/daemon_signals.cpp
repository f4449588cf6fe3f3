#include "app/daemon_signals.hpp"

#include <ctime>

namespace dkimwatch {

sigset_t control_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

bool stop_requested_pending() {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

int wait_for_signal(const sigset_t& signals, Milliseconds timeout) {
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    wait.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    return signal < 0 ? 0 : signal;
}

} // namespace dkimwatch
