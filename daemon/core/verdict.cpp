#include "core/verdict.hpp"

namespace dkimwatch {

const char* verdict_code_name(VerdictCode code) {
    switch (code) {
    case VerdictCode::ok:
        return "ok";
    case VerdictCode::missing:
        return "missing";
    case VerdictCode::doubled_domain:
        return "doubled_domain";
    case VerdictCode::wrong_target:
        return "wrong_target";
    case VerdictCode::wrong_type:
        return "wrong_type";
    case VerdictCode::txt_servfail:
        return "txt_servfail";
    case VerdictCode::key_malformed:
        return "key_malformed";
    case VerdictCode::key_mismatch:
        return "key_mismatch";
    case VerdictCode::key_revoked:
        return "key_revoked";
    case VerdictCode::key_size:
        return "key_size";
    case VerdictCode::weak_key:
        return "weak_key";
    case VerdictCode::multiple_records:
        return "multiple_records";
    case VerdictCode::testing_mode:
        return "testing_mode";
    case VerdictCode::dns_error:
        return "dns_error";
    case VerdictCode::ns_split:
        return "ns_split";
    case VerdictCode::lame_server:
        return "lame_server";
    case VerdictCode::dnssec_bogus:
        return "dnssec_bogus";
    case VerdictCode::dnssec_expiring:
        return "dnssec_expiring";
    }
    return "unknown";
}

const char* dnssec_status_name(DnssecStatus status) {
    switch (status) {
    case DnssecStatus::secure:
        return "secure";
    case DnssecStatus::insecure:
        return "insecure";
    case DnssecStatus::bogus:
        return "bogus";
    case DnssecStatus::indeterminate:
        return "indeterminate";
    }
    return "indeterminate";
}

const char* severity_name(Severity severity) {
    switch (severity) {
    case Severity::ok:
        return "ok";
    case Severity::warning:
        return "warning";
    case Severity::error:
        return "error";
    case Severity::indeterminate:
        return "indeterminate";
    }
    return "unknown";
}

std::optional<Severity> parse_severity(std::string_view name) {
    for (const auto severity :
         {Severity::ok, Severity::warning, Severity::error, Severity::indeterminate}) {
        if (name == severity_name(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

std::optional<VerdictCode> parse_verdict_code(std::string_view name) {
    // The enumerators are dense from 0 and verdict_code_name() gives "unknown" for any other
    // value, so probing up to a bound finds every code, also one added after this was written.
    constexpr int k_probe_limit = 256;
    if (name == "unknown") {
        return std::nullopt;
    }
    for (int value = 0; value < k_probe_limit; ++value) {
        const auto code = static_cast<VerdictCode>(value);
        if (name == verdict_code_name(code)) {
            return code;
        }
    }
    return std::nullopt;
}

const char* severity_label(Severity severity) {
    switch (severity) {
    case Severity::ok:
        return "OK";
    case Severity::warning:
        return "WARNING";
    case Severity::error:
        return "ERROR";
    case Severity::indeterminate:
        return "UNKNOWN";
    }
    return "UNKNOWN";
}

Severity severity_of(VerdictCode code) {
    switch (code) {
    case VerdictCode::ok:
        return Severity::ok;
    case VerdictCode::weak_key:
    case VerdictCode::testing_mode:
    case VerdictCode::lame_server:
    case VerdictCode::dnssec_expiring:
        return Severity::warning;
    case VerdictCode::dns_error:
        return Severity::indeterminate;
    default:
        return Severity::error;
    }
}

int severity_rank(Severity severity) {
    switch (severity) {
    case Severity::ok:
        return 0;
    case Severity::warning:
        return 1;
    case Severity::indeterminate:
        return 2;
    case Severity::error:
        return 3;
    }
    return 0;
}

} // namespace dkimwatch
