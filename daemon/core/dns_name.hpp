#pragma once
// Domain-name helpers shared by the evaluator, the config loader and the resolver.
// Names inside dkimwatch are kept in one canonical form: lowercase ASCII, no trailing dot.

#include <optional>
#include <string>
#include <string_view>

namespace dkimwatch {

// Lowercases ASCII letters and strips one trailing dot. Never fails; bytes outside ASCII
// letters are kept as they are.
std::string canonical_name(std::string_view name);

// True when the two names are equal after canonical_name().
bool same_name(std::string_view a, std::string_view b);

// Checks that `label` is one DNS label of 1 to 63 bytes made of letters, digits, '-' or '_',
// not starting or ending with '-'. Returns the reason when it is not.
std::optional<std::string> invalid_label_reason(std::string_view label);

// Checks a whole host name (labels separated by dots, optional trailing dot, at most 253
// bytes). Returns the reason when it is not a usable name.
std::optional<std::string> invalid_domain_reason(std::string_view domain);

} // namespace dkimwatch
