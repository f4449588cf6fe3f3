#include "dkim/dkim_verifier.hpp"

#include "core/dns_name.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

// dkim.h is C: it spells its booleans _Bool, which C++ does not know (same ABI as bool).
#define _Bool bool
#include <dkim.h>
#undef _Bool

namespace dkimwatch {

namespace {

// libopendkim's own tolerance for clocks that disagree (its DEFCLOCKDRIFT): a t= up to this far
// after the verification time is accepted.
constexpr std::int64_t k_clock_drift_seconds = 300;

// What one key lookup gave, memoized per (canonical domain, selector) for one call.
struct KeyLookupEntry {
    DkimKeyAnswer answer;
    // Set when the answer cannot be handed to libopendkim as it is (too long, NUL byte): then the
    // signature is reported from this entry, not from libopendkim's error code.
    std::optional<SignatureResult> forced_result;
    std::string forced_reason;
};

// The state the key lookup callback reaches through dkim_get_user_context().
struct VerifyContext {
    const DkimKeyLookup* lookup = nullptr;
    std::map<std::pair<std::string, std::string>, KeyLookupEntry> keys;
};

std::string to_lower(std::string_view text) {
    std::string lowered(text);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lowered;
}

// Runs the caller's lookup once per (domain, selector); never throws.
KeyLookupEntry& lookup_key(VerifyContext& context, const std::string& domain,
                           const std::string& selector, std::size_t buffer_size) {
    const auto key = std::make_pair(domain, selector);
    auto found = context.keys.find(key);
    if (found != context.keys.end()) {
        return found->second;
    }
    KeyLookupEntry entry;
    try {
        entry.answer = (*context.lookup)(domain, selector);
    } catch (const std::exception& error) {
        entry.answer = {DkimKeyAnswer::Status::temporary_failure, "",
                        std::string("the key lookup failed: ") + error.what()};
    } catch (...) {
        entry.answer = {DkimKeyAnswer::Status::temporary_failure, "",
                        "the key lookup failed with an unknown error"};
    }
    if (entry.answer.status == DkimKeyAnswer::Status::found) {
        const std::string& record = entry.answer.record;
        if (record.find('\0') != std::string::npos) {
            entry.forced_result = SignatureResult::permerror;
            entry.forced_reason = "the key record at " + key_record_name(selector, domain) +
                                  " holds a NUL byte: it cannot be a usable key record";
        } else if (record.size() + 1 > buffer_size) {
            entry.forced_result = SignatureResult::temperror;
            entry.answer.detail = "the key record at " + key_record_name(selector, domain) +
                                  " is " + std::to_string(record.size()) +
                                  " bytes; libopendkim accepts at most " +
                                  std::to_string(buffer_size - 1);
            entry.forced_reason = entry.answer.detail;
        }
    }
    return context.keys.emplace(key, std::move(entry)).first->second;
}

// libopendkim's key lookup hook. Contract (libopendkim 2.11's dkim_get_key): CONTINUE with the
// record in `buffer`, or NOTFOUND. TRYAGAIN/ERROR would abort the whole message's verification,
// so a temporary failure is marked on the signature (KEYFAIL) and handed back as an empty record,
// which libopendkim then leaves as KEYFAIL.
DKIM_CBSTAT key_lookup_callback(DKIM* dkim, DKIM_SIGINFO* sig, u_char* buffer, size_t buffer_size) {
    try {
        auto* context = static_cast<VerifyContext*>(dkim_get_user_context(dkim));
        const u_char* domain = dkim_sig_getdomain(sig);
        const u_char* selector = dkim_sig_getselector(sig);
        if (context == nullptr || domain == nullptr || selector == nullptr || buffer == nullptr ||
            buffer_size == 0) {
            dkim_sig_seterror(sig, DKIM_SIGERROR_KEYFAIL);
            return DKIM_CBSTAT_CONTINUE;
        }
        const KeyLookupEntry& entry =
            lookup_key(*context, canonical_name(reinterpret_cast<const char*>(domain)),
                       reinterpret_cast<const char*>(selector), buffer_size);
        std::memset(buffer, 0, buffer_size);
        if (entry.forced_result.has_value()) {
            dkim_sig_seterror(sig, entry.forced_result == SignatureResult::temperror
                                       ? DKIM_SIGERROR_KEYFAIL
                                       : DKIM_SIGERROR_DNSSYNTAX);
            return DKIM_CBSTAT_CONTINUE;
        }
        switch (entry.answer.status) {
        case DkimKeyAnswer::Status::found:
            std::memcpy(buffer, entry.answer.record.data(), entry.answer.record.size());
            return DKIM_CBSTAT_CONTINUE;
        case DkimKeyAnswer::Status::no_key:
            return DKIM_CBSTAT_NOTFOUND;
        case DkimKeyAnswer::Status::temporary_failure:
            break;
        }
        dkim_sig_seterror(sig, DKIM_SIGERROR_KEYFAIL);
        return DKIM_CBSTAT_CONTINUE;
    } catch (...) {
        dkim_sig_seterror(sig, DKIM_SIGERROR_KEYFAIL);
        return DKIM_CBSTAT_CONTINUE;
    }
}

// libopendkim's library handle, closed on every path.
struct LibCloser {
    void operator()(DKIM_LIB* lib) const { dkim_close(lib); }
};
using LibHandle = std::unique_ptr<DKIM_LIB, LibCloser>;

struct DkimFreer {
    void operator()(DKIM* dkim) const { dkim_free(dkim); }
};
using DkimHandle = std::unique_ptr<DKIM, DkimFreer>;

Error libopendkim_error(DKIM_STAT status, DKIM* dkim) {
    std::string text = "libopendkim: ";
    const char* result = dkim_getresultstr(status);
    text += result != nullptr ? result : ("status " + std::to_string(status));
    if (dkim != nullptr) {
        const char* detail = dkim_geterror(dkim);
        if (detail != nullptr && detail[0] != '\0') {
            text += std::string(" (") + detail + ")";
        }
    }
    return Error{text};
}

// The field name of a raw header field as libopendkim sees it (dkim_header): the bytes before
// the first colon, trailing spaces dropped; nullopt when libopendkim refuses the field (no colon,
// a byte outside 32..126 or a ';' in the name).
std::optional<std::string_view> libopendkim_field_name(std::string_view raw) {
    const std::size_t colon = raw.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view name = raw.substr(0, colon);
    for (unsigned char c : name) {
        if (c < 32 || c > 126 || c == ';') {
            return std::nullopt;
        }
    }
    while (!name.empty() && name.back() == ' ') {
        name.remove_suffix(1);
    }
    return name;
}

bool is_dkim_signature_field(const MailHeaderField& field) {
    const auto name = libopendkim_field_name(field.raw);
    return name.has_value() && name->size() == std::strlen(DKIM_SIGNHEADER) &&
           to_lower(*name) == to_lower(DKIM_SIGNHEADER);
}

// A tag's value as libopendkim stored it (whitespace removed), or nullopt.
std::optional<std::string> tag_value(DKIM_SIGINFO* sig, const char* tag) {
    u_char* value =
        dkim_sig_gettagvalue(sig, false, reinterpret_cast<u_char*>(const_cast<char*>(tag)));
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(value));
}

template <typename Integer>
std::optional<Integer> parse_number(const std::optional<std::string>& text) {
    if (!text.has_value() || text->empty()) {
        return std::nullopt;
    }
    Integer value{};
    const char* begin = text->data();
    const char* end = begin + text->size();
    const auto [stop, error] = std::from_chars(begin, end, value);
    if (error != std::errc{} || stop != end) {
        return std::nullopt;
    }
    return value;
}

// The DKIM-Signature field's text without whitespace, to find its b= in.
std::string without_whitespace(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

// True when the field's b= tag is `b` (both without whitespace): ";b=<b>;" or at either end.
bool field_has_signature(const std::string& compact_value, const std::string& b) {
    const std::string tag = "b=" + b;
    std::size_t at = 0;
    while ((at = compact_value.find(tag, at)) != std::string::npos) {
        const bool starts = at == 0 || compact_value[at - 1] == ';';
        const std::size_t after = at + tag.size();
        const bool ends = after == compact_value.size() || compact_value[after] == ';';
        if (starts && ends) {
            return true;
        }
        ++at;
    }
    return false;
}

std::string canonicalization_of(const std::optional<std::string>& c) {
    if (!c.has_value() || c->empty()) {
        return "simple/simple";
    }
    const std::string lowered = to_lower(*c);
    if (lowered.find('/') == std::string::npos) {
        return lowered + "/simple";
    }
    return lowered;
}

std::vector<std::string> header_list_of(const std::optional<std::string>& h) {
    std::vector<std::string> fields;
    if (!h.has_value()) {
        return fields;
    }
    std::size_t start = 0;
    while (start <= h->size()) {
        const std::size_t colon = h->find(':', start);
        const std::size_t end = colon == std::string::npos ? h->size() : colon;
        std::string name = to_lower(std::string_view(*h).substr(start, end - start));
        if (!name.empty()) {
            fields.push_back(std::move(name));
        }
        if (colon == std::string::npos) {
            break;
        }
        start = colon + 1;
    }
    return fields;
}

// The tags of one signature, with RFC 6376's defaults applied.
void fill_tags(DKIM_SIGINFO* sig, DkimSignatureCheck& check) {
    check.domain = canonical_name(tag_value(sig, "d").value_or(""));
    check.selector = tag_value(sig, "s").value_or("");
    check.algorithm = to_lower(tag_value(sig, "a").value_or(""));
    check.canonicalization = canonicalization_of(tag_value(sig, "c"));
    const auto identity = tag_value(sig, "i");
    check.agent_identifier =
        identity.has_value() && !identity->empty() ? *identity : "@" + check.domain;
    check.signed_header_fields = header_list_of(tag_value(sig, "h"));
    check.signed_at = parse_number<std::int64_t>(tag_value(sig, "t"));
    check.expires_at = parse_number<std::int64_t>(tag_value(sig, "x"));
    const auto length = tag_value(sig, "l");
    check.partial_body = length.has_value();
    check.body_length = parse_number<std::uint64_t>(length);
}

bool is_syntax_error_before_time(int error) {
    switch (error) {
    case DKIM_SIGERROR_MISSING_D:
    case DKIM_SIGERROR_EMPTY_D:
    case DKIM_SIGERROR_MISSING_S:
    case DKIM_SIGERROR_EMPTY_S:
    case DKIM_SIGERROR_MISSING_V:
    case DKIM_SIGERROR_EMPTY_V:
    case DKIM_SIGERROR_VERSION:
    case DKIM_SIGERROR_DOMAIN:
        return true;
    default:
        return false;
    }
}

std::string libopendkim_words(int error) {
    const char* text = dkim_sig_geterrorstr(error);
    return text != nullptr ? std::string(text) : "signature error " + std::to_string(error);
}

// The reason for a syntax error, naming the tag; nullopt when `error` is not one.
std::optional<std::string> syntax_reason(int error) {
    switch (error) {
    case DKIM_SIGERROR_VERSION:
        return "v= is not 1: this DKIM-Signature version is not supported";
    case DKIM_SIGERROR_MISSING_V:
        return "the v= tag is missing";
    case DKIM_SIGERROR_EMPTY_V:
        return "the v= tag is empty";
    case DKIM_SIGERROR_DOMAIN:
        return "i= is not in d= or a subdomain of it";
    case DKIM_SIGERROR_SUBDOMAIN:
        return "i= names a subdomain of d=, which the key's t=s flag forbids";
    case DKIM_SIGERROR_TIMESTAMPS:
        return "x= is before t=: the signature expires before it was made";
    case DKIM_SIGERROR_INVALID_HC:
        return "c= names an unknown header canonicalization";
    case DKIM_SIGERROR_INVALID_BC:
        return "c= names an unknown body canonicalization";
    case DKIM_SIGERROR_MISSING_A:
        return "the a= tag is missing";
    case DKIM_SIGERROR_INVALID_A:
        return "a= names an unknown or unsupported signing algorithm";
    case DKIM_SIGERROR_MISSING_H:
        return "the h= tag is missing";
    case DKIM_SIGERROR_EMPTY_H:
        return "the h= tag is empty";
    case DKIM_SIGERROR_INVALID_H:
        return "h= does not list From: the From header field must be signed";
    case DKIM_SIGERROR_INVALID_L:
        return "l= is not a valid length";
    case DKIM_SIGERROR_INVALID_Q:
        return "q= names an unknown query method";
    case DKIM_SIGERROR_INVALID_QO:
        return "q= has an invalid option";
    case DKIM_SIGERROR_MISSING_D:
        return "the d= tag is missing";
    case DKIM_SIGERROR_EMPTY_D:
        return "the d= tag is empty";
    case DKIM_SIGERROR_MISSING_S:
        return "the s= tag is missing";
    case DKIM_SIGERROR_EMPTY_S:
        return "the s= tag is empty";
    case DKIM_SIGERROR_MISSING_B:
        return "the b= tag is missing";
    case DKIM_SIGERROR_EMPTY_B:
        return "the b= tag is empty";
    case DKIM_SIGERROR_CORRUPT_B:
        return "b= is not valid base64";
    case DKIM_SIGERROR_MISSING_BH:
        return "the bh= tag is missing";
    case DKIM_SIGERROR_EMPTY_BH:
        return "the bh= tag is empty";
    case DKIM_SIGERROR_CORRUPT_BH:
        return "bh= is not valid base64";
    case DKIM_SIGERROR_MBSFAILED:
        return "a header field that must be signed is not in h=";
    case DKIM_SIGERROR_CONDITIONAL:
    case DKIM_SIGERROR_CONDLOOP:
    case DKIM_SIGERROR_UNKNOWN:
        return "the DKIM-Signature field is not usable (libopendkim: " + libopendkim_words(error) +
               ")";
    default:
        return std::nullopt;
    }
}

// The reason for an unusable key; nullopt when `error` is not a key error.
std::optional<std::string> key_reason(int error, const std::string& record_name) {
    const std::string at = " at " + record_name;
    switch (error) {
    case DKIM_SIGERROR_KEYREVOKED:
        return "the key record" + at + " has an empty p=: the key is revoked";
    case DKIM_SIGERROR_DNSSYNTAX:
        return "the key record" + at + " is not a valid DKIM key record";
    case DKIM_SIGERROR_MULTIREPLY:
        return "more than one key record" + at;
    case DKIM_SIGERROR_KEYVERSION:
        return "the key record" + at + " has a v= other than DKIM1";
    case DKIM_SIGERROR_KEYUNKNOWNHASH:
        return "the key record" + at + " has an h= naming an unknown hash";
    case DKIM_SIGERROR_KEYHASHMISMATCH:
        return "the key record" + at + " has an h= that does not allow the signature's hash";
    case DKIM_SIGERROR_NOTEMAILKEY:
        return "the key record" + at + " has an s= that excludes e-mail";
    case DKIM_SIGERROR_KEYTYPEMISSING:
        return "the key record" + at + " has no k= key type";
    case DKIM_SIGERROR_KEYTYPEUNKNOWN:
        return "the key record" + at + " has an unknown k= key type";
    case DKIM_SIGERROR_KEYDECODE:
        return "the key in p=" + at +
               " cannot be decoded (not a public key of the signature's algorithm)";
    case DKIM_SIGERROR_KEYTOOSMALL:
        return "the key" + at + " is too small: at least 1024 bits are required";
    default:
        return std::nullopt;
    }
}

void set_outcome(DkimSignatureCheck& check, SignatureResult result, SignatureFailure failure,
                 std::string reason) {
    check.result = result;
    check.failure = failure;
    check.reason = std::move(reason);
}

// The field itself, then its times (judged against `now`, as libopendkim only knows the real
// clock). True when they decide the outcome.
bool judge_field_and_time(int error, std::int64_t now,
                          const std::optional<std::string>& parse_error,
                          DkimSignatureCheck& check) {
    if (parse_error.has_value()) {
        const auto reason = syntax_reason(error);
        std::string text = reason.has_value() && error != DKIM_SIGERROR_UNKNOWN
                               ? *reason
                               : "the field is not a valid DKIM-Signature tag list";
        if (!parse_error->empty()) {
            text += " (libopendkim: " + *parse_error + ")";
        }
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax, text);
        return true;
    }
    if (is_syntax_error_before_time(error)) {
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                    *syntax_reason(error));
        return true;
    }
    if (check.expired) {
        set_outcome(check, SignatureResult::permerror, SignatureFailure::expired,
                    "the signature expired: x=" + std::to_string(*check.expires_at) +
                        " is before the verification time " + std::to_string(now));
        return true;
    }
    if (check.signed_at.has_value() && *check.signed_at > now + k_clock_drift_seconds) {
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                    "t=" + std::to_string(*check.signed_at) +
                        " is in the future of the verification time " + std::to_string(now) +
                        ": the signer's clock is wrong or the field was forged");
        return true;
    }
    if (error == DKIM_SIGERROR_EXPIRED || error == DKIM_SIGERROR_FUTURE) {
        // libopendkim judged t=/x= against the real clock with wrapping arithmetic; only values
        // at the edge of its range get here.
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                    "t= or x= is out of the range libopendkim can judge (" +
                        libopendkim_words(error) + ")");
        return true;
    }
    return false;
}

