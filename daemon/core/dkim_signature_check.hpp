#pragma once
// What verifying one DKIM-Signature header field found (RFC 6376 §6, results named as RFC 8601
// §2.7.1 names them). Plain data: dkim/dkim_verifier fills it with libopendkim, the pure
// diagnosis (core/inspect_diagnosis) and the report read it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

enum class SignatureResult {
    pass,      // the body hash and the signature verify with the published key
    fail,      // the signature or the body hash does not verify (see SignatureFailure)
    temperror, // the key could not be fetched for now (DNS timeout, SERVFAIL): try again later
    permerror, // cannot ever verify: unusable signature field, no key, revoked or unusable key,
               // expired (x= in the past), a tag libopendkim refuses
};

// What failed, for fail and permerror (none for pass and temperror).
enum class SignatureFailure {
    none,
    body_hash, // fail: the body's hash differs from bh=, so the body changed after signing
    signature, // fail: b= does not verify over the signed header fields: a signed header field
               // changed, or the key published is not the one that signed
    syntax,    // permerror: the field is not a usable DKIM-Signature (a tag missing or invalid,
               // an unknown algorithm or canonicalization, i= not under d=, From not signed)
    key,       // permerror: no key record, revoked (empty p=), or a key that cannot be used
    expired,   // permerror: x= is before the verification time
};

// "pass", "fail", "temperror", "permerror".
inline const char* signature_result_name(SignatureResult result) {
    switch (result) {
    case SignatureResult::pass:
        return "pass";
    case SignatureResult::fail:
        return "fail";
    case SignatureResult::temperror:
        return "temperror";
    case SignatureResult::permerror:
        return "permerror";
    }
    return "permerror";
}

// "none", "body_hash", "signature", "syntax", "key", "expired".
inline const char* signature_failure_name(SignatureFailure failure) {
    switch (failure) {
    case SignatureFailure::none:
        return "none";
    case SignatureFailure::body_hash:
        return "body_hash";
    case SignatureFailure::signature:
        return "signature";
    case SignatureFailure::syntax:
        return "syntax";
    case SignatureFailure::key:
        return "key";
    case SignatureFailure::expired:
        return "expired";
    }
    return "none";
}

// The name of the key record a signature names, "<selector>._domainkey.<domain>" (RFC 6376
// §3.6.2.1), canonical (lowercase, no trailing dot).
std::string key_record_name(std::string_view selector, std::string_view domain);

struct DkimSignatureCheck {
    std::size_t header_index = 0; // index in MailMessage::headers of this DKIM-Signature field
    std::string domain;           // d=, canonical; empty when the field has none
    std::string selector;         // s=, as written; empty when none
    std::string algorithm;        // a=, lowercase, e.g. "rsa-sha256"; empty when none
    // c= as "header/body" with RFC 6376's defaults applied ("simple/simple" when absent,
    // "relaxed/simple" for "c=relaxed").
    std::string canonicalization;
    std::string agent_identifier;                  // i=; "@" + d= when absent
    std::vector<std::string> signed_header_fields; // h=, lowercase, in order
    std::optional<std::int64_t> signed_at;         // t=, seconds since the Unix epoch
    std::optional<std::int64_t> expires_at;        // x=, seconds since the Unix epoch
    std::optional<std::uint64_t> body_length;      // l=, bytes of canonicalized body signed
    // Bytes of the body after canonicalization, when libopendkim got that far.
    std::optional<std::uint64_t> canonical_body_length;

    SignatureResult result = SignatureResult::permerror;
    SignatureFailure failure = SignatureFailure::none;
    // One sentence for people: what libopendkim reported, worded for the reader (e.g. "the body
    // hash does not match bh=: the body was changed after signing"). Empty for pass.
    std::string reason;

    bool expired = false;      // x= present and before the verification time
    bool partial_body = false; // l= present: text appended after the signed length is unsigned
    bool testing_key = false;  // the key record has t=y (receivers must not treat failures
                               // differently from unsigned mail)
    unsigned key_bits = 0;     // size of the key used, when one was loaded; 0 otherwise
};

} // namespace dkimwatch
