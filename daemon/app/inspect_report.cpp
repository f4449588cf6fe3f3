#include "app/inspect_report.hpp"

#include "app/record_json.hpp"
#include "core/duration.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using Json = nlohmann::ordered_json;

// A t= or x= value (seconds since the Unix epoch) as "2026-11-26T12:00:00Z"; nullopt when the
// C library cannot represent it (a year beyond int's range).
std::optional<std::string> unix_seconds_utc(std::int64_t seconds) {
    const auto value = static_cast<std::time_t>(seconds);
    std::tm utc{};
    if (gmtime_r(&value, &utc) == nullptr) {
        return std::nullopt;
    }
    char buffer[48];
    if (std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
        return std::nullopt;
    }
    return std::string(buffer);
}

Json optional_unix_time(const std::optional<std::int64_t>& seconds) {
    if (!seconds) {
        return Json(nullptr);
    }
    auto text = unix_seconds_utc(*seconds);
    return text ? Json(*text) : Json(nullptr);
}

Json optional_time(const std::optional<TimePoint>& time) {
    return time ? Json(format_utc_timestamp(*time)) : Json(nullptr);
}

Json signature_json(const InspectedSignature& signature) {
    const DkimSignatureCheck& check = signature.check;
    Json item;
    item["d"] = check.domain;
    item["s"] = check.selector;
    item["a"] = check.algorithm;
    item["c"] = check.canonicalization;
    item["i"] = check.agent_identifier;
    item["h"] = check.signed_header_fields;
    item["t"] = optional_unix_time(check.signed_at);
    item["x"] = optional_unix_time(check.expires_at);
    item["l"] = check.body_length ? Json(*check.body_length) : Json(nullptr);
    item["result"] = signature_result_name(check.result);
    item["failure"] = signature_failure_name(check.failure);
    item["reason"] = check.reason;
    item["aligned"] = signature.alignment.relaxed;
    item["aligned_strict"] = signature.alignment.strict;
    item["expired"] = check.expired;
    item["partial_body"] = check.partial_body;
    item["testing_key"] = check.testing_key;
    item["key_bits"] = check.key_bits;
    item["record"] = signature.record ? record_json(*signature.record) : Json(nullptr);
    return item;
}

} // namespace

std::string render_inspect_json(const InspectFacts& facts,
                                const std::vector<InspectDiagnosis>& diagnosis, int exit_code) {
    Json document;
    document["from_domain"] = facts.from_domain.empty() ? Json(nullptr) : Json(facts.from_domain);
    document["from_error"] = facts.from_error;
    Json signatures = Json::array();
    for (const auto& signature : facts.signatures) {
        signatures.push_back(signature_json(signature));
    }
    document["signatures"] = std::move(signatures);
    Json results = Json::array();
    for (const auto& result : facts.authentication_results) {
        Json item;
        item["authserv_id"] = result.authserv_id;
        item["method"] = result.method;
        item["result"] = result.result;
        item["header_d"] = result.header_d;
        item["header_s"] = result.header_s;
        item["reason"] = result.reason;
        results.push_back(std::move(item));
    }
    document["authentication_results"] = std::move(results);
    Json identities = Json::array();
    for (const auto& identity : facts.identities) {
        Json item;
        item["account"] = identity.account;
        item["region"] = identity.region;
        item["domain"] = identity.domain;
        item["state"] = identity.state ? Json(identity_state_name(*identity.state)) : Json(nullptr);
        item["since"] = optional_time(identity.state_since);
        item["deadline"] = optional_time(identity.deadline);
        item["ses_findings"] = ses_findings_json(identity.ses_findings);
        identities.push_back(std::move(item));
    }
    document["identities"] = std::move(identities);
    Json list = Json::array();
    for (const auto& entry : diagnosis) {
        Json item;
        item["code"] = entry.code;
        item["severity"] = severity_name(entry.severity);
        item["message"] = entry.message;
        list.push_back(std::move(item));
    }
    document["diagnosis"] = std::move(list);
    document["exit_code"] = exit_code;
    return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

namespace {

std::string or_none(const std::string& text) {
    return text.empty() ? "(none)" : text;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : separator) + item;
    }
    return out;
}