// The key lookup and the key record. True when they decide the outcome.
bool judge_key(int error, const VerifyContext& context, DkimSignatureCheck& check) {
    const std::string record_name = key_record_name(check.selector, check.domain);
    const auto entry = context.keys.find(std::make_pair(check.domain, check.selector));
    const KeyLookupEntry* lookup = entry != context.keys.end() ? &entry->second : nullptr;
    if (lookup != nullptr && lookup->forced_result.has_value()) {
        set_outcome(check, *lookup->forced_result,
                    *lookup->forced_result == SignatureResult::temperror ? SignatureFailure::none
                                                                         : SignatureFailure::key,
                    lookup->forced_reason);
        return true;
    }
    if (error == DKIM_SIGERROR_KEYFAIL) {
        const std::string detail = lookup != nullptr && !lookup->answer.detail.empty()
                                       ? lookup->answer.detail
                                       : "the lookup failed";
        set_outcome(check, SignatureResult::temperror, SignatureFailure::none,
                    "the key record at " + record_name + " could not be fetched: " + detail);
        return true;
    }
    if (error == DKIM_SIGERROR_NOKEY) {
        std::string reason = "no key record at " + record_name;
        if (lookup != nullptr && !lookup->answer.detail.empty()) {
            reason += " (" + lookup->answer.detail + ")";
        }
        set_outcome(check, SignatureResult::permerror, SignatureFailure::key, reason);
        return true;
    }
    if (auto reason = key_reason(error, record_name)) {
        if (error == DKIM_SIGERROR_KEYTOOSMALL && check.key_bits != 0) {
            *reason = "the key at " + record_name + " has " + std::to_string(check.key_bits) +
                      " bits: at least 1024 are required";
        }
        set_outcome(check, SignatureResult::permerror, SignatureFailure::key, *reason);
        return true;
    }
    return false;
}

