#pragma once
// One received message (RFC 5322), split into its header fields and its body, for `inspect`.
// Pure: bytes in, message or a precise reason out. Accepts CRLF, LF and mixed line endings,
// folded header fields, 8-bit bytes in the body and (not as a header field) a leading mbox
// "From " envelope line, which mail clients write when they save a message.

#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

// The largest message accepted, in bytes (64 MiB). One byte more is refused.
inline constexpr std::size_t k_max_message_bytes = std::size_t{64} * 1024 * 1024;

struct MailHeaderField {
    std::string name; // the field name as written (case kept; compare case-insensitively)
    // The whole field as received, "Name: value" with its folding, every line ending turned into
    // CRLF (so folded lines are joined by "\r\n" followed by the continuation's whitespace), and
    // without the final CRLF. This is what a DKIM verifier is given.
    std::string raw;
    std::size_t line = 0; // 1-based line number, in the input, of the field's first line

    // The unfolded value: the text after the colon with every CRLF removed (the whitespace
    // that follows each is kept) and leading and trailing spaces and tabs trimmed.
    std::string value() const;
};

struct MailMessage {
    std::vector<MailHeaderField> headers; // in the order received
    // Everything after the empty line that ends the header, every line ending turned into CRLF;
    // bytes otherwise as received (8-bit, NUL included). Empty when there is no body.
    std::string body;
    // What the input used: "crlf", "lf" or "mixed". Informational.
    std::string line_endings;
};

// Parses a whole message. Errors (one line of text, the 1-based input line where it applies):
//   "the message is 67108865 bytes; the limit is 67108864 (64 MiB)"
//   "the input is empty"
//   "line 3: a header field without a colon: \"Subject hello\""   (the text cut at 60 bytes)
//   "line 2: a header field with an empty name"
//   "line 1: a NUL byte in the header"
//   "line 1: the message starts with a folded (indented) line"
// A header that runs to the end of the input without an empty line is accepted (no body).
// Linear in the input's size: a 100,000-line header is parsed, not refused.
Result<MailMessage> parse_mail_message(std::string_view bytes);

// The fields named `name` (case-insensitive), in order.
std::vector<const MailHeaderField*> header_fields(const MailMessage& message,
                                                  std::string_view name);

} // namespace dkimwatch
