// The RFC 5322 message splitter behind `inspect`: header fields (with their folding) and body.
// One pass over the header lines and one over the body; the input is never copied whole except
// into the body (and the header fields' raw text), so a 64 MiB message costs about twice its size.
//
// Lines end at LF; a CR directly before that LF belongs to the line ending (CRLF), any other CR
// is data. Header fields are kept raw with every line ending turned into CRLF, which is the form
// DKIM canonicalization works on (RFC 6376 §3.4), and the body gets the same treatment.

#include "core/mail_message.hpp"

#include "core/error_excerpt.hpp"

#include <cstdio>

namespace dkimwatch {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string at_line(std::size_t line, std::string_view what) {
    return "line " + std::to_string(line) + ": " + std::string(what);
}

// How many line endings of each kind the input used.
struct LineEndingTally {
    std::size_t crlf = 0;
    std::size_t lf = 0;

    // The name MailMessage::line_endings reports. An input without any line ending needs no
    // conversion, which is what "crlf" says.
    std::string name() const {
        if (lf == 0) {
            return "crlf";
        }
        return crlf == 0 ? "lf" : "mixed";
    }
};

// One input line: its text without the line ending, and where the next line starts.
struct Line {
    std::string_view text;
    std::size_t next = 0;
    bool ended = false; // false: the input ends inside this line
};

Line line_at(std::string_view bytes, std::size_t pos, LineEndingTally& tally) {
    const std::size_t newline = bytes.find('\n', pos);
    if (newline == std::string_view::npos) {
        return {bytes.substr(pos), bytes.size(), false};
    }
    std::size_t end = newline;
    if (end > pos && bytes[end - 1] == '\r') {
        --end;
        ++tally.crlf;
    } else {
        ++tally.lf;
    }
    return {bytes.substr(pos, end - pos), newline + 1, true};
}

// The body with every lone LF turned into CRLF (a CR not followed by LF is data and kept).
// Sized exactly before copying, so the body is copied once.
std::string crlf_body(std::string_view body, LineEndingTally& tally) {
    std::size_t lone_lf = 0;
    std::size_t crlf = 0;
    for (std::size_t at = body.find('\n'); at != std::string_view::npos;
         at = body.find('\n', at + 1)) {
        if (at > 0 && body[at - 1] == '\r') {
            ++crlf;
        } else {
            ++lone_lf;
        }
    }
    tally.crlf += crlf;
    tally.lf += lone_lf;
    if (lone_lf == 0) {
        return std::string(body);
    }
    std::string out;
    out.reserve(body.size() + lone_lf);
    std::size_t copied = 0;
    for (std::size_t at = body.find('\n'); at != std::string_view::npos;
         at = body.find('\n', at + 1)) {
        if (at > 0 && body[at - 1] == '\r') {
            continue;
        }
        out.append(body.substr(copied, at - copied));
        out += "\r\n";
        copied = at + 1;
    }
    out.append(body.substr(copied));
    return out;
}

// Why `name` (the text before the colon, trailing whitespace already trimmed) is not a field
// name (RFC 5322 ftext: printable US-ASCII except ':'); empty when it is one.
std::string invalid_name_reason(std::string_view name, std::string_view line) {
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 33 || byte > 126) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(byte));
            return std::string("a header field name with a byte RFC 5322 does not allow (") + hex +
                   "): \"" + error_excerpt(line) + "\"";
        }
    }
    return {};
}

} // namespace

std::string MailHeaderField::value() const {
    const std::size_t colon = raw.find(':');
    if (colon == std::string::npos) {
        return {};
    }
    const std::string_view rest = std::string_view(raw).substr(colon + 1);
    std::string out;
    out.reserve(rest.size());
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '\r' && i + 1 < rest.size() && rest[i + 1] == '\n') {
            ++i;
            continue;
        }
        out += rest[i];
    }
    std::size_t begin = 0;
    while (begin < out.size() && is_wsp(out[begin])) {
        ++begin;
    }
    std::size_t end = out.size();
    while (end > begin && is_wsp(out[end - 1])) {
        --end;
    }
    return out.substr(begin, end - begin);
}

Result<MailMessage> parse_mail_message(std::string_view bytes) {
    if (bytes.size() > k_max_message_bytes) {
        return Error{"the message is " + std::to_string(bytes.size()) + " bytes; the limit is " +
                     std::to_string(k_max_message_bytes) + " (64 MiB)"};
    }
    if (bytes.empty()) {
        return Error{"the input is empty"};
    }
    MailMessage message;
    LineEndingTally tally;
    std::size_t pos = 0;
    std::size_t line_number = 1;
    // An mbox envelope line ("From sender date"), written by mail clients that save messages;
    // it is not a header field (it has no colon after "From").
    if (bytes.starts_with("From ")) {
        pos = line_at(bytes, pos, tally).next;
        ++line_number;
    }
    bool header_ended = false;
    for (; pos < bytes.size(); ++line_number) {
        const Line line = line_at(bytes, pos, tally);
        pos = line.next;
        if (line.text.empty()) {
            header_ended = true; // the empty line between header and body ("\r\n" or "\n")
            break;
        }
        if (line.text.find('\0') != std::string_view::npos) {
            return Error{at_line(line_number, "a NUL byte in the header")};
        }
        if (is_wsp(line.text.front())) {
            if (message.headers.empty()) {
                return Error{
                    at_line(line_number, "the message starts with a folded (indented) line")};
            }
            std::string& raw = message.headers.back().raw;
            raw += "\r\n";
            raw += line.text;
            continue;
        }
        const std::size_t colon = line.text.find(':');
        if (colon == std::string_view::npos) {
            return Error{at_line(line_number, "a header field without a colon: \"" +
                                                  error_excerpt(line.text) + "\"")};
        }
        if (colon == 0) {
            return Error{at_line(line_number, "a header field with an empty name")};
        }
        // Obsolete syntax (RFC 5322 §4.5) allows whitespace between the name and the colon.
        std::string_view name = line.text.substr(0, colon);
        while (is_wsp(name.back())) {
            name.remove_suffix(1);
        }
        if (const std::string reason = invalid_name_reason(name, line.text); !reason.empty()) {
            return Error{at_line(line_number, reason)};
        }
        MailHeaderField field;
        field.name = std::string(name);
        field.raw = std::string(line.text);
        field.line = line_number;
        message.headers.push_back(std::move(field));
    }
    if (header_ended) {
        message.body = crlf_body(bytes.substr(pos), tally);
    }
    message.line_endings = tally.name();
    return message;
}

std::vector<const MailHeaderField*> header_fields(const MailMessage& message,
                                                  std::string_view name) {
    std::vector<const MailHeaderField*> fields;
    for (const MailHeaderField& field : message.headers) {
        if (equals_ignoring_case(field.name, name)) {
            fields.push_back(&field);
        }
    }
    return fields;
}

} // namespace dkimwatch