// The cryptography: the header signature and the body hash.
void judge_verification(DKIM_SIGINFO* sig, int error, DkimSignatureCheck& check) {
    const unsigned int flags = dkim_sig_getflags(sig);
    const int body_hash = dkim_sig_getbh(sig);
    if (error == DKIM_SIGERROR_TOOLARGE_L) {
        set_outcome(check, SignatureResult::fail, SignatureFailure::body_hash,
                    "l= is longer than the canonicalized body: the body was cut after signing");
        return;
    }
    if (auto reason = syntax_reason(error); reason.has_value() && error != DKIM_SIGERROR_UNKNOWN) {
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax, *reason);
        return;
    }
    if (DKIM_SIG_CHECK(sig) && error == DKIM_SIGERROR_OK) {
        set_outcome(check, SignatureResult::pass, SignatureFailure::none, "");
        return;
    }
    if (body_hash == DKIM_SIGBH_MISMATCH) {
        set_outcome(check, SignatureResult::fail, SignatureFailure::body_hash,
                    "the body hash does not match bh=: the body was changed after signing");
        return;
    }
    if (error == DKIM_SIGERROR_BADSIG) {
        set_outcome(check, SignatureResult::fail, SignatureFailure::signature,
                    "the signature does not verify over the signed header fields: a signed "
                    "header field was changed, or the published key is not the one that signed");
        return;
    }
    if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
        set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                    "libopendkim did not evaluate this signature (" + libopendkim_words(error) +
                        ")");
        return;
    }
    set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                "the signature could not be verified (libopendkim: " + libopendkim_words(error) +
                    ")");
}

