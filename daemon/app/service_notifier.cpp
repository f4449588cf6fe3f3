#include "app/service_notifier.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <spdlog/spdlog.h>
#include <string_view>
#include <systemd/sd-daemon.h>

namespace dkimwatch {

namespace {

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return text;
}

// Core state names in display order, and how they are displayed.
struct StateLabel {
    std::string_view key;     // identity_state_name()
    std::string_view display; // in the status line
};
constexpr std::array<StateLabel, 4> k_state_labels{{
    {"pending", "pending"},
    {"verified", "verified"},
    {"revocation_warning", "revocation-warning"},
    {"revoked", "revoked"},
}};

} // namespace

ServiceNotifier::ServiceNotifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    m_enabled = socket != nullptr && socket[0] != '\0';

    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        m_watchdog_interval = std::chrono::microseconds{static_cast<std::int64_t>(usec)};
    }
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_ping_interval() const {
    if (!m_watchdog_interval) {
        return std::nullopt;
    }
    return *m_watchdog_interval / 2;
}

void ServiceNotifier::ready(const std::string& status) {
    send("READY=1\nSTATUS=" + one_line(status));
}

void ServiceNotifier::reloading() {
    send("RELOADING=1");
}

void ServiceNotifier::stopping() {
    send("STOPPING=1");
}

void ServiceNotifier::status(const std::string& status) {
    send("STATUS=" + one_line(status));
}

void ServiceNotifier::watchdog() {
    send("WATCHDOG=1");
}

void ServiceNotifier::extend_start_timeout(std::chrono::microseconds extension) {
    send("EXTEND_TIMEOUT_USEC=" + std::to_string(extension.count()));
}

void ServiceNotifier::send(const std::string& message) {
    if (!m_enabled) {
        return;
    }
    const int result = sd_notify(0, message.c_str());
    if (result < 0 && !m_failure_logged) {
        m_failure_logged = true;
        spdlog::warn("event=sd_notify_failed error=\"{}\"", std::strerror(-result));
    }
}

std::string status_summary(const std::map<std::string, int>& count_by_state, std::size_t total) {
    std::string text = std::to_string(total) + (total == 1 ? " identity" : " identities");
    bool first = true;
    const auto append = [&](std::string_view display, long long count) {
        if (count <= 0) {
            return;
        }
        text += first ? ": " : ", ";
        first = false;
        text += std::to_string(count);
        text += ' ';
        text += display;
    };

    const auto count_of = [&](std::string_view key) -> long long {
        const auto found = count_by_state.find(std::string{key});
        return found == count_by_state.end() ? 0 : found->second;
    };
    const auto is_state_key = [&](const std::string& key) {
        for (const auto& label : k_state_labels) {
            if (key == label.key || key == label.display) {
                return true;
            }
        }
        return false;
    };

    for (const auto& label : k_state_labels) {
        long long count = count_of(label.key);
        if (label.display != label.key) {
            count += count_of(label.display);
        }
        append(label.display, count);
    }
    for (const auto& [key, count] : count_by_state) {
        if (!is_state_key(key)) {
            append(key, count);
        }
    }
    return text;
}

} // namespace dkimwatch
