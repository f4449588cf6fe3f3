#include "util/bounded_file.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using namespace dkimwatch;

namespace {

class BoundedFile : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/dkimwatch-bounded-file-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::filesystem::path write(const std::string& name, const std::string& content) {
        const auto path = m_dir / name;
        std::ofstream(path, std::ios::binary) << content;
        return path;
    }

    std::filesystem::path m_dir;
};

const FileLimit k_small{1024, "a test file"};

} // namespace

TEST(FormatByteSize, LargestExactUnit) {
    EXPECT_EQ(format_byte_size(1024 * 1024), "1 MiB");
    EXPECT_EQ(format_byte_size(64 * 1024), "64 KiB");
    EXPECT_EQ(format_byte_size(std::size_t{1} << 30), "1 GiB");
    EXPECT_EQ(format_byte_size(std::size_t{3} << 31), "6 GiB");
    EXPECT_EQ(format_byte_size(1536 * 1024), "1536 KiB");
    EXPECT_EQ(format_byte_size(100), "100 bytes");
    EXPECT_EQ(format_byte_size(1), "1 byte");
    EXPECT_EQ(format_byte_size(0), "0 bytes");
}

TEST_F(BoundedFile, ReadsARegularFile) {
    const std::string content("line one\nline two\0with a NUL\n", 29);
    const auto read = read_bounded_file(write("a", content), k_small);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(*read, content);
}

TEST_F(BoundedFile, AnEmptyFileIsEmptyNotAnError) {
    const auto read = read_bounded_file(write("empty", ""), k_small);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(*read, "");
}

TEST_F(BoundedFile, ExactlyTheLimitIsAccepted) {
    const auto read = read_bounded_file(write("full", std::string(1024, 'x')), k_small);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(read->size(), 1024u);
}

TEST_F(BoundedFile, OneByteMoreIsRefused) {
    const auto path = write("big", std::string(1025, 'x'));
    const auto read = read_bounded_file(path, k_small);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::too_large);
    EXPECT_EQ(read.error().path, path);
    EXPECT_EQ(read.error().reason, "is larger than 1 KiB, the limit for a test file");
    EXPECT_EQ(read.error().to_string(), path.string() + ": " + read.error().reason);
}

TEST_F(BoundedFile, ASymlinkToARegularFileIsFollowed) {
    const auto target = write("target", "key material");
    const auto link = m_dir / "link";
    std::filesystem::create_symlink(target, link);
    const auto read = read_bounded_file(link, k_small);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(*read, "key material");
}

TEST_F(BoundedFile, AMissingFile) {
    const auto read = read_bounded_file(m_dir / "absent", k_small);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::not_found);
    EXPECT_EQ(read.error().reason, "cannot read: No such file or directory");
    // A path through a regular file is just as absent.
    const auto through = read_bounded_file(write("plain", "x") / "below", k_small);
    ASSERT_FALSE(through);
    EXPECT_EQ(through.error().kind, FileReadFailure::not_found);
}

TEST_F(BoundedFile, PermissionDenied) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads files whatever their mode";
    }
    const auto path = write("secret", "x");
    std::filesystem::permissions(path, std::filesystem::perms::none);
    const auto read = read_bounded_file(path, k_small);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::permission_denied);
    EXPECT_EQ(read.error().reason, "cannot read: Permission denied");
}

// Without O_NONBLOCK, opening a FIFO that no one writes blocks forever.
TEST_F(BoundedFile, AFifoIsRefusedWithoutBlocking) {
    const auto path = m_dir / "fifo";
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    const auto started = std::chrono::steady_clock::now();
    const auto read = read_bounded_file(path, k_small);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::not_regular);
    EXPECT_EQ(read.error().reason, "is a FIFO (named pipe), not a regular file");
}

// Endless: without the type check this reads until memory runs out.
TEST_F(BoundedFile, DevZeroIsRefused) {
    const auto read = read_bounded_file("/dev/zero", FileLimit{std::size_t{1} << 30, "x"});
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::not_regular);
    EXPECT_EQ(read.error().reason, "is a character device, not a regular file");
}

TEST_F(BoundedFile, ADirectoryIsRefused) {
    const auto read = read_bounded_file(m_dir, k_small);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::not_regular);
    EXPECT_EQ(read.error().reason, "is a directory, not a regular file");
}

TEST_F(BoundedFile, ASocketIsRefused) {
    const auto path = m_dir / "sock";
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(path.string().size(), sizeof address.sun_path);
    std::strcpy(address.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    const auto read = read_bounded_file(path, k_small);
    ::close(fd);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::not_regular);
    EXPECT_EQ(read.error().reason, "is a socket, not a regular file");
}

// The size checked before reading is only a snapshot: a file that keeps growing while it is read
// must still stop at the limit.
TEST_F(BoundedFile, AFileThatGrowsWhileReadStopsAtTheLimit) {
    const auto path = write("growing", "");
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        std::ofstream out(path, std::ios::binary | std::ios::app);
        const std::string chunk(64 * 1024, 'g');
        // Bounded too, so that a broken reader cannot fill the disk: 256 MiB at most.
        for (int i = 0; i < 4096 && !stop; ++i) {
            out << chunk;
            out.flush();
        }
    });
    // Read again and again while it grows: some reads start below the limit and see it pass.
    const FileLimit limit{4 * 1024 * 1024, "a growing file"};
    bool refused = false;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!refused && std::chrono::steady_clock::now() < give_up) {
        const auto read = read_bounded_file(path, limit);
        if (read) {
            EXPECT_LE(read->size(), limit.max_bytes);
        } else {
            EXPECT_EQ(read.error().kind, FileReadFailure::too_large);
            refused = true;
        }
    }
    stop = true;
    writer.join();
    EXPECT_TRUE(refused);
}

TEST_F(BoundedFile, ErrorsNameTheGivenPath) {
    const auto relative = std::filesystem::path("no/such/dir/file.pem");
    const auto read = read_bounded_file(relative, k_small);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().to_string(),
              "no/such/dir/file.pem: cannot read: No such file or directory");
}

// A regular file whose size says 0 but that holds more (procfs, some FUSE file systems): the
// limit is enforced on what is read, not on what fstat() said.
TEST_F(BoundedFile, TheLimitHoldsWhenTheSizeIsWrong) {
    struct stat st {};
    ASSERT_EQ(::stat("/proc/self/maps", &st), 0);
    ASSERT_TRUE(S_ISREG(st.st_mode));
    ASSERT_EQ(st.st_size, 0);
    const auto read = read_bounded_file("/proc/self/maps", FileLimit{16, "a test file"});
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FileReadFailure::too_large);
    const auto whole = read_bounded_file("/proc/self/maps", FileLimit{1 << 24, "a test file"});
    ASSERT_TRUE(whole) << whole.error().to_string();
    EXPECT_GT(whole->size(), 16u);
}
