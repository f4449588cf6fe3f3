#pragma once
// DKIM verification of a received message by libopendkim (RFC 6376; canonicalization and
// crypto are libopendkim's, not ours). The caller supplies the key lookup, so keys come through
// dkimwatch's own resolver settings (and tests can supply them from a table).

#include "core/dkim_signature_check.hpp"
#include "core/mail_message.hpp"
#include "core/result.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace dkimwatch {

// What a key lookup for "<selector>._domainkey.<domain>" TXT found.
struct DkimKeyAnswer {
    enum class Status {
        found,             // `record` holds the key record's text
        no_key,            // NXDOMAIN or no TXT record: permerror for the signature
        temporary_failure, // timeout, SERVFAIL, refused: temperror
    };
    Status status = Status::temporary_failure;
    std::string record; // found: one TXT record's character-strings joined (RFC 6376 §3.6.2.2)
    std::string detail; // no_key / temporary_failure: what DNS said, e.g. "NXDOMAIN", "SERVFAIL"
};

// Called once per distinct (domain, selector) a signature names, on the calling thread, while
// verify_dkim_signatures() runs. `domain` canonical, `selector` as written in s=.
using DkimKeyLookup =
    std::function<DkimKeyAnswer(const std::string& domain, const std::string& selector)>;

struct DkimVerifyOptions {
    // The verification time: t= and x= are judged against it (libopendkim's fixed time).
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Verifies every DKIM-Signature field of `message`, returning one check per field in header
// order (DomainKeys and ARC fields are not DKIM signatures and are skipped). A message without a
// signature gives an empty vector. Errors only when libopendkim cannot be set up or fails
// internally ("libopendkim: <its status text>").
Result<std::vector<DkimSignatureCheck>> verify_dkim_signatures(const MailMessage& message,
                                                               const DkimKeyLookup& lookup,
                                                               const DkimVerifyOptions& options);

} // namespace dkimwatch
