#include "dns/wire_name.hpp"

#include <algorithm>

namespace dkimwatch {

namespace {

constexpr std::size_t k_npos = static_cast<std::size_t>(-1);
// A name of 255 bytes has at most 127 labels, so a real message never needs more pointers than
// that for one name; more means a loop (ldns allows 65535, which only costs more time).
constexpr unsigned k_max_pointers = 256;
// ldns refuses presentation text longer than this before looking at it.
constexpr std::size_t k_max_text_size = k_max_wire_name_size * 4;

std::uint8_t lower(std::uint8_t c) {
    return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool labels_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

} // namespace

bool WireNameReader::fail(WireNameError error) {
    m_error = error;
    m_done = true;
    return false;
}

std::size_t WireNameReader::position() {
    if (m_done) {
        return m_error == WireNameError::none ? m_pos : k_npos;
    }
    for (;;) {
        if (m_pos >= m_message.size()) {
            // ldns reports a name that stops at the end of the message after a label as a label
            // overflow, and one that starts there as an overflow of the message.
            fail(m_any_label ? WireNameError::label_overflow : WireNameError::overflow);
            return k_npos;
        }
        const std::uint8_t byte = m_message[m_pos];
        if (byte < 0xc0) {
            return m_pos;
        }
        if (m_pos + 2 > m_message.size()) {
            fail(WireNameError::overflow);
            return k_npos;
        }
        const std::size_t target =
            (static_cast<std::size_t>(byte & 0x3f) << 8) | m_message[m_pos + 1];
        if (!m_jumped) {
            m_jumped = true;
            m_end = m_pos + 2;
        }
        if (++m_pointers > k_max_pointers || target == 0 || target >= m_message.size()) {
            fail(WireNameError::bad_pointer);
            return k_npos;
        }
        m_pos = target;
    }
}

bool WireNameReader::next(std::span<const std::uint8_t>& label) {
    if (m_done) {
        return false;
    }
    const std::size_t at = position();
    if (at == k_npos) {
        return false;
    }
    const std::size_t size = m_message[at];
    if (size == 0) {
        if (!m_jumped) {
            m_end = at + 1;
        }
        m_pos = at;
        m_wire_size += 1;
        m_done = true;
        return false;
    }
    if (size > k_max_label_size || at + 1 + size > m_message.size()) {
        return fail(WireNameError::label_overflow);
    }
    // This label, and the root label still to come, must fit.
    if (m_wire_size + 1 + size + 1 > k_max_wire_name_size) {
        return fail(WireNameError::name_overflow);
    }
    label = m_message.subspan(at + 1, size);
    m_pos = at + 1 + size;
    m_wire_size += 1 + size;
    m_any_label = true;
    return true;
}

WireNameError skip_wire_name(std::span<const std::uint8_t> message, std::size_t offset,
                             std::size_t& end) {
    WireNameReader reader(message, offset);
    std::span<const std::uint8_t> label;
    while (reader.next(label)) {
    }
    if (reader.error() == WireNameError::none) {
        end = reader.end();
    }
    return reader.error();
}

bool wire_names_equal(std::span<const std::uint8_t> message, std::size_t a, std::size_t b) {
    WireNameReader ra(message, a);
    WireNameReader rb(message, b);
    // Once both readers stand at the same offset the rest is the same bytes; both are still
    // walked to the end so that an unreadable tail is not called equal.
    bool same_bytes = false;
    for (;;) {
        if (!same_bytes) {
            const std::size_t pa = ra.position();
            const std::size_t pb = rb.position();
            if (pa == k_npos || pb == k_npos) {
                return false;
            }
            same_bytes = pa == pb;
        }
        std::span<const std::uint8_t> la;
        std::span<const std::uint8_t> lb;
        const bool more_a = ra.next(la);
        const bool more_b = rb.next(lb);
        if (more_a != more_b) {
            return false;
        }
        if (!more_a) {
            return ra.error() == WireNameError::none && rb.error() == WireNameError::none;
        }
        if (!same_bytes && !labels_equal(la, lb)) {
            return false;
        }
    }
}

bool wire_name_equals(std::span<const std::uint8_t> message, std::size_t offset,
                      std::span<const std::uint8_t> name) {
    WireNameReader reader(message, offset);
    std::size_t pos = 0;
    std::span<const std::uint8_t> label;
    while (reader.next(label)) {
        if (pos >= name.size() || name[pos] != label.size() ||
            pos + 1 + label.size() > name.size() ||
            !labels_equal(label, name.subspan(pos + 1, label.size()))) {
            return false;
        }
        pos += 1 + label.size();
    }
    return reader.error() == WireNameError::none && pos + 1 == name.size() && name[pos] == 0;
}

bool wire_name_text(std::span<const std::uint8_t> message, std::size_t offset, std::string& out) {
    out.clear();
    WireNameReader reader(message, offset);
    std::span<const std::uint8_t> label;
    bool first = true;
    while (reader.next(label)) {
        if (!first) {
            out.push_back('.');
        }
        first = false;
        for (const std::uint8_t c : label) {
            if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
                out.push_back('\\');
                out.push_back(static_cast<char>(c));
            } else if (c < 0x21 || c > 0x7e) {
                const char escaped[4] = {'\\', static_cast<char>('0' + c / 100),
                                         static_cast<char>('0' + c / 10 % 10),
                                         static_cast<char>('0' + c % 10)};
                out.append(escaped, sizeof escaped);
            } else {
                out.push_back(static_cast<char>(lower(c)));
            }
        }
    }
    if (reader.error() != WireNameError::none) {
        return false;
    }
    if (first) {
        out.push_back('.'); // the root
    }
    return true;
}

EncodedName encode_wire_name(std::string_view text) {
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
        text = text.substr(0, nul);
    }
    EncodedName out;
    if (text.empty() || text.size() > k_max_text_size) {
        return {};
    }
    if (text == ".") {
        out.size = 1;
        return out;
    }
    std::uint8_t* buffer = out.bytes.data();
    if (text.find('\\') == std::string_view::npos) {
        // No escapes (every name dkimwatch makes itself): whole labels at a time, same result.
        if (text.back() == '.') {
            text.remove_suffix(1);
        }
        if (text.size() + 2 > k_max_wire_name_size) {
            return {};
        }
        std::size_t q = 0;
        while (true) {
            const std::size_t dot = text.find('.');
            const std::string_view label = text.substr(0, dot);
            if (label.empty() || label.size() > k_max_label_size) {
                return {};
            }
            buffer[q] = static_cast<std::uint8_t>(label.size());
            std::copy(label.begin(), label.end(), buffer + q + 1);
            q += 1 + label.size();
            if (dot == std::string_view::npos) {
                break;
            }
            text.remove_prefix(dot + 1);
        }
        buffer[q] = 0;
        out.size = q + 1;
        return out;
    }
    std::size_t q = 1;         // where the next byte goes
    std::size_t length_at = 0; // where the current label's length byte goes
    std::size_t label_size = 0;
    bool absolute = false; // the last character was an unescaped '.'
    for (std::size_t s = 0; s < text.size(); ++s, ++q) {
        if (q >= k_max_wire_name_size) {
            return {};
        }
        buffer[q] = 0;
        const char c = text[s];
        absolute = false;
        if (c == '.') {
            if (label_size == 0 || label_size > k_max_label_size) {
                return {};
            }
            buffer[length_at] = static_cast<std::uint8_t>(label_size);
            label_size = 0;
            length_at = q;
            absolute = true;
        } else if (c == '\\') {
            ++s;
            if (s + 2 < text.size() && is_digit(text[s]) && is_digit(text[s + 1]) &&
                is_digit(text[s + 2])) {
                const int value =
                    (text[s] - '0') * 100 + (text[s + 1] - '0') * 10 + (text[s + 2] - '0');
                if (value > 255) {
                    return {};
                }
                buffer[q] = static_cast<std::uint8_t>(value);
                s += 2;
            } else if (s < text.size() && !is_digit(text[s])) {
                buffer[q] = static_cast<std::uint8_t>(text[s]);
            } else {
                return {};
            }
            ++label_size;
        } else {
            buffer[q] = static_cast<std::uint8_t>(c);
            ++label_size;
        }
    }
    if (absolute) {
        out.size = q;
        return out;
    }
    if (q >= k_max_wire_name_size || label_size == 0 || label_size > k_max_label_size) {
        return {};
    }
    buffer[length_at] = static_cast<std::uint8_t>(label_size);
    buffer[q] = 0;
    out.size = q + 1;
    return out;
}

} // namespace dkimwatch
