#include "core/evaluator.hpp"

#include "core/dkim_key_record.hpp"
#include "core/dns_name.hpp"
#include "core/public_key.hpp"
#include "core/region_table.hpp"
#include "core/txt_rendering.hpp"

#include <algorithm>
#include <string_view>

namespace dkimwatch {
namespace {

// Quoted from the SES troubleshooting page that the project started from.
constexpr std::string_view k_seed_appended_domain =
    "Some DNS providers automatically append the domain name to records that you create.";
constexpr std::string_view k_seed_servfail =
    "Your DNS provider might not be able to redirect CNAME records. Amazon SES and ISPs query for "
    "TXT records. To comply with the DKIM specification, your DNS servers have to be able to "
    "respond to TXT record queries as well as CNAME record queries. If your DNS provider isn't "
    "able to respond to TXT record queries, an alternative is to use Route 53 as your DNS "
    "hosting provider.";
constexpr std::string_view k_revocation_note =
    "While SES cannot find the record it stops DKIM-signing this domain's mail and sends a "
    "revocation warning; if the record is not back within the window stated in that email, SES "
    "revokes DKIM and the setup must be started again with new tokens.";

const LookupResult* find_lookup(std::span<const LookupResult> lookups, const std::string& name,
                                RecordType type) {
    for (const auto& lookup : lookups) {
        if (lookup.request.type == type && lookup.request.name == name) {
            return &lookup;
        }
    }
    return nullptr;
}

std::string doubled_name(const RecordExpectation& expectation) {
    return expectation.name + "." + expectation.domain;
}

// An "answer" without any record of the asked type is treated as NODATA, so that a confused or
// hostile server cannot make the evaluator read data that is not there.
LookupOutcome effective_outcome(const LookupResult& lookup) {
    if (lookup.outcome != LookupOutcome::answer) {
        return lookup.outcome;
    }
    const bool empty = lookup.request.type == RecordType::cname ? lookup.cname_chain.empty()
                                                                : lookup.txt_records.empty();
    return empty ? LookupOutcome::nodata : LookupOutcome::answer;
}

bool is_indeterminate(LookupOutcome outcome) {
    return outcome == LookupOutcome::servfail || outcome == LookupOutcome::refused ||
           outcome == LookupOutcome::timeout || outcome == LookupOutcome::malformed;
}

// "NXDOMAIN", "NODATA", "SERVFAIL" ... as operators say it.
std::string outcome_words(const LookupResult& lookup) {
    switch (lookup.outcome) {
    case LookupOutcome::answer:
        return "an answer";
    case LookupOutcome::nodata:
        return "NODATA (the name exists but has no such record)";
    case LookupOutcome::nxdomain:
        return "NXDOMAIN (the name does not exist)";
    case LookupOutcome::servfail:
        return "SERVFAIL";
    case LookupOutcome::refused:
        return "REFUSED";
    case LookupOutcome::timeout:
        return "no answer in time";
    case LookupOutcome::malformed:
        return "an unusable answer";
    }
    return "an unknown result";
}

std::string detail_suffix(const LookupResult& lookup) {
    return lookup.detail.empty() ? std::string() : " (" + lookup.detail + ")";
}

RecordVerdict base_verdict(const RecordExpectation& expectation) {
    RecordVerdict verdict;
    verdict.name = expectation.name;
    verdict.type = expectation.kind == RecordExpectation::Kind::easy_dkim_cname ? "CNAME" : "TXT";
    verdict.expected = expected_value(expectation);
    return verdict;
}

RecordVerdict decide(RecordVerdict verdict, VerdictCode code, std::string message,
                     const LookupResult* deciding = nullptr) {
    verdict.code = code;
    verdict.severity = severity_of(code);
    verdict.message = std::move(message);
    if (deciding != nullptr) {
        verdict.server = deciding->server;
        verdict.latency = deciding->latency;
    }
    return verdict;
}

std::string join_chain(const std::vector<std::string>& chain) {
    std::string out;
    for (const auto& hop : chain) {
        out += " -> " + hop;
    }
    return out;
}

// The TXT records of a lookup, rendered in zone-file syntax, separated by " | ".
std::string render_txt_records(const std::vector<std::vector<std::string>>& records) {
    std::string out;
    for (const auto& record : records) {
        if (!out.empty()) {
            out += " | ";
        }
        out += render_txt_record(record);
    }
    return out;
}

// ---- Easy DKIM ------------------------------------------------------------------------------

std::string describe_wrong_target(const RecordExpectation& expectation, const std::string& target) {
    const std::string expected = expectation.expected_target;
    std::string message = "The CNAME " + expectation.name + " points at " + target +
                          ", but SES expects " + expected + ". ";

    if (target == expected + "." + expectation.domain) {
        return message + "The DNS provider appended the domain to the value. Enter the target " +
               "with a trailing dot (" + expected + ".) or as your provider documents.";
    }
    const auto dot = target.find('.');
    const std::string first_label = target.substr(0, dot);
    const std::string zone = dot == std::string::npos ? std::string() : target.substr(dot + 1);

    if (first_label != expectation.token &&
        std::find(expectation.all_tokens.begin(), expectation.all_tokens.end(), first_label) !=
            expectation.all_tokens.end()) {
        return message + "It points at the target of another of this identity's tokens (" +
               first_label + "): the records were mixed up. Each token's CNAME must point at " +
               "the same token under " + expectation.signing_hosted_zone + ".";
    }
    if (first_label == expectation.token && zone != expectation.signing_hosted_zone) {
        if (const auto other_region = region_of_signing_hosted_zone(zone)) {
            const std::string zone_owner = other_region->empty()
                                               ? std::string("the shared SES zone of most regions")
                                               : "the SES zone of region " + *other_region;
            return message + zone + " is " + zone_owner + ", but this identity is in region " +
                   expectation.region + ", whose signing hosted zone is " +
                   expectation.signing_hosted_zone + ". Copy the records from the SES console of " +
                   expectation.region + " (each region has its own records).";
        }
    }
    if (region_of_signing_hosted_zone(zone) && first_label != expectation.token) {
        return message + "It points at an SES target with another token, probably from another "
                         "region or AWS account, or from an earlier DKIM setup. Each region and "
                         "account has its own three tokens; use this identity's tokens.";
    }
    return message + "Change the CNAME's value to " + expected + ".";
}

RecordVerdict decide_missing_cname(const RecordExpectation& expectation, const LookupResult& cname,
                                   const LookupResult* doubled_probe) {
    RecordVerdict verdict = base_verdict(expectation);
    std::string message = "No CNAME at " + expectation.name + ": DNS answered " +
                          outcome_words(cname) + ". Publish " + expectation.name + " CNAME " +
                          expectation.expected_target + ". " + std::string(k_revocation_note);
    if (doubled_probe != nullptr && is_indeterminate(doubled_probe->outcome)) {
        message += " (Could not check whether the record sits at " + doubled_probe->request.name +
                   " instead: " + outcome_words(*doubled_probe) + ".)";
    }
    return decide(std::move(verdict), VerdictCode::missing, std::move(message), &cname);
}

EvaluationStep evaluate_easy_dkim(const RecordExpectation& expectation,
                                  std::span<const LookupResult> lookups) {
    const LookupResult* cname = find_lookup(lookups, expectation.name, RecordType::cname);
    const LookupResult* txt = find_lookup(lookups, expectation.name, RecordType::txt);
    if (cname == nullptr || txt == nullptr) {
        NeedLookups need;
        if (cname == nullptr) {
            need.requests.push_back({expectation.name, RecordType::cname});
        }
        if (txt == nullptr) {
            need.requests.push_back({expectation.name, RecordType::txt});
        }
        return need;
    }

    RecordVerdict verdict = base_verdict(expectation);
    switch (effective_outcome(*cname)) {
    case LookupOutcome::answer: {
        const std::string target = cname->cname_chain.front();
        verdict.observed = target;
        if (!same_name(target, expectation.expected_target)) {
            return decide(std::move(verdict), VerdictCode::wrong_target,
                          describe_wrong_target(expectation, target), cname);
        }
        switch (effective_outcome(*txt)) {
        case LookupOutcome::servfail:
            return decide(std::move(verdict), VerdictCode::txt_servfail,
                          "The CNAME is correct, but a TXT query for " + expectation.name +
                              " gets SERVFAIL" + detail_suffix(*txt) + ". " +
                              std::string(k_seed_servfail),
                          txt);
        case LookupOutcome::refused:
        case LookupOutcome::timeout:
        case LookupOutcome::malformed:
            return decide(std::move(verdict), VerdictCode::dns_error,
                          "The CNAME is correct, but the TXT query through it got " +
                              outcome_words(*txt) + detail_suffix(*txt) +
                              "; cannot tell whether SES and receivers can read the key.",
                          txt);
        case LookupOutcome::nxdomain:
            return decide(std::move(verdict), VerdictCode::ok,
                          "The CNAME points at the SES target. The target itself does not exist "
                          "at SES right now (NXDOMAIN); nothing to fix in your DNS, but if it "
                          "persists, compare the token with the SES console.",
                          cname);
        case LookupOutcome::answer:
        case LookupOutcome::nodata:
            break;
        }
        return decide(std::move(verdict), VerdictCode::ok,
                      "The CNAME points at the SES target and TXT queries through it work (an "
                      "empty TXT at the target is normal while SES rotates keys).",
                      cname);
    }
    case LookupOutcome::nodata:
        if (effective_outcome(*txt) == LookupOutcome::answer && txt->cname_chain.empty()) {
            const std::string text = render_txt_records(txt->txt_records);
            verdict.observed = "TXT " + text;
            const bool looks_like_key = std::any_of(
                txt->txt_records.begin(), txt->txt_records.end(), [](const auto& record) {
                    return looks_like_dkim_key_record(join_txt_strings(record));
                });
            std::string message = "A TXT record stands at " + expectation.name +
                                  " where SES expects a CNAME to " + expectation.expected_target +
                                  ". ";
            if (looks_like_key) {
                message += "It holds a DKIM key: the CNAME looks flattened (the DNS provider "
                           "copies the target's data instead of publishing the CNAME). SES "
                           "rotates its keys behind the CNAME, so a copy goes stale and SES "
                           "does not see the CNAME it checks. ";
            }
            message += "Delete the TXT record and publish " + expectation.name + " CNAME " +
                       expectation.expected_target + " (turn off CNAME flattening or proxying).";
            return decide(std::move(verdict), VerdictCode::wrong_type, std::move(message), txt);
        }
        [[fallthrough]];
    case LookupOutcome::nxdomain: {
        const std::string doubled = doubled_name(expectation);
        const LookupResult* probe = find_lookup(lookups, doubled, RecordType::cname);
        if (probe == nullptr) {
            return NeedLookups{{{doubled, RecordType::cname}}};
        }
        if (effective_outcome(*probe) == LookupOutcome::answer) {
            const std::string& probe_target = probe->cname_chain.front();
            verdict.observed = doubled + " CNAME " + probe_target;
            std::string message =
                "The CNAME is not at " + expectation.name + " but at " + doubled + ". " +
                std::string(k_seed_appended_domain) + " Rename the record to " + expectation.name +
                " (enter only the part before your domain, " +
                expectation.name.substr(0,
                                        expectation.name.size() - expectation.domain.size() - 1) +
                ", or the full name with a trailing dot, as your provider documents).";
            if (!same_name(probe_target, expectation.expected_target)) {
                message += " Its value is also wrong: " + probe_target + " instead of " +
                           expectation.expected_target + ".";
            }
            return decide(std::move(verdict), VerdictCode::doubled_domain, std::move(message),
                          probe);
        }
        return decide_missing_cname(expectation, *cname, probe);
    }
    case LookupOutcome::servfail:
    case LookupOutcome::refused:
    case LookupOutcome::timeout:
    case LookupOutcome::malformed:
        break;
    }
    return decide(std::move(verdict), VerdictCode::dns_error,
                  "The CNAME query for " + expectation.name + " got " + outcome_words(*cname) +
                      detail_suffix(*cname) +
                      "; the record's state is unknown. Check the resolvers and the domain's "
                      "authoritative servers.",
                  cname);
}

// ---- BYODKIM --------------------------------------------------------------------------------

// True for a BYODKIM identity whose key no configuration gives (discovered through SES): any
// valid RSA key that SES accepts passes, and nothing is compared.
bool no_configured_key(const RecordExpectation& expectation) {
    return expectation.key_der.empty();
}

std::string publish_hint(const RecordExpectation& expectation) {
    if (no_configured_key(expectation)) {
        return " Publish the public key of the key pair you gave SES: " + expectation.name +
               " TXT \"v=DKIM1; k=rsa; p=<base64 DER of the public key>\" (an RSA key of 1024 "
               "or 2048 bits; split into strings of at most 255 bytes).";
    }
    return " Publish exactly: " + expectation.name + " TXT \"" + expected_value(expectation) +
           "\" (split into strings of at most 255 bytes; `dkimwatch keycheck` prints the "
           "zone-file form).";
}

std::string key_description(const PublicKeyInfo& key) {
    if (key.algorithm == KeyAlgorithm::ed25519) {
        return "an Ed25519 key";
    }
    return "an RSA " + std::to_string(key.bits) + "-bit key";
}

RecordVerdict evaluate_key_text(const RecordExpectation& expectation, RecordVerdict verdict,
                                const std::string& text, const LookupResult& txt) {
    const auto record = parse_dkim_key_record(text);
    if (!record) {
        return decide(std::move(verdict), VerdictCode::key_malformed,
                      "The DKIM key record at " + expectation.name +
                          " is malformed: " + record.error() + "." + publish_hint(expectation),
                      &txt);
    }
    if (record->revoked()) {
        return decide(std::move(verdict), VerdictCode::key_revoked,
                      "The key record at " + expectation.name +
                          " has an empty p=, which means the key is revoked (RFC 6376 §3.6.1): "
                          "receivers fail every signature made with this selector." +
                          publish_hint(expectation),
                      &txt);
    }
    const auto key = decode_dkim_public_key(record->key_type, record->public_key);
    if (!key) {
        return decide(std::move(verdict), VerdictCode::key_malformed,
                      "The p= value at " + expectation.name +
                          " does not hold a usable public key: " + key.error() + "." +
                          publish_hint(expectation),
                      &txt);
    }
    if (no_configured_key(expectation) &&
        (key->algorithm != KeyAlgorithm::rsa || (key->bits != 1024 && key->bits != 2048))) {
        return decide(std::move(verdict), VerdictCode::key_size,
                      "The published key is " + key_description(*key) +
                          "; SES BYODKIM accepts RSA keys of 1024 or 2048 bits only, so SES "
                          "cannot be signing with its private half." +
                          publish_hint(expectation),
                      &txt);
    }
    if (key->algorithm == KeyAlgorithm::rsa && key->bits != 1024 && key->bits != 2048) {
        return decide(std::move(verdict), VerdictCode::key_size,
                      "The published key is " + key_description(*key) +
                          "; SES BYODKIM accepts RSA keys of 1024 or 2048 bits only, and it "
                          "is not the configured key (" +
                          std::to_string(expectation.key_bits) + " bits)." +
                          publish_hint(expectation),
                      &txt);
    }
    if (!no_configured_key(expectation) && key->canonical_der != expectation.key_der) {
        return decide(std::move(verdict), VerdictCode::key_mismatch,
                      "The published key (" + key_description(*key) +
                          ") is not the configured one (an RSA " +
                          std::to_string(expectation.key_bits) +
                          "-bit key): SES signs with the private key of the configured key, so "
                          "receivers will fail the signatures. Publish the key you gave SES, or "
                          "give SES the key pair that is published." +
                          publish_hint(expectation),
                      &txt);
    }
    if (!record->allows_email()) {
        return decide(std::move(verdict), VerdictCode::key_malformed,
                      "The key record's s= tag does not allow the service type email (s=email "
                      "or s=*), so receivers must not use it for mail." +
                          publish_hint(expectation),
                      &txt);
    }
    if (!record->allows_sha256()) {
        return decide(std::move(verdict), VerdictCode::key_malformed,
                      "The key record's h= tag does not list sha256, the hash SES signs with, "
                      "so receivers reject the signatures." +
                          publish_hint(expectation),
                      &txt);
    }
    if (record->testing()) {
        return decide(std::move(verdict), VerdictCode::testing_mode,
                      std::string(no_configured_key(expectation)
                                      ? "The key is a valid RSA key (none configured to compare "
                                        "with) but flagged t=y (testing mode): "
                                      : "The key is correct but flagged t=y (testing mode): ") +
                          "receivers treat signed mail as unsigned. Remove the y flag once "
                          "testing is over." +
                          std::string(key->bits == 1024 ? " The key is also only 1024 bits "
                                                          "(RFC 8301 recommends 2048)."
                                                        : ""),
                      &txt);
    }
    if (key->bits == 1024) {
        return decide(std::move(verdict), VerdictCode::weak_key,
                      std::string(no_configured_key(expectation)
                                      ? "The key is a valid RSA key (none configured to compare "
                                        "with) but only 1024 bits. "
                                      : "The key is correct but only 1024 bits. ") +
                          "SES accepts it, but RFC 8301 says signers should use 2048-bit keys; "
                          "plan a rotation to 2048 bits.",
                      &txt);
    }
    if (no_configured_key(expectation)) {
        return decide(std::move(verdict), VerdictCode::ok,
                      "The published key is a valid RSA " + std::to_string(key->bits) + "-bit key" +
                          " that SES accepts; no key is configured to compare it with.",
                      &txt);
    }
    return decide(std::move(verdict), VerdictCode::ok,
                  "The published key is the configured key (" + key_description(*key) + ").", &txt);
}

EvaluationStep evaluate_byodkim(const RecordExpectation& expectation,
                                std::span<const LookupResult> lookups) {
    const LookupResult* txt = find_lookup(lookups, expectation.name, RecordType::txt);
    if (txt == nullptr) {
        return NeedLookups{{{expectation.name, RecordType::txt}}};
    }
    RecordVerdict verdict = base_verdict(expectation);

    switch (effective_outcome(*txt)) {
    case LookupOutcome::answer: {
        verdict.observed = render_txt_records(txt->txt_records);
        std::vector<const std::vector<std::string>*> keys;
        for (const auto& record : txt->txt_records) {
            if (looks_like_dkim_key_record(join_txt_strings(record))) {
                keys.push_back(&record);
            }
        }
        if (keys.size() > 1) {
            return decide(std::move(verdict), VerdictCode::multiple_records,
                          std::to_string(keys.size()) + " DKIM key records stand at " +
                              expectation.name +
                              " (an old key left beside the new one after a rotation?). Only one "
                              "may exist; with several, receivers' results are undefined. Delete "
                              "all but " +
                              std::string(no_configured_key(expectation)
                                              ? "the key of the key pair you gave SES."
                                              : "the configured key.") +
                              publish_hint(expectation),
                          txt);
        }
        const std::vector<std::string>& chosen =
            keys.empty() ? txt->txt_records.front() : *keys.front();
        const std::string text = join_txt_strings(chosen);
        if (keys.empty()) {
            return decide(std::move(verdict), VerdictCode::key_malformed,
                          "The TXT record at " + expectation.name +
                              " is not a DKIM key record (no p= tag)." + publish_hint(expectation),
                          txt);
        }
        verdict.observed = escape_txt_string(text);
        return evaluate_key_text(expectation, std::move(verdict), text, *txt);
    }
    case LookupOutcome::nodata:
    case LookupOutcome::nxdomain: {
        const std::string doubled = doubled_name(expectation);
        const LookupResult* probe = find_lookup(lookups, doubled, RecordType::txt);
        if (probe == nullptr) {
            return NeedLookups{{{doubled, RecordType::txt}}};
        }
        if (effective_outcome(*probe) == LookupOutcome::answer) {
            verdict.observed = doubled + " TXT " + render_txt_records(probe->txt_records);
            return decide(std::move(verdict), VerdictCode::doubled_domain,
                          "The key record is not at " + expectation.name + " but at " + doubled +
                              ". " + std::string(k_seed_appended_domain) +
                              " Rename the record to " + expectation.name +
                              " (enter only the part before your domain, or the full name with "
                              "a trailing dot, as your provider documents).",
                          probe);
        }
        std::string message =
            "No DKIM key at " + expectation.name + ": DNS answered " + outcome_words(*txt);
        if (!txt->cname_chain.empty()) {
            message += " at the end of the CNAME chain" + join_chain(txt->cname_chain);
        }
        message += "." + publish_hint(expectation) + " " + std::string(k_revocation_note);
        return decide(std::move(verdict), VerdictCode::missing, std::move(message), txt);
    }
    case LookupOutcome::servfail: {
        const LookupResult* cname = find_lookup(lookups, expectation.name, RecordType::cname);
        if (cname == nullptr) {
            return NeedLookups{{{expectation.name, RecordType::cname}}};
        }
        if (effective_outcome(*cname) == LookupOutcome::answer) {
            verdict.observed = "CNAME " + cname->cname_chain.front();
            return decide(std::move(verdict), VerdictCode::txt_servfail,
                          expectation.name + " is a CNAME to " + cname->cname_chain.front() +
                              ", which resolves, but the TXT query gets SERVFAIL" +
                              detail_suffix(*txt) + ". " + std::string(k_seed_servfail),
                          txt);
        }
        break;
    }
    case LookupOutcome::refused:
    case LookupOutcome::timeout:
    case LookupOutcome::malformed:
        break;
    }
    return decide(std::move(verdict), VerdictCode::dns_error,
                  "The TXT query for " + expectation.name + " got " + outcome_words(*txt) +
                      detail_suffix(*txt) +
                      "; the record's state is unknown. Check the resolvers and the domain's "
                      "authoritative servers.",
                  txt);
}

} // namespace

std::vector<RecordExpectation> expectations_for(const Identity& identity) {
    std::vector<RecordExpectation> out;
    if (const auto* easy = std::get_if<EasyDkim>(&identity.method)) {
        for (const auto& token : easy->tokens) {
            RecordExpectation expectation;
            expectation.kind = RecordExpectation::Kind::easy_dkim_cname;
            expectation.name = token + "._domainkey." + identity.domain;
            expectation.domain = identity.domain;
            expectation.region = identity.region;
            expectation.token = token;
            expectation.signing_hosted_zone = easy->signing_hosted_zone;
            expectation.expected_target = token + "." + easy->signing_hosted_zone;
            expectation.all_tokens.assign(easy->tokens.begin(), easy->tokens.end());
            out.push_back(std::move(expectation));
        }
    } else {
        const auto& byo = std::get<Byodkim>(identity.method);
        RecordExpectation expectation;
        expectation.kind = RecordExpectation::Kind::byodkim_txt;
        expectation.name = byo.selector + "._domainkey." + identity.domain;
        expectation.domain = identity.domain;
        expectation.region = identity.region;
        expectation.key_der = byo.public_key_der;
        expectation.key_bits = byo.key_bits;
        out.push_back(std::move(expectation));
    }
    return out;
}

std::string expected_value(const RecordExpectation& expectation) {
    if (expectation.kind == RecordExpectation::Kind::easy_dkim_cname) {
        return expectation.expected_target;
    }
    if (no_configured_key(expectation)) {
        return "a valid RSA public key (none configured)";
    }
    return "v=DKIM1; k=rsa; p=" + base64_encode(expectation.key_der);
}

EvaluationStep evaluate_record(const RecordExpectation& expectation,
                               std::span<const LookupResult> lookups) {
    if (expectation.kind == RecordExpectation::Kind::easy_dkim_cname) {
        return evaluate_easy_dkim(expectation, lookups);
    }
    return evaluate_byodkim(expectation, lookups);
}

} // namespace dkimwatch
