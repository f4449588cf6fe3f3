#pragma once
// The JSON object of one record verdict, the same bytes wherever it appears: each element of
// `check`'s "records" (README "check JSON") and each signature's "record" of `inspect`.

#include "core/verdict.hpp"

#include <nlohmann/json.hpp>

namespace dkimwatch {

// {"name", "type", "expected", "observed" (null: nothing), "verdict", "severity", "message",
// "server" (null: none), "latency_ms", "dnssec" (null when off), "dnssec_reason",
// "dnssec_expiry" (RFC 3339 UTC or null), "dnssec_expiry_zone" (null with it), "zone" (null when
// unknown), "authoritative": [{"server", "address", "verdict", "observed", "aa", "serial",
// "latency_ms", "lame", "detail"}], "authoritative_indeterminate"}, keys in this order.
nlohmann::ordered_json record_json(const RecordVerdict& record);

} // namespace dkimwatch
