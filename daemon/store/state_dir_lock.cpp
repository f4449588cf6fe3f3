#include "store/state_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace dkimwatch {

Result<std::unique_ptr<StateDirLock>> StateDirLock::take(const std::filesystem::path& dir,
                                                         std::string_view advice) {
    const std::filesystem::path path = dir / "dkimwatch.lock";
    auto lock = std::unique_ptr<StateDirLock>(new StateDirLock());
    lock->m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock->m_fd < 0) {
        return Error{path.string() + ": cannot open: " + std::strerror(errno)};
    }
    if (::flock(lock->m_fd, LOCK_EX | LOCK_NB) != 0) {
        return Error{"state_dir " + dir.string() + " is in use by a running dkimwatch (it holds " +
                     path.string() + "); " + std::string(advice)};
    }
    return lock;
}

StateDirLock::~StateDirLock() {
    if (m_fd >= 0) {
        ::close(m_fd); // releases the flock
    }
}

} // namespace dkimwatch