std::string time_text(const std::optional<std::int64_t>& seconds) {
    if (!seconds) {
        return "(none)";
    }
    auto text = unix_seconds_utc(*seconds);
    return text ? *text : std::to_string(*seconds) + " (seconds since 1970)";
}

// Diagnosis and record messages are wrapped to this many columns.
constexpr std::size_t k_text_width = 100;

// `text` broken at spaces into lines of at most `width` bytes (a longer word stays whole), each
// line preceded by `indent`, each ending in a newline.
std::string wrapped(std::string_view text, std::string_view indent, std::size_t width) {
    std::string out;
    std::string line;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view word = text.substr(start, end - start);
        if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
            out += std::string(indent) + line + "\n";
            line.clear();
        }
        if (!word.empty()) {
            line += (line.empty() ? "" : " ") + std::string(word);
        }
        start = end + 1;
    }
    if (!line.empty() || out.empty()) {
        out += std::string(indent) + line + "\n";
    }
    return out;
}

std::string signature_text(const InspectedSignature& signature, std::size_t number,
                           std::size_t count, bool from_usable) {
    const DkimSignatureCheck& check = signature.check;
    std::string out = "Signature " + std::to_string(number) + " of " + std::to_string(count) +
                      ": d=" + or_none(check.domain) + " s=" + or_none(check.selector) + "\n";
    out += "  result:           " + std::string(signature_result_name(check.result));
    if (check.failure != SignatureFailure::none) {
        out += " (" + std::string(signature_failure_name(check.failure)) + ")";
    }
    out += check.reason.empty() ? "\n" : ": " + check.reason + "\n";
    out += "  algorithm:        " + or_none(check.algorithm) + ", canonicalization " +
           or_none(check.canonicalization) + "\n";
    out += "  identity (i=):    " + or_none(check.agent_identifier) + "\n";
    out += "  signed fields:    " + or_none(join(check.signed_header_fields, ":")) + "\n";
    out += "  signed at (t=):   " + time_text(check.signed_at) + "\n";
    out += "  expires (x=):     " + time_text(check.expires_at) +
           (check.expired ? " (EXPIRED)" : "") + "\n";
    if (check.body_length) {
        out += "  body length (l=): " + std::to_string(*check.body_length) + " bytes signed";
        if (check.canonical_body_length) {
            out += " of " + std::to_string(*check.canonical_body_length);
        }
        out += check.partial_body ? "; anything after them is unsigned\n" : "\n";
    }
    if (check.key_bits > 0 || check.testing_key) {
        out += "  key:              " +
               (check.key_bits > 0 ? std::to_string(check.key_bits) + " bits" : "size unknown") +
               (check.testing_key ? ", testing mode (t=y)" : "") + "\n";
    }
    out += "  From: alignment:  ";
    if (!from_usable) {
        out += "cannot tell (From: is unusable)\n";
    } else {
        out += std::string("relaxed ") + (signature.alignment.relaxed ? "yes" : "no") +
               ", strict " + (signature.alignment.strict ? "yes" : "no") + "\n";
    }
    if (signature.record) {
        const RecordVerdict& record = *signature.record;
        // "ok TXT <name>", or the verdict with its severity: "key_revoked (error) TXT <name>".
        std::string verdict = verdict_code_name(record.code);
        if (record.severity != Severity::ok) {
            verdict += std::string(" (") + severity_name(record.severity) + ")";
        }
        out += "  key record:       " + verdict + " " + record.type + " " + record.name + "\n";
        if (record.severity != Severity::ok) {
            out += "                    observed: " +
                   (record.observed ? *record.observed : std::string("(nothing)")) + "\n";
            out += wrapped(record.message, "                    ", k_text_width);
        }
    } else {
        out += "  key record:       not looked up (d= or s= missing, or not a DNS name)\n";
    }
    return out;
}

