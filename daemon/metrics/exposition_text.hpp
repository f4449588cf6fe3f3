#pragma once
// Appenders for the Prometheus text exposition format, version 0.0.4: what /metrics serves.
// They write into a caller-owned buffer so that a scrape of 100,000 identities renders into one
// preallocated string instead of one object per series.
// Thread-safety: pure functions, reentrant.

#include <string>
#include <string_view>

namespace dkimwatch {

// "# HELP <name> <help>\n# TYPE <name> <type>\n", with `help` escaped (backslash, newline).
// `type` is "counter", "gauge", "histogram", "summary" or "untyped".
void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type);

// `value` escaped for use between the double quotes of a label value: backslash, double quote
// and newline become \\, \" and \n; every other byte is copied as is.
void append_label_value(std::string& out, std::string_view value);

// A sample value: the shortest text that parses back to `value`, in fixed notation when
// 1e-6 <= |value| < 1e15 ("100000", "0.0005", "1700000000.123"), else the shorter of fixed and
// scientific ("1e+20"); or NaN, +Inf, -Inf.
void append_sample_value(std::string& out, double value);

} // namespace dkimwatch
