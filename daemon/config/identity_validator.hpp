#pragma once
// The one set of rules for an identity, whichever source names it: the YAML `identities:` list,
// the `identities_file` lines and SES discovery each collect raw fields, with where each was
// written, and feed them here, so that the three sources can never disagree on what is valid.
// Shape errors of a source (a missing key, a value of the wrong YAML type, a line with too few
// fields) stay with that source's reader; everything about the values is decided here.
//
// Messages name fields by their YAML path ("domain", "easy_dkim.tokens[1]", "byodkim.selector")
// in every source, so the same mistake reads the same wherever it was made.

#include "config/config.hpp"
#include "core/identity.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dkimwatch {

// One value as written, and where: `where` is a ConfigError whose message is unused (file:line:col
// for YAML, file:line:col of the field for identities_file, "SES <source> <region>" without a
// line for discovery).
struct RawField {
    std::string text;
    ConfigError where;
};

// A BYODKIM key as configured, its file (if any) already read by the source.
struct RawKey {
    enum class Form { public_key, public_key_file, private_key_file };
    Form form = Form::public_key;
    std::string content;    // base64 DER or PEM text; a secret's neighbour: never printed
    std::string subject;    // how messages name the key ("byodkim.public_key", a file); no content
    std::string key_source; // Byodkim::key_source: "public_key", "public_key_file PATH", ...
    ConfigError where;
};

enum class RawMethod { easy_dkim, byodkim };

// What a source read. An absent optional is a field the source already reported missing or of
// the wrong type (then no identity results), except `key`: a BYODKIM identity without a key is
// one SES reports and no configuration gives a key for (Byodkim with an empty public_key_der).
struct RawIdentity {
    std::optional<RawField> domain;
    std::optional<RawField> account;
    std::optional<RawField> region;
    std::optional<RawMethod> method;
    // Easy DKIM. `token_count` is how many the source listed (items of a wrong type included;
    // nullopt when the list itself is missing or not a list, which the source reported);
    // `tokens` holds those that are text, with `token_labels` their names in messages
    // ("easy_dkim.tokens[2]").
    std::optional<std::size_t> token_count;
    ConfigError tokens_where; // the list as a whole
    std::vector<RawField> tokens;
    std::vector<std::string> token_labels;
    std::optional<RawField> signing_hosted_zone; // absent: the region table's default
    // BYODKIM.
    std::optional<RawField> selector;
    std::optional<RawKey> key;
    IdentitySource source = IdentitySource::config;
};

struct IdentityCheck {
    // The valid parts (domain, account and region are set as soon as each is valid, so that a
    // source can still report duplicates of an identity with other errors).
    Identity identity;
    bool complete = false; // no errors and every field present: `identity` is usable
    std::vector<ConfigError> errors;
    std::vector<ConfigError> warnings; // a well-formed region missing from the built-in table
};

// Applies every value rule (see the README's identities reference): domain a valid name of at
// least two labels; account not empty; region well-formed (unknown but well-formed: a warning);
// Easy DKIM: exactly 3 distinct tokens, each one DNS label, a valid signing hosted zone (default
// from the region), every record name within 253 bytes; BYODKIM: a valid SES selector whose
// record name fits, and a key that loads as RSA 1024/2048 in the form its key names (public or
// private). Names come out canonical.
IdentityCheck validate_identity(const RawIdentity& raw);

} // namespace dkimwatch
