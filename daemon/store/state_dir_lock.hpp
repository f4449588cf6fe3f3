#pragma once
// The exclusive lock on a state_dir: an flock on state_dir/dkimwatch.lock, held for the life of
// the StateDirLock. `dkimwatch run` holds it for the process's life, so that two daemons never
// write one database (every transition and alert would be recorded twice); `state import` takes
// it, which both detects a running daemon and keeps one from starting mid-import. The lock is the
// kernel's: it goes away with the process, even after kill -9.

#include "core/result.hpp"

#include <filesystem>
#include <memory>
#include <string_view>

namespace dkimwatch {

class StateDirLock {
public:
    // Takes the lock on `dir` (which must exist) without waiting. Errors: "PATH: cannot open:
    // <reason>", or, when another process holds it, "state_dir DIR is in use by a running
    // dkimwatch (it holds PATH); <advice>".
    static Result<std::unique_ptr<StateDirLock>> take(const std::filesystem::path& dir,
                                                      std::string_view advice);

    ~StateDirLock(); // releases the lock
    StateDirLock(const StateDirLock&) = delete;
    StateDirLock& operator=(const StateDirLock&) = delete;

private:
    StateDirLock() = default;
    int m_fd = -1;
};

} // namespace dkimwatch
