#pragma once
// The verdict vocabulary. The code names are a public contract (JSON output, metrics labels,
// README); never rename one.

#include "core/record_evidence.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkimwatch {

enum class VerdictCode {
    ok,
    missing,
    doubled_domain,
    wrong_target,
    wrong_type,
    txt_servfail,
    key_malformed,
    key_mismatch,
    key_revoked,
    key_size,
    weak_key,
    multiple_records,
    testing_mode,
    dns_error,
    ns_split,        // the authoritative servers disagree (error)
    lame_server,     // an NS does not answer for the zone authoritatively (warning)
    dnssec_bogus,    // validation fails: validating resolvers answer SERVFAIL (error)
    dnssec_expiring, // a signature on the chain expires within dns.dnssec_expiry_warning (warning)
};

enum class Severity { ok, warning, error, indeterminate };

const char* verdict_code_name(VerdictCode code);
// Inverse of verdict_code_name(); nullopt for any other text (the store and state import read
// codes back with it).
std::optional<VerdictCode> parse_verdict_code(std::string_view name);
const char* severity_name(Severity severity);
// For people, in the monitoring-plugins words: "OK", "WARNING", "ERROR", "UNKNOWN"
// (indeterminate). The text outputs of check and inspect use it.
const char* severity_label(Severity severity);
// Inverse of severity_name(); nullopt for any other text.
std::optional<Severity> parse_severity(std::string_view name);
// The severity that belongs to a code (weak_key, testing_mode, lame_server and dnssec_expiring
// warn, dns_error is indeterminate, every other non-ok code is an error).
Severity severity_of(VerdictCode code);
// Orders severities by how much attention they need: error > indeterminate > warning > ok.
int severity_rank(Severity severity);

struct RecordVerdict {
    std::string name;                    // canonical record name that was checked
    std::string type;                    // "CNAME" or "TXT": what SES expects at the name
    std::string expected;                // the expected value in readable form
    std::optional<std::string> observed; // what was found, readable; nullopt when nothing
    VerdictCode code = VerdictCode::ok;
    Severity severity = Severity::ok;
    std::string message; // what is wrong and how to fix it (or why it is fine)
    // Where the deciding answer came from, for operators chasing a flaky server.
    std::string server;
    std::chrono::microseconds latency{0};

    // DNSSEC (dns.dnssec): nullopt when validation is off.
    std::optional<DnssecStatus> dnssec;
    std::string dnssec_reason; // why bogus or indeterminate; empty otherwise
    // The earliest RRSIG expiration on the validated chain; nullopt when nothing was signed.
    std::optional<std::chrono::system_clock::time_point> dnssec_expiry;
    std::string dnssec_expiry_zone; // the zone whose signature expires first

    // The authoritative check (dns.authoritative): empty when off.
    std::string zone; // apex of the zone that holds the record, canonical, when it was found
    std::vector<AuthoritativeAnswer> authoritative; // one per server address asked, sorted
    // On, but no authoritative server could be reached: the resolver's verdict stands.
    bool authoritative_indeterminate = false;
    // Every answering authoritative server already answers differently from the resolvers'
    // cached answer: how long the resolvers may still serve that cached answer (its remaining
    // TTL, as the resolver reported it at check time); nullopt otherwise. It counts down between
    // checks and differs between replicas, so it is kept out of `message`, which must read the
    // same on every replica (Alertmanager annotations, alert/alertmanager_payload.hpp).
    std::optional<std::chrono::seconds> cached_answer_ttl;
};

} // namespace dkimwatch
