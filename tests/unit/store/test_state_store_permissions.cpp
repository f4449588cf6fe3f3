// The state database holds the outbox (alert texts, delivery errors) and the history: it and its
// -wal and -shm files are 0600 whatever the umask, and files left with wider modes are
// tightened when the daemon opens them.

#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "store_test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace dkimwatch {
namespace {

using store_test::k_t0;
using store_test::TempDir;
using Mode = StateStore::Mode;

// Sets the process umask for the life of the object.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : m_old(::umask(mask)) {}
    ~ScopedUmask() { ::umask(m_old); }
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;

private:
    mode_t m_old;
};

mode_t mode_of(const std::filesystem::path& file) {
    struct stat info {};
    EXPECT_EQ(::stat(file.c_str(), &info), 0) << file;
    return info.st_mode & 07777;
}

std::filesystem::path with_suffix(std::filesystem::path file, const char* suffix) {
    file += suffix;
    return file;
}

// Opens the store read-write and commits one outbox row, so that the -wal and -shm files exist.
void write_once(const std::filesystem::path& db) {
    auto store = StateStore::open(db, Mode::read_write);
    ASSERT_TRUE(store.ok()) << store.error();
    const OutboxRowInsert row{"slack", IdentityKey{"111122223333", "us-east-1", "a.example"}, "{}",
                              k_t0};
    auto inserted = store.value()->outbox_insert(std::span<const OutboxRowInsert>(&row, 1));
    ASSERT_TRUE(inserted.ok()) << inserted.error();
    // Still open: the -wal and -shm files are there to be looked at.
    EXPECT_EQ(mode_of(db), 0600u);
    EXPECT_EQ(mode_of(with_suffix(db, "-wal")), 0600u);
    EXPECT_EQ(mode_of(with_suffix(db, "-shm")), 0600u);
}

TEST(StateStorePermissions, ANewDatabaseAndItsWalAre0600UnderUmask022) {
    const ScopedUmask mask(022);
    const TempDir dir;
    write_once(dir.db());
    EXPECT_EQ(mode_of(dir.db()), 0600u);
}

TEST(StateStorePermissions, ExistingFilesWithWiderModesAreTightened) {
    const ScopedUmask mask(022);
    const TempDir dir;
    write_once(dir.db());
    // As an older dkimwatch would have left them (no open connection: no -wal, -shm).
    ASSERT_EQ(::chmod(dir.db().c_str(), 0644), 0);
    std::ofstream(with_suffix(dir.db(), "-journal")) << "";
    ASSERT_EQ(::chmod(with_suffix(dir.db(), "-journal").c_str(), 0664), 0);
    write_once(dir.db());
    EXPECT_EQ(mode_of(dir.db()), 0600u);
    EXPECT_EQ(mode_of(with_suffix(dir.db(), "-journal")), 0600u);
}

TEST(StateStorePermissions, ReadOnlyOpenChangesNoMode) {
    const ScopedUmask mask(022);
    const TempDir dir;
    write_once(dir.db());
    ASSERT_EQ(::chmod(dir.db().c_str(), 0640), 0);
    auto store = StateStore::open(dir.db(), Mode::read_only);
    ASSERT_TRUE(store.ok()) << store.error();
    EXPECT_EQ(mode_of(dir.db()), 0640u);
}

TEST(SqliteMakePrivate, CreatesAnEmptyFile0600AndNeverTruncates) {
    const ScopedUmask mask(0);
    const TempDir dir;
    const auto file = dir.path() / "x.db";
    ASSERT_TRUE(sqlite::make_private(file).ok());
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(std::filesystem::file_size(file), 0u);
    std::ofstream(file) << "content";
    ASSERT_EQ(::chmod(file.c_str(), 0755), 0);
    ASSERT_TRUE(sqlite::make_private(file).ok());
    EXPECT_EQ(mode_of(file), 0700u); // only group and other bits go
    EXPECT_EQ(std::filesystem::file_size(file), 7u);
}

TEST(SqliteMakePrivate, AMissingDirectoryIsLeftForSqliteToReport) {
    const TempDir dir;
    EXPECT_TRUE(sqlite::make_private(dir.path() / "missing" / "x.db").ok());
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

} // namespace
} // namespace dkimwatch
