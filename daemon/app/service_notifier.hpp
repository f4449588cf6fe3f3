#pragma once
// The service manager protocol (sd_notify(3)) for `dkimwatch run` under systemd Type=notify.
//
// Messages sent, one datagram each, exactly:
//   ready(s)     "READY=1\nSTATUS=<s>"
//   reloading()  "RELOADING=1"           (send ready() again once the reload is done)
//   stopping()   "STOPPING=1"
//   status(s)    "STATUS=<s>"
//   watchdog()   "WATCHDOG=1"
//   extend_start_timeout(t)  "EXTEND_TIMEOUT_USEC=<t in microseconds>"
// A status is one line: any '\n' or '\r' in it is sent as a space, so that it cannot inject
// another assignment.
//
// Outside systemd (NOTIFY_SOCKET unset) every call is a no-op. A failed send is logged once as a
// warning (event=sd_notify_failed) and otherwise ignored: the service manager enforces its own
// timeouts. Not thread-safe; call from the daemon loop's thread.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace dkimwatch {

class ServiceNotifier {
public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (through libsystemd) once, now. The
    // environment is left as it is.
    ServiceNotifier();

    // NOTIFY_SOCKET was set (non-empty) at construction.
    bool enabled() const { return m_enabled; }

    void ready(const std::string& status);
    void reloading();
    void stopping();
    void status(const std::string& status);
    void watchdog();
    // Before READY=1: asks for at least `extension` more time to start (systemd >= 236), so that
    // a start-up that is long but making progress (zone discovery of a large inventory at the
    // query rate limit) is not killed by TimeoutStartSec=.
    void extend_start_timeout(std::chrono::microseconds extension);

    // WATCHDOG_USEC, when the watchdog is enabled for this process (sd_watchdog_enabled: set,
    // valid, non-zero, and WATCHDOG_PID unset or equal to getpid()). nullopt otherwise.
    std::optional<std::chrono::microseconds> watchdog_interval() const {
        return m_watchdog_interval;
    }
    // How often to call watchdog(): half of watchdog_interval(), as sd_watchdog_enabled(3)
    // recommends. nullopt when the watchdog is off.
    std::optional<std::chrono::microseconds> watchdog_ping_interval() const;

private:
    void send(const std::string& message);

    bool m_enabled = false;
    bool m_failure_logged = false;
    std::optional<std::chrono::microseconds> m_watchdog_interval;
};

// One line for STATUS=, e.g. "120 identities: 118 verified, 2 revocation-warning".
// `count_by_state` is keyed by identity_state_name() ("pending", "verified",
// "revocation_warning", "revoked"; the '-' spelling is accepted too). States are listed in that
// order, written with '-', and omitted when their count is 0 or less; keys that are not a state
// follow in key order, as given. `total` is printed as is ("1 identity", "0 identities"); with no
// state to list the text ends after "identities".
std::string status_summary(const std::map<std::string, int>& count_by_state, std::size_t total);

} // namespace dkimwatch