// dkimwatch's results for the signatures by `domain` (and `selector`, when given), e.g.
// "pass" or "fail, pass"; "no signature by it" when none matches.
std::string own_results_for(const InspectFacts& facts, const std::string& domain,
                            const std::string& selector) {
    std::vector<std::string> results;
    for (const auto& signature : facts.signatures) {
        if (signature.check.domain == domain &&
            (selector.empty() || signature.check.selector == selector)) {
            results.push_back(signature_result_name(signature.check.result));
        }
    }
    return results.empty() ? std::string("no signature by it") : join(results, ", ");
}

std::string identity_text(const CoveringIdentity& identity, bool state_known) {
    std::string out = "  " + identity.account + " " + identity.region + " " + identity.domain +
                      " (" + (identity.easy_dkim ? "Easy DKIM" : "BYODKIM") + ": " +
                      join(identity.selectors, " ") + ")\n";
    if (identity.state) {
        out += "    state:    " + std::string(identity_state_name(*identity.state));
        if (identity.state_since) {
            out += " since " + format_utc_timestamp(*identity.state_since);
        }
        if (identity.deadline) {
            out += ", deadline " + format_utc_timestamp(*identity.deadline);
        }
        out += "\n";
        if (!identity.state_reason.empty()) {
            out += "              " + identity.state_reason + "\n";
        }
    } else {
        out += state_known ? "    state:    unknown (not in the state database)\n"
                           : "    state:    unknown (no state database)\n";
    }
    if (!identity.ses_known) {
        out += "    SES:      unknown (no SES listing of this account and region)\n";
    } else if (identity.ses_findings.empty()) {
        out += "    SES:      no findings\n";
    } else {
        for (const auto& finding : identity.ses_findings) {
            out += "    SES:      " + std::string(ses_finding_code_name(finding.code)) + " (" +
                   severity_name(finding.severity) + "): " + finding.message + "\n";
        }
    }
    return out;
}

} // namespace

std::string render_inspect_text(const InspectFacts& facts,
                                const std::vector<InspectDiagnosis>& diagnosis, int exit_code) {
    const bool from_usable = !facts.from_domain.empty();
    std::string out =
        "From: domain: " + (from_usable ? facts.from_domain : "unusable: " + facts.from_error) +
        "\n";
    out += std::to_string(facts.signatures.size()) + " DKIM signature" +
           (facts.signatures.size() == 1 ? "" : "s") + "\n";
    for (std::size_t index = 0; index < facts.signatures.size(); ++index) {
        out += "\n" + signature_text(facts.signatures[index], index + 1, facts.signatures.size(),
                                     from_usable);
    }

    out += "\nReceiver's conclusions (Authentication-Results):\n";
    if (facts.authentication_results.empty()) {
        out += "  none\n";
    }
    for (const auto& result : facts.authentication_results) {
        out += "  " + result.authserv_id + ": " + result.method + "=" + result.result;
        if (!result.header_d.empty()) {
            out += " header.d=" + result.header_d;
        }
        if (!result.header_s.empty()) {
            out += " header.s=" + result.header_s;
        }
        if (!result.reason.empty()) {
            out += " reason=\"" + result.reason + "\"";
        }
        if (result.method == "dkim" && !result.header_d.empty()) {
            out +=
                "  (dkimwatch: " + own_results_for(facts, result.header_d, result.header_s) + ")";
        }
        out += "\n";
    }

    if (facts.config_given) {
        out += "\nConfigured identities covering " +
               (from_usable ? facts.from_domain : std::string("the From: domain")) + ":\n";
        if (facts.identities.empty()) {
            out += "  none\n";
        }
        for (const auto& identity : facts.identities) {
            out += identity_text(identity, facts.state_known);
        }
        if (!facts.state_known) {
            out += "  (no state database was found: states unknown)\n";
        }
    }

    out += "\nDiagnosis:\n";
    for (const auto& entry : diagnosis) {
        out += "  " + std::string(severity_label(entry.severity)) +
               std::string(8 - std::string_view(severity_label(entry.severity)).size(), ' ') + " " +
               entry.code + "\n";
        out += wrapped(entry.message, "           ", k_text_width);
    }
    out += "\nexit code " + std::to_string(exit_code) + "\n";
    return out;
}

} // namespace dkimwatch