// Judges one signature from libopendkim's findings, the key lookups and the verification time.
// Order as libopendkim's: the field's basic syntax, then the time (judged here against `now`,
// because libopendkim only knows the real clock), then the key and the cryptography.
// `parse_error`: what libopendkim said when it refused the field's tag list (dkim_header gave
// SYNTAX); such a field is never usable, whatever else it holds.
void judge(DKIM* dkim, DKIM_SIGINFO* sig, const VerifyContext& context, std::int64_t now,
           const std::optional<std::string>& parse_error, DkimSignatureCheck& check) {
    const int error = dkim_sig_geterror(sig);
    const unsigned int flags = dkim_sig_getflags(sig);

    check.expired = check.expires_at.has_value() && *check.expires_at < now;
    check.testing_key = (flags & DKIM_SIGFLAG_TESTKEY) != 0;
    unsigned int bits = 0;
    if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) {
        check.key_bits = bits;
    }
    ssize_t canonical_length = -1;
    if (dkim_sig_getcanonlen(dkim, sig, nullptr, &canonical_length, nullptr) == DKIM_STAT_OK &&
        canonical_length >= 0) {
        check.canonical_body_length = static_cast<std::uint64_t>(canonical_length);
    }

    if (judge_field_and_time(error, now, parse_error, check) || judge_key(error, context, check)) {
        return;
    }
    judge_verification(sig, error, check);
}

