#include "store/state_dir_lock.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

class StateDirLockTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir =
            std::filesystem::temp_directory_path() /
            ("dkimwatch-lock-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::filesystem::path m_dir;
};

// flock locks belong to open file descriptions, so a second take() in the same process is refused
// like another process would be.
TEST_F(StateDirLockTest, ASecondTakerIsRefusedUntilTheFirstReleases) {
    auto first = StateDirLock::take(m_dir, "stop it first");
    ASSERT_TRUE(first) << first.error();
    auto second = StateDirLock::take(m_dir, "stop it first");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), "state_dir " + m_dir.string() +
                                  " is in use by a running dkimwatch (it holds " +
                                  (m_dir / "dkimwatch.lock").string() + "); stop it first");
    first = Error{"released"}; // drops the first lock
    auto third = StateDirLock::take(m_dir, "stop it first");
    EXPECT_TRUE(third) << third.error();
}

TEST_F(StateDirLockTest, AMissingDirectoryIsAnError) {
    auto lock = StateDirLock::take(m_dir / "absent", "unused");
    ASSERT_FALSE(lock);
    EXPECT_EQ(lock.error(), (m_dir / "absent" / "dkimwatch.lock").string() +
                                ": cannot open: No such file or directory");
}

} // namespace
} // namespace dkimwatch
