// kill -9 of a delivering process loses no alert: a forked child runs a dispatcher against a
// slow receiver and is SIGKILLed at a random moment (mostly while a request is in flight), a few
// times over; then a dispatcher in this process delivers the rest. Every message must reach the
// receiver, in queue order, and at most the message in flight at each kill may arrive twice.
//
// DKIMWATCH_CRASH_SEED=<n> replays a run (the seed is printed).

#include "alert/alert_dispatcher.hpp"
#include "delivery_test_support.hpp"
#include "metrics/daemon_metrics.hpp"
#include "store_test_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <random>

namespace dkimwatch {
namespace {

using namespace std::chrono_literals;
using delivery_test::passthrough_rendering;
using delivery_test::Receiver;
using delivery_test::sink_config;
using delivery_test::wait_until;
using delivery_test::wall_now;

constexpr int k_messages = 12;
constexpr int k_kills = 3;

AlertSettings settings_for(const Receiver& receiver) {
    AlertSettings settings;
    settings.sinks.push_back(sink_config("hook", AlertSinkConfig::Type::webhook, receiver));
    return settings;
}

// Runs a dispatcher until killed. Never returns.
[[noreturn]] void run_child(const std::filesystem::path& db, const AlertSettings& settings) {
    auto metrics = DaemonMetrics::start("127.0.0.1:0", "test");
    if (!metrics.ok()) {
        ::_exit(3);
    }
    AlertDispatcher dispatcher(settings, db, *metrics.value(), {}, passthrough_rendering());
    dispatcher.start();
    for (;;) {
        ::pause();
    }
}

TEST(AlertDeliveryCrash, KillNineMidDeliveryLosesNothing) {
    std::uint64_t seed = std::random_device{}();
    if (const char* replay = std::getenv("DKIMWATCH_CRASH_SEED")) {
        seed = std::strtoull(replay, nullptr, 10);
    }
    std::printf("DKIMWATCH_CRASH_SEED=%llu\n", static_cast<unsigned long long>(seed));
    std::fflush(stdout); // or the children's loggers print it again
    std::mt19937_64 random(seed);

    store_test::TempDir dir;
    // Each answer takes 300 ms, so a kill usually lands while a request is in flight.
    Receiver receiver(dir.path(), "200@0.3");
    std::vector<std::string> expected;
    {
        auto store = store_test::open_store(dir.db());
        ASSERT_NE(store, nullptr);
        for (int n = 1; n <= k_messages; ++n) {
            expected.push_back("m" + std::to_string(n));
        }
        ASSERT_TRUE(
            store->outbox_insert(delivery_test::rows_for("hook", expected, wall_now())).ok());
    }
    const AlertSettings settings = settings_for(receiver);

    for (int kill = 0; kill < k_kills; ++kill) {
        const std::size_t before = receiver.requests().size();
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            run_child(dir.db(), settings);
        }
        // Let it deliver at least one more message, then kill it at a random moment.
        wait_until([&] { return receiver.requests().size() > before; }, 10s);
        std::this_thread::sleep_for(
            Milliseconds{std::uniform_int_distribution<int>(0, 700)(random)});
        ::kill(child, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "the child exited by itself: " << status;
    }

    // A new dispatcher on the same database delivers the rest.
    auto metrics = DaemonMetrics::start("127.0.0.1:0", "test");
    ASSERT_TRUE(metrics.ok()) << metrics.error();
    auto store = store_test::open_store(dir.db());
    ASSERT_NE(store, nullptr);
    {
        AlertDispatcher dispatcher(settings, dir.db(), *metrics.value(), {},
                                   passthrough_rendering());
        dispatcher.start();
        ASSERT_TRUE(wait_until(
            [&] {
                auto depth = store->outbox_depth("hook");
                return depth.ok() && depth->count == 0;
            },
            30s));
    }
    auto rows = store->outbox_rows("hook");
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_EQ(rows->size(), static_cast<std::size_t>(k_messages));
    for (const auto& row : *rows) {
        EXPECT_EQ(row.status, OutboxStatus::sent) << row.message_json;
    }

    // Every message arrived, in order; repeats only of the one just before (in flight at a kill).
    std::vector<std::string> distinct;
    int repeats = 0;
    for (const auto& request : receiver.requests()) {
        if (!distinct.empty() && distinct.back() == request.body) {
            ++repeats;
            continue;
        }
        distinct.push_back(request.body);
    }
    EXPECT_EQ(distinct, expected);
    EXPECT_LE(repeats, k_kills);
}

} // namespace
} // namespace dkimwatch