// Pairs libopendkim's signatures (in header order) with the message's DKIM-Signature fields,
// checking each pair by its b= value; a signature whose in-order field does not carry its b= is
// paired with the first unused field that does.
std::vector<std::size_t> pair_with_fields(DKIM_SIGINFO** sigs, int count,
                                          const std::vector<std::size_t>& fields,
                                          const MailMessage& message) {
    std::vector<std::string> compact;
    compact.reserve(fields.size());
    for (std::size_t index : fields) {
        const std::string& raw = message.headers[index].raw;
        compact.push_back(without_whitespace(std::string_view(raw).substr(raw.find(':') + 1)));
    }
    std::vector<bool> used(fields.size(), false);
    std::vector<std::size_t> pairing(static_cast<std::size_t>(count), fields.size());
    for (int i = 0; i < count; ++i) {
        const auto position = static_cast<std::size_t>(i);
        const auto b = tag_value(sigs[i], "b");
        const bool in_order_free = position < fields.size() && !used[position];
        if (in_order_free && (!b.has_value() || field_has_signature(compact[position], *b))) {
            pairing[position] = position;
        } else if (b.has_value()) {
            for (std::size_t f = 0; f < fields.size(); ++f) {
                if (!used[f] && field_has_signature(compact[f], *b)) {
                    pairing[position] = f;
                    break;
                }
            }
        }
        if (pairing[position] == fields.size() && in_order_free) {
            pairing[position] = position;
        }
        if (pairing[position] < fields.size()) {
            used[pairing[position]] = true;
        }
    }
    return pairing;
}

