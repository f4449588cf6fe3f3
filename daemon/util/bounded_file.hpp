#pragma once
// The one way the program reads a whole file (the configuration, identities_file, key files,
// secret files, keycheck inputs, /etc/resolv.conf): never blocks, never reads without bound.
//
// The file is opened O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, so a FIFO without a writer
// or a terminal cannot hang the caller, then fstat() must show a regular file: a FIFO, a
// character or block device (/dev/zero), a directory or a socket is refused with its own
// reason before a byte is read. Symbolic links are followed (a link to a regular file is
// fine). At most `max_bytes` are accepted: a file whose size is larger is refused without being
// read, and a file that grows while it is read is refused as soon as it passes the limit, so
// memory use stays below max_bytes + one buffer whatever happens to the file.
//
// Generic: knows nothing of dkimwatch. Thread-safe (no shared state).

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>

namespace dkimwatch {

enum class FileReadFailure {
    not_found,         // ENOENT, or a path component that is not a directory (ENOTDIR)
    permission_denied, // EACCES, EPERM
    not_regular,       // a FIFO, a device, a directory or a socket
    too_large,         // more than max_bytes
    io_error,          // anything else (EIO, ELOOP, ...): the reason is strerror's text
};

struct FileReadError {
    FileReadFailure kind = FileReadFailure::io_error;
    std::filesystem::path path; // as passed to read_bounded_file
    // Why, without the path: "cannot read: No such file or directory" (strerror's text for
    // not_found, permission_denied and io_error), "is a FIFO (named pipe), not a regular file",
    // "is larger than 1 MiB, the limit for a key file".
    std::string reason;

    // "<path>: <reason>".
    std::string to_string() const;
};

// The bytes of the file, or why they could not be read.
class FileRead {
public:
    FileRead(std::string content) : m_value(std::move(content)) {}
    FileRead(FileReadError error) : m_value(std::move(error)) {}

    bool ok() const { return std::holds_alternative<std::string>(m_value); }
    explicit operator bool() const { return ok(); }

    // Precondition: ok().
    const std::string& value() const& { return std::get<std::string>(m_value); }
    std::string&& value() && { return std::get<std::string>(std::move(m_value)); }
    const std::string& operator*() const& { return value(); }
    const std::string* operator->() const { return &value(); }

    // Precondition: !ok().
    const FileReadError& error() const { return std::get<FileReadError>(m_value); }

private:
    std::variant<std::string, FileReadError> m_value;
};

// How much of which kind of file may be read.
struct FileLimit {
    std::size_t max_bytes = 0; // the largest accepted file, in bytes
    std::string what;          // names the kind in the too_large reason: "a key file"
};

// "1 MiB", "64 KiB", "8 MiB", "1 GiB", "100 bytes": `bytes` in the largest binary unit that
// divides it exactly.
std::string format_byte_size(std::size_t bytes);

// Reads the whole regular file at `path`, at most limit.max_bytes bytes (contract above).
FileRead read_bounded_file(const std::filesystem::path& path, const FileLimit& limit);

} // namespace dkimwatch
