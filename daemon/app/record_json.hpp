#pragma once
// JSON objects that several reports share, the same bytes wherever they appear: a record verdict
// (each element of `check`'s "records", README "check JSON", and each signature's "record" of
// `inspect`) and SES's findings (check, status, inspect).

#include "core/ses_view.hpp"
#include "core/verdict.hpp"

#include <nlohmann/json.hpp>

namespace dkimwatch {

// {"name", "type", "expected", "observed" (null: nothing), "verdict", "severity", "message",
// "server" (null: none), "latency_ms", "dnssec" (null when off), "dnssec_reason",
// "dnssec_expiry" (RFC 3339 UTC or null), "dnssec_expiry_zone" (null with it), "zone" (null when
// unknown), "authoritative": [{"server", "address", "verdict", "observed", "aa", "serial",
// "latency_ms", "lame", "detail"}], "authoritative_indeterminate", "cached_answer_ttl_seconds"
// (null unless the servers already answer differently from the resolvers' cached answer)},
// keys in this order.
nlohmann::ordered_json record_json(const RecordVerdict& record);

// [{"code", "severity", "message"}]: SES's findings, as check, status and inspect print them.
nlohmann::ordered_json ses_findings_json(const std::vector<SesFinding>& findings);

} // namespace dkimwatch