// A library handle set up for `inspect`: every signature evaluated (no VERIFYONE), unusable
// ones kept (BADSIGHANDLES), keys from key_lookup_callback.
Result<LibHandle> open_library(std::int64_t now) {
    LibHandle lib(dkim_init(nullptr, nullptr));
    if (!lib) {
        return Error{"libopendkim: dkim_init() failed"};
    }
    std::uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES;
    // t= and x= are judged here against `now`; libopendkim judges them against the real clock,
    // so its tolerance is widened by the distance between the two. Then whatever libopendkim
    // calls expired or future is so by `now` too, and every other signature gets verified.
    // (Its FIXEDTIME only dates signatures it makes; it is set for completeness.)
    const auto real_now = static_cast<std::int64_t>(std::time(nullptr));
    std::uint64_t drift =
        static_cast<std::uint64_t>(real_now > now ? real_now - now : now - real_now) +
        static_cast<std::uint64_t>(k_clock_drift_seconds);
    std::uint64_t fixed_time = static_cast<std::uint64_t>(std::max<std::int64_t>(now, 1));
    if (dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) !=
            DKIM_STAT_OK ||
        dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift) !=
            DKIM_STAT_OK ||
        dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed_time,
                     sizeof fixed_time) != DKIM_STAT_OK ||
        dkim_set_key_lookup(lib.get(), key_lookup_callback) != DKIM_STAT_OK) {
        return Error{"libopendkim: setting the verification options failed"};
    }
    return lib;
}

