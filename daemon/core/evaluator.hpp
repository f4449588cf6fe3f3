#pragma once
// The evaluator: a pure function from what SES expects at a record and what DNS said to a
// verdict. It is written as a step function so that the follow-up questions an expert would
// ask (is the name doubled? does the CNAME exist when TXT fails?) are part of the pure logic,
// while the network stays outside: the caller performs the lookups it asks for and calls it
// again with the results, until it returns a verdict.

#include "core/dns_lookup.hpp"
#include "core/identity.hpp"
#include "core/verdict.hpp"

#include <span>
#include <string>
#include <variant>
#include <vector>

namespace dkimwatch {

// One DNS record that SES relies on for an identity.
struct RecordExpectation {
    enum class Kind { easy_dkim_cname, byodkim_txt };
    Kind kind = Kind::easy_dkim_cname;
    std::string name;   // "<token or selector>._domainkey.<domain>", canonical
    std::string domain; // the identity's domain, for the doubled-domain probe
    std::string region; // the identity's region, for messages

    // Easy DKIM
    std::string token;                   // this record's token
    std::string expected_target;         // "<token>.<signing hosted zone>"
    std::string signing_hosted_zone;     // e.g. "dkim.amazonses.com"
    std::vector<std::string> all_tokens; // the identity's three tokens (to spot swaps)

    // BYODKIM
    // Canonical DER of the configured public key; empty when none is configured (an identity
    // discovered through SES): any valid RSA key of 1024 or 2048 bits passes, nothing is
    // compared, and the expected text is "a valid RSA public key (none configured)".
    std::vector<unsigned char> key_der;
    int key_bits = 0;
};

// The records SES relies on for `identity`, in a stable order (Easy DKIM: token order).
std::vector<RecordExpectation> expectations_for(const Identity& identity);

using EvaluationStep = std::variant<NeedLookups, RecordVerdict>;

// Decides the verdict for `expectation` from `lookups` (results of earlier requests, any
// order), or names the lookups still needed. Deterministic; never touches the network. Every
// request it returns is one that is not yet in `lookups`, so the loop always terminates.
EvaluationStep evaluate_record(const RecordExpectation& expectation,
                               std::span<const LookupResult> lookups);

// The readable "expected" value for a record: the CNAME target, or the BYODKIM TXT value.
std::string expected_value(const RecordExpectation& expectation);

} // namespace dkimwatch
