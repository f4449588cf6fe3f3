#pragma once
// Shared by the alert delivery tests: the scripted receiver (receiver.py) as a child process,
// polling, captured logs, metric samples and sink configurations.

#include "alert/alert_message.hpp"
#include "alert/sink_worker.hpp"
#include "config/config.hpp"
#include "store/state_store.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dkimwatch::delivery_test {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

inline TimePoint wall_now() {
    return std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
}

// Polls `done` every 20 ms until it holds or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
        if (SteadyClock::now() >= deadline) {
            return done();
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// One request as receiver.py logged it.
struct ReceivedRequest {
    int n = 0;
    double time = 0; // Unix time of arrival, seconds
    std::string method;
    std::string path;
    nlohmann::json headers;
    std::string body;
    int status = 0; // what the receiver answered
};

// receiver.py on 127.0.0.1, started with `script`, on a free port unless `port` is given.
// Stopped (SIGTERM, then SIGKILL) by the destructor.
class Receiver {
public:
    explicit Receiver(const std::filesystem::path& dir, std::string script, std::uint16_t port = 0,
                      std::string error_body = {})
        : m_log(dir / ("receiver-" + std::to_string(++s_count) + ".jsonl")) {
        const auto port_file = dir / ("receiver-" + std::to_string(s_count) + ".port");
        std::vector<std::string> args{
            "/usr/bin/python3",   DKIMWATCH_RECEIVER_PY, "--port",
            std::to_string(port), "--port-file",         port_file.string(),
            "--script",           std::move(script),     "--log",
            m_log.string()};
        if (!error_body.empty()) {
            args.push_back("--error-body");
            args.push_back(std::move(error_body));
        }
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            // The port goes to the port file; its stdout copy would only clutter test output.
            const int null = ::open("/dev/null", O_WRONLY);
            if (null >= 0) {
                ::dup2(null, STDOUT_FILENO);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        const bool started = wait_until([&] { return std::filesystem::exists(port_file); }, 10s);
        EXPECT_TRUE(started) << "receiver.py did not start";
        if (started) {
            std::ifstream(port_file) >> m_port;
        }
    }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;
    ~Receiver() { stop(); }

    void stop() {
        if (m_pid <= 0) {
            return;
        }
        ::kill(m_pid, SIGTERM);
        if (!wait_until([&] { return ::waitpid(m_pid, nullptr, WNOHANG) == m_pid; }, 3s)) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        m_pid = -1;
    }

    std::uint16_t port() const { return m_port; }
    std::string display() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    // A URL whose path is a secret, as a Slack webhook's is.
    std::string url() const { return display() + "/hook/SECRET-TOKEN"; }

    std::vector<ReceivedRequest> requests() const {
        std::vector<ReceivedRequest> requests;
        std::ifstream in(m_log);
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) {
                continue;
            }
            const auto json = nlohmann::json::parse(line, nullptr, false);
            if (json.is_discarded()) {
                continue; // a line being written
            }
            ReceivedRequest request;
            request.n = json.at("n").get<int>();
            request.time = json.at("time").get<double>();
            request.method = json.at("method").get<std::string>();
            request.path = json.at("path").get<std::string>();
            request.headers = json.at("headers");
            request.body = json.at("body").get<std::string>();
            request.status = json.at("status").get<int>();
            requests.push_back(std::move(request));
        }
        return requests;
    }

    // Waits until at least `count` requests arrived; returns them.
    std::vector<ReceivedRequest> wait_for(std::size_t count, std::chrono::milliseconds timeout) {
        wait_until([&] { return requests().size() >= count; }, timeout);
        return requests();
    }

private:
    static inline int s_count = 0;
    std::filesystem::path m_log;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
};

// Captures everything logged through spdlog's default logger while it lives.
class LogCapture {
public:
    LogCapture()
        : m_previous(spdlog::default_logger()), m_sink(std::make_shared<Sink>()),
          m_logger(std::make_shared<spdlog::logger>("capture", m_sink)) {
        m_logger->set_level(spdlog::level::trace);
        m_logger->set_pattern("level=%l %v");
        spdlog::set_default_logger(m_logger);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    ~LogCapture() { spdlog::set_default_logger(m_previous); }

    std::string text() { return m_sink->text(); }

    // The captured lines that contain `needle`.
    std::vector<std::string> lines_with(const std::string& needle) {
        std::vector<std::string> lines;
        std::istringstream in(text());
        for (std::string line; std::getline(in, line);) {
            if (line.find(needle) != std::string::npos) {
                lines.push_back(line);
            }
        }
        return lines;
    }

private:
    class Sink : public spdlog::sinks::base_sink<std::mutex> {
    public:
        std::string text() {
            const std::lock_guard lock(mutex_);
            return m_text;
        }

    protected:
        void sink_it_(const spdlog::details::log_msg& message) override {
            spdlog::memory_buf_t formatted;
            formatter_->format(message, formatted);
            m_text.append(formatted.data(), formatted.size());
        }
        void flush_() override {}

    private:
        std::string m_text;
    };

    std::shared_ptr<spdlog::logger> m_previous;
    std::shared_ptr<Sink> m_sink;
    std::shared_ptr<spdlog::logger> m_logger;
};

inline AlertSinkConfig sink_config(std::string name, AlertSinkConfig::Type type,
                                   const Receiver& receiver) {
    AlertSinkConfig sink;
    sink.name = std::move(name);
    sink.type = type;
    sink.url = receiver.url();
    sink.display = receiver.display();
    return sink;
}

// A rendering that posts the outbox row's JSON text as is to the sink's URL, so that tests can
// queue any text and find it in the receiver's log. Re-sends post the domains of the firing
// events, comma-separated.
inline AlertRendering passthrough_rendering() {
    AlertRendering rendering;
    rendering.message = [](const AlertSinkConfig& sink, const std::string& message_json,
                           TimePoint) -> Result<HttpRequest> {
        if (message_json == "unrenderable") {
            return Error{"not a message"};
        }
        HttpRequest request;
        request.url = sink.url;
        request.display = sink.display;
        request.headers = {{"Content-Type", "text/plain"}};
        request.body = message_json;
        return request;
    };
    rendering.firing = [](const AlertSinkConfig& sink, const std::vector<AlertEvent>& firing,
                          TimePoint) {
        HttpRequest request;
        request.url = sink.url;
        request.display = sink.display;
        for (const auto& event : firing) {
            request.body += (request.body.empty() ? "" : ",") + event.key.domain;
        }
        return request;
    };
    return rendering;
}

inline std::vector<OutboxRowInsert>
rows_for(const std::string& sink, const std::vector<std::string>& bodies, TimePoint created_at) {
    std::vector<OutboxRowInsert> rows;
    for (const auto& body : bodies) {
        rows.push_back(OutboxRowInsert{sink, IdentityKey{"111122223333", "us-east-1", "a.example"},
                                       body, created_at});
    }
    return rows;
}

// The value of the sample `name{sink="<sink>",url="..."}` in `text` (the first, whatever its
// url: a one-URL sink has one), or nullopt when absent.
inline std::optional<double> sample(const std::string& text, const std::string& name,
                                    const std::string& sink) {
    const std::string prefix = name + "{sink=\"" + sink + "\",url=\"";
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const std::size_t end = line.find("\"} ", prefix.size());
        if (line.rfind(prefix, 0) == 0 && end != std::string::npos) {
            return std::stod(line.substr(end + 3));
        }
    }
    return std::nullopt;
}

} // namespace dkimwatch::delivery_test