// Feeds the header fields to libopendkim. Returns, per header index, libopendkim's complaint
// about a DKIM-Signature field whose tag list it refused; an error when libopendkim fails.
Result<std::map<std::size_t, std::string>> feed_header(DKIM* dkim, const MailMessage& message) {
    std::map<std::size_t, std::string> parse_errors;
    for (std::size_t i = 0; i < message.headers.size(); ++i) {
        const MailHeaderField& field = message.headers[i];
        if (field.raw.empty()) {
            continue;
        }
        // dkim_header copies the field. A field it refuses outright (SYNTAX) is simply not
        // signed-over; a DKIM-Signature whose tag list it refuses is kept as an unusable one.
        std::string copy = field.raw;
        const DKIM_STAT status =
            dkim_header(dkim, reinterpret_cast<u_char*>(copy.data()), copy.size());
        if (status == DKIM_STAT_NORESOURCE || status == DKIM_STAT_INTERNAL ||
            status == DKIM_STAT_INVALID) {
            return libopendkim_error(status, dkim);
        }
        if (status == DKIM_STAT_SYNTAX && is_dkim_signature_field(field)) {
            const char* complaint = dkim_geterror(dkim);
            parse_errors[i] = complaint != nullptr ? complaint : "";
        }
    }
    return parse_errors;
}

// Runs the body and the end of the message through libopendkim. nullopt when it went well.
std::optional<Error> feed_body(DKIM* dkim, const MailMessage& message) {
    if (!message.body.empty()) {
        // libopendkim only reads the body bytes.
        const DKIM_STAT status =
            dkim_body(dkim, reinterpret_cast<u_char*>(const_cast<char*>(message.body.data())),
                      message.body.size());
        if (status != DKIM_STAT_OK) {
            return libopendkim_error(status, dkim);
        }
    }
    bool testing = false;
    const DKIM_STAT status = dkim_eom(dkim, &testing);
    switch (status) {
    case DKIM_STAT_OK:
    case DKIM_STAT_BADSIG:
    case DKIM_STAT_NOSIG:
    case DKIM_STAT_NOKEY:
    case DKIM_STAT_CANTVRFY:
    case DKIM_STAT_KEYFAIL:
    case DKIM_STAT_REVOKED:
    case DKIM_STAT_SYNTAX:
        return std::nullopt; // the per-signature findings tell the rest
    default:
        return libopendkim_error(status, dkim);
    }
}

