// libFuzzer harness: a received message through parse_mail_message, then what `inspect` reads
// of it: from_domain, every field's value(), parse_address_list on the address fields and
// parse_authentication_results on every Authentication-Results field. Aborts when a result breaks
// its contract (a body or value with a bare line feed, a NUL in a field, a field whose raw text
// does not start with its name, lines out of order, an empty or multi-line error, an empty
// domain, a method that is not lowercase).

#include "core/authentication_results.hpp"
#include "core/mail_address.hpp"
#include "core/mail_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check_error(const std::string& error) {
    if (error.empty() || error.find('\n') != std::string::npos) {
        std::abort();
    }
}

bool has_bare_lf(std::string_view text) {
    for (std::size_t at = text.find('\n'); at != std::string_view::npos;
         at = text.find('\n', at + 1)) {
        if (at == 0 || text[at - 1] != '\r') {
            return true;
        }
    }
    return false;
}

bool is_lowercase(std::string_view text) {
    for (const char c : text) {
        if (c >= 'A' && c <= 'Z') {
            return false;
        }
    }
    return true;
}

bool is_address_field(std::string_view name) {
    for (const std::string_view known : {"from", "to", "cc", "sender", "reply-to"}) {
        if (name.size() == known.size()) {
            bool same = true;
            for (std::size_t i = 0; i < name.size(); ++i) {
                const char c = name[i] >= 'A' && name[i] <= 'Z'
                                   ? static_cast<char>(name[i] - 'A' + 'a')
                                   : name[i];
                same = same && c == known[i];
            }
            if (same) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto message = dkimwatch::parse_mail_message(bytes);
    if (!message.ok()) {
        check_error(message.error());
        return 0;
    }
    if (has_bare_lf(message->body)) {
        std::abort();
    }
    const std::string& endings = message->line_endings;
    if (endings != "crlf" && endings != "lf" && endings != "mixed") {
        std::abort();
    }
    std::size_t previous_line = 0;
    for (const dkimwatch::MailHeaderField& field : message->headers) {
        if (field.name.empty() || field.raw.compare(0, field.name.size(), field.name) != 0 ||
            field.raw.find(':') == std::string::npos || field.raw.find('\0') != std::string::npos ||
            has_bare_lf(field.raw) || field.line <= previous_line) {
            std::abort();
        }
        previous_line = field.line;
        const std::string value = field.value();
        if (value.find('\n') != std::string::npos) {
            std::abort();
        }
        if (is_address_field(field.name)) {
            const auto addresses = dkimwatch::parse_address_list(value);
            if (!addresses.ok()) {
                check_error(addresses.error());
            } else {
                for (const std::string& address : *addresses) {
                    if (address.find('@') == std::string::npos) {
                        std::abort();
                    }
                }
            }
        }
    }
    const auto domain = dkimwatch::from_domain(*message);
    if (domain.ok() ? domain->empty() : domain.error().empty()) {
        std::abort();
    }
    for (const auto* field : dkimwatch::header_fields(*message, "Authentication-Results")) {
        const auto results = dkimwatch::parse_authentication_results(field->value());
        if (!results.ok()) {
            check_error(results.error());
            continue;
        }
        for (const dkimwatch::AuthenticationResult& result : *results) {
            if (result.method.empty() || result.result.empty() || !is_lowercase(result.method) ||
                !is_lowercase(result.result) || !is_lowercase(result.header_d)) {
                std::abort();
            }
        }
    }
    return 0;
}
