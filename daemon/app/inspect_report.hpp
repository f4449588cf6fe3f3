#pragma once
// Rendering of `dkimwatch inspect` for people and for scripts (README "inspect JSON" is the
// contract).

#include "core/inspect_diagnosis.hpp"

#include <string>

namespace dkimwatch {

// The JSON contract, indented by 2:
// {"from_domain": "..." | null, "from_error": "" ,
//  "signatures": [{"d", "s", "a", "c", "i", "h": [...], "t": RFC 3339 | null, "x": RFC 3339 |
//    null, "l": int | null, "result": "pass" | "fail" | "temperror" | "permerror",
//    "failure": signature_failure_name(), "reason", "aligned" (relaxed, bool), "aligned_strict"
//    (bool), "expired", "partial_body", "testing_key", "key_bits",
//    "record": <check's record object> | null}],
//  "authentication_results": [{"authserv_id", "method", "result", "header_d", "header_s",
//    "reason"}],
//  "identities": [{"account", "region", "domain", "state" | null, "since" | null,
//    "deadline" | null, "ses_findings": [{"code", "severity", "message"}]}],
//  "diagnosis": [{"code", "severity", "message"}],
//  "exit_code": int}
std::string render_inspect_json(const InspectFacts& facts,
                                const std::vector<InspectDiagnosis>& diagnosis, int exit_code);

// For people: the From: domain, one block per signature (d=, s=, algorithm, canonicalization,
// times, result and reason, alignment, the key record's verdict), the receiver's conclusions
// beside dkimwatch's, the covering identities, then the diagnosis, most severe first.
std::string render_inspect_text(const InspectFacts& facts,
                                const std::vector<InspectDiagnosis>& diagnosis, int exit_code);

} // namespace dkimwatch