// One check per DKIM-Signature field (`fields`, header indices in order) from libopendkim's
// signature list; a field libopendkim kept no signature for is reported as unusable.
std::vector<DkimSignatureCheck>
collect_checks(DKIM* dkim, DKIM_SIGINFO** sigs, int count, const std::vector<std::size_t>& fields,
               const MailMessage& message, const VerifyContext& context, std::int64_t now,
               const std::map<std::size_t, std::string>& parse_errors) {
    const std::vector<std::size_t> pairing = pair_with_fields(sigs, count, fields, message);
    std::vector<DkimSignatureCheck> checks;
    std::vector<bool> reported(fields.size(), false);
    for (int i = 0; i < count; ++i) {
        const std::size_t field = pairing[static_cast<std::size_t>(i)];
        if (field >= fields.size()) {
            continue; // cannot happen: libopendkim keeps one signature per field
        }
        DkimSignatureCheck check;
        check.header_index = fields[field];
        fill_tags(sigs[i], check);
        const auto complaint = parse_errors.find(check.header_index);
        judge(dkim, sigs[i], context, now,
              complaint != parse_errors.end() ? std::optional<std::string>(complaint->second)
                                              : std::nullopt,
              check);
        checks.push_back(std::move(check));
        reported[field] = true;
    }
    for (std::size_t f = 0; f < fields.size(); ++f) {
        if (!reported[f]) {
            DkimSignatureCheck check;
            check.header_index = fields[f];
            check.canonicalization = "simple/simple";
            set_outcome(check, SignatureResult::permerror, SignatureFailure::syntax,
                        "libopendkim did not take this field as a DKIM-Signature");
            checks.push_back(std::move(check));
        }
    }
    std::sort(checks.begin(), checks.end(),
              [](const DkimSignatureCheck& a, const DkimSignatureCheck& b) {
                  return a.header_index < b.header_index;
              });
    return checks;
}

} // namespace

Result<std::vector<DkimSignatureCheck>> verify_dkim_signatures(const MailMessage& message,
                                                               const DkimKeyLookup& lookup,
                                                               const DkimVerifyOptions& options) {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();

    std::vector<std::size_t> fields; // indices of the DKIM-Signature fields, in header order
    for (std::size_t i = 0; i < message.headers.size(); ++i) {
        if (is_dkim_signature_field(message.headers[i])) {
            fields.push_back(i);
        }
    }
    if (fields.empty()) {
        return std::vector<DkimSignatureCheck>{};
    }

    auto lib = open_library(now);
    if (!lib.ok()) {
        return Error{lib.error()};
    }
    DKIM_STAT status = DKIM_STAT_OK;
    DkimHandle dkim(dkim_verify(
        lib.value().get(), reinterpret_cast<const unsigned char*>("inspect"), nullptr, &status));
    if (!dkim || status != DKIM_STAT_OK) {
        return libopendkim_error(status, dkim.get());
    }
    VerifyContext context;
    context.lookup = &lookup;
    dkim_set_user_context(dkim.get(), &context);

    const auto parse_errors = feed_header(dkim.get(), message);
    if (!parse_errors.ok()) {
        return Error{parse_errors.error()};
    }
    DKIM_SIGINFO** sigs = nullptr;
    int count = 0;
    status = dkim_eoh(dkim.get());
    if (status != DKIM_STAT_NOSIG) { // NOSIG: no field became a signature (see collect_checks)
        if (status != DKIM_STAT_OK && status != DKIM_STAT_CANTVRFY) {
            return libopendkim_error(status, dkim.get());
        }
        if (auto error = feed_body(dkim.get(), message)) {
            return *error;
        }
        status = dkim_getsiglist(dkim.get(), &sigs, &count);
        if (status != DKIM_STAT_OK || count < 0 || (count > 0 && sigs == nullptr)) {
            return libopendkim_error(status, dkim.get());
        }
    }
    return collect_checks(dkim.get(), sigs, count, fields, message, context, now,
                          parse_errors.value());
}

} // namespace dkimwatch
