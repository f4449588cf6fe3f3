#pragma once
// Domain names in DNS wire format, read straight out of a received message: following
// compression pointers, comparing, and turning them into dkimwatch's canonical text. Also the
// reverse, presentation text to uncompressed wire form, for building queries.
//
// Every reader here is bounds-checked and loop-guarded: any byte string is safe input. The rules
// for what is a valid name are those of ldns 1.8.3 (ldns_wire2dname, ldns_str2rdf_dname), so that
// the results match what the resolver produced when it parsed with ldns.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dkimwatch {

// A name's wire form is at most this many bytes, root label included (RFC 1035 section 3.1).
constexpr std::size_t k_max_wire_name_size = 255;
// A label is at most this many bytes.
constexpr std::size_t k_max_label_size = 63;

// Why a name in a message cannot be read.
enum class WireNameError : std::uint8_t {
    none,
    overflow,       // the name, or a compression pointer, runs past the end of the message
    bad_pointer,    // a pointer to offset 0 or beyond the message, or too many pointers (a loop)
    label_overflow, // a label longer than 63 bytes (or an extended label type), or past the end
    name_overflow,  // more than 255 bytes once decompressed
};

// Walks the labels of one possibly compressed name that starts at `offset` in `message`.
// Usage: `while (reader.next(label)) {...}` then check `error()`. Never reads outside `message`.
class WireNameReader {
public:
    WireNameReader(std::span<const std::uint8_t> message, std::size_t offset)
        : m_message(message), m_pos(offset) {}

    // The next label (without its length byte). False at the root label or on an error.
    bool next(std::span<const std::uint8_t>& label);
    WireNameError error() const { return m_error; }
    // After the root label was reached: the offset just past this name's bytes at the starting
    // offset (past the first compression pointer, or past the root label).
    std::size_t end() const { return m_end; }
    // After the root label was reached: the decompressed size, root label included.
    std::size_t wire_size() const { return m_wire_size; }
    // Follows pointers up to the next label or root byte and returns its offset, or
    // std::size_t(-1) (with error() set) when that fails. Two names whose readers stand at the
    // same offset have the same remaining labels.
    std::size_t position();

private:
    bool fail(WireNameError error);

    std::span<const std::uint8_t> m_message;
    std::size_t m_pos;
    std::size_t m_end = 0;
    std::size_t m_wire_size = 0;
    unsigned m_pointers = 0;
    bool m_jumped = false;
    bool m_done = false;
    bool m_any_label = false;
    WireNameError m_error = WireNameError::none;
};

// Checks the name at `offset`; on success sets `end` (see WireNameReader::end).
WireNameError skip_wire_name(std::span<const std::uint8_t> message, std::size_t offset,
                             std::size_t& end);

// True when the names at offsets `a` and `b` of `message` are equal, ASCII letters compared
// case-insensitively. False when either cannot be read.
bool wire_names_equal(std::span<const std::uint8_t> message, std::size_t a, std::size_t b);

// True when the name at `offset` equals `name`, an uncompressed wire-form name (as made by
// encode_wire_name), case-insensitively. False when the name cannot be read.
bool wire_name_equals(std::span<const std::uint8_t> message, std::size_t offset,
                      std::span<const std::uint8_t> name);

// Replaces `out` with the canonical text of the name at `offset`: ldns's presentation form
// (".;()\" escaped with a backslash, bytes outside printable ASCII as "\DDD"), ASCII letters
// lowercased, no trailing dot; the root is ".". False (and `out` unspecified) when the name
// cannot be read.
bool wire_name_text(std::span<const std::uint8_t> message, std::size_t offset, std::string& out);

// An uncompressed wire-form name, built on the stack.
struct EncodedName {
    std::array<std::uint8_t, k_max_wire_name_size> bytes{};
    std::size_t size = 0; // 0: not a valid name

    std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};

// Presentation text ("a.b", "a.b.", escapes "\." and "\DDD", "." for the root) to wire form,
// with ldns_str2rdf_dname's rules: labels 1..63 bytes, at most 255 bytes in all; the text ends
// at the first NUL byte. Returns size 0 when the text is not a valid name.
EncodedName encode_wire_name(std::string_view text);

} // namespace dkimwatch
