#include "util/bounded_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dkimwatch {
namespace {

constexpr std::size_t k_read_chunk_bytes = 64 * 1024;

// Closes the descriptor when it goes out of scope.
class FdGuard {
public:
    explicit FdGuard(int fd) : m_fd(fd) {}
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    ~FdGuard() { ::close(m_fd); }

private:
    int m_fd;
};

// Why a file of this type is refused; nullptr for a regular file.
const char* not_regular_reason(mode_t mode) {
    if (S_ISREG(mode)) {
        return nullptr;
    }
    if (S_ISFIFO(mode)) {
        return "is a FIFO (named pipe), not a regular file";
    }
    if (S_ISCHR(mode)) {
        return "is a character device, not a regular file";
    }
    if (S_ISBLK(mode)) {
        return "is a block device, not a regular file";
    }
    if (S_ISDIR(mode)) {
        return "is a directory, not a regular file";
    }
    if (S_ISSOCK(mode)) {
        return "is a socket, not a regular file";
    }
    return "is not a regular file";
}

FileReadError failure(const std::filesystem::path& path, FileReadFailure kind, std::string reason) {
    return FileReadError{kind, path, std::move(reason)};
}

FileReadError errno_failure(const std::filesystem::path& path, int error) {
    const FileReadFailure kind = error == ENOENT || error == ENOTDIR ? FileReadFailure::not_found
                                 : error == EACCES || error == EPERM
                                     ? FileReadFailure::permission_denied
                                     : FileReadFailure::io_error;
    return failure(path, kind, std::string("cannot read: ") + std::strerror(error));
}

FileReadError too_large(const std::filesystem::path& path, const FileLimit& limit) {
    std::string reason = "is larger than " + format_byte_size(limit.max_bytes);
    if (!limit.what.empty()) {
        reason += ", the limit for " + limit.what;
    }
    return failure(path, FileReadFailure::too_large, std::move(reason));
}

} // namespace

std::string FileReadError::to_string() const {
    return path.string() + ": " + reason;
}

std::string format_byte_size(std::size_t bytes) {
    static constexpr std::array<const char*, 3> k_units = {"KiB", "MiB", "GiB"};
    if (bytes == 0 || bytes % 1024 != 0) {
        return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    }
    std::size_t value = bytes / 1024;
    std::size_t unit = 0;
    while (unit + 1 < k_units.size() && value % 1024 == 0) {
        value /= 1024;
        ++unit;
    }
    return std::to_string(value) + " " + k_units[unit];
}

FileRead read_bounded_file(const std::filesystem::path& path, const FileLimit& limit) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        const int open_errno = errno;
        // A Unix socket cannot be opened (ENXIO); say what it is rather than "No such device".
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) {
            if (const char* reason = not_regular_reason(st.st_mode)) {
                if (open_errno == ENXIO || open_errno == EOPNOTSUPP) {
                    return failure(path, FileReadFailure::not_regular, reason);
                }
            }
        }
        return errno_failure(path, open_errno);
    }
    FdGuard guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return errno_failure(path, errno);
    }
    if (const char* reason = not_regular_reason(st.st_mode)) {
        return failure(path, FileReadFailure::not_regular, reason);
    }
    if (st.st_size > 0 && static_cast<std::uintmax_t>(st.st_size) > limit.max_bytes) {
        return too_large(path, limit);
    }
    std::string content;
    // The size seen now; the file may still grow or shrink while it is read.
    content.reserve(static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)));
    std::array<char, k_read_chunk_bytes> buffer{};
    while (true) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_failure(path, errno);
        }
        if (got == 0) {
            break;
        }
        if (static_cast<std::size_t>(got) > limit.max_bytes - content.size()) {
            return too_large(path, limit);
        }
        content.append(buffer.data(), static_cast<std::size_t>(got));
    }
    return content;
}

} // namespace dkimwatch
